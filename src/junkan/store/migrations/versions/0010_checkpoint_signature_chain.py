"""trace checkpoints sign the chain of their events' signatures (sig_from, signatures), so
an audit checks a stored signature with one SHA-256 instead of one Ed25519 verification

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trace_checkpoints') as batch:
        batch.add_column(sa.Column('sig_from', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('signatures', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('trace_checkpoints') as batch:
        batch.drop_column('signatures')
        batch.drop_column('sig_from')
