"""nature survey: field observations synced from devices, per organisation, with a
version for conflict-free sync (junkan.nature.survey, junkan.store.nature_survey)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nature_observations",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column(
            "org_id", sa.String(length=32), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("obs_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("synced_by", sa.String(length=32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("org_id", "obs_id"),
    )
    op.create_index("ix_nature_observations_org_id", "nature_observations", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_nature_observations_org_id", table_name="nature_observations")
    op.drop_table("nature_observations")
