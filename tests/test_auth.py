from intranet.core.models import Role


def _login(client, username, password, **extra):
    client.fetch_csrf()
    return client.post("/login", data={"username": username, "password": password, **extra})


def test_login_lands_on_my_day_and_logout(client, make_user):
    make_user(Role.ADVISOR, username="sun", display_name="孙丽华")
    response = _login(client, "sun", "password123")
    assert response.status_code == 302 and response.location == "/"
    assert "孙丽华" in client.get("/").get_data(as_text=True)
    out = client.post("/logout")
    assert out.status_code == 302 and client.get("/").status_code == 302


def test_wrong_password_is_refused_and_keeps_the_user_name(client, make_user):
    make_user(Role.ADVISOR, username="sun")
    response = _login(client, "sun", "wrong-password")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="alert"' in body and 'value="sun"' in body


def test_disabled_user_cannot_sign_in(client, make_user):
    make_user(Role.ADVISOR, username="gone", active=False)
    response = _login(client, "gone", "password123")
    assert response.status_code == 422
    assert client.get("/").status_code == 302


def test_failed_logins_are_throttled(client, make_user, app):
    make_user(Role.ADVISOR, username="sun")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _login(client, "sun", "nope").status_code == 422
    # even the right password waits now
    response = _login(client, "sun", "password123")
    assert response.status_code == 422
    assert client.get("/").status_code == 302


def test_remember_me_sets_a_long_lived_cookie(client, make_user):
    make_user(Role.ADVISOR, username="sun")
    response = _login(client, "sun", "password123", remember="y")
    assert any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


def test_next_parameter_only_goes_to_our_own_pages(client, make_user):
    make_user(Role.ADVISOR, username="sun")
    client.fetch_csrf()
    evil = client.post("/login?next=https://evil.example/x", data={"username": "sun", "password": "password123"})
    assert evil.location == "/"


def test_role_switcher(client, login_as):
    login_as(Role.ADVISOR, Role.CARE)
    assert "role-menu" in client.get("/").get_data(as_text=True)
    client.post("/role/care")
    with client.session_transaction() as session:
        assert session["role"] == "care"
    client.post("/role/admin")  # not held: ignored
    with client.session_transaction() as session:
        assert session["role"] == "care"


def test_language_switch_sticks_to_the_user(client, login_as, db):
    user = login_as(Role.ADVISOR)
    assert 'lang="zh-Hans"' in client.get("/").get_data(as_text=True)
    client.post("/language/en", data={"next": "/"})
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale == "en"


def test_htmx_request_without_session_gets_hx_redirect(client):
    response = client.get("/today/board", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_every_answer_carries_the_security_headers(client, login_as):
    """No other site may frame a page, nothing is sniffed into another type, no address leaks in a
    Referer; the remember-me cookie is SameSite like the session's."""
    for url in ("/login", "/static/css/app.css"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert client.application.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def _copy_cookies(source, target):
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_signing_out_ends_the_session_even_where_its_cookie_was_copied(app, client, make_user):
    """A session or remember-me cookie copied before the sign-out no longer signs anyone in."""
    from tests.conftest import new_client

    make_user(Role.ADVISOR, username="sun", display_name="孙丽华")
    _login(client, "sun", "password123", remember="y")
    thief = new_client(app)
    _copy_cookies(client, thief)
    assert "孙丽华" in thief.get("/").get_data(as_text=True)  # the copy works while the session lives
    client.fetch_csrf("/")
    client.post("/logout")
    assert thief.get("/").status_code == 302  # to the login page


def test_a_new_password_ends_the_old_sessions(app, client, make_user, login_as, db):
    """The administrator resets a password: whoever held the old one (a session, a remember-me
    cookie) is signed out."""
    from tests.conftest import new_client

    user = make_user(Role.ADVISOR, username="sun", display_name="孙丽华")
    tablet = new_client(app)
    _login(tablet, "sun", "password123", remember="y")
    assert "孙丽华" in tablet.get("/").get_data(as_text=True)
    login_as(Role.ADMIN)
    reset = client.post(f"/admin/users/{user.id}", data={"display_name": "孙丽华", "roles": ["advisor"],
                                                         "active": "y", "password": "a-new-long-one"})
    assert reset.status_code == 302
    assert tablet.get("/").status_code == 302
    assert _login(tablet, "sun", "a-new-long-one").status_code == 302
