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
