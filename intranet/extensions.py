"""Bare extension instances; `create_app` binds them to an app."""
import sqlite3

from flask_babel import Babel
from flask_babel.speaklater import LazyString
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from markupsafe import escape
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
babel = Babel()


def _lazy_text_as_html(self) -> str:
    """A translated message is text, never markup: the values it repeats (a typed mobile, a part
    number, a name) are escaped with it. Flask-Babel's lazy strings say they are safe HTML, so
    `{{ error }}` put a typed `<script>` into the page; no message of ours holds markup."""
    return escape(str(self))


LazyString.__html__ = _lazy_text_as_html


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # SQLite is shared by the web server, the worker and the scheduler: WAL lets readers work while
    # one process writes, busy_timeout waits for a lock instead of failing, and foreign keys are enforced.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
