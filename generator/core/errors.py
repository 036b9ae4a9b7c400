"""The error taxonomy: what a user sees, and with which exit code.

Why: the CLI has exactly one error boundary. Everything a user can cause derives from
``UserError`` and carries its exit code, so the boundary never guesses and never shows a
traceback (unless ``--debug``).
"""

from __future__ import annotations

from typing import NamedTuple

EXIT_OK = 0
EXIT_FAILED = 1  # a preflight check, drift (--check) or a verification failed
EXIT_BAD_INPUT = 2  # config or arguments
EXIT_AWS = 3  # an AWS API error


class UserError(Exception):
    """An error the user can fix; printed without a traceback."""

    exit_code = EXIT_BAD_INPUT


class ConfigIssue(NamedTuple):
    """One problem in a config file, located as precisely as the YAML allows."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(UserError):
    """The config is invalid; carries every issue found, not just the first."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


class CombinedError(UserError):
    """Several inputs failed: every message together, with the most serious exit code.

    Why: a user running ``orgtrail-gen a.yaml b.yaml c.yaml`` fixes all three in one round trip
    only if b's errors are shown even though a's already failed. Bad input (2) outranks a failed
    check (1), because it has to be fixed first.
    """

    def __init__(self, errors: list[UserError]) -> None:
        self.errors = errors
        self.exit_code = max(error.exit_code for error in errors)
        super().__init__("\n".join(str(error) for error in errors))


class OutputConflictError(UserError):
    """Writing would overwrite a file that orgtrail-gen did not generate."""


class OutputError(UserError):
    """The output folder cannot be created or written (a file in the way, permissions)."""


class PreflightError(UserError):
    """Generated Terraform would fail at apply time (or does not re-parse)."""

    exit_code = EXIT_FAILED


class TemplateError(Exception):
    """A bug in a template (not the user's fault): shown with the template's file and line."""


class AwsError(UserError):
    """An AWS API call failed (denied, throttled past the retries, unreachable): exit 3."""

    exit_code = EXIT_AWS
