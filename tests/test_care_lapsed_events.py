"""Lapsed customers and store events: the month's win-back list (made once, shared among the
agents, on real Redis too), the outcome of each call with one of the seven causes, the statistics
by cause; events created for a future day, customers invited by filters once each, the
invitations sent two weeks ahead once, and the replies. Pages are read in English."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from intranet import clock
from intranet.care import events, lapsed
from intranet.care.models import (
    CareEvent, EventInvitation, InvitationReply, LostCause, OutgoingMessage, StoreEvent, WinBackCall, WinBackStatus,
)
from intranet.care.settings import settings_for
from intranet.core.models import Role
from intranet.errors import Conflict, DomainError, NotFound
from intranet.jobs import queue
from tests import factories
from tests.conftest import queries_for

TODAY = date(2026, 11, 24)


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), "Asia/Shanghai")


NOW = at_local(TODAY, 10)


@pytest.fixture
def agents(db, store):
    settings_for(store.id)  # lapsed after 12 months, invitations 14 days ahead
    db.session.commit()
    return [factories.person(store, "zhu"), factories.person(store, "zhou")]


@pytest.fixture
def agent_client(client, agents):
    client.fetch_csrf()
    client.post("/login", data={"username": "zhu", "password": "password123", "csrf_token": client.csrf_token})
    client.post("/language/en", data={"next": "/"})
    client.fetch_csrf("/care/lapsed/")
    return client


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def customer_seen(make_customer, db, months_ago: float, **kwargs):
    customer = make_customer(**kwargs)
    customer.last_visit_on = TODAY - timedelta(days=int(months_ago * 30.5))
    db.session.commit()
    return customer


# ---------------------------------------------------------------- lapsed customers
def test_months_since_counts_whole_months():
    assert lapsed.months_since(date(2025, 11, 24), TODAY) == 12
    assert lapsed.months_since(date(2025, 11, 25), TODAY) == 11
    assert lapsed.months_since(None, TODAY) is None


def test_lapsed_and_retained_are_split_at_the_stores_months(db, store, agents, make_customer):
    old = customer_seen(make_customer, db, 13)
    customer_seen(make_customer, db, 6)
    make_customer()  # never visited: neither
    rows, total = lapsed.lapsed_customers(store.id, TODAY)
    assert total == 1 and rows[0].customer.id == old.id and rows[0].months == 13
    assert lapsed.retained_count(store.id, TODAY) == (1, 1)


def test_the_months_list_is_made_once_shared_and_leaves_out_natural_and_recently_reached(
        db, store, agents, make_customer):
    lapsed_ones = [customer_seen(make_customer, db, 13 + i) for i in range(4)]
    moved = customer_seen(make_customer, db, 20)
    moved.lost_cause = LostCause.NATURAL
    reached_before = customer_seen(make_customer, db, 30)
    db.session.add(WinBackCall(store_id=store.id, customer_id=reached_before.id, list_month=date(2026, 9, 1),
                               status=WinBackStatus.REACHED, lost_cause=LostCause.MARKET))
    customer_seen(make_customer, db, 3)
    db.session.commit()

    assert lapsed.make_win_back_list(store.id, TODAY) == 4
    assert lapsed.make_win_back_list(store.id, TODAY + timedelta(days=3)) == 0  # same month: nothing new
    db.session.commit()
    rows = db.session.scalars(select(WinBackCall).where(WinBackCall.list_month == date(2026, 11, 1))).all()
    assert {r.customer_id for r in rows} == {c.id for c in lapsed_ones}
    assert sorted(func_count for func_count in _per_agent(db).values()) == [2, 2]
    assert all(r.last_visit_on and r.status == WinBackStatus.TO_CALL for r in rows)
    assert count(db, CareEvent, CareEvent.subject == "win_back") == 4


def _per_agent(db):
    return dict(db.session.execute(select(WinBackCall.agent_id, func.count()).where(
        WinBackCall.list_month == date(2026, 11, 1)).group_by(WinBackCall.agent_id)).all())


def test_the_win_back_job_on_the_first_makes_the_list_once_on_real_redis(db, store, agents, make_customer,
                                                                          redis_conn):
    customer_seen(make_customer, db, 14)
    first = date(2026, 12, 1)

    def run_job(moment):
        with clock.frozen(moment):
            queue.enqueue("care-win-back-list")
            db.session.commit()
            assert SimpleWorker(["low"], connection=redis_conn).work(burst=True)
        db.session.remove()

    run_job(at_local(first, 2, 40))
    run_job(at_local(first, 3, 0))
    assert db.session.execute(select(WinBackCall.list_month, func.count()).group_by(WinBackCall.list_month)).all() == [
        (first, 1)]


def test_reached_needs_one_of_the_seven_causes(db, store, agents, make_customer):
    customer = customer_seen(make_customer, db, 14)
    lapsed.make_win_back_list(store.id, TODAY)
    call = db.session.scalar(select(WinBackCall))
    for bad in (None, "", "weather"):
        with pytest.raises(DomainError) as refused:
            lapsed.record_outcome(call.id, store_id=store.id, actor_id=agents[0].id, reached=True, lost_cause=bad)
        assert refused.value.field == "lost_cause"
    lapsed.record_outcome(call.id, store_id=store.id, actor_id=agents[0].id, reached=False, note="无人接听")
    lapsed.record_outcome(call.id, store_id=store.id, actor_id=agents[0].id, reached=False)
    assert (call.status, call.attempts) == (WinBackStatus.NOT_REACHED, 2)
    lapsed.record_outcome(call.id, store_id=store.id, actor_id=agents[0].id, reached=True,
                          lost_cause="competitor", will_return="yes", note="家附近新开了一家店")
    assert (call.status, call.lost_cause, call.will_return, call.attempts) == ("reached", "competitor", True, 3)
    assert customer.lost_cause == LostCause.COMPETITOR
    with pytest.raises(Conflict):
        lapsed.record_outcome(call.id, store_id=store.id, actor_id=agents[0].id, reached=False)
    with pytest.raises(NotFound):
        lapsed.record_outcome(999999, store_id=store.id, actor_id=agents[0].id, reached=False)


def test_a_customer_who_visits_after_the_list_has_come_back(db, store, agents, make_customer):
    customer = customer_seen(make_customer, db, 14)
    lapsed.make_win_back_list(store.id, TODAY)
    call = db.session.scalar(select(WinBackCall))
    lapsed.record_outcome(call.id, store_id=store.id, actor_id=agents[0].id, reached=True, lost_cause="market",
                          will_return="yes")
    customer.last_visit_on = TODAY + timedelta(days=2)
    assert lapsed.mark_won_back(store.id) == 1
    assert call.status == WinBackStatus.WON_BACK
    assert lapsed.mark_won_back(store.id) == 0


def test_statistics_count_each_cause_and_its_share(db, store, agents, make_customer):
    causes = ["competitor", "competitor", "market", "quality"]
    for _ in range(6):
        customer_seen(make_customer, db, 15)
    lapsed.make_win_back_list(store.id, TODAY)
    calls = db.session.scalars(select(WinBackCall).order_by(WinBackCall.id)).all()
    for call, cause in zip(calls, causes, strict=False):
        lapsed.record_outcome(call.id, store_id=store.id, actor_id=agents[0].id, reached=True, lost_cause=cause,
                              will_return="yes" if cause == "market" else None)
    lapsed.record_outcome(calls[4].id, store_id=store.id, actor_id=agents[0].id, reached=False)
    stats = lapsed.statistics(store.id, date(2026, 11, 1), date(2026, 11, 1))
    lines = {line.cause.value: (line.count, line.share) for line in stats.causes}
    assert lines["competitor"] == (2, 50) and lines["market"][1] == 25 and lines["trust"] == (0, 0)
    assert (stats.listed, stats.called, stats.reached, stats.with_cause, stats.will_return) == (6, 5, 4, 4, 1)
    assert stats.reach_rate == Decimal("66.7") and len(stats.causes) == 7


def test_the_outcome_over_htmx_refuses_reached_without_a_cause(db, store, agents, agent_client, make_customer):
    customer_seen(make_customer, db, 14)
    lapsed.make_win_back_list(store.id, TODAY)
    db.session.commit()
    call = db.session.scalar(select(WinBackCall))
    with clock.frozen(NOW):
        refused = agent_client.post(f"/care/lapsed/calls/{call.id}", data={"reached": "1", "lost_cause": ""},
                                    headers={"HX-Request": "true"})
        assert refused.status_code == 422 and "toast" in refused.headers["HX-Trigger"]
        assert "Choose why" in refused.get_data(as_text=True)
        done = agent_client.post(f"/care/lapsed/calls/{call.id}",
                                 data={"reached": "1", "lost_cause": "neglect", "will_return": "no"},
                                 headers={"HX-Request": "true"})
    assert done.status_code == 200 and f'id="win-back-{call.id}"' in done.get_data(as_text=True)
    db.session.expire_all()
    assert (call.status, call.lost_cause, call.will_return) == ("reached", "neglect", False)
    assert agent_client.post("/care/lapsed/calls/999999", data={"reached": "0"}).status_code == 404


def test_the_pages_show_the_list_the_statistics_with_the_formula_and_stay_flat(db, store, agents, agent_client,
                                                                               make_customer):
    def add(n):
        for _ in range(n):
            customer_seen(make_customer, db, 16)
        lapsed.make_win_back_list(store.id, TODAY)
        db.session.commit()

    with clock.frozen(NOW):
        add(2)
        few = [queries_for(db, agent_client, url) for url in
               ("/care/lapsed/?who=all", "/care/lapsed/?tab=customers", "/care/lapsed/?tab=stats")]
        add(10)
        many = [queries_for(db, agent_client, url) for url in
                ("/care/lapsed/?who=all", "/care/lapsed/?tab=customers", "/care/lapsed/?tab=stats")]
        listed = agent_client.get("/care/lapsed/?who=all").get_data(as_text=True)
        stats = agent_client.get("/care/lapsed/?tab=stats").get_data(as_text=True)
    assert few == many
    assert len(re.findall(r'data-testid="win-back-\d+"', listed)) == 12
    assert "Share of a cause" in stats and 'data-testid="cause-staff_left"' in stats


def test_making_the_list_from_the_page_says_when_nothing_was_added(db, store, agents, agent_client, make_customer):
    customer_seen(make_customer, db, 14)
    with clock.frozen(NOW):
        first = agent_client.post("/care/lapsed/list", follow_redirects=True).get_data(as_text=True)
        again = agent_client.post("/care/lapsed/list", follow_redirects=True).get_data(as_text=True)
    assert "1 customer added" in first and "already made" in again
    assert count(db, WinBackCall) == 1


# ---------------------------------------------------------------- events
def new_event(store, agents, *, held_on=TODAY + timedelta(days=20), today=TODAY, **kwargs):
    return events.create_event(store_id=store.id, actor_id=agents[0].id, title=kwargs.pop("title", "冬季免费检测日"),
                               held_on=held_on, today=today, **kwargs)


def test_an_event_in_the_past_is_refused(db, store, agents):
    with pytest.raises(DomainError) as refused:
        new_event(store, agents, held_on=TODAY - timedelta(days=1))
    assert refused.value.field == "held_on"
    with pytest.raises(DomainError) as untitled:
        new_event(store, agents, title="  ")
    assert untitled.value.field == "title"
    assert new_event(store, agents, held_on=TODAY).held_on == TODAY  # today is fine


def test_the_form_refuses_a_past_day_and_keeps_what_was_typed(db, store, agents, agent_client):
    with clock.frozen(NOW):
        refused = agent_client.post("/care/events/new", data={"title": "新能源车主用车讲堂", "held_on": "2026-11-01",
                                                              "place": "展厅二楼"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "in the past" in body and 'value="新能源车主用车讲堂"' in body and 'value="展厅二楼"' in body
    assert count(db, StoreEvent) == 0
    with clock.frozen(NOW):
        made = agent_client.post("/care/events/new", data={"title": "新能源车主用车讲堂", "held_on": "2026-12-20"})
    assert made.status_code == 302 and count(db, StoreEvent) == 1


def test_inviting_by_filters_skips_customers_already_invited(db, store, agents, make_customer, make_vehicle):
    event = new_event(store, agents)
    ev_owner = customer_seen(make_customer, db, 2, birthday=date(1988, 12, 3))
    make_vehicle(customer=ev_owner, model="ID.4 CROZZ PRO")
    petrol = customer_seen(make_customer, db, 8)
    make_vehicle(customer=petrol, model="迈腾 330TSI")
    customer_seen(make_customer, db, 14)  # lapsed: not in "all retained"
    first = events.invite(event.id, store_id=store.id, actor_id=agents[0].id, audience=events.Audience(model="ID."),
                          today=TODAY)
    assert (first.invited, first.already) == (1, 0)
    everyone = events.invite(event.id, store_id=store.id, actor_id=agents[0].id, audience=events.Audience(),
                             today=TODAY)
    assert (everyone.invited, everyone.already) == (1, 1)
    again = events.invite(event.id, store_id=store.id, actor_id=agents[0].id, audience=events.Audience(),
                          today=TODAY)
    assert (again.invited, again.already) == (0, 2)
    recent = events.audience_ids(store.id, events.Audience(visited_within_months=3), TODAY)
    birthdays = events.audience_ids(store.id, events.Audience(birthday_month=12), TODAY)
    assert recent == [ev_owner.id] and birthdays == [ev_owner.id]
    with pytest.raises(DomainError):
        events.audience_ids(store.id, events.Audience(birthday_month=13), TODAY)
    assert count(db, EventInvitation) == 2


def test_the_invite_page_says_how_many_were_already_invited(db, store, agents, agent_client, make_customer):
    event = new_event(store, agents)
    for _ in range(3):
        customer_seen(make_customer, db, 2)
    db.session.commit()
    with clock.frozen(NOW):
        first = agent_client.post(f"/care/events/{event.id}/invite", data={}, follow_redirects=True)
        customer_seen(make_customer, db, 1)
        second = agent_client.post(f"/care/events/{event.id}/invite", data={}, follow_redirects=True)
    assert "3 customers invited." in first.get_data(as_text=True)
    text = second.get_data(as_text=True)
    assert "1 customer invited." in text and "3 were already invited and skipped." in text
    assert count(db, EventInvitation) == 4


def test_a_past_event_takes_no_more_invitations(db, store, agents, make_customer):
    event = new_event(store, agents, held_on=TODAY + timedelta(days=1))
    customer_seen(make_customer, db, 2)
    with pytest.raises(DomainError):
        events.invite(event.id, store_id=store.id, actor_id=agents[0].id, audience=events.Audience(),
                      today=TODAY + timedelta(days=2))


def test_invitations_go_out_two_weeks_ahead_once_each_and_not_without_a_mobile(
        db, store, agents, make_customer, redis_conn):
    event = new_event(store, agents, held_on=TODAY + timedelta(days=20), place="售后车间")
    with_wechat = customer_seen(make_customer, db, 2, wechat="wx_a")
    plain = customer_seen(make_customer, db, 3)
    landline = customer_seen(make_customer, db, 4)
    landline.mobile = "02158886666"
    db.session.commit()
    result = events.invite(event.id, store_id=store.id, actor_id=agents[0].id, audience=events.Audience(),
                           today=TODAY)
    db.session.commit()
    assert (result.invited, result.notified) == (3, 0)  # 20 days ahead: not yet
    wechat_id, plain_id, landline_id = with_wechat.id, plain.id, landline.id

    def run_job(day):
        with clock.frozen(at_local(day, 9, 30)):
            queue.enqueue("care-event-invitations")
            db.session.commit()
            assert SimpleWorker(["low"], connection=redis_conn).work(burst=True)
        db.session.remove()

    run_job(TODAY + timedelta(days=5))  # 15 days ahead: not yet
    assert count(db, OutgoingMessage) == 0
    run_job(TODAY + timedelta(days=6))  # 14 days ahead
    run_job(TODAY + timedelta(days=7))  # and again the next day
    sent = db.session.execute(select(OutgoingMessage.customer_id, OutgoingMessage.channel)
                              .order_by(OutgoingMessage.customer_id, OutgoingMessage.channel)).all()
    assert sent == [(wechat_id, "sms"), (wechat_id, "wechat"), (plain_id, "sms")]
    body = db.session.scalar(select(OutgoingMessage.body))
    assert "冬季免费检测日" in body and "2026-12-14" in body and "售后车间" in body
    notified = dict(db.session.execute(select(EventInvitation.customer_id, EventInvitation.notified_at)).all())
    assert notified[landline_id] is None and notified[plain_id] is not None


def test_inviting_inside_the_notice_period_sends_at_once(db, store, agents, make_customer):
    event = new_event(store, agents, held_on=TODAY + timedelta(days=10))
    customer_seen(make_customer, db, 2)
    result = events.invite(event.id, store_id=store.id, actor_id=agents[0].id, audience=events.Audience(),
                           today=TODAY)
    assert result.notified == 1 and count(db, OutgoingMessage) == 1


def test_replies_are_recorded_with_guests_and_the_capacity_is_kept(db, store, agents, make_customer):
    event = new_event(store, agents, capacity=4)
    for _ in range(3):
        customer_seen(make_customer, db, 2)
    events.invite(event.id, store_id=store.id, actor_id=agents[0].id, audience=events.Audience(), today=TODAY)
    first, second, third = db.session.scalars(select(EventInvitation).order_by(EventInvitation.id)).all()
    events.record_reply(first.id, store_id=store.id, actor_id=agents[0].id, reply="yes", guests="3")
    with pytest.raises(Conflict) as full:
        events.record_reply(second.id, store_id=store.id, actor_id=agents[0].id, reply="yes", guests="2")
    assert full.value.field == "guests"
    events.record_reply(second.id, store_id=store.id, actor_id=agents[0].id, reply="maybe", guests="2")
    events.record_reply(third.id, store_id=store.id, actor_id=agents[0].id, reply="no", note="出差")
    for bad_reply, bad_guests, field in (("", 1, "reply"), ("none", 1, "reply"), ("yes", "0", "guests"),
                                         ("yes", "11", "guests"), ("maybe", "两", "guests")):
        with pytest.raises(DomainError) as refused:
            events.record_reply(third.id, store_id=store.id, actor_id=agents[0].id, reply=bad_reply,
                                guests=bad_guests)
        assert refused.value.field == field
    counts = events.reply_counts([event.id])[event.id]
    assert (counts.invited, counts.yes, counts.maybe, counts.no, counts.none, counts.people) == (3, 1, 1, 1, 0, 3)
    assert third.guests == 0 and third.note == "出差"


def test_a_reply_to_an_unknown_invitation_is_refused(db, store, agents, agent_client, make_customer, make_user):
    with pytest.raises(NotFound):
        events.record_reply(999999, store_id=store.id, actor_id=agents[0].id, reply="yes")
    # another store's invitation is unknown here too
    from intranet.core.models import Store
    other = Store(code="TS02", name="另一家店", timezone="Asia/Shanghai")
    db.session.add(other)
    db.session.flush()
    theirs = StoreEvent(store_id=other.id, title="他们的活动", held_on=TODAY + timedelta(days=9))
    db.session.add(theirs)
    customer = customer_seen(make_customer, db, 2)
    invitation = EventInvitation(event=theirs, customer_id=customer.id)
    db.session.add(invitation)
    db.session.commit()
    with pytest.raises(NotFound):
        events.record_reply(invitation.id, store_id=store.id, actor_id=agents[0].id, reply="yes")
    answer = agent_client.post("/care/events/invitations/999999/reply", data={"reply": "yes"},
                               headers={"HX-Request": "true"})
    assert answer.status_code == 404 and "toast" in answer.headers["HX-Trigger"]
    assert agent_client.post(f"/care/events/invitations/{invitation.id}/reply", data={"reply": "yes"}).status_code == 404


def test_the_reply_buttons_answer_the_row_and_the_event_page_stays_flat(db, store, agents, agent_client,
                                                                        make_customer, make_vehicle):
    event = new_event(store, agents)
    db.session.commit()

    def invite(n):
        for _ in range(n):
            make_vehicle(customer=customer_seen(make_customer, db, 2))
        events.invite(event.id, store_id=store.id, actor_id=agents[0].id, audience=events.Audience(), today=TODAY)
        db.session.commit()

    with clock.frozen(NOW):
        invite(2)
        few = queries_for(db, agent_client, f"/care/events/{event.id}")
        invite(10)
        many = queries_for(db, agent_client, f"/care/events/{event.id}")
        index = queries_for(db, agent_client, "/care/events/")
        invitation = db.session.scalar(select(EventInvitation).order_by(EventInvitation.id))
        answer = agent_client.post(f"/care/events/invitations/{invitation.id}/reply",
                                   data={"reply": "yes", "guests": "2"}, headers={"HX-Request": "true"})
        refused = agent_client.post(f"/care/events/invitations/{invitation.id}/reply",
                                    data={"reply": "yes", "guests": "20"}, headers={"HX-Request": "true"})
    assert few == many and index
    assert answer.status_code == 200 and f'id="invitation-{invitation.id}"' in answer.get_data(as_text=True)
    assert "replyChanged" in answer.headers["HX-Trigger-After-Settle"]
    assert refused.status_code == 422 and 'value="20"' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert (invitation.reply, invitation.guests) == (InvitationReply.YES, 2)


@pytest.mark.parametrize("url", ["/care/lapsed/", "/care/events/"])
def test_advisors_do_not_open_the_care_outreach_pages(client, login_as, url):
    login_as(Role.ADVISOR)
    assert client.get(url).status_code == 403
