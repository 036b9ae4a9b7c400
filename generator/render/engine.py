"""Render views into Terraform text, one file per template.

Why: rendering is pure - views in, ``{file name: text}`` out - so ``--check``, the tests and
the writer all share it; which templates a module has is the sections' decision
(``generator.sections.registry``), not this module's. The Jinja environment is strict (an
undefined name is an error, not an empty string) and never HTML-escapes; values are quoted
by the filters in :mod:`generator.render.hcl`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache

import jinja2

from generator.core.constants import HEADER_MARK
from generator.core.errors import TemplateError
from generator.core.paths import cache_dir, templates_dir
from generator.render.hcl import FILTERS
from generator.render.hcl_format import format_hcl

# What shapes a template's compiled code besides its source (the lexer's settings, as Jinja's
# own lexer cache lists them, and autoescape). Jinja keys a cached template by its name and
# source only, so these are part of the cache folder's name: code compiled under other options
# (another orgtrail-gen build, a branch switch) is never read.
_COMPILE_OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "autoescape",
)


def _bytecode_cache(env: jinja2.Environment) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs, for ``env``'s options, if a cache folder works."""
    options = repr([(name, getattr(env, name)) for name in _COMPILE_OPTIONS])
    digest = hashlib.sha256(options.encode("utf-8")).hexdigest()[:12]
    folder = cache_dir() / f"jinja-{jinja2.__version__}-{digest}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


@cache
def environment() -> jinja2.Environment:
    """The one Jinja environment: strict, no autoescape, our filters only."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.bytecode_cache = _bytecode_cache(env)
    env.filters.update(FILTERS)
    return env


def header(source: str, command: str | None = None) -> str:
    """The first lines of every generated file: tool, source config, no timestamp.

    Args:
        source: The config as headers name it.
        command: The command that regenerates the file (default ``orgtrail-gen <source>``).
    """
    return (
        f"{HEADER_MARK} from {source}. Do not edit by hand:\n"
        f"# change the config and run `{command or f'orgtrail-gen {source}'}` again.\n"
    )


def render_files(
    names: list[str], context: Mapping[str, object], source: str, command: str | None = None
) -> dict[str, str]:
    """Render ``<name>.tf.j2`` for each name with ``context``; ``source`` names the config.

    ``command`` is the re-run hint of the header (see :func:`header`).

    Returns:
        ``{"cloudtrail.tf": text, ...}`` in the order of ``names``, each text formatted like
        ``terraform fmt``.
    """
    context = {**context, "header": header(source, command)}
    files: dict[str, str] = {}
    for name in names:
        template_name = f"{name}.tf.j2"
        try:
            text = environment().get_template(template_name).render(context)
        except jinja2.TemplateError as exc:
            line = getattr(exc, "lineno", None)
            where = f"{template_name}:{line}" if line else template_name
            raise TemplateError(f"{where}: {exc}") from exc
        files[f"{name}.tf"] = format_hcl(text)
    return files
