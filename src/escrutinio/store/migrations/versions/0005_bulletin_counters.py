"""Bulletins as a head and counter matrices (format escrutinio-bulletin/2).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # zlib of each contest's counter matrix (int64 little-endian), in the head's contest order.
    op.add_column("bulletin", sa.Column("counters", sa.LargeBinary, nullable=True))
    # The per-table counters the bulletin was built from, so that the next one starts from them.
    op.add_column("bulletin", sa.Column("tally", sa.LargeBinary, nullable=True))
