"""Follow-up calls: made at delivery, shared out evenly, called in their window and at the
customer's preferred time, the answers recorded, hot alerts opening a complaint and recalls until
satisfied, questions passed to the supervisor, and the job that expires calls."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from intranet import clock
from intranet.care import calls, questions
from intranet.care.models import (
    CallAttempt, CallKind, CallStatus, Complaint, ComplaintChannel, FollowUpCall, QuestionStatus,
)
from intranet.core.models import ContactTime, Notice, Role, ROStatus
from intranet.errors import Conflict, DomainError
from intranet.jobs import queue
from tests import factories
from tests.conftest import queries_for

DELIVERY_DAY = date(2026, 11, 20)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as the naive UTC the clock works in."""
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), "Asia/Shanghai")


# `people` (tests/conftest.py) makes these
pytestmark = pytest.mark.people(advisor="sun", care="zhu", director=(Role.DIRECTOR, "zhao", "赵志强"))


@pytest.fixture
def deliver(db, store, people, make_vehicle, make_customer):
    """Check a car in, make it ready, and hand it back at `at` (store time 10:00 on the day)."""

    def run(*, at: datetime | None = None, contact=ContactTime.ANY, plate=None):
        car = make_vehicle(customer=make_customer(preferred_contact_time=contact), plate=plate)
        at = at or local(DELIVERY_DAY, 10)
        ro = factories.checked_in(store, people["advisor"], car, at=at - timedelta(hours=3), to=ROStatus.READY,
                                  lines=[factories.labour("常规保养", "1", pay_type="warranty")], commit=False)
        factories.deliver(ro, people["advisor"], at=at)
        return ro

    return run


def first_call(ro) -> FollowUpCall:
    from intranet.extensions import db

    return db.session.scalar(select(FollowUpCall).where(FollowUpCall.repair_order_id == ro.id,
                                                        FollowUpCall.kind == CallKind.FIRST))


def test_delivery_makes_the_first_call_once_and_records_the_visit(db, store, people, deliver):
    ro = deliver()
    call = first_call(ro)
    assert call.status == CallStatus.DUE and call.agent_id == people["care"].id
    assert (call.due_from, call.due_until, call.expires_on) == (date(2026, 11, 21), date(2026, 11, 23),
                                                                date(2026, 11, 28))
    assert call.customer.last_visit_on == DELIVERY_DAY
    assert ro.vehicle.last_service_on == DELIVERY_DAY
    assert ro.vehicle.next_service_on == date(2027, 5, 20)  # six months, no mileage history yet
    calls.on_delivered(ro.id)  # a second delivery signal changes nothing
    db.session.commit()
    assert db.session.scalar(select(func.count(FollowUpCall.id))) == 1


def test_new_calls_go_to_the_agent_with_the_fewest_due(db, store, people, make_user, deliver):
    second = make_user(Role.CARE, username="li")
    for _ in range(4):
        deliver()
    per_agent = dict(db.session.execute(select(FollowUpCall.agent_id, func.count()).group_by(FollowUpCall.agent_id)).all())
    assert per_agent == {people["care"].id: 2, second.id: 2}


def test_the_queue_shows_a_call_from_day_one_at_the_customers_time(db, store, people, deliver):
    ro = deliver(contact=ContactTime.MORNING)
    assert calls.call_queue(store.id, local(DELIVERY_DAY, 16)) == []  # delivery day: not yet
    morning = calls.call_queue(store.id, local(date(2026, 11, 21), 10), agent_id=people["care"].id)
    assert [e.call.repair_order_id for e in morning] == [ro.id] and morning[0].callable_now
    afternoon = calls.call_queue(store.id, local(date(2026, 11, 21), 15))
    assert not afternoon[0].callable_now and afternoon[0].next_window == (time(9), time(12))
    late = calls.call_queue(store.id, local(date(2026, 11, 25), 10))
    assert late[0].late
    assert calls.call_queue(store.id, local(date(2026, 11, 29), 10)) == []  # past its expiry


def test_a_call_outside_the_preferred_time_needs_a_reason(db, store, people, deliver):
    call = first_call(deliver(contact=ContactTime.MORNING))
    args = {"store_id": store.id, "actor_id": people["care"].id}
    with clock.frozen(local(date(2026, 11, 21), 15)):
        with pytest.raises(DomainError) as refused:
            calls.record_not_reached(call.id, outcome="no_answer", retry_at=None, **args)
        assert refused.value.field == "override_reason" and "09:00" in str(refused.value.message)
        db.session.rollback()
        calls.record_not_reached(call.id, outcome="no_answer", retry_at=None,
                                 override_reason="客户来电要求下午回电", **args)
        db.session.commit()
    attempt = db.session.scalar(select(CallAttempt))
    assert attempt.outside_preferred_time and attempt.override_reason == "客户来电要求下午回电"


def test_not_reached_waits_for_the_retry_time(db, store, people, deliver):
    call = first_call(deliver())
    args = {"store_id": store.id, "actor_id": people["care"].id}
    now = local(date(2026, 11, 21), 10)
    with clock.frozen(now):
        for bad, field in (("", "outcome"), ("reached", "outcome"), ("hung up", "outcome")):
            with pytest.raises(DomainError) as refused:
                calls.record_not_reached(call.id, outcome=bad, retry_at=None, **args)
            assert refused.value.field == field
        with pytest.raises(DomainError) as past:
            calls.record_not_reached(call.id, outcome="busy", retry_at=now - timedelta(minutes=1), **args)
        assert past.value.field == "retry_at"
        calls.record_not_reached(call.id, outcome="no_answer", retry_at=None, note="无人接听", **args)
        db.session.commit()
    assert call.status == CallStatus.DUE and call.attempts == 1 and call.retry_at == now + timedelta(minutes=120)
    assert not calls.call_queue(store.id, now + timedelta(minutes=60))[0].callable_now
    assert calls.call_queue(store.id, now + timedelta(minutes=121))[0].callable_now


def test_a_stale_form_is_refused(db, store, people, deliver):
    call = first_call(deliver())
    args = {"store_id": store.id, "actor_id": people["care"].id}
    with clock.frozen(local(date(2026, 11, 21), 10)):
        stale = call.version
        calls.record_not_reached(call.id, outcome="no_answer", retry_at=None, version=stale, **args)
        db.session.commit()
        with pytest.raises(Conflict):
            calls.record_reached(call.id, answers=calls.Answers("satisfied"), version=stale, **args)


def test_a_satisfied_first_call_brings_the_second_a_week_later(db, store, people, deliver):
    ro = deliver()
    call = first_call(ro)
    args = {"store_id": store.id, "actor_id": people["care"].id}
    with clock.frozen(local(date(2026, 11, 22), 10)):
        with pytest.raises(DomainError) as no_answer:
            calls.record_reached(call.id, answers=calls.Answers(None), **args)
        assert no_answer.value.field == "satisfaction"
        calls.record_reached(call.id, answers=calls.Answers(
            "satisfied", {"reception": "satisfied", "quality": "satisfied", "time": "neutral"}, "挺好"), **args)
        db.session.commit()
    assert call.status == CallStatus.DONE and call.score_time == "neutral" and call.score_price is None
    second = db.session.scalar(select(FollowUpCall).where(FollowUpCall.kind == CallKind.SECOND))
    assert (second.due_from, second.agent_id) == (date(2026, 11, 29), people["care"].id)
    assert db.session.scalar(select(func.count(Complaint.id))) == 0
    with pytest.raises(Conflict):
        calls.record_reached(call.id, answers=calls.Answers("satisfied"), **args)


def test_a_dissatisfied_answer_opens_a_complaint_and_recalls_until_satisfied(db, store, people, deliver):
    ro = deliver()
    call = first_call(ro)
    args = {"store_id": store.id, "actor_id": people["care"].id}
    with clock.frozen(local(date(2026, 11, 21), 10)):
        with pytest.raises(DomainError) as why:
            calls.record_reached(call.id, answers=calls.Answers("neutral", {"quality": "dissatisfied"}), **args)
        assert why.value.field == "comments"
        db.session.rollback()
        calls.record_reached(call.id, answers=calls.Answers(
            "neutral", {"quality": "dissatisfied"}, "保养后发动机有异响"), **args)
        db.session.commit()
    complaint = db.session.scalar(select(Complaint))
    assert complaint.channel == ComplaintChannel.FOLLOW_UP and complaint.category == "quality"
    assert complaint.repair_order_id == ro.id and call.complaint_id == complaint.id
    director_notices = db.session.scalars(select(Notice.kind).where(Notice.user_id == people["director"].id)).all()
    assert "care_hot_alert" in director_notices
    recall = db.session.scalar(select(FollowUpCall).where(FollowUpCall.kind == CallKind.RECALL))
    assert (recall.round, recall.due_from, recall.complaint_id) == (1, date(2026, 11, 22), complaint.id)
    with clock.frozen(local(date(2026, 11, 22), 10)):
        queue_now = calls.call_queue(store.id, clock.utcnow())
        assert queue_now[0].call.id == recall.id  # recalls first
        calls.record_reached(recall.id, answers=calls.Answers("dissatisfied", {}, "还是有异响"), **args)
        db.session.commit()
    again = db.session.scalar(select(FollowUpCall).where(FollowUpCall.kind == CallKind.RECALL,
                                                         FollowUpCall.round == 2))
    assert again is not None and db.session.scalar(select(func.count(Complaint.id))) == 1
    with clock.frozen(local(date(2026, 11, 23), 10)):
        calls.record_reached(again.id, answers=calls.Answers("satisfied", {}, "已解决"), **args)
        db.session.commit()
    assert db.session.scalar(select(func.count(FollowUpCall.id)).where(FollowUpCall.kind == CallKind.RECALL)) == 2
    assert db.session.scalar(select(func.count(FollowUpCall.id)).where(FollowUpCall.kind == CallKind.SECOND)) == 0


def test_the_job_expires_calls_once_through_rq(db, store, people, deliver, redis_conn):
    ro_id = deliver().id

    def run_at(moment):
        with clock.frozen(moment):
            queue.enqueue("care-follow-up")
            db.session.commit()
            assert SimpleWorker(["default"], connection=redis_conn).work(burst=True)
        db.session.remove()

    def call_status():
        return db.session.scalar(select(FollowUpCall.status).where(FollowUpCall.repair_order_id == ro_id))

    run_at(local(date(2026, 11, 28), 23))
    assert call_status() == CallStatus.DUE  # the last day of its window
    run_at(local(date(2026, 11, 29), 1))
    run_at(local(date(2026, 11, 29), 2))
    assert call_status() == CallStatus.EXPIRED
    from intranet.care.models import CareEvent

    assert db.session.scalar(select(func.count(CareEvent.id)).where(
        CareEvent.subject == "call", CareEvent.to_status == "expired")) == 1


def test_a_question_goes_to_the_supervisor_who_answers_and_the_agent_tells(db, store, people, deliver, redis_conn):
    call = first_call(deliver())
    care_id, director_id = people["care"].id, people["director"].id
    with clock.frozen(local(date(2026, 11, 21), 10)):
        with pytest.raises(DomainError):
            questions.ask_supervisor(store_id=store.id, actor_id=care_id, call_id=call.id, question="  ")
        question = questions.ask_supervisor(store_id=store.id, actor_id=care_id, call_id=call.id,
                                            question="保修期内的异响能否免费处理？")
        db.session.commit()
    assert question.supervisor_id == director_id and question.due_at == local(date(2026, 11, 23), 10)
    question_id = question.id
    with pytest.raises(Conflict):
        questions.answer(question.id, store_id=store.id, actor_id=care_id, answer_text="可以")
    with pytest.raises(DomainError):
        questions.answer(question.id, store_id=store.id, actor_id=director_id, answer_text="")
    # past its due time: the supervisor is reminded once, however often the job runs
    for hour in (11, 12):
        with clock.frozen(local(date(2026, 11, 23), hour)):
            queue.enqueue("care-follow-up")
            db.session.commit()
            SimpleWorker(["default"], connection=redis_conn).work(burst=True)
        db.session.remove()
    assert db.session.scalar(select(func.count(Notice.id)).where(Notice.kind == "care_question_late")) == 1
    questions.answer(question_id, store_id=store.id, actor_id=director_id, answer_text="保修期内免费检查处理")
    db.session.commit()
    assert db.session.scalar(select(Notice).where(Notice.kind == "care_question_answered")).user_id == care_id
    questions.mark_told(question_id, store_id=store.id, actor_id=care_id)
    db.session.commit()
    assert questions.get_question(question_id, store.id).status == QuestionStatus.TOLD


# ---------------------------------------------------------------- the pages
def login(client, user):
    client.fetch_csrf()
    response = client.post("/login", data={"username": user.username, "password": "password123",
                                           "csrf_token": client.csrf_token})
    assert response.status_code == 302
    client.fetch_csrf("/")


def test_the_call_page_shows_the_filled_script_and_saves_a_hot_alert(client, db, store, people, deliver):
    ro = deliver()
    call = first_call(ro)
    login(client, people["care"])
    with clock.frozen(local(date(2026, 11, 21), 10)):
        page = client.get(f"/care/calls/{call.id}").get_data(as_text=True)
        assert call.customer.name in page and store.name in page and "常规保养" in page and "11-20" in page
        refused = client.post(f"/care/calls/{call.id}/reached",
                              data={"satisfaction": "dissatisfied", "version": call.version, "comments": ""})
        assert refused.status_code == 422 and 'name="satisfaction" value="dissatisfied" checked' in \
            refused.get_data(as_text=True)
        done = client.post(f"/care/calls/{call.id}/reached",
                           data={"satisfaction": "dissatisfied", "version": call.version,
                                 "topic_time": "dissatisfied", "comments": "交车比承诺晚了两小时"})
    complaint = db.session.scalar(select(Complaint))
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/care/complaints/{complaint.id}")
    assert complaint.category == "time"


def test_the_queue_costs_the_same_queries_for_few_and_many(client, db, store, people, deliver):
    login(client, people["director"])
    for _ in range(3):
        deliver()
    with clock.frozen(local(date(2026, 11, 21), 10)):
        few = queries_for(db, client, "/care/calls/?who=all")
    for _ in range(12):
        deliver()
    with clock.frozen(local(date(2026, 11, 21), 10)):
        many = queries_for(db, client, "/care/calls/?who=all")
        page = client.get("/care/calls/?who=all").get_data(as_text=True)
    assert few == many
    assert page.count('data-testid="call-') >= 15


@pytest.mark.parametrize("role, status", [(Role.CARE, 200), (Role.DIRECTOR, 200), (Role.MANAGER, 200),
                                          (Role.TECHNICIAN, 403), (Role.ADVISOR, 403)])
def test_who_may_open_the_calls(client, login_as, role, status):
    login_as(role)
    assert client.get("/care/calls/").status_code == status
    assert client.get("/care/questions/").status_code == status
