"""Finding terraform and the provider, and running one terraform command.

Why this is looked up, not installed: neither Terraform nor the AWS provider is on PyPI. A
``terraform`` binary comes from ``ORGTRAIL_TERRAFORM``, else ``PATH``; the provider from a
filesystem mirror holding ``registry.terraform.io/hashicorp/aws`` (``ORGTRAIL_TF_MIRROR``, else
the usual places, :data:`MIRROR_CANDIDATES`), which makes ``init`` offline and repeatable. When no
mirror is found, ``rehearse`` lets ``init`` use the registry (:attr:`Tools.mirror` is None); the
test suite asks for a mirror (``registry=False``) and skips without one.

Every command runs in :func:`base_environment`: none of the user's ``AWS_*`` or ``TF_*``
variables, no AWS config or credentials file, and a CLI config of our own, so neither their
credentials nor their backend nor their provider settings are ever used.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PROVIDER = "registry.terraform.io/hashicorp/aws"
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
)
TERRAFORM_VARIABLE = "ORGTRAIL_TERRAFORM"
MIRROR_VARIABLE = "ORGTRAIL_TF_MIRROR"


class TerraformRunError(RuntimeError):
    """A Terraform command failed; the message holds the command, exit code and output.

    :attr:`output` is Terraform's own error text (its standard error, else the end of its
    standard output): what ``rehearse`` prints for a failed step, without our framing.
    """

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class Tools:
    """A terraform binary, and the provider mirror with the hashicorp/aws version it holds.

    ``mirror`` and ``provider_version`` are None when ``init`` is to use the registry: the
    provider's version is then what ``init`` selects, read from the workspace afterwards.
    """

    terraform: Path
    mirror: Path | None = None
    provider_version: str | None = None

    def provider_source(self) -> str:
        """Where the provider comes from, as the report says it."""
        if self.mirror is None:
            return "registry.terraform.io: no provider mirror found"
        return f"mirror {self.mirror}"


def platform_name() -> str:
    """Terraform's name for this machine's platform (``linux_amd64``, ``darwin_arm64``)."""
    system = {"win32": "windows", "cygwin": "windows"}.get(sys.platform, sys.platform)
    system = "linux" if system.startswith("linux") else system
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    return f"{system}_{arch}"


def tool_problems(environ: Mapping[str, str], *, registry: bool) -> tuple[Tools | None, list[str]]:
    """The tools to run modules with, or one line per missing tool saying what to install or set.

    ``registry``: a missing mirror is no problem (``init`` then uses the registry), unless
    ``ORGTRAIL_TF_MIRROR`` names one that does not hold the provider: the user asked for it.
    """
    problems = []
    override = environ.get(TERRAFORM_VARIABLE)
    terraform = override or shutil.which("terraform", path=environ.get("PATH", os.defpath))
    if override and not Path(override).is_file():
        problems.append(
            f"no terraform binary at {TERRAFORM_VARIABLE}={override}: set it to a terraform "
            "binary, or unset it to use the one on PATH"
        )
    elif not terraform:
        problems.append(
            f"no terraform binary: none on PATH and {TERRAFORM_VARIABLE} is not set; install "
            "Terraform (https://developer.hashicorp.com/terraform/install) or set "
            f"{TERRAFORM_VARIABLE} to its path"
        )
    mirror = _find_mirror(environ)
    if isinstance(mirror, str) and (not registry or environ.get(MIRROR_VARIABLE)):
        problems.append(mirror)
    if problems or terraform is None:
        return None, problems
    if isinstance(mirror, str):
        return Tools(Path(terraform)), []
    return Tools(Path(terraform), *mirror), []


def find_tools(environ: Mapping[str, str] = os.environ) -> Tools | str:
    """A terraform binary and a mirror (the test suite's needs), or the skip reason."""
    tools, problems = tool_problems(environ, registry=False)
    if tools is None:
        return "; ".join(problems) + ": the real-Terraform tests need both (see docs/checks.md)"
    return tools


def _find_mirror(environ: Mapping[str, str]) -> tuple[Path, str] | str:
    """The mirror root and the newest aws provider version it has for this platform."""
    override = environ.get(MIRROR_VARIABLE)
    roots = [Path(override)] if override else [Path(p).expanduser() for p in MIRROR_CANDIDATES]
    where = platform_name()
    for root in roots:
        versions = sorted(
            (
                path.parent.name
                for path in root.glob(f"{PROVIDER}/*/{where}")
                if any(path.glob("terraform-provider-aws*"))
            ),
            key=_version_key,
        )
        if versions:
            return root, versions[-1]
    searched = f"{MIRROR_VARIABLE}={override}" if override else ", ".join(MIRROR_CANDIDATES)
    return (
        f"no provider mirror holding {PROVIDER}/<version>/{where} in {searched}: set "
        f"{MIRROR_VARIABLE} to one (`terraform providers mirror DIR` makes it)"
    )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


_TERRAFORM_VERSIONS: dict[Path, str] = {}


def terraform_version(tools: Tools) -> str:
    """The binary's version (``terraform version -json``), asked once per binary.

    When it cannot be read, a sentence saying why (the report prints it, the runs go on).
    """
    if tools.terraform not in _TERRAFORM_VERSIONS:
        version = ""
        for _ in range(3):  # once seen: empty output while other Terraform runs were starting
            try:
                done = subprocess.run(
                    [str(tools.terraform), "version", "-json"],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                    env={**os.environ, "CHECKPOINT_DISABLE": "1"},
                )
                version = str(json.loads(done.stdout)["terraform_version"])
                break
            except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError) as exc:
                version = f"unknown ({tools.terraform} version -json: {type(exc).__name__})"
        _TERRAFORM_VERSIONS[tools.terraform] = version
    return _TERRAFORM_VERSIONS[tools.terraform]


def cli_config(tools: Tools, folder: Path) -> Path:
    """A CLI config of our own: hashicorp/aws from the mirror only, or nothing set.

    With a mirror, ``init`` is offline. Without one, the file is empty on purpose: Terraform
    then installs from the registry as it does by default, and the user's own CLI config (its
    credentials, a network mirror) is still not read.
    """
    path = folder / "terraform.rc"
    if tools.mirror is None:
        text = "# orgtrail-gen rehearse: no provider mirror found, init uses the registry\n"
    else:
        text = (
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f"    path    = {json.dumps(str(tools.mirror))}\n"
            f'    include = ["{PROVIDER}"]\n'
            "  }\n"
            "  direct {\n"
            f'    exclude = ["{PROVIDER}"]\n'
            "  }\n"
            "}\n"
        )
    path.write_text(text, encoding="utf-8")
    return path


def base_environment(
    tools: Tools, folder: Path, environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """The environment every terraform command runs in: no AWS or Terraform settings of the user."""
    env = {
        key: value
        for key, value in environ.items()
        if not key.startswith(("AWS_", "TF_")) and key != "CHECKPOINT_DISABLE"
    }
    env.update(
        TF_CLI_CONFIG_FILE=str(cli_config(tools, folder)),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


@dataclass(frozen=True)
class Result:
    """A finished terraform command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def terraform(
    tools: Tools,
    cwd: Path,
    env: Mapping[str, str],
    *args: str,
    ok: Iterable[int] = (0,),
    timeout: float = 600,
) -> Result:
    """Run one terraform command; raise TerraformRunError unless its exit code is in ``ok``."""
    command = (str(tools.terraform), *args)
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TerraformRunError(
            f"terraform {' '.join(args)} in {cwd} did not finish in {timeout:.0f}s",
            f"terraform {args[0]} did not finish in {timeout:.0f}s",
        ) from None
    result = Result(
        tuple(args), done.returncode, done.stdout, done.stderr, time.monotonic() - started
    )
    if done.returncode not in tuple(ok):
        raise TerraformRunError(
            f"terraform {' '.join(args)} in {cwd} exited {done.returncode}:\n"
            f"{done.stderr}\n{done.stdout[-6000:]}",
            done.stderr.strip() or done.stdout[-6000:].strip(),
        )
    return result
