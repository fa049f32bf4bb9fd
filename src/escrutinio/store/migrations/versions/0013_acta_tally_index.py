"""The acta's slot index gives way to a covering index of what a tally reads (SQLite).

``ix_acta_slot (table_id, contest_id)`` repeated the prefix of the unique constraint
(table_id, contest_id, digest), which serves a slot's look-ups as well: it is dropped (one B-tree less
written per acta). On SQLite, ``ix_acta_tally (contest_id, status, table_id, counts)`` holds everything a
process's first tally reads, so that it reads this index alone, each (contest, status) group in index order,
instead of every acta's row (JSON and signature on the same pages). PostgreSQL gets no such index: a btree
entry is limited to about 2.7 KB, less than the packed counts of a contest with several hundred options.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_acta_slot", table_name="acta")
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_acta_tally", "acta", ["contest_id", "status", "table_id", "counts"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_acta_tally", table_name="acta")
    op.create_index("ix_acta_slot", "acta", ["table_id", "contest_id"])
