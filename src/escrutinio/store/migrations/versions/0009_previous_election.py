"""A previous election's results on this night's geography.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "previous_election",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "previous_unit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("previous_id", sa.Integer, sa.ForeignKey("previous_election.id"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
    )
    op.create_index("ix_previous_unit_previous_id", "previous_unit", ["previous_id"])


def downgrade() -> None:
    op.drop_table("previous_unit")
    op.drop_table("previous_election")
