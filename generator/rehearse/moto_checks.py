"""The checks every moto patch makes before it changes anything, and the one way it installs.

Why: each patch of :mod:`generator.rehearse.moto_patches` first checks that what it replaces (or
adds) is, in the installed moto, what it was written against: a class defining the method it
wraps with the parameters it calls it with, the absence of the method it adds, a module attribute
of the expected type. Anything else raises MotoPatchError at once, naming the patch and moto's
version, instead of leaving a 404 or a missing value to surface deep in a Terraform apply log.
Only then does it install, and only through :func:`install` (so a test can check a patch without
changing moto in its process). Run only in the emulator's process: moto is imported lazily.
"""

from __future__ import annotations

from typing import Any

PATCH_FILE = "generator/rehearse/moto_patches.py"
INSTALL_HINT = "pip install 'orgtrail-gen[rehearse]'"


class MotoPatchError(RuntimeError):
    """The installed moto is not what a patch was written against (see :func:`mismatch`)."""


def installed_versions() -> dict[str, str]:
    """The moto and botocore this process runs (botocore has the models moto routes by)."""
    import botocore
    import moto

    return {"moto": moto.__version__, "botocore": botocore.__version__}


def install(target: Any, name: str, value: Any) -> None:
    """Set ``value`` as ``target.name`` (a method on one of moto's classes, a new attribute...)."""
    setattr(target, name, value)


def mismatch(patch: str, expected: str, found: str) -> MotoPatchError:
    """The error naming the patch, moto's version, what it expects, what it found and the fix."""
    import moto

    return MotoPatchError(
        f"moto {moto.__version__}: patch {patch} expects {expected}; found {found}"
        f" — update {PATCH_FILE} (or {INSTALL_HINT}: the moto it is written for)"
    )


def lookup(patch: str, module: str, name: str) -> Any:
    """``module.name`` of the installed moto (a class, a function, a module).

    Else MotoPatchError, rather than an ImportError or AttributeError that names no patch.
    """
    import importlib

    try:
        found = importlib.import_module(module)
    except ImportError:
        raise mismatch(patch, f"module {module}", "no such module") from None
    if not hasattr(found, name):
        try:  # a submodule not imported yet
            return importlib.import_module(f"{module}.{name}")
        except ImportError:
            raise mismatch(patch, f"{module}.{name}", f"no {name} in {module}") from None
    return getattr(found, name)


def label(target: Any) -> str:
    """How a message names a class, module or function."""
    return str(getattr(target, "__name__", type(target).__name__))


def parameters_of(function: Any) -> list[str]:
    """Parameter names as written (``*args``, ``**kwargs``); defaults and annotations aside."""
    import inspect

    marks: dict[Any, str] = {
        inspect.Parameter.VAR_POSITIONAL: "*",
        inspect.Parameter.VAR_KEYWORD: "**",
    }
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return ["?"]
    return [marks.get(p.kind, "") + p.name for p in parameters]


def method(patch: str, owner: Any, name: str, parameters: tuple[str, ...]) -> Any:
    """``owner.name``, defined on ``owner`` itself and taking ``parameters``; else MotoPatchError.

    Not inherited: it is what the patch wraps or relies on.
    """
    expected = f"{label(owner)}.{name}({', '.join(parameters)})"
    found = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name, None)
    if found is None:
        inherited = " (only inherited)" if hasattr(owner, name) else ""
        raise mismatch(patch, expected, f"no {label(owner)}.{name}{inherited}")
    function = found.__func__ if isinstance(found, (staticmethod, classmethod)) else found
    if not callable(function):
        raise mismatch(patch, expected, f"{label(owner)}.{name} is a {type(found).__name__}")
    actual = parameters_of(function)
    if actual != list(parameters):
        raise mismatch(patch, expected, f"{label(owner)}.{name}({', '.join(actual)})")
    return getattr(owner, name)


def is_property(patch: str, owner: type, name: str) -> None:
    """``owner.name`` is a property (a backend moto resolves per account and region)."""
    import inspect

    found = inspect.getattr_static(owner, name, None)
    if not isinstance(found, property):
        what = "nothing" if found is None else f"a {type(found).__name__}"
        raise mismatch(patch, f"property {owner.__name__}.{name}", what)


def absent(patch: str, owner: type, name: str) -> None:
    """Moto does not implement ``owner.name`` (the gap the patch fills).

    If it does now, the patch would hide moto's own implementation: say so rather than
    override it silently.
    """
    if hasattr(owner, name):
        found = getattr(owner, name)
        raise mismatch(
            patch,
            f"{owner.__name__} without {name} (moto's gap this patch fills)",
            f"{owner.__name__}.{name}({', '.join(parameters_of(found))}) in moto itself",
        )


def attribute(patch: str, owner: Any, name: str, kind: type) -> Any:
    """``owner.name``, an instance of ``kind``; else MotoPatchError."""
    found = getattr(owner, name, None)
    if not isinstance(found, kind):
        what = "nothing" if found is None else f"a {type(found).__name__}"
        raise mismatch(patch, f"{label(owner)}.{name}, a {kind.__name__}", what)
    return found


def sets(patch: str, owner: type, method: str, *names: str) -> None:
    """``owner.method`` (its source) assigns ``self.<name>`` for each name.

    These are instance attributes the patch reads, which no signature shows.
    """
    import inspect
    import re

    expected = f"{owner.__name__}.{method} to set self.{', self.'.join(names)}"
    function = vars(owner).get(method)
    try:
        source = inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        source = ""
    if not source:
        raise mismatch(patch, expected, f"no source of {owner.__name__}.{method} to read")
    missing = [n for n in names if not re.search(rf"\bself\.{n}\b\s*(:[^=\n]*)?=[^=]", source)]
    if missing:
        raise mismatch(patch, expected, f"no self.{', self.'.join(missing)} set there")


def operations(patch: str, service: str, *names: str) -> None:
    """Moto's model of ``service`` (botocore's) names these operations: requests route to them."""
    utils = lookup(patch, "moto.core", "utils")
    get_service_model = method(patch, utils, "get_service_model", ("service_name",))
    known = set(get_service_model(service).operation_names)
    missing = [name for name in names if name not in known]
    if missing:
        raise mismatch(
            patch,
            f"the {service} model to define {', '.join(names)}",
            f"no {', '.join(missing)}",
        )
