"""The package's shape: layers point one way, and every piece is reachable from the registry.

Why: a rules module nobody imports never runs, a template no section declares is never
rendered, a resource type no section places escapes rule OTG070 - each silently. And an import
from a lower layer into a higher one is how two halves of a pipeline start knowing each other.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel

import generator
from generator.check.preflight import RULES
from generator.core.paths import templates_dir
from generator.pipeline import CROSS_CUTTING, active_rules, rule_modules
from generator.sections.registry import SECTIONS, Config, placements

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "generator"

# Bottom to top. A module may import from its own layer's package and from any lower layer;
# render and check are siblings that never import each other.
LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("config", "monitoring"),
    ("render", "check"),
    ("sections",),
    ("guards",),
    ("output",),
    ("pipeline",),
    ("aws", "review", "rehearse"),
    ("commands",),
    ("cli",),
    ("__main__",),
]
LAYER_OF = {package: index for index, packages in enumerate(LAYERS) for package in packages}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """The generator modules ``path`` imports when it runs (not under ``TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            type_only |= {id(child) for child in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("generator"):
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("generator")}
    return found


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {
    name: {target for target in _runtime_imports(path) if target in MODULES and target != name}
    for name, path in MODULES.items()
}


def _top(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_package_has_a_layer() -> None:
    assert {_top(name) for name in MODULES} - {"__init__"} <= set(LAYER_OF)


def test_no_import_points_up_or_across_siblings() -> None:
    wrong = []
    for name, targets in GRAPH.items():
        here = _top(name)
        for target in targets:
            there = _top(target)
            if here == "__init__" or there == "__init__" or here == there:
                continue
            if LAYER_OF[there] >= LAYER_OF[here]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_the_import_graph_has_no_cycle() -> None:
    state: dict[str, int] = defaultdict(int)  # 0 new, 1 on the stack, 2 done
    cycles: list[list[str]] = []

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        for target in sorted(GRAPH[name]):
            if state[target] == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif state[target] == 0:
                visit(target, [*stack, target])
        state[name] = 2

    for name in sorted(GRAPH):
        if state[name] == 0:
            visit(name, [name])
    assert cycles == []


def test_no_module_of_the_package_is_over_500_lines() -> None:
    long = {
        name: lines
        for name, path in MODULES.items()
        if (lines := path.read_text(encoding="utf-8").count("\n")) > 500
    }
    assert long == {}


def _import_everything() -> None:
    for info in pkgutil.walk_packages(generator.__path__, "generator."):
        if info.name != "generator.__main__":  # importing it runs the CLI
            importlib.import_module(info.name)


def test_every_rule_is_run_and_belongs_to_a_section_or_guard() -> None:
    _import_everything()  # a rules module that only the registry forgot still registers
    reachable = {module.__name__ for module in rule_modules()}
    strays = {
        rule_id: function.__module__
        for rule_id, (_, function) in RULES.items()
        if function.__module__ not in reachable
    }
    assert strays == {}
    assert active_rules() == sorted(RULES)
    for guard in CROSS_CUTTING:
        assert guard.__name__.startswith("generator.guards."), guard


def test_every_template_belongs_to_exactly_one_section() -> None:
    owned = [name for section in SECTIONS for name in section.templates]
    assert len(owned) == len(set(owned))
    files = {
        path.name.removesuffix(".tf.j2")
        for path in templates_dir().glob("*.tf.j2")
        if not path.name.startswith("_")
    }
    assert files == set(owned)


def test_every_config_key_belongs_to_exactly_one_section() -> None:
    keys = [key for section in SECTIONS for key in section.keys]
    assert sorted(keys) == sorted(Config.model_fields)
    assert len(keys) == len(set(keys))


def test_every_resource_type_a_template_declares_is_placed() -> None:
    declared = set()
    for path in templates_dir().glob("*.j2"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("resource ", "data ")):
                declared.add(line.split('"')[1])
    assert declared - set(placements()) == set()
    assert set(placements().values()) <= {"management", "bucket", "trail", "key", "local"}


def test_a_resource_type_no_section_places_fails_otg070() -> None:
    from generator.pipeline import build, check_module

    module = build(ROOT / "configs" / "example.yaml")
    files = {
        **module.files,
        "extra.tf": 'resource "aws_guardduty_detector" "new" {\n  enable = true\n}\n',
    }
    _, findings = check_module(module.config, files)
    unplaced = [
        f for f in findings if f.rule == "OTG070" and f.address == "aws_guardduty_detector.new"
    ]
    assert len(unplaced) == 1, findings
    assert "no section" in unplaced[0].problem


_PLAIN = (str, int, float, bool, type(None))


def _strays(value: object, where: str) -> list[str]:
    """Where a view holds something other than records and plain values, at any depth."""
    if isinstance(value, _PLAIN):
        return []
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return [s for f in value._fields for s in _strays(getattr(value, f), f"{where}.{f}")]
    if isinstance(value, BaseModel):  # a config model handed on as it is: frozen and typed
        if not value.model_config.get("frozen"):
            return [f"{where}: {type(value).__name__} is a mutable model"]
        return [
            s for f in type(value).model_fields for s in _strays(getattr(value, f), f"{where}.{f}")
        ]
    if isinstance(value, tuple | list | frozenset):
        return [s for i, item in enumerate(value) for s in _strays(item, f"{where}[{i}]")]
    if isinstance(value, dict):
        return [s for k, item in value.items() for s in _strays(item, f"{where}[{k!r}]")]
    return [f"{where}: {type(value).__name__}"]


def test_every_view_is_a_namedtuple_of_records_and_plain_values() -> None:
    """What a template reads is a typed, immutable record down to plain values.

    Views are ``typing.NamedTuple`` classes rather than frozen dataclasses: as typed (mypy
    checks every field) and immutable, at a fifth of the cost to define
    (``bench/bench_generate.py``). Inside them: other records, frozen config models handed on
    as they are (a lifecycle transition), plain values, and containers of those; no dataclass,
    mutable model or other object reaches a template.
    """
    from generator.pipeline import templates
    from generator.sections.registry import facts_of, load_config

    for config in sorted((ROOT / "configs").glob("*.yaml")):
        views, _ = templates(facts_of(load_config(config)))
        for name, view in views.items():
            if view is None:  # a section with nothing to render for this config
                continue
            assert isinstance(view, tuple) and hasattr(view, "_fields"), (config.name, name)
            assert _strays(view, name) == [], config.name


# Tests live beside what they test: tests/<package>/ mirrors generator/<package>/; end_to_end/
# holds what runs the whole product (goldens, checkov, real Terraform); the top level tests
# the top-level modules and the project itself.
TEST_HOMES = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
TOP_LEVEL_TESTS = {
    "test_architecture.py",
    "test_docs.py",
    "test_locks.py",
    "test_output.py",
    "test_project_kit.py",
}


def test_tests_mirror_the_package_layout() -> None:
    tests = ROOT / "tests"
    misplaced = []
    for path in tests.rglob("test_*.py"):
        where = path.relative_to(tests).parts
        if where[0] == "support":
            continue
        if len(where) == 1:
            if path.name not in TOP_LEVEL_TESTS:
                misplaced.append(str(path.relative_to(tests)))
        elif len(where) != 2 or where[0] not in TEST_HOMES | {"end_to_end"}:
            misplaced.append(str(path.relative_to(tests)))
    assert misplaced == []
    untested = {package for package in TEST_HOMES if not any((tests / package).glob("test_*.py"))}
    assert untested == set()
    names = [path.name for path in tests.rglob("test_*.py")]
    assert len(names) == len(set(names)), "pytest imports test files by their basename"
