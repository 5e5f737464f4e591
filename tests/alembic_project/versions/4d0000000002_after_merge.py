"""score reports, add an enum value

Revision ID: 4d0000000002
Revises: 4d0000000001
Create Date: 2026-01-07 08:01:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "4d0000000002"
down_revision = "4d0000000001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("report", sa.Column("score", sa.Numeric(10, 2), server_default="0.50"))
    op.execute("ALTER TYPE account_status ADD VALUE IF NOT EXISTS 'closed'")
    op.bulk_insert(sa.table("report", sa.column("id", sa.Integer), sa.column("title", sa.Text)),
                   [{"id": 1, "title": "it's the first"}])


def downgrade():
    op.execute("DELETE FROM report WHERE id = 1")
    op.drop_column("report", "score")
