"""session version per user

A person's session version is part of what their session and remember-me cookie hold; raising it
(at sign-out, at a new password) ends every session made before. Sessions made before this upgrade
hold no version: everyone signs in once more.

Revision ID: 6101c01cabc7
Revises: 4b0e9697428d
Create Date: 2026-12-07 12:19:46.382779+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6101c01cabc7'
down_revision = '4b0e9697428d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

