"""trace: ISO 22095 mass balance booked on receipt, with explicit and closable periods

* ``trace_lots.mb_period``: the period a lot's recycled content was credited in.
* ``trace_balance_entries``: ``lot_seq``, ``basis_kg``, ``share``, ``uncovered`` and an
  account index; the old ``debit`` entries become ``claim``.
* ``trace_periods``: closed periods.

Entries booked before this revision followed the old rule (credit on consumption); they are
kept as they were, and ``junkan trace verify`` reports where they differ from a replay.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('trace_lots', sa.Column('mb_period', sa.String(8), nullable=True))
    with op.batch_alter_table('trace_balance_entries', schema=None) as b:
        b.add_column(sa.Column('lot_seq', sa.Integer(), nullable=True))
        b.add_column(sa.Column('basis_kg', sa.Float(), nullable=True))
        b.add_column(sa.Column('share', sa.Float(), nullable=True))
        b.add_column(sa.Column('uncovered', sa.Boolean(), nullable=False,
                               server_default=sa.false()))
        b.create_foreign_key('fk_trace_balance_entries_lot_seq', 'trace_lots', ['lot_seq'],
                             ['seq'])
        b.create_index('ix_trace_balance_entries_lot_seq', ['lot_seq'])
        b.create_index('ix_trace_balance_account', ['org_id', 'site', 'characteristic',
                                                    'period'])
    op.execute("UPDATE trace_balance_entries SET kind = 'claim' WHERE kind = 'debit'")
    op.create_table(
        'trace_periods',
        sa.Column('org_id', sa.String(32), sa.ForeignKey('organisations.id'),
                  primary_key=True),
        sa.Column('site', sa.String(200), primary_key=True),
        sa.Column('period', sa.String(20), primary_key=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    op.drop_table('trace_periods')
    op.execute("UPDATE trace_balance_entries SET kind = 'debit' WHERE kind = 'claim'")
    with op.batch_alter_table('trace_balance_entries', schema=None) as b:
        b.drop_index('ix_trace_balance_account')
        b.drop_index('ix_trace_balance_entries_lot_seq')
        b.drop_constraint('fk_trace_balance_entries_lot_seq', type_='foreignkey')
        b.drop_column('uncovered')
        b.drop_column('share')
        b.drop_column('basis_kg')
        b.drop_column('lot_seq')
    # a plain ALTER TABLE (SQLite ≥ 3.35): a batch copy of trace_lots would break the
    # foreign keys of trace_values and trace_inputs
    op.drop_column('trace_lots', 'mb_period')
