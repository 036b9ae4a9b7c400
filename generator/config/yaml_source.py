"""Read a YAML config and remember where every key and value stands in the file.

Why: a config error is only useful when it points at the line to change. PyYAML's composer
keeps ``start_mark`` on every node; we walk the node tree once, build the plain data, and keep a
``path -> (line, column)`` index that the validation layer uses to place each message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.core.errors import ConfigError, ConfigIssue

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Located:
    """A YAML document as plain data, plus the source position of each key and value."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    source_text: dict[Path_, str] = field(default_factory=dict)

    def written(self, path: Path_) -> str | None:
        """A plain scalar exactly as written in the file (``011111111111``, not its int)."""
        return self.source_text.get(path)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Best position for ``path``: the node itself, else its nearest located ancestor."""
        index = self.keys if key else self.values
        probe = path
        while probe:
            if probe in index:
                return index[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def issue(self, path: Path_, message: str, *, key: bool = False) -> ConfigIssue:
        """A ConfigIssue for ``path`` placed at its position in this file."""
        line, column = self.position(path, key=key)
        dotted = ".".join(str(part) if isinstance(part, str) else f"[{part}]" for part in path)
        return ConfigIssue(self.file, line, column, dotted.replace(".[", "["), message)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


# A config has a few hundred nodes; aliases can multiply that exponentially ("billion laughs").
MAX_NODES = 20_000


class _TooLarge(Exception):
    pass


class _Walker:
    """Turns composed nodes into data while recording positions and rejecting duplicates."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[Path_, tuple[int, int]] = {}
        self.keys: dict[Path_, tuple[int, int]] = {}
        self.source_text: dict[Path_, str] = {}
        self.issues: list[ConfigIssue] = []
        self._scalars = yaml.SafeLoader("")
        self._open: set[int] = set()
        self._count = 0

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self._count += 1
        if self._count > MAX_NODES:
            raise _TooLarge
        self.values[path] = _mark(node)
        if id(node) in self._open:
            self._issue(node, path, "this alias refers to the node that contains it (recursion)")
            return None
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            self._open.add(id(node))
            try:
                return self._collection(node, path)
            finally:
                self._open.discard(id(node))
        if isinstance(node, yaml.ScalarNode) and not node.style:
            self.source_text[path] = node.value
        try:
            return self._scalars.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError) as exc:
            self._issue(node, path, f"cannot read {node.tag} value {node.value!r}: {exc}")
            return None

    def _collection(self, node: yaml.Node, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self._issue(key_node, path, "YAML merge keys (<<) are not supported")
                    continue
                key = self.build(key_node, (*path, "<key>"))
                if not isinstance(key, str) and isinstance(key_node, yaml.ScalarNode):
                    # A key is a name as written: YAML 1.1 reads `on:` as True, `no:` as False.
                    key = key_node.value
                elif not isinstance(key, str):
                    key = str(key)
                if key in result:
                    self._issue(key_node, (*path, key), f"duplicate key {key!r}")
                    continue
                self.keys[(*path, key)] = _mark(key_node)
                result[key] = self.build(value_node, (*path, key))
            self.values.pop((*path, "<key>"), None)
            self.source_text.pop((*path, "<key>"), None)
            return result
        return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]

    def _issue(self, node: yaml.Node, path: Path_, message: str) -> None:
        line, column = _mark(node)
        issue = Located(self.file, None, {path: (line, column)}).issue(path, message)
        self.issues.append(issue)


# PyYAML's wording for the usual mistakes, and what they mean for someone editing a config.
_SYNTAX_HINTS = (
    (
        "mapping values are not allowed here",
        "unexpected ':'. Usually this line is indented deeper than the keys above it (the keys "
        "of one section start in the same column), the line above lacks its ':', or a value "
        "holds ': ' and needs quotes",
    ),
    (
        "but found '<block mapping start>'",
        "this line is indented differently from the keys above it: the keys of one section "
        "start in the same column",
    ),
    (
        "while parsing a block collection",
        "a key among list items: indent it like the keys of its section, or start the item "
        "with '- '",
    ),
    (
        "that cannot start any token",
        "a tab or another character YAML cannot read here; YAML indents with spaces only",
    ),
    ("could not find expected ':'", "a key without ':' after it"),
)


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's message, led by a plain explanation when the mistake is a common one."""
    problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    for pattern, hint in _SYNTAX_HINTS:
        if pattern in problem:
            return f"YAML syntax: {hint} (PyYAML: {problem})"
    return f"YAML syntax: {problem}"


# PyYAML's contexts that name something opened and never closed (a bracket, a quote).
_FLOW_COLLECTIONS = ("while parsing a flow sequence", "while parsing a flow mapping")
_FLOW_NODE = "while parsing a flow node"
_QUOTED = "while scanning a quoted scalar"  # the context of an unclosed quote only
_SIMPLE_KEY = "while scanning a simple key"  # a key without ':' after it
_LINE_BREAKS = "\r\n\x85\u2028\u2029"  # what YAML counts as a line break
_NEVER_CLOSED = {
    "[": "this '[' is never closed: add ']' where the list ends",
    "{": "this '{' is never closed: add '}' where the mapping ends",
    "'": "this quote (') is never closed: end the value with another '",
    '"': 'this quote (") is never closed: end the value with another "',
}


def _indentation(text: str, index: int) -> int:
    """How many spaces open the line that holds ``text[index]`` (0 past the end)."""
    start = max(text.rfind(br, 0, index) for br in _LINE_BREAKS) + 1
    line = text[start:index]
    return len(line) - len(line.lstrip(" "))


def _open_bracket(text: str, before: int) -> yaml.Mark | None:
    """The innermost '[' or '{' still open at ``text[before]``, by PyYAML's own scanner.

    Why: at the end of the file, PyYAML reports an unclosed list as "while parsing a flow node"
    with both marks at the end; the tokens up to there say which bracket was left open.
    """
    opened: list[yaml.Mark] = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.index >= before:
                break
            if isinstance(token, yaml.FlowSequenceStartToken | yaml.FlowMappingStartToken):
                opened.append(token.start_mark)
            elif isinstance(token, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken) and opened:
                opened.pop()
    except yaml.YAMLError:
        pass
    return opened[-1] if opened else None


def _never_closed(exc: yaml.MarkedYAMLError, text: str) -> yaml.Mark | None:
    """The bracket or quote the error comes from, when it was opened and never closed.

    Why: PyYAML notices an unclosed '[' or quote only at the next token, the key on the next
    line or the end of the file, and reports that place (``problem_mark``); the mistake is the
    opener (``context_mark``). A list spread over several lines is the exception: an error on
    a line indented deeper than the opener's is inside the list, and its own place is right.
    """
    problem = exc.problem_mark
    if problem is None:
        return None
    if exc.context == _QUOTED:
        return exc.context_mark
    if exc.context in _FLOW_COLLECTIONS:
        opened = exc.context_mark
    elif exc.context == _FLOW_NODE:
        opened = _open_bracket(text, problem.index)
    else:
        return None
    if opened is None or problem.line <= opened.line:
        return None  # on the opener's own line, the problem's column is the precise one
    if _indentation(text, problem.index) > _indentation(text, opened.index):
        return None
    return opened


def _syntax_issue(exc: yaml.MarkedYAMLError, text: str, file: str) -> ConfigIssue:
    """A YAML syntax error placed at the mistake, not where PyYAML noticed it."""
    opened = _never_closed(exc, text)
    hint = _NEVER_CLOSED.get(text[opened.index : opened.index + 1]) if opened else None
    if opened is not None and hint is not None:
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        message = f"YAML syntax: {hint} (PyYAML: {problem})"
        return ConfigIssue(file, opened.line + 1, opened.column + 1, "", message)
    if exc.context == _SIMPLE_KEY and exc.context_mark is not None:
        mark: yaml.Mark | None = exc.context_mark  # the key itself, not the line after it
    else:
        mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return ConfigIssue(file, line, column, "", _syntax_message(exc))


_START_FROM = (
    "start from a copy of configs/example.yaml, or let `orgtrail-gen discover -o FILE` write "
    "one from your organization"
)


def _no_settings(text: str) -> str:
    """Why a file without a YAML document is refused, and where a config can start from.

    Why two wordings: a file of comments only (a template with everything commented out, a
    header without its settings yet) is not empty to the person looking at it, so calling it
    "empty" sent users looking for an encoding or a save that had failed.
    """
    if not text.strip():
        return f"the file is empty; {_START_FROM}"
    return f"the file has no settings, only comments; {_START_FROM}"


def load_yaml(text: str, file: str) -> Located:
    """Parse one YAML document; syntax errors and duplicate keys become ConfigErrors.

    Args:
        text: The YAML text.
        file: The name shown in messages (as the user typed it).
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        problem = f"character {exc.character!r} is not allowed in YAML ({exc.reason})"
        raise ConfigError([ConfigIssue(file, line, column, "", problem)]) from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_issue(exc, text, file)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(file, 1, 1, "", f"YAML: {exc}")]) from None
    if node is None:
        raise ConfigError([ConfigIssue(file, 1, 1, "", _no_settings(text))])
    walker = _Walker(file)
    try:
        data = walker.build(node, ())
    except _TooLarge:
        raise ConfigError(
            [ConfigIssue(file, 1, 1, "", f"more than {MAX_NODES} values (aliases expanding?)")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ConfigError([ConfigIssue(file, line, column, "", f"YAML: {exc.problem}")]) from None
    if walker.issues:
        raise ConfigError(walker.issues)
    return Located(file, data, walker.values, walker.keys, walker.source_text)
