"""Architecture rules: honest ``__all__``, imports flow downward, no import-time state."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import credo

SRC = Path(credo.__file__).parent
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages([str(SRC)], prefix="credo.")
    if ".migrations" not in info.name and not info.name.endswith("__main__")
)

# which top-level parts of credo each part may import (DESIGN.md: imports flow downward)
BASE = {"settings", "errors", "clock"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "clock": set(),
    "settings": {"errors"},
    "storage": BASE,
    "privacy": BASE | {"storage"},
    "lake": BASE | {"events"},  # the lake's schema is derived from the event model
    "events": BASE | {"storage", "lake", "privacy", "consent"},
    "consent": BASE | {"storage", "privacy", "events"},
    "synth": BASE | {"events"},
    "features": BASE | {"events", "lake"},
    "model": BASE,  # trains on any table: knows nothing of events, lakes or the catalogue
    "loyalty": BASE,
    "scoring": BASE | {"model", "features", "lake", "events", "storage", "loyalty"},
    "training": BASE | {"model", "features", "lake", "events", "storage", "scoring"},
    # people's rights act on what the other domains hold (erasure and retention purge the
    # lake); scoring and the engine's findings are handed in by home
    "rights": BASE | {"storage", "privacy", "events", "consent", "lake"},
    "home": BASE
    | {"storage", "lake", "privacy", "events", "consent", "rights", "scoring", "features"},
    "api": BASE
    | {"storage", "privacy", "events", "consent", "home", "scoring", "loyalty", "rights"}
    | {"web"},  # the app factory mounts the dashboard beside the API
    # the dashboard renders what the API's own readers return, and checks forms with its models
    "web": BASE
    | {"storage", "privacy", "events", "consent", "home", "scoring", "loyalty", "rights", "api"},
    "cli": BASE
    | {"storage", "lake", "privacy", "events", "consent", "synth", "home", "features"}
    | {"model", "training", "scoring", "loyalty", "rights"},
}
FORBIDDEN_EVERYWHERE_BUT = {"fastapi": {"api", "web"}, "typer": {"cli"}, "rich": {"cli"}}


def imported(module: str) -> set[str]:
    path = SRC.joinpath(*module.split(".")[1:])
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(file.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", MODULES)
def test_imports_flow_downward(module: str) -> None:
    part = module.split(".")[1]
    allowed = ALLOWED.get(part)
    assert allowed is not None, f"{module}: add its package to the architecture rules"
    for name in imported(module):
        top = name.split(".")[0]
        if top == "credo" and "." in name:
            target = name.split(".")[1]
            assert target == part or target in allowed, f"{module} imports {name}"
        elif top in FORBIDDEN_EVERYWHERE_BUT:
            assert part in FORBIDDEN_EVERYWHERE_BUT[top], f"{module} imports {top}"


@pytest.mark.parametrize("module", MODULES)
def test_all_is_honest(module: str) -> None:
    loaded = importlib.import_module(module)
    exported = getattr(loaded, "__all__", None)
    assert exported is not None, f"{module} has no __all__"
    assert len(exported) == len(set(exported)), f"{module}: duplicates in __all__"
    for name in exported:
        assert hasattr(loaded, name), f"{module}.__all__ names missing {name!r}"


def test_no_module_named_like_a_junk_drawer() -> None:
    junk = {"utils", "helpers", "common", "misc"}
    assert not [m for m in MODULES if m.rsplit(".", 1)[-1] in junk]
