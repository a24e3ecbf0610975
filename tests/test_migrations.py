"""The schema comes only from migrations, and they match the models (what `flask db check` checks)."""
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from intranet.config import site_folder
from intranet.extensions import db as _db

CREATE_DATE = re.compile(r"^Create Date: (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)", re.MULTILINE)


def test_migrations_match_the_models(db):
    with _db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, _db.metadata)
    assert diff == [], diff


def test_migration_files_list_in_history_order():
    """Files are named <Create Date>_<revision>_<slug>.py (the file_template in migrations/alembic.ini), so
    the folder lists them in the order they apply, from base to head."""
    scripts = ScriptDirectory(str(site_folder("migrations")))
    history = list(reversed(list(scripts.walk_revisions("base", "heads"))))
    names = [Path(script.path).name for script in history]
    assert names == sorted(path.name for path in Path(scripts.versions).glob("*.py"))
    for script, name in zip(history, names):
        created = CREATE_DATE.search(Path(script.path).read_text(encoding="utf-8"))
        assert created, f"{name} has no Create Date"
        assert name.startswith("{}{}{}_{}{}{}_".format(*created.groups()) + f"{script.revision}_"), name


def test_a_store_with_data_upgrades_and_downgrades_on_sqlite(app, db, store, ro):
    """SQLite copies a table to change a column (batch mode); with foreign keys on, dropping the old
    `user` of a store that has people and their roles failed. The migrations run with foreign keys off
    and check them after (migrations/env.py)."""
    import pytest
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    if _db.engine.dialect.name != "sqlite":
        pytest.skip("the copy-the-table path is SQLite's")
    _db.session.commit()  # the advisor sun, their role, a car and its repair order
    _db.session.remove()
    downgrade(revision="6101c01cabc7")  # below the audit log and the parts manager's flag on `user`
    upgrade()
    with _db.engine.connect() as conn:
        assert conn.execute(text("SELECT username FROM user")).scalars().all() == ["sun"]
        assert conn.execute(text("SELECT role FROM user_role")).scalars().all() == ["advisor"]  # not cascaded away
        assert conn.execute(text("SELECT count(*) FROM repair_order")).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
