"""analysis requests: an accepted analysis keeps its job function and arguments until it ends
(``analysis_requests``), so that a restart runs it again instead of failing it as
interrupted (review 264: a queued job whose request had been acknowledged was lost)

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_requests",
        sa.Column("analysis_id", sa.String(length=32), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("resumed", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["analysis_id"], ["analyses.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("analysis_id"),
    )


def downgrade() -> None:
    op.drop_table("analysis_requests")
