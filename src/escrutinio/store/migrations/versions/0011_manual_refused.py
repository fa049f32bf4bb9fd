"""Manual (double) entry and recounts of actas, scanned paper actas, and the register of refused actas.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # "awaiting_second_entry" needs a longer status. SQLite keeps a column's length only in the table's
        # declaration (it stores any text): the declaration is edited in place, as sqlite.org/lang_altertable.html
        # describes for changes that leave the stored data as it is (no copy of a table that other tables name).
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = replace(sql, 'status VARCHAR(16)', 'status VARCHAR(32)') "
                             "WHERE type = 'table' AND name = 'acta'")
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    else:
        op.alter_column("acta", "status", type_=sa.String(32), existing_type=sa.String(16), existing_nullable=False)
    op.add_column("acta", sa.Column("entry", sa.String(16), nullable=True))
    op.add_column("acta", sa.Column("confirmed_by", sa.Text, nullable=True))
    op.add_column("acta", sa.Column("image_sha256", sa.String(64), nullable=True))
    op.create_table(
        "acta_image",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "refused_acta",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("table_code", sa.String(64), nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )
    op.create_table(
        "refused_summary",
        sa.Column("reason", sa.String(32), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("refused_summary")
    op.drop_table("refused_acta")
    op.drop_table("acta_image")
    op.drop_column("acta", "image_sha256")
    op.drop_column("acta", "confirmed_by")
    op.drop_column("acta", "entry")
