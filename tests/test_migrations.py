"""Migrations are ordered and tested: an empty database migrated to head has
exactly the tables of ``escrutinio.store.schema``, on SQLite and PostgreSQL,
and migrating again changes nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from escrutinio.store import Store
from escrutinio.store import schema
from escrutinio.store.schema import metadata

SCHEMA_TABLES = set(metadata.tables)

# The newest migration, read from the migration files themselves.
HEAD = max(p.name.split("_")[0] for p in (Path(schema.__file__).parent / "migrations" / "versions").glob("0*.py"))


def _differences(store: Store) -> list:
    dialect = store.engine.dialect.name

    def declared_here(obj, name, type_, reflected, compare_to) -> bool:
        # An index declared for some dialects only (schema: info["dialects"], made there alone by ddl_if).
        return reflected or dialect in obj.info.get("dialects", (dialect,))

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True,
                                                         "include_object": declared_here})
        return compare_metadata(context, metadata)


def _tables(store: Store) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names())


def _version(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]


def _open(db_url: str) -> Store:
    return Store(db_url)


def test_empty_database_has_no_tables(db_url):
    store = _open(db_url)
    try:
        assert _tables(store) == set()
    finally:
        store.close()


def test_migrating_an_empty_database_gives_the_declared_schema(db_url):
    store = _open(db_url)
    try:
        store.migrate()
        assert _tables(store) == SCHEMA_TABLES | {"alembic_version"}
        assert _differences(store) == []
    finally:
        store.close()


def test_migrating_again_is_a_no_op(db_url):
    store = _open(db_url)
    try:
        store.migrate()
        version = _version(store)
        assert version == [HEAD]
        store.migrate()
        assert _version(store) == version
        assert _tables(store) == SCHEMA_TABLES | {"alembic_version"}
        assert _differences(store) == []
    finally:
        store.close()


def test_reset_then_migrate_gives_the_schema_again(db_url):
    store = _open(db_url)
    try:
        store.migrate()
        store.reset()
        assert _tables(store) == set()
        store.migrate()
        assert _version(store) == [HEAD]
        assert _differences(store) == []
    finally:
        store.close()


def test_the_comparison_notices_a_missing_index(db_url):
    """Guard for the tests above: compare_metadata does see a drift when there is one."""
    store = _open(db_url)
    try:
        store.migrate()
        with store.engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_acta_event_acta_id"))
        assert any(diff[0] == "add_index" and diff[1].name == "ix_acta_event_acta_id"
                   for diff in _flatten(_differences(store)))
    finally:
        store.close()


def _flatten(diffs: list) -> list:
    """compare_metadata nests column-level changes in lists; make one flat list."""
    flat = []
    for diff in diffs:
        flat.extend(diff if isinstance(diff, list) else [diff])
    return flat
