"""audit log

Sign-ins (failed and slowed-down ones with their address), account and role changes, and every change
to a settings record, with who made it and the old and new values.

Revision ID: a0d1t0000001
Revises: 6101c01cabc7
Create Date: 2026-12-07 14:35:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a0d1t0000001'
down_revision = '6101c01cabc7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.String(length=120), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('details_json', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_audit_event_store_id_store')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_kind_actor_address', ['kind', 'actor_id', 'address'], unique=False)
        batch_op.create_index('ix_audit_event_store_at', ['store_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_store_at')
        batch_op.drop_index('ix_audit_event_kind_actor_address')
    op.drop_table('audit_event')
