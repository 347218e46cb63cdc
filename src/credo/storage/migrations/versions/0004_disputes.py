"""disputes, and the tally of dispute outcomes per source

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-15 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credo.storage.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC = credo.storage.tables.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(
            sa.Column("disputes_upheld", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("disputes_rejected", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=63), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", UTC(timezone=True), nullable=False),
        sa.Column("statement", sa.LargeBinary(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTC(timezone=True), nullable=False),
        sa.Column("due_at", UTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolved_by", sa.String(length=16), nullable=True),
        sa.Column("resolved_at", UTC(timezone=True), nullable=True),
        sa.Column("evidence", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("source", "event_id", name=op.f("uq_disputes_source_event_id")),
    )
    op.create_index(op.f("ix_disputes_due_at"), "disputes", ["due_at"])
    op.create_index(op.f("ix_disputes_subject"), "disputes", ["subject"])


def downgrade() -> None:
    op.drop_index(op.f("ix_disputes_subject"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_due_at"), table_name="disputes")
    op.drop_table("disputes")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("disputes_rejected")
        batch.drop_column("disputes_upheld")
