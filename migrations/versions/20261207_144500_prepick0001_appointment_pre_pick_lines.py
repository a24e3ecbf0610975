"""appointment pre-pick lines

A booking's parts to prepare name catalogue parts and quantities (the free text stays as a note):
the parts store holds them, lists them for the next days and marks them picked.

Revision ID: prepick0001
Revises: partsmgr01
Create Date: 2026-12-07 14:45:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'prepick0001'
down_revision = 'partsmgr01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pre_pick_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('part_number', sa.String(length=32), nullable=False),
    sa.Column('part_name', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('reserved', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('picked_at', sa.DateTime(), nullable=True),
    sa.Column('picked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_pre_pick_line_appointment_id_appointment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['picked_by_id'], ['user.id'], name=op.f('fk_pre_pick_line_picked_by_id_user')),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_pre_pick_line_store_id_store')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pre_pick_line')),
    sa.UniqueConstraint('appointment_id', 'part_number', name=op.f('uq_pre_pick_line_appointment_id_part_number'))
    )
    with op.batch_alter_table('pre_pick_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pre_pick_line_appointment_id'), ['appointment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pre_pick_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pre_pick_line_appointment_id'))
    op.drop_table('pre_pick_line')
