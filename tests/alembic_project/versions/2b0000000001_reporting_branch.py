"""start the reporting branch

Revision ID: 2b0000000001
Revises: 1a0000000003
Create Date: 2026-01-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "2b0000000001"
down_revision = "1a0000000003"
branch_labels = ("reporting",)
depends_on = None


def upgrade():
    op.create_table(
        "report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
    )


def downgrade():
    op.drop_table("report")
