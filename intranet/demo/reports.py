"""Demo digests: recipients for each kind, and the digests the jobs would have built by `today` —
the last few daily ones, last week's meeting pack and last month's analysis. They are built and
then tried as the job would; the demo has no mail server, so they stay QUEUED with the reason "no
mail server configured" — exactly what a store without SMTP sees. Idempotent."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from intranet import clock
from intranet.core.models import Store, User
from intranet.extensions import db
from intranet.reports import digests, kpis, mail
from intranet.reports.models import DigestKind, DigestRecipient, KpiTarget

RECIPIENTS = (
    # (email, username of the staff member or None, kinds)
    ("gm@dezhong-auto.example", None, (DigestKind.DAILY, DigestKind.WEEKLY, DigestKind.MONTHLY)),  # 钱永康, GM
    ("zhao.zhiqiang@dezhong-auto.example", "director", (DigestKind.DAILY, DigestKind.WEEKLY, DigestKind.MONTHLY)),
    ("service.manager@dezhong-auto.example", "manager", (DigestKind.WEEKLY, DigestKind.MONTHLY)),
)
DAILY_BACK = 5
# the demo store's own targets where the documents' defaults are for a bigger store (20 cars a day):
# a store of 5–10 cars a day sets 8, as its manager would on the targets page
TARGETS = {"cars_in": Decimal("8"), "cars_out": Decimal("8")}


def seed_digests(store: Store, today: date) -> int:
    """Recipients and the digests due by `today` (store time). Returns how many digests were new."""
    own = set(db.session.scalars(select(KpiTarget.kpi_key).where(KpiTarget.store_id == store.id)))
    for key, target in TARGETS.items():
        if key not in own:
            kpis.set_target(store.id, key, target)
    users = dict(db.session.execute(select(User.username, User.id).where(User.store_id == store.id)).all())
    have = set(db.session.execute(select(DigestRecipient.kind, DigestRecipient.email)
                                  .where(DigestRecipient.store_id == store.id)).all())
    for email, username, kinds in RECIPIENTS:
        for kind in kinds:
            if (str(kind), email) not in have:
                db.session.add(DigestRecipient(store_id=store.id, kind=str(kind), email=email,
                                               user_id=users.get(username) if username else None))
    db.session.flush()

    due = [(DigestKind.DAILY, today - timedelta(days=n)) for n in range(DAILY_BACK, 0, -1)]
    due.append((DigestKind.WEEKLY, digests.due_period_start(DigestKind.WEEKLY, today)))
    due.append((DigestKind.MONTHLY, digests.due_period_start(DigestKind.MONTHLY, today)))
    made = 0
    for kind, start in due:
        job_day = start + timedelta(days=1) if kind == DigestKind.DAILY else today
        when = clock.store_local_to_utc(datetime.combine(job_day, time(7, 0)), store.timezone)
        digest = digests.build_digest(store.id, kind, start, now=min(when, clock.utcnow()))
        if digest.attempts == 0 and digest.sent_at is None:
            made += 1
            mail.send_digest(digest.id, now=min(when, clock.utcnow()))
    db.session.flush()
    return made
