"""trace lots: derived values (CFP, recycled shares, updated_at) move to a narrow table
trace_values, so a recompute of a large cone rewrites small rows

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

VALUES = ("cfp_total", "cfp_fossil", "cfp_biogenic", "rec_pre", "rec_post")


def upgrade() -> None:
    op.create_table(
        'trace_values',
        sa.Column('seq', sa.Integer(), nullable=False),
        *[sa.Column(c, sa.Float(), nullable=False) for c in VALUES],
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['seq'], ['trace_lots.seq'], ),
        sa.PrimaryKeyConstraint('seq'))
    cols = ", ".join(("seq", *VALUES, "updated_at"))
    op.execute(f"INSERT INTO trace_values ({cols}) SELECT {cols} FROM trace_lots")
    # plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35, PostgreSQL): a batch copy of
    # trace_lots would drop the table that trace_inputs and trace_values refer to
    for c in (*VALUES, "updated_at"):
        op.execute(f"ALTER TABLE trace_lots DROP COLUMN {c}")


def downgrade() -> None:
    for c in VALUES:
        op.add_column('trace_lots', sa.Column(c, sa.Float(), nullable=False,
                                              server_default="0"))
    op.add_column('trace_lots', sa.Column('updated_at', sa.DateTime(timezone=True),
                                          nullable=True))
    for c in (*VALUES, "updated_at"):
        op.execute(f"UPDATE trace_lots SET {c} = (SELECT v.{c} FROM trace_values AS v "
                   f"WHERE v.seq = trace_lots.seq)")
    op.drop_table('trace_values')
