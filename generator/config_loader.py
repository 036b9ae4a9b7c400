"""Load a config file into a validated :class:`Config`, or fail with located messages.

Why: pydantic reports errors by key path; users need ``file:line:col``. This module joins the
two and reports every problem in one go, so a user fixes a config in one round trip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from generator.config import MISSING_HINTS, RETIRED_KEYS, Config, cross_field_issues
from generator.errors import ConfigError, ConfigIssue
from generator.yaml_source import Located, load_yaml

_PREFIXES = ("Value error, ", "Assertion failed, ")


def display_name(path: Path) -> str:
    """How a config is named in messages: as the user typed it."""
    return str(path)


def _message(error: ErrorDetails, written: str | None = None) -> str:
    kind = error["type"]
    message = error["msg"]
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see `orgtrail-gen schema`)"
    if kind == "missing":
        return "required key is missing"
    if kind == "string_type" and isinstance(error.get("input"), int | float):
        text = written if written is not None else str(error["input"])
        return f"{message}; quote it in YAML ('{text}'): unquoted, YAML reads it as a number"
    return message


def _issues(located: Located, exc: ValidationError) -> list[ConfigIssue]:
    issues = []
    for error in exc.errors(include_url=False):
        path = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
        kind = error["type"]
        if kind == "missing":
            message = f"{_message(error)}: {path[-1]}"
            hint = MISSING_HINTS.get(tuple(map(str, path)))
            issue = located.issue(path[:-1], f"{message}; {hint}" if hint else message, key=True)
            issue = ConfigIssue(
                issue.file, issue.line, issue.column, ".".join(map(str, path)), issue.message
            )
        elif kind == "extra_forbidden" and tuple(map(str, path)) in RETIRED_KEYS:
            issue = located.issue(path, RETIRED_KEYS[tuple(map(str, path))], key=True)
        else:
            message = _message(error, located.written(path))
            issue = located.issue(path, message, key=kind == "extra_forbidden")
        issues.append(issue)
    return sorted(set(issues), key=lambda i: (i.line, i.column, i.path, i.message))


def validate(located: Located) -> Config:
    """Validate already-parsed YAML; every issue is raised together in one ConfigError."""
    data: Any = located.data
    if not isinstance(data, dict):
        raise ConfigError([located.issue((), "the top level must be a mapping of sections")])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_issues(located, exc)) from None
    cross = [located.issue(path, message) for path, message in cross_field_issues(config)]
    if cross:
        raise ConfigError(sorted(cross, key=lambda i: (i.line, i.column)))
    return config


def load_config(path: Path) -> Config:
    """Read, parse and validate one config file."""
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigIssue(name, 1, 1, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ConfigError([ConfigIssue(name, 1, 1, "", "not UTF-8 text")]) from None
    return validate(load_yaml(text, name))
