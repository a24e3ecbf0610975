"""store events: the new-event form's one-time token (a double tap makes one event)

Revision ID: eventtoken01
Revises: roundtap01
Create Date: 2026-12-07 15:15:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'eventtoken01'
down_revision = 'roundtap01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('store_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_token', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_store_event_origin_token'), ['origin_token'])


def downgrade():
    with op.batch_alter_table('store_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_store_event_origin_token'), type_='unique')
        batch_op.drop_column('origin_token')
