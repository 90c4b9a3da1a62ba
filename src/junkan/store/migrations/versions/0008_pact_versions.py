"""trace: published PACT footprint versions

* new ``trace_pact_versions``: one row per footprint the PACT host published (id, lot,
  version 1, 2, …, content digest, content, creation time). PACT v3 makes every change a new
  footprint with a new id and the earlier ones Deprecated; the host serves all of them. A
  database at 0007 had no such table: its footprints are recorded as version 1 (with the id
  they had, uuid5 of the lot) the first time the host builds them.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'trace_pact_versions',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['seq'], ['trace_lots.seq'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('seq', 'version', name='uq_trace_pact_versions_seq_version'))


def downgrade() -> None:
    op.drop_table('trace_pact_versions')
