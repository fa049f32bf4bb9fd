"""The public surface: escrutinio.__all__ and escrutinio.services.__all__."""

from __future__ import annotations

import __future__
import types

import pytest

import escrutinio
import escrutinio.services

PACKAGES = [escrutinio, escrutinio.services]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_all_is_sorted_and_unique(package):
    assert package.__all__ == sorted(set(package.__all__))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_every_exported_name_exists(package):
    missing = [name for name in package.__all__ if not hasattr(package, name)]
    assert missing == []


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_every_public_name_is_exported(package):
    """A name imported into the package but left out of __all__ is an accident, either way."""
    public = {name for name, value in vars(package).items()
              if not name.startswith("_") and not isinstance(value, (types.ModuleType, __future__._Feature))}
    assert public - set(package.__all__) == set()


def test_the_top_level_reexports_the_services_it_names():
    """escrutinio.X is the very object of escrutinio.services.X, not a copy or a wrapper."""
    shared = set(escrutinio.__all__) & set(escrutinio.services.__all__)
    assert shared, "escrutinio re-exports the use cases of escrutinio.services"
    assert [n for n in shared if getattr(escrutinio, n) is not getattr(escrutinio.services, n)] == []


def test_star_import_gives_exactly_all():
    namespace: dict = {}
    exec("from escrutinio import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(escrutinio.__all__)
