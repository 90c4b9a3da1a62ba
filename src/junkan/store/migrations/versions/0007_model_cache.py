"""models: the validated summary of each version, so reads never re-validate

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'model_cards',
        sa.Column('model_id', sa.String(32), sa.ForeignKey('models.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('version', sa.Integer(), primary_key=True),
        sa.Column('schema', sa.String(16), nullable=False),
        sa.Column('card', sa.JSON(), nullable=False))


def downgrade() -> None:
    op.drop_table('model_cards')
