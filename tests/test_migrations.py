"""The schema comes only from migrations, and they match the models (what `flask db check` checks)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from intranet.extensions import db as _db


def test_migrations_match_the_models(db):
    with _db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, _db.metadata)
    assert diff == [], diff
