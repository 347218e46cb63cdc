"""models, monthly runs, score snapshots and the current pointer

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credo.storage.tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = credo.storage.tables.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("trained_as_of", UTC(timezone=True), nullable=True),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("auc", sa.Float(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("artifact", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
        sa.UniqueConstraint("version", name=op.f("uq_models_version")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("as_of", UTC(timezone=True), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("finished_at", UTC(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], name=op.f("fk_runs_model_id_models")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_as_of"), "runs", ["as_of"], unique=False)
    op.create_table(
        "scores",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("na_reason", sa.String(length=200), nullable=True),
        sa.Column("band", sa.String(length=16), nullable=True),
        sa.Column("percentile", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_scores_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "subject", name=op.f("pk_scores")),
    )
    op.create_index(op.f("ix_scores_subject"), "scores", ["subject"], unique=False)
    op.create_table(
        "pointers",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_pointers_run_id_runs")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pointers")),
    )


def downgrade() -> None:
    op.drop_table("pointers")
    op.drop_index(op.f("ix_scores_subject"), table_name="scores")
    op.drop_table("scores")
    op.drop_index(op.f("ix_runs_as_of"), table_name="runs")
    op.drop_table("runs")
    op.drop_table("models")
