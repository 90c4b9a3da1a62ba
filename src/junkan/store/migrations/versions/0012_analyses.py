"""background analyses (uncertainty, sensitivity, calibration, optimisation) kept in the
store, so an accepted one survives a restart

Revision ID: 0012
Revises: 0011_market
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011_market'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'analyses',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('org_id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_analyses_org_id', 'analyses', ['org_id'])
    op.create_index('ix_analyses_user_id', 'analyses', ['user_id'])
    op.create_index('ix_analyses_status', 'analyses', ['status'])
    op.create_table(
        'analysis_results',
        sa.Column('analysis_id', sa.String(length=32), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['analysis_id'], ['analyses.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('analysis_id'),
    )


def downgrade() -> None:
    op.drop_table('analysis_results')
    op.drop_index('ix_analyses_status', table_name='analyses')
    op.drop_index('ix_analyses_user_id', table_name='analyses')
    op.drop_index('ix_analyses_org_id', table_name='analyses')
    op.drop_table('analyses')
