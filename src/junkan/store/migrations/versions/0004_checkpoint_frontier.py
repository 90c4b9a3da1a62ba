"""trace checkpoints keep the Merkle frontier (log2 n subtree roots), so a batch extends
its organisation's log without reading every leaf

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('trace_checkpoints', sa.Column('frontier', sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE trace_checkpoints DROP COLUMN frontier")
