"""The role × URL matrix, generated from the app's URL map: every endpoint must be public or
guarded, and every role gets exactly the access its blueprint declares."""
from __future__ import annotations

import pytest
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, NumberConverter

from intranet.auth import access
from intranet.core.models import Role
from tests.conftest import new_client



def _rules(app) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule)


def _url(rule: Rule) -> str:
    values = {name: 999999 if isinstance(converter, NumberConverter)
              else sorted(converter.items)[0] if isinstance(converter, AnyConverter) else "x"
              for name, converter in rule._converters.items()}
    if rule.endpoint == "auth.set_language":
        values["code"] = "en"
    if rule.endpoint == "auth.switch_role":
        values["role"] = "advisor"
    return rule.build(values)[1]


def _method(rule: Rule) -> str:
    return "GET" if "GET" in rule.methods else "POST"


def test_every_endpoint_is_guarded_or_public(app):
    with app.test_request_context():
        unguarded = [r.endpoint for r in _rules(app) if not access.is_public(r.endpoint)
                     and access.roles_for(r.endpoint) is None]
    assert not unguarded, f"views without an access rule (use guard(bp, ...) or @public): {unguarded}"


def test_sensitive_areas_stay_narrow(app):
    assert access.roles_for("admin.users") == {Role.ADMIN}
    assert access.roles_for("reception.quick_check_in") == {Role.ADVISOR, Role.DIRECTOR}
    with app.test_request_context():
        assert {r.endpoint for r in _rules(app) if access.is_public(r.endpoint)} == {
            "auth.login", "auth.set_language", "health.healthz", "health.ping"}


def pytest_generate_tests(metafunc):
    if "endpoint_rule" in metafunc.fixturenames:
        from intranet import create_app

        app = create_app({"INTRANET_ENV": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        rules = _rules(app)
        metafunc.parametrize("endpoint_rule", [r.endpoint for r in rules], ids=[r.endpoint for r in rules])


def test_role_matrix(app, make_user, endpoint_rule):
    rule = next(r for r in _rules(app) if r.endpoint == endpoint_rule)
    url, method = _url(rule), _method(rule)
    with app.test_request_context():
        public = access.is_public(rule.endpoint)
        allowed = access.roles_for(rule.endpoint)

    anonymous = new_client(app)
    anonymous.fetch_csrf()
    response = anonymous.open(url, method=method, headers={"X-CSRFToken": anonymous.csrf_token})
    if public:
        assert response.status_code not in (401, 403), f"{method} {url} should be public"
    else:
        assert response.status_code == 302 and "/login" in response.headers["Location"], (
            f"anonymous {method} {url} should be sent to the login page, got {response.status_code}")
        htmx = anonymous.open(url, method=method, headers={"X-CSRFToken": anonymous.csrf_token,
                                                            "HX-Request": "true"})
        assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")

    for role in Role:
        user = make_user(role)
        c = new_client(app)
        with c.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        c.fetch_csrf("/")
        response = c.open(url, method=method, headers={"X-CSRFToken": c.csrf_token})
        if public or role in allowed:
            assert response.status_code != 403, f"{role} should reach {method} {url}"
        else:
            assert response.status_code == 403, (
                f"{role} must not reach {method} {url} (got {response.status_code} {response.location})")


def test_disabled_user_is_signed_out_at_once(client, login_as, db):
    user = login_as(Role.ADVISOR)
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_csrf_is_required_on_mutations_htmx_included(client, login_as, make_vehicle):
    login_as(Role.ADVISOR)
    make_vehicle(plate="沪A12345")
    refused = client.post("/reception/quick-check-in", data={"plate": "沪A12345"},
                          headers={"HX-Request": "true"}, csrf=False)
    assert refused.status_code == 400
    assert "toast" in refused.headers["HX-Trigger"]
    accepted = client.post("/reception/quick-check-in", data={"plate": "沪A12345"}, headers={"HX-Request": "true"})
    assert accepted.status_code == 200


@pytest.mark.parametrize("role", [Role.ADVISOR, Role.TECHNICIAN])
def test_navigation_shows_only_what_the_role_can_open(client, login_as, role):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    assert ('href="/admin/users"' in page) is False
    assert ('href="/records/customers/new"' in page) is (role == Role.ADVISOR)
