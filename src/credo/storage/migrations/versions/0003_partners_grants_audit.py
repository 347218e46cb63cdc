"""partners, people's credentials, sessions, authorizations, threshold probes, audit chain

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credo.storage.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = credo.storage.tables.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("purposes", sa.String(length=200), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("is_source", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_partners_api_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_partners_name")),
    )
    op.create_index(op.f("ix_partners_key_prefix"), "partners", ["key_prefix"], unique=False)
    op.create_table(
        "people_credentials",
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_people_credentials")),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
    )
    op.create_table(
        "authorizations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTC(timezone=True), nullable=False),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.Column("expires_at", UTC(timezone=True), nullable=True),
        sa.Column("revoked_at", UTC(timezone=True), nullable=True),
        sa.Column("frozen_until", UTC(timezone=True), nullable=True),
        sa.Column("freeze_reason", sa.String(length=200), nullable=True),
        sa.Column("open_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_authorizations_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorizations")),
    )
    op.create_index(op.f("ix_authorizations_open_id"), "authorizations", ["open_id"])
    op.create_index(op.f("ix_authorizations_partner_id"), "authorizations", ["partner_id"])
    op.create_index(op.f("ix_authorizations_subject"), "authorizations", ["subject"])
    op.create_table(
        "threshold_probes",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_threshold_probes_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "partner_id", "subject", "threshold", name=op.f("pk_threshold_probes")
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_subject"), "audit_log", ["subject"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_subject"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("threshold_probes")
    op.drop_index(op.f("ix_authorizations_subject"), table_name="authorizations")
    op.drop_index(op.f("ix_authorizations_partner_id"), table_name="authorizations")
    op.drop_index(op.f("ix_authorizations_open_id"), table_name="authorizations")
    op.drop_table("authorizations")
    op.drop_table("sessions")
    op.drop_table("people_credentials")
    op.drop_index(op.f("ix_partners_key_prefix"), table_name="partners")
    op.drop_table("partners")
