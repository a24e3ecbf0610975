"""KPI daily summary: the summarised store days and their KPI terms, and their sums per month

Revision ID: kpiday0001
Revises: digestlease1
Create Date: 2026-12-07 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "kpiday0001"
down_revision = "digestlease1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kpi_day",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_kpi_day_store_id_store")),
        sa.PrimaryKeyConstraint("store_id", "day", name=op.f("pk_kpi_day")),
    )
    op.create_table(
        "kpi_day_term",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kpi_key", sa.String(length=40), nullable=False),
        sa.Column("by", sa.String(length=12), nullable=False),
        sa.Column("member", sa.String(length=20), nullable=False),
        sa.Column("num", sa.BigInteger(), nullable=False),
        sa.Column("den", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_kpi_day_term_store_id_store")),
        sa.PrimaryKeyConstraint("store_id", "day", "kpi_key", "by", "member", name=op.f("pk_kpi_day_term")),
    )
    op.create_index("ix_kpi_day_term_series", "kpi_day_term", ["store_id", "kpi_key", "by", "member", "day"])
    op.create_table(
        "kpi_month",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_kpi_month_store_id_store")),
        sa.PrimaryKeyConstraint("store_id", "month", name=op.f("pk_kpi_month")),
    )
    op.create_table(
        "kpi_month_term",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kpi_key", sa.String(length=40), nullable=False),
        sa.Column("by", sa.String(length=12), nullable=False),
        sa.Column("member", sa.String(length=20), nullable=False),
        sa.Column("num", sa.BigInteger(), nullable=False),
        sa.Column("den", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_kpi_month_term_store_id_store")),
        sa.PrimaryKeyConstraint("store_id", "month", "kpi_key", "by", "member", name=op.f("pk_kpi_month_term")),
    )


def downgrade():
    op.drop_table("kpi_month_term")
    op.drop_table("kpi_month")
    op.drop_index("ix_kpi_day_term_series", table_name="kpi_day_term")
    op.drop_table("kpi_day_term")
    op.drop_table("kpi_day")
