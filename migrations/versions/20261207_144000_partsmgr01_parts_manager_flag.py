"""parts manager flag on the user

Among the parts staff, the parts manager approves purchase orders and stock counts and gives the
parts manager's signature of a write-off; any parts account could before. The demo's parts manager
gets the flag from the demo seed; an existing store's administrator ticks it on the staff form.

Revision ID: partsmgr01
Revises: a0d1t0000001
Create Date: 2026-12-07 14:40:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'partsmgr01'
down_revision = 'a0d1t0000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parts_manager', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('parts_manager')
