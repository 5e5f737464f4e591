"""index report titles

Revision ID: 2b0000000002
Revises: 2b0000000001
Create Date: 2026-01-06 09:01:00.000000

"""
from alembic import op

revision = "2b0000000002"
down_revision = "2b0000000001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_report_title", "report", ["title"])


def downgrade():
    op.drop_index("ix_report_title", table_name="report")
