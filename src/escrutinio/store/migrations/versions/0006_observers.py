"""Observers: the accreditation registry, their phones, and tokens that act for them.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observer",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("accreditation", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("assignment", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "observer_phone",
        sa.Column("phone", sa.String(16), primary_key=True),
        sa.Column("observer_id", sa.Integer, sa.ForeignKey("observer.id"), nullable=False),
    )
    op.create_index("ix_observer_phone_observer_id", "observer_phone", ["observer_id"])
    op.create_table(
        "observer_token",
        sa.Column("token_id", sa.Integer, sa.ForeignKey("operator_token.id"), primary_key=True),
        sa.Column("observer_id", sa.Integer, sa.ForeignKey("observer.id"), nullable=False),
    )
    op.create_index("ix_observer_token_observer_id", "observer_token", ["observer_id"])


def downgrade() -> None:
    op.drop_table("observer_token")
    op.drop_table("observer_phone")
    op.drop_table("observer")
