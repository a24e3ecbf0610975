"""Two people saving the same thing at the same moment (issue 17, item 7): the one who comes second
gets the answer they would get one after the other — the 409 "someone else saved" screen with what
they typed, or the refusal naming the first one's record — never a 500, on SQLite and PostgreSQL.
And a database conflict that escapes a view anyway is a 409 page keeping what was typed."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intranet import clock
from intranet.core.models import Customer, Role, User
from intranet.workshop.models import PartsRequest
from intranet.reception.models import Appointment
from tests import factories
from tests.conftest import at_once, signed_in

# Monday 7 December 2026, 10:00 in Shanghai: the store is open, tomorrow has free slots.
MONDAY = datetime(2026, 12, 7, 2, 0)
ATTEMPTS = range(3)  # a race is a matter of timing: each is run a few times


def _statuses(answers):
    assert not any(isinstance(a, BaseException) for a in answers), answers
    return sorted(a.status_code for a in answers)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_two_saves_of_one_repair_order_at_once_answer_as_one_after_the_other(app, store, db, attempt):
    """The loser of two simultaneous saves sees the same 409 screen as a save from a stale form —
    the colleague's changes and its own entries kept — not a 500 (PostgreSQL: the row had changed
    under its UPDATE; SQLite: "database is locked")."""
    sun, li = factories.person(store, "sun"), factories.person(store, "li")
    ro = factories.checked_in(store, sun)
    ro_id, version = ro.id, ro.version
    form = {"version": str(version), "pay_type": "customer", "insurer_payment": "none"}
    first, second = signed_in(app, sun), signed_in(app, li)
    answers = at_once(lambda: first.post(f"/reception/ro/{ro_id}", data={**form, "complaint": "空调不凉"}),
                      lambda: second.post(f"/reception/ro/{ro_id}", data={**form, "complaint": "刹车异响"}))
    assert _statuses(answers) == [302, 409]
    loser = next(a for a in answers if a.status_code == 409).get_data(as_text=True)
    mine, theirs = ("刹车异响", "空调不凉") if answers[1].status_code == 409 else ("空调不凉", "刹车异响")
    assert mine in loser and theirs in loser  # what I typed is kept, and what they saved is shown
    # the very screen a save from a stale form gets, one after the other
    again = (second if answers[1].status_code == 409 else first).post(
        f"/reception/ro/{ro_id}", data={**form, "complaint": mine})
    assert again.status_code == 409
    assert 'class="stale-top"' in loser and 'class="stale-top"' in again.get_data(as_text=True)
    assert 'data-testid="kept"' not in loser  # not the safety net's page: the repair order's own


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_the_same_new_customer_saved_twice_at_once_is_saved_once(app, store, db, attempt):
    sun, li = factories.person(store, "sun"), factories.person(store, "li")
    form = {"name": "王芳", "mobile": "13900002222", "plate": f"沪B{attempt}2345", "model": "速腾",
            "preferred_contact_time": "any"}
    first, second = signed_in(app, sun), signed_in(app, li)
    answers = at_once(lambda: first.post("/records/customers/new", data=form),
                      lambda: second.post("/records/customers/new", data=form))
    assert _statuses(answers) == [302, 422]
    refused = next(a for a in answers if a.status_code == 422).get_data(as_text=True)
    assert "13900002222" in refused and "王芳" in refused  # told whose mobile it is, the form kept
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_a_parts_request_tapped_twice_at_once_is_made_once(app, store, db, attempt):
    """The technician's "request part" arriving twice (a double tap, a re-send after bad Wi-Fi) at the
    same moment: one request, and both taps answer with the board."""
    from intranet.workshop import services as workshop

    sun, wang, wu = factories.person(store, "sun"), factories.person(store, "wang"), factories.person(store, "wu")
    factories.technician(store, wang)
    ro = factories.checked_in(store, sun, lines=[factories.labour("更换刹车片", "1.5", team="mechanical")])
    job = workshop.jobs_of(ro.id)[0]
    workshop.assign_job(job.id, wang.id, store_id=store.id, actor_id=wu.id, expected_version=job.version)
    db.session.commit()
    job_id = job.id
    form = {"token": f"4b0f5c1e-0000-4000-8000-00000000000{attempt}", "description": "前刹车片",
            "part_number": "", "quantity": "1"}
    first, second = signed_in(app, wang), signed_in(app, wang)
    answers = at_once(lambda: first.post(f"/workshop/my/jobs/{job_id}/parts", data=form),
                      lambda: second.post(f"/workshop/my/jobs/{job_id}/parts", data=form))
    assert _statuses(answers) == [200, 200]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PartsRequest)) == 1


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_one_booking_tapped_twice_at_once_books_once(app, store, db, attempt):
    """The same booking sent twice at the same moment (a new car, so its customer is made too): one
    appointment, one customer, and the second tap is told the car is booked that day."""
    sun = factories.person(store, "sun")
    db.session.commit()
    form = {"plate": f"沪C{attempt}6789", "name": "赵敏", "mobile": f"1370000{attempt}333", "model": "探岳",
            "day": "2026-12-08", "advisor_id": str(sun.id), "slot": "10:00", "work_wanted": "保养",
            "canned_job_id": ""}
    with clock.frozen(MONDAY):
        first, second = signed_in(app, sun), signed_in(app, sun)
        answers = at_once(lambda: first.post("/reception/appointments/new", data=form),
                          lambda: second.post("/reception/appointments/new", data=form))
    assert _statuses(answers) == [302, 422]
    refused = next(a for a in answers if a.status_code == 422).get_data(as_text=True)
    assert form["plate"] in refused and "保养" in refused
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_a_car_on_file_booked_twice_at_once_is_booked_once(app, store, db, attempt):
    """Two advisors booking the same car for the same day at the same moment: one appointment, and
    the other is told the car is booked that day (PostgreSQL booked it twice)."""
    sun, li = factories.person(store, "sun"), factories.person(store, "li")
    car = factories.vehicle(store)
    db.session.commit()
    sun_id, li_id = sun.id, li.id
    form = {"plate": car.plate, "day": "2026-12-08", "slot": "10:00", "work_wanted": "保养", "canned_job_id": ""}
    with clock.frozen(MONDAY):
        first, second = signed_in(app, sun), signed_in(app, li)
        answers = at_once(
            lambda: first.post("/reception/appointments/new", data={**form, "advisor_id": str(sun_id)}),
            lambda: second.post("/reception/appointments/new", data={**form, "advisor_id": str(li_id)}))
    assert _statuses(answers) == [302, 422]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_a_conflict_no_view_expected_is_a_409_that_keeps_what_was_typed(app, client, login_as, db, monkeypatch):
    """The safety net: an IntegrityError escaping a view becomes the 409 page with the typed values
    and a button to send them again (the htmx answer: a toast, nothing swapped)."""
    from intranet.core import services

    login_as(Role.ADVISOR)

    def taken(**_kwargs):
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: customer.mobile"))

    monkeypatch.setattr(services, "create_customer", taken)
    form = {"name": "王芳", "mobile": "13900003333", "plate": "沪D12345", "model": "速腾",
            "preferred_contact_time": "any", "note": "下午来"}
    answer = client.post("/records/customers/new", data=form)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 409 and 'data-testid="kept"' in body
    assert "下午来" in body and 'value="13900003333"' in body  # kept, and ready to send again
    htmx = client.post("/records/customers/new", data=form, headers={"HX-Request": "true"})
    assert htmx.status_code == 409 and htmx.headers["HX-Reswap"] == "none" and "toast" in htmx.headers["HX-Trigger"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_nul_character_is_refused_at_the_door_keeping_what_was_typed(client, login_as, db):
    """A NUL (PostgreSQL refuses it in text: a 500 on 10 endpoints) is refused before any view: a 400
    page showing what was typed — never a password — or a toast for htmx; nothing is saved."""
    anonymous = client.post("/login", data={"username": "sun\x00", "password": "my-secret-1"})
    assert anonymous.status_code == 400 and "my-secret-1" not in anonymous.get_data(as_text=True)
    login_as(Role.ADVISOR)
    form = {"name": "王芳", "mobile": "13900005555", "plate": "沪D54321", "model": "速腾",
            "preferred_contact_time": "any", "note": "下午来\x00取车"}
    page = client.post("/records/customers/new", data=form)
    body = page.get_data(as_text=True)
    assert page.status_code == 400 and 'data-testid="kept"' in body and 'value="13900005555"' in body
    htmx = client.post("/records/customers/new", data=form, headers={"HX-Request": "true"})
    assert htmx.status_code == 400 and htmx.headers["HX-Reswap"] == "none"
    assert client.get("/reception/ro/99999999999999999999").status_code == 404
    assert client.get("/care/complaints/?page=99999999999999999999").status_code in (200, 404)
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
