"""Guessing passwords is slowed down without locking the real person out; the address is the
tablet's own behind a trusted proxy; sign-ins, account, role and settings changes are audited."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from intranet import clock, create_app
from intranet.core.audit import AuditEvent, AuditKind
from intranet.core.models import Role
from tests.conftest import new_client

T0 = datetime(2026, 3, 9, 1, 30)  # 09:30 in Shanghai


def _login(client, username, password, address="10.0.0.9", headers=None):
    client.fetch_csrf()
    return client.post("/login", data={"username": username, "password": password, "csrf_token": client.csrf_token},
                       environ_base={"REMOTE_ADDR": address}, headers=headers or {})


def _events(db, kind):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)).all()


def test_a_guessing_device_waits_and_the_owner_still_signs_in_from_their_tablet(app, make_user, db):
    make_user(Role.ADVISOR, username="sun")
    owner, guesser = new_client(app), new_client(app)
    with clock.frozen(T0):
        assert _login(owner, "sun", "password123", address="10.0.0.2").status_code == 302
        owner.post("/logout")
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            assert _login(guesser, "sun", "nope").status_code == 422
        held = _login(guesser, "sun", "password123")
        assert held.status_code == 422  # this device waits, whatever it types
        assert "30" in held.get_data(as_text=True)
        # …but the real person at their own tablet is not locked out
        assert _login(new_client(app), "sun", "password123", address="10.0.0.2").status_code == 302
    with clock.frozen(T0 + timedelta(seconds=31)):
        assert _login(guesser, "sun", "nope").status_code == 422  # one more guess after the pause
        assert _login(guesser, "sun", "nope").status_code == 422  # and now a longer wait
    with clock.frozen(T0 + timedelta(seconds=31 + 59)):
        assert _login(guesser, "sun", "password123").status_code == 422
    with clock.frozen(T0 + timedelta(seconds=31 + 61)):
        assert _login(guesser, "sun", "password123").status_code == 302
    failed = _events(db, AuditKind.SIGN_IN_FAILED.value)
    assert len(failed) == app.config["LOGIN_MAX_FAILURES"] + 1
    assert {e.address for e in failed} == {"10.0.0.9"} and {e.subject for e in failed} == {"sun"}
    assert _events(db, AuditKind.SIGN_IN_THROTTLED.value)


def test_many_names_guessed_from_one_address_slow_it_down_except_for_people_who_use_it(app, make_user, db):
    make_user(Role.ADVISOR, username="li")
    make_user(Role.ADVISOR, username="wang")
    with clock.frozen(T0):
        assert _login(new_client(app), "li", "password123", address="10.0.0.50").status_code == 302
        sprayer = new_client(app)
        for n in range(app.config["LOGIN_MAX_FAILURES"] * 4):
            assert _login(sprayer, f"nobody{n}", "Summer2026", address="10.0.0.50").status_code == 422
        # a name never used from this address waits there…
        assert _login(new_client(app), "wang", "password123", address="10.0.0.50").status_code == 422
        # …the person who works at it signs in, and anyone elsewhere too
        assert _login(new_client(app), "li", "password123", address="10.0.0.50").status_code == 302
        assert _login(new_client(app), "wang", "password123", address="10.0.0.51").status_code == 302


def test_the_address_is_the_tablets_only_behind_a_trusted_proxy(app, make_user, db):
    make_user(Role.ADVISOR, username="sun")
    forwarded = {"X-Forwarded-For": "192.168.8.23"}
    with clock.frozen(T0):
        _login(new_client(app), "sun", "nope", address="127.0.0.1", headers=forwarded)
    assert _events(db, AuditKind.SIGN_IN_FAILED.value)[-1].address == "127.0.0.1"  # not trusted by default

    proxied = create_app({**{k: app.config[k] for k in (
        "INTRANET_ENV", "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "EMBEDDED_REDIS_FILE",
        "PASSWORD_HASH_METHOD", "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE")},
        "INSTANCE_PATH": app.instance_path, "TRUSTED_PROXIES": 1})
    with proxied.app_context(), clock.frozen(T0):
        _login(new_client(proxied), "sun", "nope", address="127.0.0.1", headers=forwarded)
    db.session.expire_all()
    assert _events(db, AuditKind.SIGN_IN_FAILED.value)[-1].address == "192.168.8.23"


def test_account_role_password_and_settings_changes_are_audited_and_listed_for_the_admin(
        app, client, login_as, make_user, db):
    admin = login_as(Role.ADMIN, username="boss")
    sun = make_user(Role.ADVISOR, username="sun", display_name="孙丽华")
    form = {"csrf_token": client.csrf_token, "display_name": "孙丽华", "roles": ["advisor", "care"],
            "active": "y", "mobile": "", "password": "a-new-password-1"}
    client.fetch_csrf(f"/admin/users/{sun.id}")
    form["csrf_token"] = client.csrf_token
    response = client.post(f"/admin/users/{sun.id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    changed = _events(db, AuditKind.USER_CHANGED.value)
    assert len(changed) == 1 and changed[0].actor_id == admin.id and changed[0].subject == "sun"
    assert changed[0].details["roles"] == [["advisor"], ["advisor", "care"]]
    assert "a-new-password-1" not in changed[0].details_json
    assert len(_events(db, AuditKind.PASSWORD_RESET.value)) == 1

    page = client.get("/admin/settings")
    assert page.status_code == 200
    client.fetch_csrf("/admin/settings")
    store = admin.store
    settings = {"csrf_token": client.csrf_token, "name": store.name, "code": store.code, "timezone": store.timezone,
                "opens_at": "08:00", "closes_at": "18:30", "key_collection_at": "18:30", "tax_rate_percent": "13",
                "labour_rate": "150.00", "address": "", "phone": "", "default_locale": "zh_Hans_CN",
                "slot_minutes": "30", "advisor_slot_capacity": "2", "workshop_hours_per_day": "60.0"}
    response = client.post("/admin/settings", data=settings)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    settings_events = _events(db, AuditKind.SETTINGS_CHANGED.value)
    assert settings_events and settings_events[-1].subject == "store"
    assert settings_events[-1].details["closes_at"][1].startswith("18:30")
    assert settings_events[-1].actor_id == admin.id

    listed = client.get("/admin/audit")
    body = listed.get_data(as_text=True)
    assert listed.status_code == 200
    assert 'data-kind="user_changed"' in body and 'data-kind="settings_changed"' in body
    assert "服务顾问 → 服务顾问、客服" in body  # roles by their names, not their stored values
    assert "门店设置" in body and "closes_at" in body
    only = client.get("/admin/audit?kind=password_reset").get_data(as_text=True)
    assert 'data-kind="password_reset"' in only and 'data-kind="user_changed"' not in only
    assert client.get("/admin/audit?who=%25&page=99999999999999999999").status_code == 200


def test_the_audit_log_is_the_administrators_and_reads_in_constant_queries(app, client, login_as, make_user, db):
    login_as(Role.ADMIN, username="boss")
    people = [make_user(Role.ADVISOR, username=f"p{n}") for n in range(3)]
    for person in people:
        with clock.frozen(T0):
            _login(new_client(app), person.username, "nope")

    from sqlalchemy import event

    def count_queries():
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/admin/audit").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    few = count_queries()
    for n in range(3, 12):
        person = make_user(Role.ADVISOR, username=f"p{n}")
        with clock.frozen(T0):
            _login(new_client(app), person.username, "nope")
            assert _login(new_client(app), person.username, "password123").status_code == 302
    assert count_queries() == few
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > 12

    advisor = make_user(Role.ADVISOR, username="nosy")
    nosy = new_client(app)
    assert _login(nosy, "nosy", "password123").status_code == 302
    assert nosy.get("/admin/audit").status_code == 403
