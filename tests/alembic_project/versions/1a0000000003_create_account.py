"""create account, with a status enum

Revision ID: 1a0000000003
Revises: 1a0000000002
Create Date: 2026-01-05 10:02:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "1a0000000003"
down_revision = "1a0000000002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("status", sa.Enum("active", "archived", name="account_status"),
                  nullable=False, server_default="active"),
        sa.Column("balance", sa.Numeric(12, 2), server_default="1.10"),
    )


def downgrade():
    op.drop_table("account")
    sa.Enum(name="account_status").drop(op.get_bind(), checkfirst=True)
