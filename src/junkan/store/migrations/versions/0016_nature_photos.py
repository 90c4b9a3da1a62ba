"""nature photos: one checked survey photo per observation, in its own table so listing and
syncing observations never read image bytes (junkan.nature.photo, junkan.store.nature_photos)

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nature_photos",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column(
            "org_id", sa.String(length=32), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column(
            "observation_id",
            sa.String(length=32),
            sa.ForeignKey("nature_observations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("exif_lat", sa.Float(), nullable=True),
        sa.Column("exif_lon", sa.Float(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("observation_id"),
    )
    op.create_index("ix_nature_photos_org_id", "nature_photos", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_nature_photos_org_id", table_name="nature_photos")
    op.drop_table("nature_photos")
