"""one payment per form, one repair order on site per car

A payment remembers the token of the form that recorded it (a double tap records once), and a car
has at most one repair order on site (a partial unique index). Before the index is made, cars that
already have two open repair orders (made by the race this closes) are named, so that the extra one
can be cancelled first: the upgrade stops with their numbers rather than guess which one to keep.

Revision ID: 4b0e9697428d
Revises: reports0001
Create Date: 2026-12-07 11:55:30.981468+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b0e9697428d'
down_revision = 'reports0001'
branch_labels = None
depends_on = None


ON_SITE = "status NOT IN ('booked', 'delivered', 'closed', 'cancelled')"


def upgrade():
    twice = op.get_bind().execute(sa.text(
        f"SELECT vehicle_id, count(*), min(number), max(number) FROM repair_order WHERE {ON_SITE} "
        "GROUP BY vehicle_id HAVING count(*) > 1")).all()
    if twice:
        raise RuntimeError("Cars with more than one repair order on site — cancel the extra one of each, then "
                           "upgrade again: " + "; ".join(f"vehicle {v}: {first} … {last} ({n})"
                                                         for v, n, first, last in twice))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payment_token'), ['token'])

    with op.batch_alter_table('repair_order', schema=None) as batch_op:
        batch_op.create_index('uq_repair_order_vehicle_on_site', ['vehicle_id'], unique=True,
                              sqlite_where=sa.text(ON_SITE), postgresql_where=sa.text(ON_SITE))


def downgrade():
    with op.batch_alter_table('repair_order', schema=None) as batch_op:
        batch_op.drop_index('uq_repair_order_vehicle_on_site', sqlite_where=sa.text(ON_SITE),
                            postgresql_where=sa.text(ON_SITE))

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payment_token'), type_='unique')
        batch_op.drop_column('token')
