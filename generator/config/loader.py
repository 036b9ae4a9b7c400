"""Load a config file into a validated :class:`Config`, or fail with located messages.

Why: pydantic reports errors by key path; users need ``file:line:col``. This module joins the
two and reports every problem in one go, so a user fixes a config in one round trip.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from generator.config.model import MISSING_HINTS, RETIRED_KEYS, Config, cross_field_issues
from generator.config.yaml_source import Located, load_yaml
from generator.errors import ConfigError, ConfigIssue, UserError

_PREFIXES = ("Value error, ", "Assertion failed, ")


def display_name(path: Path) -> str:
    """How a config is named in messages: as the user typed it."""
    return str(path)


def _section_model(path: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The config model of the section at ``path`` (list indexes skipped), if there is one."""
    model: type[BaseModel] = Config
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        nested = _models_in(field.annotation)
        if not nested:
            return None
        model = nested[0]
    return model


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds: ``X``, ``X | None``, ``list[X]``, ..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _unknown_key(path: tuple[str | int, ...]) -> str:
    """Why a key is unknown, with the nearest key the model does have."""
    model = _section_model(path[:-1])
    known = list(model.model_fields) if model else []
    close = difflib.get_close_matches(str(path[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    where = ".".join(str(p) for p in path[:-1] if isinstance(p, str)) or "the top level"
    return f"unknown key; {where} takes: {', '.join(known)}" if known else "unknown key"


def _yaml_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "empty" if value is None else type(value).__name__


def _message(error: ErrorDetails, written: str | None = None) -> str:
    kind = error["type"]
    message = error["msg"]
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if kind == "extra_forbidden":
        return _unknown_key(tuple(error["loc"]))
    if kind in ("model_type", "dict_type"):
        return (
            f"must be a section of `key: value` lines indented below it, not "
            f"{_yaml_kind(error.get('input'))}"
        )
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
                issue.file, issue.line, issue.column, located.issue(path, "").path, issue.message
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
        data = path.read_bytes()
    except OSError as exc:  # no position: there is no file to point into
        raise UserError(f"{name}: cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line, column = before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1
        problem = f"byte {data[exc.start]:#04x} is not UTF-8 text; save the file as UTF-8"
        raise ConfigError([ConfigIssue(name, line, column, "", problem)]) from None
    return validate(load_yaml(text, name))
