"""The first schema: election, geography, actas with their history, bulletins.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "election",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "contest",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("blank", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "option",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contest_id", sa.Integer, sa.ForeignKey("contest.id"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.UniqueConstraint("contest_id", "code"),
    )
    op.create_table(
        "area",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("area.id"), nullable=True),
    )
    op.create_index("ix_area_parent_id", "area", ["parent_id"])
    op.create_table(
        "centre",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("area.id"), nullable=False),
    )
    op.create_index("ix_centre_area_id", "centre", ["area_id"])
    op.create_table(
        "polling_table",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("centre_id", sa.Integer, sa.ForeignKey("centre.id"), nullable=False),
        sa.Column("registered", sa.Integer, nullable=False),
        sa.Column("contests", sa.Text, nullable=False),
    )
    op.create_index("ix_polling_table_centre_id", "polling_table", ["centre_id"])
    op.create_table(
        "acta",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("table_id", sa.Integer, sa.ForeignKey("polling_table.id"), nullable=False),
        sa.Column("contest_id", sa.Integer, sa.ForeignKey("contest.id"), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.UniqueConstraint("table_id", "contest_id", "digest"),
    )
    op.create_index("ix_acta_slot", "acta", ["table_id", "contest_id"])
    op.create_table(
        "acta_event",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("acta_id", BIG_ID, sa.ForeignKey("acta.id"), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("operator", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_acta_event_acta_id", "acta_event", ["acta_id"])
    op.create_table(
        "bulletin",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("cut_off", WHEN, nullable=False),
        sa.Column("published_at", WHEN, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("previous_hash", sa.String(64), nullable=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
