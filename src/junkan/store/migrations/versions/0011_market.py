"""market: buyers' conditions and sellers' offers (junkan.market)

Revision ID: 0011_market
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011_market'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('market_conditions', 'market_offers'):
        op.create_table(
            table,
            sa.Column('id', sa.String(length=32), primary_key=True),
            sa.Column('org_id', sa.String(length=32), sa.ForeignKey('organisations.id'),
                      nullable=False),
            sa.Column('name', sa.String(length=200), nullable=False),
            sa.Column('doc', sa.JSON(), nullable=False),
            sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint('org_id', 'name'),
        )
        op.create_index(f'ix_{table}_org_id', table, ['org_id'])


def downgrade() -> None:
    for table in ('market_offers', 'market_conditions'):
        op.drop_index(f'ix_{table}_org_id', table_name=table)
        op.drop_table(table)
