"""sensing labels: the operator's labels of live alarms, per organisation (junkan.sensing)

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sensing_labels",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "org_id", sa.String(length=32), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("line", sa.String(length=40), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("alarm", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("by_user_id", sa.String(length=32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sensing_labels_org_id", "sensing_labels", ["org_id"])
    op.create_index("ix_sensing_labels_org_alarm", "sensing_labels", ["org_id", "stream", "alarm"])


def downgrade() -> None:
    op.drop_index("ix_sensing_labels_org_alarm", table_name="sensing_labels")
    op.drop_index("ix_sensing_labels_org_id", table_name="sensing_labels")
    op.drop_table("sensing_labels")
