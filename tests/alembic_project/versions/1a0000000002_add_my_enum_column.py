"""add my_enum_column

The guide's revision, as written there.

Revision ID: 1a0000000002
Revises: 1a0000000001
Create Date: 2026-01-05 10:01:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Enum

revision = "1a0000000002"
down_revision = "1a0000000001"
branch_labels = None
depends_on = None


def upgrade():
    # Define Enum type
    my_enum = Enum('option1', 'option2', 'option3', name='my_enum_type')
    my_enum.create(op.get_bind(), checkfirst=True)

    # Add column with Enum type
    op.add_column('my_table', sa.Column('my_enum_column', my_enum, nullable=False, server_default='option1'))


def downgrade():
    # Remove column first
    op.drop_column('my_table', 'my_enum_column')

    # Drop Enum type safely
    op.execute("DROP TYPE IF EXISTS my_enum_type")
