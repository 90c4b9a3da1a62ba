"""analysis problems: a failed analysis (a background job) keeps its refusal's coded problems
beside its text (``problems``: ``{"errors": [...], "document": ...}`` as a refused request
answers them), so a page says them in its reader's language (junkan.api.errors.coded_refusal)

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("analyses", sa.Column("problems", sa.JSON(), nullable=True))


def downgrade() -> None:
    # a plain ALTER TABLE (SQLite >= 3.35), not a batch copy: dropping the copied table would
    # cascade to analysis_results (foreign keys are on) and delete every analysis's result
    op.drop_column("analyses", "problems")
