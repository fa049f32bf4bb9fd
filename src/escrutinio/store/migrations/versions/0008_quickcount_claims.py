"""The quick count's saved sample, and claims checked against the count.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quickcount_sample",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seed", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("strata", sa.String(64), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("timeline_entry.id"), nullable=True),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("said_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_claim_entry_id", "claim", ["entry_id"])


def downgrade() -> None:
    op.drop_table("claim")
    op.drop_table("quickcount_sample")
