"""source reliability: the declared reliability (the prior of estimates) and the estimates
stored with their evidence

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-28 01:00:00

Sources registered before this revision declared the reliability they still have (nothing
estimated it yet), so ``reliability_declared`` starts as ``reliability``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credo.storage.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC = credo.storage.tables.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(
            sa.Column("reliability_declared", sa.Float(), server_default="1.0", nullable=False)
        )
    sources = sa.table("sources", sa.column("reliability"), sa.column("reliability_declared"))
    op.execute(sources.update().values(reliability_declared=sources.c.reliability))
    op.create_table(
        "reliability_estimates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=63), nullable=False),
        sa.Column("estimated_at", UTC(timezone=True), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=False),
        sa.Column("previous", sa.Float(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reliability_estimates")),
    )
    op.create_index(op.f("ix_reliability_estimates_source"), "reliability_estimates", ["source"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reliability_estimates_source"), table_name="reliability_estimates")
    op.drop_table("reliability_estimates")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("reliability_declared")
