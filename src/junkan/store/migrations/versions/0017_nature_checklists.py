"""nature checklists: an organisation's own species checklists for its field survey, one
for the survey and one per sourcing area at most (junkan.nature.checklist,
junkan.store.nature_checklists)

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nature_checklists",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column(
            "org_id", sa.String(length=32), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("species", sa.Integer(), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("org_id", "area"),
    )
    op.create_index("ix_nature_checklists_org_id", "nature_checklists", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_nature_checklists_org_id", table_name="nature_checklists")
    op.drop_table("nature_checklists")
