"""The live coverage timeline: entries, their numbered changes, readers' comments.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "timeline_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False),
        sa.Column("media_url", sa.Text, nullable=True),
        sa.Column("media_title", sa.Text, nullable=True),
        sa.Column("bulletin_number", sa.Integer, sa.ForeignKey("bulletin.number"), nullable=True, unique=True),
        sa.Column("data", sa.Text, nullable=True),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.Text, nullable=True),
        sa.Column("revision", BIG, nullable=False),
    )
    op.create_index("ix_timeline_entry_posted_at", "timeline_entry", ["posted_at"])
    op.create_index("ix_timeline_entry_revision", "timeline_entry", ["revision"])
    op.create_table(
        "timeline_change",
        sa.Column("id", BIG, primary_key=True, autoincrement=False),
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("timeline_entry.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("editor", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("media_url", sa.Text, nullable=True),
        sa.Column("media_title", sa.Text, nullable=True),
    )
    op.create_index("ix_timeline_change_entry_id", "timeline_change", ["entry_id"])
    op.create_table(
        "timeline_comment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("timeline_entry.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderator", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_timeline_comment_entry_id", "timeline_comment", ["entry_id"])
    op.create_index("ix_timeline_comment_status", "timeline_comment", ["status"])
