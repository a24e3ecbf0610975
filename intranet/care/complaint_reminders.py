"""Late complaint steps: the handler is reminded at the step's due time, the supervisor after the
escalation hours, management after twice that — each once (`ComplaintReminder`'s unique key). Run
by the `care-complaint-reminders` job (care/jobs.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.care.complaints import page_link
from intranet.care.models import COMPLAINT_OPEN, Complaint, ComplaintReminder
from intranet.care.settings import settings_for
from intranet.care.staff import supervisor_of
from intranet.core import notices
from intranet.core.models import Role
from intranet.core.services import get_store, holders_of
from intranet.extensions import db


def remind_late(store_id: int, now: datetime) -> int:
    """Each late step: level 0 tells its handler at the due time, level 1 the supervisor after the
    escalation hours, level 2 the managers after twice that. Once per complaint, step, level and due
    time (the unique key). Returns the number of reminders sent."""
    settings = settings_for(store_id)
    store = get_store(store_id)
    late = list(db.session.scalars(
        select(Complaint).options(joinedload(Complaint.customer))
        .where(Complaint.store_id == store_id, Complaint.status.in_([s.value for s in COMPLAINT_OPEN]),
               Complaint.step_due_at.is_not(None), Complaint.step_due_at <= now)
        .order_by(Complaint.step_due_at)))
    if not late:
        return 0
    sent_keys = set(db.session.execute(
        select(ComplaintReminder.complaint_id, ComplaintReminder.status, ComplaintReminder.level,
               ComplaintReminder.due_at).where(ComplaintReminder.complaint_id.in_([c.id for c in late]))).all())
    escalation = timedelta(hours=settings.complaint_escalation_hours)
    supervisor = supervisor_of(store_id)
    managers = holders_of(store_id, Role.MANAGER) or holders_of(store_id, Role.DIRECTOR)
    sent = 0
    for complaint in late:
        for level, after, kind in ((0, timedelta(0), "complaint_late"), (1, escalation, "complaint_escalated"),
                                   (2, escalation * 2, "complaint_escalated")):
            if now < complaint.step_due_at + after:
                break
            key = (complaint.id, complaint.status, level, complaint.step_due_at)
            if key in sent_keys:
                continue
            try:
                with db.session.begin_nested():
                    db.session.add(ComplaintReminder(complaint_id=complaint.id, status=complaint.status, level=level,
                                                     due_at=complaint.step_due_at, sent_at=now))
            except IntegrityError:  # another run sent it first
                continue
            recipients = ([complaint.handler_id or supervisor] if level == 0 else
                          [supervisor] if level == 1 else managers)
            due = clock.to_store_time(complaint.step_due_at, store.timezone).strftime("%m-%d %H:%M")
            notices.notify(store_id, [r for r in recipients if r], kind,
                           {"number": complaint.number, "name": complaint.customer.name,
                            "step": complaint.status, "due": due, "level": level}, link=page_link(complaint))
            sent += 1
    db.session.flush()
    return sent
