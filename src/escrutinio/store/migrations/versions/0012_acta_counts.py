"""Each acta's counts packed in a column of their own (acta.counts), filled for the actas already stored.

A process's first bulletin reads every acta's counts: from this column, instead of parsing each acta's
JSON (28 s at 1M tables before). The packing is store.pack_counts's: int32 little-endian, the votes in
ballot order (the contest's options by position), then null, blank and ballots cast.

Revision ID: 0012
Revises: 0011
"""

import json
import struct

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CHUNK = 10_000


def upgrade() -> None:
    op.add_column("acta", sa.Column("counts", sa.LargeBinary, nullable=True))
    bind = op.get_bind()
    order: dict[int, list[str]] = {}
    for contest_id, code in bind.exec_driver_sql('SELECT contest_id, code FROM "option" ORDER BY contest_id, position'):
        order.setdefault(contest_id, []).append(code)
    mark = "?" if bind.dialect.paramstyle == "qmark" else "%s"
    last = 0
    while True:
        rows = bind.exec_driver_sql(f"SELECT id, contest_id, content FROM acta WHERE id > {mark} ORDER BY id LIMIT {CHUNK}",
                                    (last,)).fetchall()
        if not rows:
            break
        updates = []
        for acta_id, contest_id, content in rows:
            data = json.loads(content)
            votes = data["votes"]
            values = [votes.get(code, 0) for code in order.get(contest_id, [])] + \
                [data["null"], data["blank"], data["ballots_cast"]]
            if all(isinstance(v, int) and -2**31 <= v < 2**31 for v in values):
                updates.append((struct.pack(f"<{len(values)}i", *values), acta_id))
        if updates:
            bind.exec_driver_sql(f"UPDATE acta SET counts = {mark} WHERE id = {mark}", updates)
        last = rows[-1][0]


def downgrade() -> None:
    # In place on both (SQLite 3.35 and later drop a column without copying the table others refer to).
    op.execute("ALTER TABLE acta DROP COLUMN counts")
