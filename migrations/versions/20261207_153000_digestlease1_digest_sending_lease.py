"""digest sending lease

A digest is taken for sending (until when) before its mail goes, committed, so the five-minute job,
"Send now" and a second tap send it once without holding a lock while the mail server answers.

Revision ID: digestlease1
Revises: eventtoken01
Create Date: 2026-12-07 15:30:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'digestlease1'
down_revision = 'eventtoken01'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('digest', sa.Column('sending_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('digest', schema=None) as batch_op:
        batch_op.drop_column('sending_until')
