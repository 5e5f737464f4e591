"""account reports view, needs the reporting branch

Revision ID: 3c0000000002
Revises: 3c0000000001
Create Date: 2026-01-06 10:01:00.000000

"""
from alembic import op

revision = "3c0000000002"
down_revision = "3c0000000001"
branch_labels = None
depends_on = "reporting"


def upgrade():
    op.execute("CREATE VIEW account_reports AS SELECT a.id, a.email, r.title "
               "FROM account a CROSS JOIN report r WHERE a.status = 'active'")


def downgrade():
    op.execute("DROP VIEW account_reports")
