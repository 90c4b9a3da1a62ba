"""solar-panel registry: panel models, installations, handovers, treatment reports and the
roles operators grant (municipality, certified recycler) (junkan.policy.registry)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ORG = "organisations.id"


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "solar_models",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("maker_org_id", sa.String(length=32), sa.ForeignKey(ORG), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        _created(),
        sa.UniqueConstraint("maker_org_id", "name"),
    )
    op.create_index("ix_solar_models_maker_org_id", "solar_models", ["maker_org_id"])
    op.create_table(
        "solar_installations",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("owner_org_id", sa.String(length=32), sa.ForeignKey(ORG), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("municipality", sa.String(length=5), nullable=False),
        sa.Column(
            "model_id", sa.String(length=32), sa.ForeignKey("solar_models.id"), nullable=False
        ),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("commissioned", sa.Date(), nullable=False),
        sa.Column("end_of_business", sa.Date(), nullable=True),
        _created(),
        sa.UniqueConstraint("owner_org_id", "name"),
    )
    for col in ("owner_org_id", "municipality", "model_id"):
        op.create_index(f"ix_solar_installations_{col}", "solar_installations", [col])
    for table, org_col in (
        ("solar_handovers", "to_org_id"),
        ("solar_treatments", "recycler_org_id"),
    ):
        extra = (
            [sa.Column("role", sa.String(length=16), nullable=False)]
            if table == "solar_handovers"
            else []
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column(
                "installation_id",
                sa.String(length=32),
                sa.ForeignKey("solar_installations.id"),
                nullable=False,
            ),
            sa.Column(org_col, sa.String(length=32), sa.ForeignKey(ORG), nullable=False),
            *extra,
            sa.Column("count", sa.Integer(), nullable=False),
            sa.Column("date", sa.Date(), nullable=False),
            *([sa.Column("doc", sa.JSON(), nullable=False)] if table == "solar_treatments" else []),
            _created(),
        )
        op.create_index(f"ix_{table}_installation_id", table, ["installation_id"])
        op.create_index(f"ix_{table}_{org_col}", table, [org_col])
    op.create_table(
        "solar_org_roles",
        sa.Column("org_id", sa.String(length=32), sa.ForeignKey(ORG), primary_key=True),
        sa.Column("role", sa.String(length=32), primary_key=True),
        sa.Column("value", sa.String(length=200), nullable=False),
        _created(),
    )


def downgrade() -> None:
    op.drop_table("solar_org_roles")
    for table, org_col in (
        ("solar_treatments", "recycler_org_id"),
        ("solar_handovers", "to_org_id"),
    ):
        op.drop_index(f"ix_{table}_{org_col}", table_name=table)
        op.drop_index(f"ix_{table}_installation_id", table_name=table)
        op.drop_table(table)
    for col in ("model_id", "municipality", "owner_org_id"):
        op.drop_index(f"ix_solar_installations_{col}", table_name="solar_installations")
    op.drop_table("solar_installations")
    op.drop_index("ix_solar_models_maker_org_id", table_name="solar_models")
    op.drop_table("solar_models")
