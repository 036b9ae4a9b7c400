"""The locked test environment: what the tests run with is the lock, and the lock is complete.

Why: a fresh machine resolved ``moto[server]>=5.0.20`` to a moto released after the last
landing, and the real-Terraform tests failed on a change nobody made. The tests and CI install
``tests/requirements.txt`` (written by ``tests/support/lock.py``); these tests keep that lock
whole and make a drifted environment say how to restore it.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from support.lock import CHECKOV, CHECKOV_HEADER, CHECKOV_LOCK, COMMAND, TEST_LOCK

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RESTORE = "pip install -r tests/requirements.txt '.[test]'"


def _applicable_pins(text: str) -> dict[str, Version]:
    """``name -> version`` of a lock's pins whose environment marker holds here."""
    found: dict[str, Version] = {}
    for line in text.splitlines():
        if "==" not in line or line.startswith(("#", " ")):
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, version = requirement.partition("==")
        assert canonicalize_name(name) not in found, f"{name} is pinned twice for this Python"
        found[canonicalize_name(name)] = Version(version.strip())
    return found


TEST_PINS = _applicable_pins(TEST_LOCK.read_text(encoding="utf-8"))
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])


def extra_requirements(extra: str) -> list[Requirement]:
    """An extra's requirements, with those of the project's own extras it names spelt out.

    The ``test`` extra includes ``orgtrail-gen[rehearse]``: the emulator the tests run is the
    one ``orgtrail-gen rehearse`` installs.
    """
    found = []
    for text in PYPROJECT["project"]["optional-dependencies"][extra]:
        requirement = Requirement(text)
        if canonicalize_name(requirement.name) == PROJECT:
            found += [r for name in sorted(requirement.extras) for r in extra_requirements(name)]
        else:
            found.append(requirement)
    return found


def test_the_lock_pins_every_requirement_within_its_range() -> None:
    """Each runtime and test requirement of pyproject.toml is pinned, at a version it admits."""
    wanted = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]
    wanted += extra_requirements("test")
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in TEST_PINS, f"{name} is not in the lock: run `{COMMAND}`"
        assert TEST_PINS[name] in requirement.specifier, (
            f"the lock pins {name}=={TEST_PINS[name]}, outside {requirement}: run `{COMMAND}`"
        )


def test_the_lock_is_closed_under_what_its_packages_require() -> None:
    """Everything a locked package needs here (moto's server extra included) is locked too."""
    extras = {canonicalize_name(r.name): r.extras for r in extra_requirements("test")}
    for name in TEST_PINS:
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            environments = [{"extra": extra} for extra in ("", *extras.get(name, ()))]
            if requirement.marker is not None and not any(
                requirement.marker.evaluate(environment) for environment in environments
            ):
                continue
            assert canonicalize_name(requirement.name) in TEST_PINS, (
                f"{name} requires {requirement}, which the lock leaves out: run `{COMMAND}`"
            )


def test_the_rehearse_extra_is_locked_like_the_tests() -> None:
    """`pip install 'orgtrail-gen[rehearse]'` gets the moto and botocore the tests ran with.

    Exact pins, each the lock's: the emulator's answers depend on both (its patches are written
    for that moto; moto routes by botocore's models), so a user's rehearsal is the suite's.
    """
    rehearse = extra_requirements("rehearse")
    assert {canonicalize_name(r.name) for r in rehearse} >= {"moto", "botocore"}
    for requirement in rehearse:
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"{requirement}: the rehearse extra pins exactly"
        name = canonicalize_name(requirement.name)
        assert Version(spec.version) == TEST_PINS[name], (
            f"the rehearse extra pins {requirement}, the lock {name}=={TEST_PINS[name]}: move "
            f"both together (pyproject.toml, then `{COMMAND}`)"
        )
    assert "server" in next(r for r in rehearse if r.name == "moto").extras


def test_the_installed_environment_is_the_lock() -> None:
    """The tests run on exactly the locked versions (a hand upgrade is named, with the fix)."""
    drifted = []
    for name, pinned in sorted(TEST_PINS.items()):
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            drifted.append(f"{name}: not installed, the lock says {pinned}")
            continue
        if installed != pinned:
            drifted.append(f"{name}: {installed} installed, the lock says {pinned}")
    assert not drifted, "\n".join(
        ["this environment is not the locked one:", *drifted, f"restore it with `{RESTORE}`"]
    )


def test_the_checkov_lock_pins_the_checkov_we_read_and_all_it_needs() -> None:
    text = CHECKOV_LOCK.read_text(encoding="utf-8")
    assert text.startswith(CHECKOV_HEADER)
    pins = _applicable_pins(text)
    name, _, version = CHECKOV.partition("==")
    assert pins[name] == Version(version)
    assert "bc-python-hcl2" in pins  # why checkov has a virtualenv of its own
    assert len(pins) > 50, "every dependency is locked, not only checkov"


@pytest.mark.parametrize("lock", [TEST_LOCK, CHECKOV_LOCK], ids=lambda p: p.name)
def test_every_line_of_a_lock_is_an_exact_pin(lock: Path) -> None:
    """No range, URL or editable line: pip installs exactly what the lock names."""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(line)
        assert len(requirement.specifier) == 1, line
        (spec,) = requirement.specifier
        assert spec.operator == "==", line
