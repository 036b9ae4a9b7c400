"""Where things are: a config's working tree, the output folder, the cache, the templates.

One home for every path the tool derives, so that no layer reaches into another for a folder.

Why: the header of every generated file names its config and the command that regenerates
it. If that text followed the path as typed, ``cd configs && orgtrail-gen example.yaml --check``
would report drift, and a config outside the repository would leave a temporary path in
committed files. Names are therefore taken relative to the config's working tree (the
nearest folder up that holds ``.git`` or ``pyproject.toml``), and the default output folder
is that tree's ``output/``.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

_ROOT_MARKERS = (".git", "pyproject.toml")
DEFAULT_OUTPUT = "output"


def project_root(config: Path) -> Path | None:
    """The working tree that holds ``config``, or None for a config outside any tree."""
    folder = config.resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in _ROOT_MARKERS):
            return candidate
    return None


def _relative_to_root(path: Path, root: Path | None) -> str | None:
    absolute = path.resolve()
    if root is None or not absolute.is_relative_to(root):
        return None
    return absolute.relative_to(root).as_posix()


def config_label(config: Path) -> str:
    """How headers name a config: relative to its working tree, else by its file name alone."""
    return _relative_to_root(config, project_root(config)) or config.name


def tree_label(path: Path, config: Path) -> str:
    """How a report names a file or folder: relative to the config's working tree, else absolute.

    Why not relative to the current directory: a change summary is posted to a pull request
    and compared between runs, so it must read the same from wherever the command ran.
    """
    return _relative_to_root(path, project_root(config)) or path.resolve().as_posix()


def default_output_root(config: Path) -> Path:
    """Where a config's module goes without ``--output-dir``: its tree's ``output/``.

    A config outside any working tree falls back to ``output/`` in the current directory.
    """
    root = project_root(config)
    return (root if root is not None else Path.cwd()) / DEFAULT_OUTPUT


def rerun_command(config: Path, output_root: Path | None = None) -> str:
    """The command a header tells a reader to run, valid from the working tree's root.

    ``--output-dir`` appears only when it differs from the default, so spelling the default
    out gives the same bytes as leaving it away.
    """
    command = f"orgtrail-gen {shlex.quote(config_label(config))}"
    if output_root is None:
        return command
    chosen = output_root.resolve()
    if chosen == default_output_root(config).resolve():
        return command
    shown = _relative_to_root(chosen, project_root(config)) or chosen.as_posix()
    return f"{command} --output-dir {shlex.quote(shown)}"


def cache_dir() -> Path:
    """orgtrail-gen's cache folder: ``$XDG_CACHE_HOME/orgtrail-gen`` (default ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "orgtrail-gen"


def templates_dir() -> Path:
    """Where the templates are: inside the installed package, else the source checkout's root."""
    package = Path(__file__).resolve().parents[1]  # generator/, above generator/core/
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "cloudtrail.tf.j2").is_file():
            return candidate
    raise RuntimeError(f"templates not found next to {package}; the installation is broken")
