"""The public Ed25519 key of each table's counting device, and each acta's signature.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "table_key",
        sa.Column("table_id", sa.Integer, sa.ForeignKey("polling_table.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("acta") as batch:
        batch.add_column(sa.Column("signature", sa.LargeBinary, nullable=True))
