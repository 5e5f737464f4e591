"""create my_table

Revision ID: 1a0000000001
Revises:
Create Date: 2026-01-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "1a0000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "my_table",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
    )


def downgrade():
    op.drop_table("my_table")
