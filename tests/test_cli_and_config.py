from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from intranet import clock, create_app
from intranet.config import ConfigError
from intranet.core.models import Customer, RepairOrder, User, Vehicle


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("INTRANET_ENV", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "a-real-long-random-secret")
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SESSION_COOKIE_SECURE"] is True


def test_database_url_selects_postgresql_with_psycopg(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/intranet")
    app = create_app({"INTRANET_ENV": "development"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/intranet"


def test_factory_creates_no_tables(tmp_path):
    app = create_app({"INTRANET_ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    from intranet.extensions import db

    with app.app_context():
        assert db.inspect(db.engine).get_table_names() == []


def test_users_create_command(runner, store, db):
    result = runner.invoke(args=["users", "create", "wang", "--name", "王磊", "--role", "technician", "--role",
                                 "inspector"], input="password123\npassword123\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "wang"))
    assert [r.value for r in user.roles] == ["technician", "inspector"]
    again = runner.invoke(args=["users", "create", "wang", "--role", "technician"],
                          input="password123\npassword123\n")
    assert again.exit_code != 0


def test_jobs_list_and_run(runner, redis_conn):
    listed = runner.invoke(args=["jobs", "list"])
    assert "heartbeat" in listed.output and "every 60s" in listed.output
    run = runner.invoke(args=["jobs", "run", "heartbeat"])
    assert run.exit_code == 0 and "Queued heartbeat" in run.output
    assert redis_conn.llen("rq:queue:default") == 1
    assert runner.invoke(args=["jobs", "run", "nope"]).exit_code != 0


def test_seed_demo_is_realistic_and_idempotent(runner, db):
    at = datetime(2026, 11, 24, 2, 30)  # 10:30 in Shanghai (tests/test_demo_clocks.py seeds at other hours)
    with clock.frozen(at):
        first = runner.invoke(args=["seed-demo", "--days", "3"])
    assert first.exit_code == 0, first.output
    assert "demo1234" in first.output and "director" in first.output

    def counts():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Customer, Vehicle,
                                                                                      RepairOrder))

    before = counts()
    assert before[1] == 300 and before[2] >= 300 and before[3] >= 10
    with clock.frozen(at + timedelta(minutes=5)):
        assert runner.invoke(args=["seed-demo", "--days", "3"]).exit_code == 0
    assert counts() == before
    roles = {r for u in db.session.scalars(select(User)) for r in u.roles}
    from intranet.core.models import Role

    assert roles == set(Role)
