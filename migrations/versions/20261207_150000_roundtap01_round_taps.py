"""round taps: the one-time keys of the taps a tablet sent from its offline queue

Revision ID: roundtap01
Revises: prepick0001
Create Date: 2026-12-07 15:00:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'roundtap01'
down_revision = 'prepick0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'round_tap',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('applied_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['inspection_round.id'], name=op.f('fk_round_tap_round_id_inspection_round'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_round_tap')),
        sa.UniqueConstraint('round_id', 'key', name=op.f('uq_round_tap_round_id_key')),
    )


def downgrade():
    op.drop_table('round_tap')
