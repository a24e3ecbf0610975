"""Reminders: the nightly job finds the cars due for maintenance, inspection and insurance renewal
and the customers' birthdays, makes one reminder per occasion and step whatever the reruns (on
real Redis too), shares them among the care agents, and queues one message per channel; the
outgoing box sends through the gateway, records failures and retries; the task list closes them.
Pages are read in English (the new strings are not translated yet)."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from intranet import clock
from intranet.care import gateway, reminders
from intranet.care.gateway import GatewayError, RecordingGateway
from intranet.care.models import (
    CareEvent, CareReminder, MessageStatus, OutgoingMessage, ReminderKind, ReminderStatus,
)
from intranet.care.settings import settings_for
from intranet.core.models import Role
from intranet.errors import DomainError, IllegalTransition
from intranet.jobs import queue
from tests import factories
from tests.conftest import queries_for

TODAY = date(2026, 11, 24)  # a Tuesday


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), "Asia/Shanghai")


NOW = at_local(TODAY, 10)


@pytest.fixture
def agents(db, store):
    settings_for(store.id)
    store.phone = "021-5888 6666"
    db.session.commit()
    return [factories.person(store, "zhu"), factories.person(store, "zhou")]


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def run(db, store, day: date) -> int:
    with clock.frozen(at_local(day, 2, 10)):
        made = reminders.make_reminders(store.id, day)
        db.session.commit()
    return made


def english(client):
    client.post("/language/en", data={"next": "/"})


# ---------------------------------------------------------------- what is due, once
def test_each_step_is_made_once_and_only_the_latest_step_reached(db, store, agents, make_vehicle):
    car = make_vehicle(plate="沪A12345")
    car.insurance_expires_on = TODAY + timedelta(days=20)  # steps 30/15/7: the 30-day step is reached
    late = make_vehicle()
    late.insurance_expires_on = TODAY + timedelta(days=5)  # first seen 5 days before: only the 7-day step
    far = make_vehicle()
    far.insurance_expires_on = TODAY + timedelta(days=31)  # not yet
    gone = make_vehicle()
    gone.insurance_expires_on = TODAY - timedelta(days=1)  # passed: nothing
    db.session.commit()

    assert run(db, store, TODAY) == 2
    assert run(db, store, TODAY) == 0  # rerun
    rows = {r.vehicle_id: r for r in db.session.scalars(select(CareReminder))}
    assert set(rows) == {car.id, late.id}
    first = rows[car.id]
    # the 30-day step's day passed 10 days ago: made today, it is due today, not 10 days back
    assert (first.kind, first.occasion_on, first.due_on) == ("insurance", TODAY + timedelta(days=20), TODAY)
    assert first.occasion == f"{(TODAY + timedelta(days=20)).isoformat()}/30/{car.id}"
    assert rows[late.id].occasion.split("/")[1] == "7"
    assert count(db, CareEvent, CareEvent.subject == "reminder") == 2


def test_a_reminder_made_after_its_step_is_due_today_and_not_overdue_on_its_first_day(
        db, store, agents, make_vehicle, client, login_as):
    """A 30-day insurance reminder for a policy 20 days out: due the day it is made, not red, not
    counted overdue on that day; still open the next day, it is overdue by then."""
    with clock.frozen(at_local(TODAY, 1)):
        car = make_vehicle(plate="沪A20000")  # the customer and the car are new today (an import)
        car.insurance_expires_on = TODAY + timedelta(days=20)
        db.session.commit()
    run(db, store, TODAY)
    reminder = db.session.scalar(select(CareReminder))
    assert reminder.due_on == TODAY
    assert reminder.due_on >= clock.to_store_time(reminder.customer.created_at, "Asia/Shanghai").date()
    assert reminder.due_on >= clock.to_store_time(reminder.created_at, "Asia/Shanghai").date()
    assert reminders.agent_counts(store.id, TODAY) == [(reminder.agent_id, 1, 0)]
    assert reminders.agent_counts(store.id, TODAY + timedelta(days=1)) == [(reminder.agent_id, 1, 1)]
    login_as(Role.CARE)
    english(client)
    with clock.frozen(NOW):
        page = client.get("/care/reminders/?who=all").get_data(as_text=True)
    row = re.search(r'<li class="rem-row([^"]*)" id="reminder-%d"' % reminder.id, page)
    assert row and "is-late" not in row.group(1)
    assert "overdue" not in page
    with clock.frozen(at_local(TODAY + timedelta(days=1), 10)):
        page = client.get("/care/reminders/?who=all").get_data(as_text=True)
    assert "is-late" in re.search(r'<li class="rem-row([^"]*)" id="reminder-%d"' % reminder.id, page).group(1)


def test_a_service_planned_within_its_lead_time_is_due_the_night_it_is_planned(db, store, agents, make_vehicle):
    """The service-due planning (a delivery) puts a high-mileage car's next service 10 days out; the
    14-day step's day passed before the plan existed: the reminder is due that night's day."""
    from intranet.care.service_due import record_service
    settings = settings_for(store.id)
    settings.maintenance_days_before = "14"
    car = make_vehicle()
    car.last_odometer_km, car.last_odometer_at = 50_000, at_local(TODAY, 9)
    car.next_service_km, car.km_per_day = None, Decimal("500")
    car.service_interval_km = 5_000
    with clock.frozen(at_local(TODAY, 16)):
        due = record_service(car, settings, TODAY)
        db.session.commit()
    assert due.by_km == TODAY + timedelta(days=10) and car.next_service_on == TODAY + timedelta(days=10)
    run(db, store, TODAY + timedelta(days=1))
    reminder = db.session.scalar(select(CareReminder))
    assert (reminder.kind, reminder.due_on) == (ReminderKind.MAINTENANCE, TODAY + timedelta(days=1))
    assert reminders.agent_counts(store.id, TODAY + timedelta(days=1))[0][2] == 0  # not overdue


def test_a_missed_night_is_caught_up_once_and_a_newer_step_replaces_the_open_one(db, store, agents, make_vehicle):
    car = make_vehicle()
    car.inspection_due_on = TODAY + timedelta(days=30)
    db.session.commit()
    run(db, store, TODAY)  # the 30-day step
    # the 15-day step fell on TODAY+15, but the job did not run until the day after
    assert run(db, store, TODAY + timedelta(days=16)) == 1
    assert run(db, store, TODAY + timedelta(days=16)) == 0
    steps = {r.occasion.split("/")[1]: r for r in db.session.scalars(select(CareReminder))}
    assert set(steps) == {"30", "15"}
    # made a day late, it is due the day it is made
    assert steps["15"].due_on == TODAY + timedelta(days=16) and steps["15"].status == ReminderStatus.OPEN
    assert steps["30"].status == ReminderStatus.DISMISSED  # replaced: one open reminder per occasion
    assert steps["30"].outcome


def test_a_done_step_stays_done_and_the_next_step_still_comes(db, store, agents, make_vehicle):
    car = make_vehicle()
    car.insurance_expires_on = TODAY + timedelta(days=15)
    db.session.commit()
    run(db, store, TODAY)
    first = db.session.scalar(select(CareReminder))
    reminders.complete(first.id, store_id=store.id, actor_id=agents[0].id, outcome="客户比价中")
    db.session.commit()
    run(db, store, TODAY + timedelta(days=8))
    statuses = sorted((r.occasion.split("/")[1], r.status) for r in db.session.scalars(select(CareReminder)))
    assert statuses == [("15", "done"), ("7", "open")]


def test_a_moved_date_drops_the_open_reminder(db, store, agents, make_vehicle):
    car = make_vehicle()
    car.insurance_expires_on = TODAY + timedelta(days=10)
    db.session.commit()
    run(db, store, TODAY)
    car.insurance_expires_on = date(2027, 11, 30)  # renewed elsewhere
    db.session.commit()
    run(db, store, TODAY + timedelta(days=1))
    assert db.session.scalar(select(CareReminder.status)) == ReminderStatus.DISMISSED


def test_maintenance_uses_the_next_service_date_and_its_own_steps(db, store, agents, make_vehicle):
    settings_for(store.id).maintenance_days_before = "14"
    car = make_vehicle()
    car.next_service_on = TODAY + timedelta(days=14)
    other = make_vehicle()
    other.next_service_on = TODAY + timedelta(days=15)
    db.session.commit()
    assert run(db, store, TODAY) == 1
    assert db.session.scalar(select(CareReminder.kind)) == ReminderKind.MAINTENANCE


def test_birthdays_match_month_and_day_across_the_year_end(db, store, agents, make_customer):
    settings_for(store.id).birthday_days_before = "3"
    new_year = make_customer(name="元旦生", birthday=date(1980, 1, 1))
    make_customer(name="太早", birthday=date(1985, 1, 3))  # 4 days ahead: not yet
    leap = make_customer(name="闰日生", birthday=date(1992, 2, 29))
    db.session.commit()
    day = date(2026, 12, 29)
    assert run(db, store, day) == 1
    reminder = db.session.scalar(select(CareReminder))
    assert (reminder.customer_id, reminder.occasion_on, reminder.due_on, reminder.vehicle_id) == (
        new_year.id, date(2027, 1, 1), date(2026, 12, 29), None)
    assert reminder.occasion == "2027-01-01/3"
    # 29 February is remembered on the 28th in a common year
    assert run(db, store, date(2027, 2, 26)) == 1
    leap_reminder = db.session.scalar(select(CareReminder).where(CareReminder.customer_id == leap.id))
    assert leap_reminder.occasion_on == date(2027, 2, 28)


def test_two_cars_of_one_customer_due_the_same_day_get_one_reminder_each(db, store, agents, make_customer,
                                                                         make_vehicle):
    owner = make_customer()
    for _ in range(2):
        make_vehicle(customer=owner).insurance_expires_on = TODAY + timedelta(days=7)
    db.session.commit()
    assert run(db, store, TODAY) == 2


# ---------------------------------------------------------------- agents and messages
def test_reminders_are_shared_to_the_agent_with_fewest_open_and_a_customer_stays_with_one(
        db, store, agents, make_customer, make_vehicle):
    for i in range(4):
        car = make_vehicle()
        car.insurance_expires_on = TODAY + timedelta(days=7 + i)
    both = make_vehicle()
    both.insurance_expires_on = both.inspection_due_on = TODAY + timedelta(days=7)
    db.session.commit()
    run(db, store, TODAY)
    per_agent = dict(db.session.execute(select(CareReminder.agent_id, func.count()).group_by(CareReminder.agent_id)).all())
    assert sorted(per_agent.values()) == [3, 3]
    assert len({r.agent_id for r in db.session.scalars(select(CareReminder).where(
        CareReminder.vehicle_id == both.id))}) == 1


def test_one_sms_per_reminder_and_wechat_too_when_the_file_has_an_id(db, store, agents, make_customer, make_vehicle):
    plain = make_vehicle(plate="沪A12345", customer=make_customer(name="张伟"))
    plain.insurance_expires_on = date(2026, 12, 1)
    wechat = make_vehicle(customer=make_customer(name="李娜", wechat="wx_lina"))
    wechat.inspection_due_on = date(2026, 12, 1)
    db.session.commit()
    run(db, store, TODAY)
    run(db, store, TODAY)
    messages = db.session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.channel, OutgoingMessage.to)).all()
    assert [(m.channel, m.customer.name, m.status) for m in messages] == [
        ("sms", "张伟", "queued"), ("sms", "李娜", "queued"), ("wechat", "李娜", "queued")]
    body = messages[0].body
    assert store.name in body and "沪A12345" in body and "2026-12-01" in body and "张伟" in body
    assert "021-5888 6666" in body
    assert messages[2].to == "wx_lina" and messages[2].body == messages[1].body


def test_a_customer_without_a_valid_mobile_gets_the_reminder_marked_and_no_message(
        db, store, agents, client, login_as, make_customer, make_vehicle):
    landline = make_customer(name="王固话")
    landline.mobile = "02158886666"
    car = make_vehicle(customer=landline)
    car.insurance_expires_on = TODAY + timedelta(days=7)
    db.session.commit()
    run(db, store, TODAY)
    reminder = db.session.scalar(select(CareReminder))
    assert reminder.status == ReminderStatus.OPEN and reminder.agent_id
    assert count(db, OutgoingMessage) == 0
    director = login_as(Role.DIRECTOR)
    english(client)
    with clock.frozen(NOW):
        page = client.get("/care/reminders/?who=all&due=week").get_data(as_text=True)
    assert f'data-testid="reminder-{reminder.id}"' in page and 'data-testid="no-mobile"' in page
    assert director


# ---------------------------------------------------------------- the job on real Redis
def test_the_reminder_job_run_twice_on_real_redis_creates_each_reminder_once(
        db, store, agents, make_customer, make_vehicle, redis_conn):
    car = make_vehicle(customer=make_customer(wechat="wx_1"))
    car.insurance_expires_on = TODAY + timedelta(days=15)
    car.inspection_due_on = TODAY + timedelta(days=7)
    make_customer(birthday=date(1990, TODAY.month, TODAY.day + 2))
    db.session.commit()

    def run_job(moment):
        with clock.frozen(moment):
            queue.enqueue("care-reminders")
            db.session.commit()
            assert SimpleWorker(["low"], connection=redis_conn).work(burst=True)
        db.session.remove()

    run_job(at_local(TODAY, 2, 10))
    run_job(at_local(TODAY, 2, 40))  # run again by hand
    kinds = sorted(db.session.scalars(select(CareReminder.kind)))
    assert kinds == ["birthday", "inspection", "insurance"]
    assert count(db, OutgoingMessage) == 5  # SMS each, WeChat for the car owner's two
    assert count(db, CareEvent, CareEvent.subject == "reminder") == 3


def test_the_sender_job_sends_in_the_day_only_once_and_writes_the_log(db, app, store, agents, make_vehicle,
                                                                     redis_conn):
    car = make_vehicle(plate="沪A88888")
    car.insurance_expires_on = TODAY + timedelta(days=7)
    db.session.commit()
    run(db, store, TODAY)
    log = Path(app.config["CARE_MESSAGE_LOG"])
    log.unlink(missing_ok=True)

    def run_job(moment):
        with clock.frozen(moment):
            queue.enqueue("care-send-messages")
            db.session.commit()
            assert SimpleWorker(["default"], connection=redis_conn).work(burst=True)
        db.session.remove()

    run_job(at_local(TODAY, 2, 15))  # at night nothing goes out
    assert db.session.scalar(select(OutgoingMessage.status)) == MessageStatus.QUEUED
    run_job(at_local(TODAY, 9, 5))
    run_job(at_local(TODAY, 9, 10))
    message = db.session.scalar(select(OutgoingMessage))
    assert message.status == MessageStatus.SENT and message.gateway_ref.startswith("rec-") and message.attempts == 1
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1 and lines[0]["channel"] == "sms" and "沪A88888" in lines[0]["body"]
    assert lines[0]["ref"] == message.gateway_ref


class Flaky:
    def __init__(self, failures: int):
        self.failures, self.calls = failures, 0

    def send(self, channel, to, body):
        self.calls += 1
        if self.calls <= self.failures:
            raise GatewayError("网关超时")
        return f"ok-{self.calls}"


def test_a_failed_message_is_retried_up_to_three_times_then_waits_for_a_person(db, store, agents, make_vehicle):
    make_vehicle().insurance_expires_on = TODAY + timedelta(days=7)
    db.session.commit()
    run(db, store, TODAY)
    broken = Flaky(failures=99)
    for _ in range(5):
        gateway.send_queued_messages(gateway=broken)
    message = db.session.scalar(select(OutgoingMessage))
    assert (message.status, message.attempts, message.error) == (MessageStatus.FAILED, 3, "网关超时")
    assert broken.calls == 3
    gateway.retry(message.id, store_id=store.id)
    gateway.send_queued_messages(gateway=Flaky(failures=0))
    assert (message.status, message.attempts, message.error) == (MessageStatus.SENT, 4, None)
    with pytest.raises(DomainError):
        gateway.retry(message.id, store_id=store.id)  # only a failed message


def test_the_recording_gateway_refuses_an_unknown_channel(tmp_path):
    with pytest.raises(GatewayError):
        RecordingGateway(tmp_path / "log").send("fax", "13900000000", "hi")


# ---------------------------------------------------------------- the task list
def test_done_needs_an_outcome_and_a_closed_reminder_cannot_close_again(db, store, agents, make_vehicle):
    make_vehicle().insurance_expires_on = TODAY + timedelta(days=7)
    db.session.commit()
    run(db, store, TODAY)
    reminder = db.session.scalar(select(CareReminder))
    with pytest.raises(DomainError) as refused:
        reminders.complete(reminder.id, store_id=store.id, actor_id=agents[0].id, outcome="  ")
    assert refused.value.field == "outcome"
    reminders.complete(reminder.id, store_id=store.id, actor_id=agents[0].id, outcome="已续保")
    with pytest.raises(IllegalTransition):
        reminders.dismiss(reminder.id, store_id=store.id, actor_id=agents[0].id)
    assert [e.to_status for e in db.session.scalars(select(CareEvent).order_by(CareEvent.id))] == ["open", "done"]


def test_marking_done_over_htmx_answers_the_row_and_a_refusal_keeps_it(db, store, agents, client, make_vehicle):
    make_vehicle().insurance_expires_on = TODAY + timedelta(days=7)
    db.session.commit()
    run(db, store, TODAY)
    reminder = db.session.scalar(select(CareReminder))
    client.fetch_csrf()
    client.post("/login", data={"username": "zhu", "password": "password123", "csrf_token": client.csrf_token})
    client.fetch_csrf("/care/reminders/")
    with clock.frozen(NOW):
        refused = client.post(f"/care/reminders/{reminder.id}/done", data={"outcome": ""},
                              headers={"HX-Request": "true"})
        assert refused.status_code == 422 and "toast" in refused.headers["HX-Trigger"]
        done = client.post(f"/care/reminders/{reminder.id}/done", data={"outcome": "已预约保养"},
                           headers={"HX-Request": "true"})
    assert done.status_code == 200 and f'id="reminder-{reminder.id}"' in done.get_data(as_text=True)
    assert "reminderChanged" in done.headers["HX-Trigger-After-Settle"]
    db.session.expire_all()
    assert (reminder.status, reminder.outcome, reminder.done_by_id) == ("done", "已预约保养", agents[0].id)
    missing = client.post("/care/reminders/999999/done", data={"outcome": "x"}, headers={"HX-Request": "true"})
    assert missing.status_code == 404


def test_the_task_list_shows_mine_and_its_queries_do_not_grow(db, store, agents, client, make_vehicle):
    def add(n):
        for _ in range(n):
            make_vehicle().insurance_expires_on = TODAY + timedelta(days=7)
        db.session.commit()
        run(db, store, TODAY)

    add(2)
    client.fetch_csrf()
    client.post("/login", data={"username": "zhu", "password": "password123", "csrf_token": client.csrf_token})
    with clock.frozen(NOW):
        few = queries_for(db, client, "/care/reminders/")
        add(12)
        many = queries_for(db, client, "/care/reminders/")
        page = client.get("/care/reminders/").get_data(as_text=True)
    assert few == many
    mine = count(db, CareReminder, CareReminder.agent_id == agents[0].id)
    assert len(re.findall(r'data-testid="reminder-\d+"', page)) == mine < 14


def test_the_home_panel_lists_the_agents_reminders_in_fixed_queries(db, app, store, agents, make_vehicle):
    for i in range(3):
        make_vehicle().insurance_expires_on = TODAY + timedelta(days=7 + i)
    db.session.commit()
    run(db, store, TODAY)
    mine = reminders.my_reminders(store.id, agents[0].id, TODAY)
    assert mine.total == len(mine.rows) == count(db, CareReminder, CareReminder.agent_id == agents[0].id)
    from flask import render_template
    with app.test_request_context():
        html = render_template("core/panels/_my_reminders.html", my_reminders=mine)
    assert 'data-testid="panel-my-reminders"' in html and f"tel:{mine.rows[0].customer.mobile}" in html


def test_the_message_box_lists_and_resends_a_failed_message(db, store, agents, client, login_as, make_vehicle):
    make_vehicle().insurance_expires_on = TODAY + timedelta(days=7)
    db.session.commit()
    run(db, store, TODAY)
    gateway.send_queued_messages(gateway=Flaky(failures=99))
    db.session.commit()
    message = db.session.scalar(select(OutgoingMessage))
    login_as(Role.CARE)
    page = client.get("/care/messages/?status=failed").get_data(as_text=True)
    assert f'data-testid="retry-{message.id}"' in page
    again = client.post(f"/care/messages/{message.id}/retry", headers={"HX-Request": "true"})
    assert again.status_code == 200 and f'id="message-{message.id}"' in again.get_data(as_text=True)
    db.session.expire_all()
    assert message.status == MessageStatus.QUEUED
    twice = client.post(f"/care/messages/{message.id}/retry", headers={"HX-Request": "true"})
    assert twice.status_code == 409


@pytest.mark.parametrize("url", ["/care/reminders/", "/care/messages/"])
def test_only_care_director_and_management_open_the_outreach_pages(client, login_as, url):
    login_as(Role.ADVISOR)
    assert client.get(url).status_code == 403
