"""merge reporting and accounts

Revision ID: 4d0000000001
Revises: 2b0000000002, 3c0000000002
Create Date: 2026-01-07 08:00:00.000000

"""

revision = "4d0000000001"
down_revision = ("2b0000000002", "3c0000000002")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
