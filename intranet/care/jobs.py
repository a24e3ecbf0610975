"""Care's jobs (declared in intranet/jobs/schedule.py). Each runs in every store, as one unit of
work (`unit_of_work`: commit, or roll back and re-raise; connections of the forking worker
disposed), and is safe to rerun: what it makes is unique, what it sends is sent once."""
from __future__ import annotations

from sqlalchemy import select

from intranet import clock
from intranet.care.calls import expire_calls
from intranet.care.complaint_reminders import remind_late
from intranet.care.events import notify_due
from intranet.care.gateway import get_gateway, send_queued_messages, within_send_hours
from intranet.care.lapsed import make_win_back_list, mark_won_back
from intranet.care.questions import remind_overdue
from intranet.care.reminders import make_reminders
from intranet.core.models import Store
from intranet.extensions import db
from intranet.jobs.runtime import unit_of_work


def _stores() -> list[tuple[int, str]]:
    """(id, time zone) of every store, in id order."""
    return [tuple(row) for row in db.session.execute(select(Store.id, Store.timezone).order_by(Store.id)).all()]


@unit_of_work
def follow_up_job() -> int:
    """"care-follow-up" (every 15 minutes): expire the calls whose window passed and tell the
    supervisor once about each question past its answer time."""
    now = clock.utcnow()
    done = 0
    for store_id, tz in _stores():
        done += expire_calls(store_id, clock.store_today(tz))
        done += remind_overdue(store_id, now)
    return done


@unit_of_work
def complaint_reminders_job() -> int:
    """"care-complaint-reminders" (every 15 minutes): remind and escalate late complaint steps."""
    return sum(remind_late(store_id, clock.utcnow()) for store_id, _tz in _stores())


@unit_of_work
def reminders_job() -> int:
    """"care-reminders" (02:10): each store's reminders due today, in its own time zone, and the
    lapsed customers who came back since their win-back call."""
    made = 0
    for store_id, tz in _stores():
        made += make_reminders(store_id, clock.store_today(tz))
        mark_won_back(store_id)
    return made


@unit_of_work
def send_queued_messages_job() -> int:
    """"care-send-messages" (every 5 minutes): in each store whose day has begun, hand the queued
    messages to the gateway and retry the failed ones (up to three tries). A sent message is never
    sent again (each batch is committed as it goes)."""
    gateway = get_gateway()
    now = clock.utcnow()
    sent = 0
    for store in db.session.scalars(select(Store).order_by(Store.id)).all():
        if within_send_hours(store, now):
            sent += send_queued_messages(store_id=store.id, gateway=gateway, commit_each_batch=True)[0]
    return sent


@unit_of_work
def event_invitations_job() -> int:
    """"care-event-invitations" (daily): invitations go out two weeks before each event."""
    return sum(notify_due(store_id, clock.store_today(tz)) for store_id, tz in _stores())


@unit_of_work
def win_back_list_job() -> int:
    """"care-win-back-list" (the 1st of the month): each store's list for the new month."""
    made = 0
    for store_id, tz in _stores():
        mark_won_back(store_id)
        made += make_win_back_list(store_id, clock.store_today(tz))
    return made
