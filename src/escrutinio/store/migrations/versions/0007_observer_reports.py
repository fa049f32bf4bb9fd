"""Observers' reports: inbound messages (once per gateway and id), incidents and their changes,
quick-count results.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observer_message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("observer_id", sa.Integer, sa.ForeignKey("observer.id"), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reply", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel", "message_id"),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("place", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("observer_id", sa.Integer, sa.ForeignKey("observer.id"), nullable=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("observer_message.id"), nullable=True),
        sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("timeline_entry_id", sa.Integer, sa.ForeignKey("timeline_entry.id"), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_incident_status", "incident", ["status"])
    op.create_index("ix_incident_reported_at", "incident", ["reported_at"])
    op.create_table(
        "incident_change",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("editor", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_incident_change_incident_id", "incident_change", ["incident_id"])
    op.create_table(
        "observer_result",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_code", sa.String(64), nullable=False),
        sa.Column("contest", sa.String(64), nullable=False),
        sa.Column("votes", sa.Text, nullable=False),
        sa.Column("valid", sa.Integer, nullable=False),
        sa.Column("observer_id", sa.Integer, sa.ForeignKey("observer.id"), nullable=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("observer_message.id"), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_observer_result_slot", "observer_result", ["table_code", "contest"])


def downgrade() -> None:
    op.drop_table("observer_result")
    op.drop_table("incident_change")
    op.drop_table("incident")
    op.drop_table("observer_message")
