import json

from sqlalchemy import event

from intranet.core.models import Role
from tests.conftest import new_client


def test_board_answers_304_until_something_changes(app, client, login_as, make_user, make_vehicle):
    login_as(Role.DIRECTOR)
    make_vehicle(plate="沪A12345")
    first = client.get("/today/board", headers={"HX-Request": "true"})
    assert first.status_code == 200 and first.headers["ETag"]
    assert "HX-Request" in first.headers["Vary"]
    etag = first.headers["ETag"]
    again = client.get("/today/board", headers={"HX-Request": "true", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""

    other = new_client(app)  # another tablet, another person
    other.fetch_csrf()
    advisor = make_user(Role.ADVISOR)
    assert other.post("/login", data={"username": advisor.username, "password": "password123"}).status_code == 302
    changed = other.post("/reception/quick-check-in", data={"plate": "沪A12345"}, headers={"HX-Request": "true"})
    assert changed.status_code == 200
    trigger = json.loads(changed.headers["HX-Trigger-After-Settle"])
    assert trigger["board-changed"] == {"boards": ["today"]}
    assert "沪A12345" in changed.get_data(as_text=True) and 'id="today-board"' in changed.get_data(as_text=True)

    after = client.get("/today/board", headers={"HX-Request": "true", "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert "沪A12345" in after.get_data(as_text=True)


def test_unchanged_poll_costs_one_query_beyond_the_session(client, login_as, db):
    login_as(Role.DIRECTOR)
    etag = client.get("/today/board").headers["ETag"]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get("/today/board", headers={"If-None-Match": etag}).status_code == 304
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    board_queries = [s for s in statements if "board_version" in s]
    assert len(board_queries) == 1
    assert len(statements) <= 4, statements  # user (+roles) and the board's version


def test_board_renders_with_constant_queries(app, client, login_as, make_vehicle, store, db):
    from intranet.core import services

    advisor = login_as(Role.ADVISOR)

    def count_queries():
        app.extensions.pop("today_health", None)  # the health card is read once per ETag: read it each time
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/today/board").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    services.open_repair_order(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
    db.session.commit()
    few = count_queries()
    for _ in range(15):
        services.open_repair_order(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
    db.session.commit()
    assert count_queries() == few


def test_quick_check_in_unknown_plate_keeps_the_input(client, login_as):
    login_as(Role.ADVISOR)
    response = client.post("/reception/quick-check-in", data={"plate": "沪Z99999"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    # only the error area is replaced: the form (and what was typed) stays as it is
    assert response.headers["HX-Retarget"] == "#quick-error"
    body = response.get_data(as_text=True)
    assert 'class="alert"' in body and "沪Z99999" in body and "<form" not in body


def test_bad_plate_is_explained(client, login_as):
    login_as(Role.ADVISOR)
    response = client.post("/reception/quick-check-in", data={"plate": "12345"}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "沪A12345" in response.get_data(as_text=True)
