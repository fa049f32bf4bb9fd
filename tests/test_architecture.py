"""The layers of DESIGN.md, checked by reading the source with ``ast``.

::

      cli  web            entry points
         \\  /
       services           use cases
       /   |   \\
    intake store publish  adapters
       \\   |   /
        domain            pure Python

Arrows point down only; each third-party library belongs to one layer; and
nothing happens at import time (no engine, no environment read).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import escrutinio

PACKAGE = "escrutinio"
SOURCE = Path(escrutinio.__file__).parent
STDLIB = frozenset(sys.stdlib_module_names)

# Which layers of escrutinio each layer may import (besides itself).
INTERNAL = {
    "domain": set(),
    "intake": {"domain"},
    "store": {"domain"},
    "publish": {"domain"},
    "services": {"domain", "intake", "store", "publish"},
    "settings": set(),  # escrutinio/settings.py: read by the entry points
    "cli": {"services", "domain", "publish", "settings", "web", "verify"},  # `serve` starts the web app
    # The independent checker: its own arithmetic; it reads a database only through services.
    "verify": {"services"},
    "web": {"services", "domain", "intake", "store", "publish", "settings"},
    "api": {"services", "domain", "intake", "store", "publish"},  # escrutinio/__init__.py: the public surface
}
# Third-party libraries that belong to one layer; no other layer may import them.
OWNED = {"sqlalchemy": {"store"}, "alembic": {"store"}, "click": {"cli"}, "fastapi": {"web"},
         "starlette": {"web"}, "uvicorn": {"web"}, "jinja2": {"web"}, "babel": {"web"}, "pydantic": {"web"},
         "nacl": {"intake", "verify"}, "markdown_it": {"publish"}, "nh3": {"publish"},
         "segno": {"web"}}
# The domain is pure: the standard library, numpy, msgspec and itself. msgspec is a compiled JSON codec
# with no I/O: it writes the canonical bytes hashes are taken over (the same bytes as json.dumps, proved by
# tests/test_codec.py), as numpy does the sums.
DOMAIN_THIRD_PARTY = {"numpy", "msgspec"}


def layer_of(module: str) -> str:
    """escrutinio.store.schema -> store; escrutinio.cli -> cli; escrutinio -> api."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "api"


def module_name(path: Path) -> str:
    relative = path.relative_to(SOURCE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> list[tuple[str, Path]]:
    return sorted((module_name(p), p) for p in SOURCE.rglob("*.py"))


def imported(module: str, path: Path, tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import anywhere in the file, function bodies included."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if base == PACKAGE:  # `from . import services`: the names are the modules
                for alias in node.names:
                    yield node.lineno, f"{base}.{alias.name}"
            else:
                yield node.lineno, base


def violations(module: str, path: Path, source: str) -> list[str]:
    layer = layer_of(module)
    found = []
    for line, target in imported(module, path, ast.parse(source)):
        top = target.split(".")[0]
        where = f"{module} (line {line}) imports {target}"
        if top == PACKAGE:
            other = layer_of(target)
            if other != layer and other not in INTERNAL.get(layer, set()):
                found.append(f"{where}: layer {layer!r} may not import layer {other!r}")
        elif top in OWNED and layer not in OWNED[top]:
            found.append(f"{where}: only {sorted(OWNED[top])} may import {top}")
        elif layer == "domain" and top not in STDLIB and top not in DOMAIN_THIRD_PARTY and top != "__future__":
            found.append(f"{where}: the domain imports only the standard library, numpy and msgspec")
    return found


def test_every_module_is_in_a_known_layer():
    unknown = {module for module, _ in modules() if layer_of(module) not in INTERNAL}
    assert unknown == set(), "add the new layer to DESIGN.md and to INTERNAL here"


def test_imports_follow_the_layers():
    found = [v for module, path in modules() for v in violations(module, path, path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_layers_are_found_at_all():
    """Guard: the walk sees the real imports (so an empty list of violations means something)."""
    seen = {(module, target) for module, path in modules()
            for _, target in imported(module, path, ast.parse(path.read_text(encoding="utf-8")))}
    assert ("escrutinio.store.store", "sqlalchemy") in seen
    assert ("escrutinio.store.store", "alembic.config") in seen  # imported inside a method
    assert ("escrutinio.cli.night", "escrutinio.services") in seen  # `from .. import services`
    assert ("escrutinio.domain.bulletin", "escrutinio.domain.tally") in seen


@pytest.mark.parametrize(("module", "filename", "source", "needle"), [
    ("escrutinio.domain.tally", "tally.py", "from ..store import Store", "may not import layer 'store'"),
    ("escrutinio.domain.tally", "tally.py", "import sqlalchemy", "only ['store'] may import sqlalchemy"),
    ("escrutinio.domain.tally", "tally.py", "import requests", "only the standard library, numpy and msgspec"),
    ("escrutinio.store.store", "store.py", "from ..services import open_store", "may not import layer 'services'"),
    ("escrutinio.publish.text", "text.py", "from ..intake.actas import Record", "may not import layer 'intake'"),
    ("escrutinio.services.intake", "intake.py", "from sqlalchemy.exc import IntegrityError", "sqlalchemy"),
    ("escrutinio.services.intake", "intake.py", "def f():\n    from .. import cli", "may not import layer 'cli'"),
    ("escrutinio.services.intake", "intake.py", "import click", "only ['cli'] may import click"),
    ("escrutinio.web.pages", "web/pages.py", "from .. import cli", "may not import layer 'cli'"),
])
def test_violations_are_caught(module, filename, source, needle):
    found = violations(module, SOURCE / filename, source)
    assert len(found) == 1 and needle in found[0]


# -- nothing at import time ------------------------------------------------------------------------

FORBIDDEN_CALLS = {"create_engine", "create_async_engine", "getenv", "getenvb", "open_store", "Store", "connect"}
FORBIDDEN_NAMES = {"environ", "environb"}


def import_time_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node evaluated when the module is imported: module and class bodies, decorators,
    default values and annotations of functions, but not the bodies of functions or lambdas."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(node.decorator_list)
            stack.extend(d for d in node.args.defaults + node.args.kw_defaults if d is not None)
        elif isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
        else:
            stack.extend(ast.iter_child_nodes(node))


def import_time_effects(source: str) -> list[str]:
    found = []
    for node in import_time_nodes(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in FORBIDDEN_CALLS:
                found.append(f"line {node.lineno}: calls {name}()")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: reads {node.attr}")
        elif isinstance(node, ast.ImportFrom) and any(a.name in FORBIDDEN_NAMES for a in node.names):
            found.append(f"line {node.lineno}: imports environ")
    return found


def test_nothing_happens_at_import_time():
    found = {module: effects for module, path in modules()
             if (effects := import_time_effects(path.read_text(encoding="utf-8")))}
    assert found == {}


@pytest.mark.parametrize("source", [
    "import os\nURL = os.environ['ESCRUTINIO_DATABASE_URL']",
    "import os\nURL = os.environ.get('X', 'sqlite://')",
    "import os\nURL = os.getenv('X')",
    "from os import environ",
    "import sqlalchemy as sa\nENGINE = sa.create_engine('sqlite://')",
    "class Settings:\n    url = __import__('os').environ['X']",
    "def f(url=os.getenv('X')):\n    return url",
    "@app.on(create_engine('sqlite://'))\ndef f():\n    pass",
    "if True:\n    store = open_store()",
])
def test_import_time_effects_are_caught(source):
    assert import_time_effects(source) != []


@pytest.mark.parametrize("source", [
    "import os\ndef url():\n    return os.environ.get('X')",
    "import sqlalchemy as sa\ndef engine(url):\n    return sa.create_engine(url)",
    "ENV_DB = 'ESCRUTINIO_DATABASE_URL'",
    "f = lambda: os.getenv('X')",
])
def test_code_run_later_is_allowed(source):
    assert import_time_effects(source) == []
