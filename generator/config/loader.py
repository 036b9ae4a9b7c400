"""Load a config file into a validated model, or fail with located messages.

Why: pydantic reports errors by key path; users need ``file:line:col``. This module joins the
two and reports every problem in one go, so a user fixes a config in one round trip.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar, cast, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from generator.config.fields import Issue
from generator.config.yaml_source import Located, load_yaml
from generator.core.errors import ConfigError, ConfigIssue, UserError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Schema(Generic[M]):
    """What the loader validates against: the root model, its cross-field rules and hints.

    Why a parameter: the loader knows YAML positions and pydantic errors, not the sections;
    ``generator.sections.registry`` assembles the schema from them.
    ``retired_keys``: keys of earlier versions, with why they went; ``missing_hints``: extra
    advice for required keys that have no safe default.
    """

    model: type[M]
    cross_field_issues: Callable[[M], list[Issue]]
    retired_keys: Mapping[tuple[str, ...], str] = dataclasses.field(default_factory=dict)
    missing_hints: Mapping[tuple[str, ...], str] = dataclasses.field(default_factory=dict)


_PREFIXES = ("Value error, ", "Assertion failed, ")


def _section_model(root: type[BaseModel], path: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The config model of the section at ``path`` (list indexes skipped), if there is one."""
    model: type[BaseModel] = root
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


def _unknown_key(root: type[BaseModel], path: tuple[str | int, ...]) -> str:
    """Why a key is unknown, with the nearest key the model does have."""
    model = _section_model(root, path[:-1])
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


def _message(root: type[BaseModel], error: ErrorDetails, written: str | None = None) -> str:
    kind = error["type"]
    message = error["msg"]
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if kind == "extra_forbidden":
        return _unknown_key(root, tuple(error["loc"]))
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


def _issues(schema: Schema[Any], located: Located, exc: ValidationError) -> list[ConfigIssue]:
    issues = []
    for error in exc.errors(include_url=False):
        path = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
        kind = error["type"]
        if kind == "missing":
            message = f"{_message(schema.model, error)}: {path[-1]}"
            hint = schema.missing_hints.get(tuple(map(str, path)))
            issue = located.issue(path[:-1], f"{message}; {hint}" if hint else message, key=True)
            issue = ConfigIssue(
                issue.file, issue.line, issue.column, located.issue(path, "").path, issue.message
            )
        elif kind == "extra_forbidden" and tuple(map(str, path)) in schema.retired_keys:
            issue = located.issue(path, schema.retired_keys[tuple(map(str, path))], key=True)
        else:
            message = _message(schema.model, error, located.written(path))
            issue = located.issue(path, message, key=kind == "extra_forbidden")
        issues.append(issue)
    return sorted(set(issues), key=lambda i: (i.line, i.column, i.path, i.message))


KeyPath = tuple[str | int, ...]


def _error_paths(exc: ValidationError) -> set[KeyPath]:
    return {
        tuple(part for part in error["loc"] if not str(part).startswith("function-"))
        for error in exc.errors(include_url=False)
    }


def _touches(path: KeyPath, bad: set[KeyPath]) -> bool:
    """Whether ``path`` is a bad path, or lies above or below one."""
    return any(b[: len(path)] == path or path[: len(b)] == b for b in bad)


class _Invalid(str):
    """Stands for a value that failed validation, in a cross-field pass (see ``_cross_despite``)."""


def _stand_in(annotation: Any, run: int) -> Any:
    """What a bad field holds in cross-field pass ``run`` (0 or 1): a value differing per run."""
    if annotation is bool or bool in get_args(annotation):
        return run == 0
    return _Invalid(f"<invalid value #{run}>")


def _lenient(
    model: type[BaseModel], data: dict[str, Any], bad: set[KeyPath], path: KeyPath, run: int
) -> Any:
    """``model`` built from ``data`` without failing: valid fields validated, bad ones stood in for.

    No model of the config has a model validator, so building with ``model_construct`` from
    fields validated one by one gives what validation would have, field by field.
    """
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name not in data:
            continue
        raw, here = data[name], (*path, name)
        if here in bad:
            values[name] = _stand_in(field.annotation, run)
        elif _touches(here, bad):
            nested = _models_in(field.annotation)
            if nested and isinstance(raw, dict):
                values[name] = _lenient(nested[0], raw, bad, here, run)
            elif isinstance(raw, list):
                values[name] = [
                    _lenient(nested[0], item, bad, (*here, i), run)
                    if nested and isinstance(item, dict)
                    else _stand_in(None, run)
                    if (*here, i) in bad
                    else item
                    for i, item in enumerate(raw)
                ]
            else:
                values[name] = _stand_in(field.annotation, run)
        else:
            adapter = TypeAdapter(cast(Any, Annotated[field.annotation, field]))
            values[name] = adapter.validate_python(raw)
    return model.model_construct(**values)


def _cross_despite(
    schema: Schema[Any], data: dict[str, Any], exc: ValidationError
) -> list[tuple[KeyPath, str]]:
    """The cross-field issues of a config with field errors that do not depend on those fields.

    Why: the README promises every problem in one run; without this a retention of 45 days
    (a cross-field rule) showed only once an uppercase bucket name (a field error) was fixed.
    How "do not depend" is told: the rules run twice, each bad field standing in for a
    different value each time (true/false for a flag, two distinct strings otherwise); an
    issue both runs report word for word did not depend on what the bad fields hold. If a rule
    trips over a stand-in (a missing section, a string where a number belongs), the field
    errors alone are reported, as before.
    """
    bad = _error_paths(exc)
    try:
        first, second = (
            schema.cross_field_issues(_lenient(schema.model, data, bad, (), run)) for run in (0, 1)
        )
    except Exception:  # a rule could not read a stand-in: report the field errors only
        return []
    kept = set(first) & set(second)
    return [
        (path, message)
        for path, message in first
        if (path, message) in kept and not _touches(tuple(path), bad)
    ]


def validate(located: Located, schema: Schema[M]) -> M:
    """Validate already-parsed YAML; every issue is raised together in one ConfigError."""
    data: Any = located.data
    if not isinstance(data, dict):
        raise ConfigError([located.issue((), "the top level must be a mapping of sections")])
    try:
        config = schema.model.model_validate(data)
    except ValidationError as exc:
        issues = _issues(schema, located, exc)
        issues += [
            located.issue(path, message) for path, message in _cross_despite(schema, data, exc)
        ]
        raise ConfigError(
            sorted(set(issues), key=lambda i: (i.line, i.column, i.path, i.message))
        ) from None
    cross = [located.issue(path, message) for path, message in schema.cross_field_issues(config)]
    if cross:
        raise ConfigError(sorted(cross, key=lambda i: (i.line, i.column)))
    return config


def load(path: Path, schema: Schema[M]) -> M:
    """Read, parse and validate one config file."""
    name = str(path)  # as the user typed it
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
    return validate(load_yaml(text, name), schema)
