"""add account.email

Revision ID: 3c0000000001
Revises: 1a0000000003
Create Date: 2026-01-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "3c0000000001"
down_revision = "1a0000000003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("account", sa.Column("email", sa.String(255)))
    op.create_unique_constraint("uq_account_email", "account", ["email"])


def downgrade():
    op.drop_constraint("uq_account_email", "account", type_="unique")
    op.drop_column("account", "email")
