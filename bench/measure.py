"""What the benchmarks share: timing a request in-process and counting the SQL it sends."""
from __future__ import annotations

import contextlib
import statistics
import time

from sqlalchemy import event


def summary(samples):
    """Median and 95th percentile of `samples` (milliseconds)."""
    samples = sorted(samples)
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def timed(client, url, rounds, headers=None, expect=200):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == expect, (url, response.status_code)
    return summary(samples)


def count_queries(app, client, url, headers=None, expect=None, answer=False):
    """SQL statements one request sends, its answer read to the end (a streamed answer's queries
    count too); with `answer`, also the response."""
    from intranet.extensions import db

    seen = []
    with app.app_context():
        engine = db.engine

    def listener(*args):
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url, headers=headers or {})
        response.get_data()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    if expect is not None:
        assert response.status_code == expect, (url, response.status_code)
    return (len(seen), response) if answer else len(seen)


def postgres_database(url: str):
    """A throw-away database on the PostgreSQL server of `url`: (its URL, a function that drops it)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://")
                    else url)
    name = f"intranet_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@contextlib.contextmanager
def scratch_app():
    """The app on a throw-away database migrated from empty — a SQLite file, or a database on the
    PostgreSQL server DATABASE_URL points at — removed afterwards, with its embedded Redis."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from flask_migrate import upgrade

    from intranet import create_app

    tmp = Path(tempfile.mkdtemp(prefix="intranet-bench-"))
    database_url = os.environ.get("DATABASE_URL", "")
    drop = None
    if database_url.startswith("postgres"):
        uri, drop = postgres_database(database_url)
    else:
        uri = f"sqlite:///{tmp / 'bench.db'}"
    app = create_app({"INTRANET_ENV": "test", "SQLALCHEMY_DATABASE_URI": uri,
                      "EMBEDDED_REDIS_FILE": str(tmp / "redis.rdb"), "INSTANCE_PATH": str(tmp),
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    from intranet.extensions import db
    from intranet.jobs.connection import stop_embedded

    try:
        with app.app_context():
            upgrade()
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        stop_embedded()
        if drop:
            drop()
        shutil.rmtree(tmp, ignore_errors=True)
