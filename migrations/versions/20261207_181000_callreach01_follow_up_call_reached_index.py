"""follow-up calls by when they were reached (the director's day: the day's dissatisfied customers)

Revision ID: callreach01
Revises: kpiday0001
Create Date: 2026-12-07 18:10:00
"""
from alembic import op

revision = "callreach01"
down_revision = "kpiday0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_follow_up_call_store_reached", "follow_up_call", ["store_id", "reached_at"])


def downgrade():
    op.drop_index("ix_follow_up_call_store_reached", table_name="follow_up_call")
