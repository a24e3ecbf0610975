"""The management digests, received through a real local SMTP server (aiosmtpd): daily, weekly and
monthly built by their jobs on the embedded Redis at a frozen Monday 1 December 2025, their numbers
checked against fixed data; one digest per period however often the job runs; retried with backoff
while SMTP is down; a wrong password leaves it queued with the reason shown; no recipients keeps it
readable; who may open the pages; the recipients form refusing bad addresses."""
from __future__ import annotations

import email
import email.policy
import socket
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from rq import SimpleWorker
from sqlalchemy import func, select

from intranet import clock
from intranet.care.models import Complaint
from intranet.core.models import Role, ROStatus
from intranet.errors import DomainError
from intranet.jobs import queue
from intranet.jobs.schedule import get_job
from intranet.reports import digests, kpis, mail
from intranet.reports.chart_spec import BAR, LINE, Chart, Series
from intranet.reports.digest_charts import to_png
from intranet.reports.models import (
    Digest,
    DigestImage,
    DigestKind,
    DigestRecipient,
    DigestStatus,
)
from tests import factories

TZ = "Asia/Shanghai"
MONDAY = date(2025, 12, 1)  # a Monday and the 1st: the day all three digests are due
SUNDAY = MONDAY - timedelta(days=1)
D = Decimal


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), TZ)


JOB_TIME = at(MONDAY, 7, 30)


# ------------------------------------------------------------------ a real SMTP server

class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Authenticator:
    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == self.user and \
            auth_data.password == self.password
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp(app):
    """A started SMTP server on a free local port; `smtp.auth(user, password)` restarts it requiring login."""
    inbox = Inbox()
    state = {"controller": None}

    def start(**kwargs):
        if state["controller"]:
            state["controller"].stop()
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        state["controller"] = controller
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USERNAME="", MAIL_PASSWORD="",
                          MAIL_USE_TLS=False, MAIL_USE_SSL=False, MAIL_FROM="intranet@dezhong-auto.example",
                          MAIL_TIMEOUT=5, PUBLIC_URL="https://intranet.dezhong-auto.example")
        return port

    inbox.start = start
    inbox.auth = lambda user, password: start(authenticator=Authenticator(user, password), auth_require_tls=False,
                                              auth_required=True)
    def stop():
        if state["controller"]:
            state["controller"].stop()
            state["controller"] = None

    inbox.stop = stop
    start()
    yield inbox
    stop()
    app.config.update(MAIL_SERVER="", MAIL_PORT=25, MAIL_USERNAME="", MAIL_PASSWORD="", MAIL_FROM="", PUBLIC_URL="")


# ------------------------------------------------------------------ fixed data

@pytest.fixture
def shop(db, store, make_user, make_vehicle):
    a = make_user(Role.ADVISOR, username="wang", display_name="王芳")
    b = make_user(Role.ADVISOR, username="li", display_name="李明")
    db.session.commit()

    def ro(plate, advisor, opened, delivered=None, lines=(), status=ROStatus.DELIVERED):
        return factories.repair_order(store, advisor, car=make_vehicle(plate=plate), opened=opened,
                                      promised=(delivered + timedelta(hours=1)) if delivered else None,
                                      delivered=delivered, lines=lines, status=status, commit=False)

    # Sunday 30 November (yesterday for the daily digest): two cars in and out, ¥600 + ¥300 = ¥900.
    r1 = ro("沪D00001", a, at(SUNDAY, 9), at(SUNDAY, 15),
            [("labour", "2", "150", "mechanical", "customer"), ("part", "1", "300", None, "customer")])
    ro("沪D00002", b, at(SUNDAY, 10), at(SUNDAY, 16),
       [("labour", "1", "200", "body", "insurance"), ("part", "1", "100", None, "insurance")])
    # Saturday 29 November: one car, ¥450 (the daily digest's "before").
    ro("沪D00003", a, at(SUNDAY - timedelta(days=1), 9), at(SUNDAY - timedelta(days=1), 12),
       [("labour", "3", "150", "mechanical", "customer")])
    # Wednesday 5 November: one more in the month, still in the workshop (in, not out).
    ro("沪D00004", b, at(date(2025, 11, 5), 9), None, [], status=ROStatus.IN_WORKSHOP)
    # October: one car, ¥1 000 (the monthly digest's "before").
    ro("沪D00005", a, at(date(2025, 10, 10), 9), at(date(2025, 10, 10), 17),
       [("labour", "4", "250", "paint", "customer")])
    db.session.add(Complaint(store_id=store.id, number="TS-C0001", customer_id=r1.customer_id,
                             repair_order_id=r1.id, advisor_id=a.id, channel="phone", category="quality",
                             received_at=at(SUNDAY, 18), description="异响未排除"))
    for kind in DigestKind:
        db.session.add(DigestRecipient(store_id=store.id, kind=str(kind), email="gm@dezhong-auto.example"))
    db.session.add(DigestRecipient(store_id=store.id, kind=str(DigestKind.WEEKLY), email="director@dezhong-auto.example"))
    db.session.commit()
    return {"store": store, "a": a, "b": b}


def run_job(db, redis_conn, name, moment=JOB_TIME):
    with clock.frozen(moment):
        queue.enqueue(name)
        db.session.commit()
        assert SimpleWorker([get_job(name).queue], connection=redis_conn).work(burst=True)
    db.session.remove()


def plain_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# ------------------------------------------------------------------ the three digests through SMTP

def test_the_three_digests_arrive_through_smtp_with_the_fixed_numbers(db, shop, smtp, redis_conn):
    for name in ("reports-daily-digest", "reports-weekly-digest", "reports-monthly-digest"):
        run_job(db, redis_conn, name)
    assert len(smtp.messages) == 3
    rows = db.session.execute(select(Digest.kind, Digest.period_start, Digest.period_end, Digest.status)
                              .order_by(Digest.id)).all()
    assert rows == [("daily", SUNDAY, SUNDAY, "sent"), ("weekly", date(2025, 11, 24), SUNDAY, "sent"),
                    ("monthly", date(2025, 11, 1), date(2025, 11, 30), "sent")]
    daily, weekly, monthly = smtp.messages
    assert str(daily["Subject"]).startswith(shop["store"].name) and "2025-11-30" in str(daily["Subject"])
    assert smtp.envelopes[1].rcpt_tos == ["director@dezhong-auto.example", "gm@dezhong-auto.example"]

    text = plain_text(daily)
    # yesterday: 2 cars in, 2 out, output ¥900, against the day before's 1 car and ¥450
    assert "2 = 2 / 1" in text  # cars in per day: 2 cars ÷ 1 day
    assert "¥900" in text and "¥450" in text and "+¥450" in text
    assert "¥900" in str(db.session.scalar(select(Digest.html).where(Digest.kind == "daily")))
    assert "https://intranet.dezhong-auto.example/reports/digests/" in text

    text = plain_text(weekly)
    # the week 24–30 November: 3 cars in, ¥1 350, one warranty-free week, the complaint and who is responsible
    assert "¥1,350" in text and "TS-C0001" in text and "王芳" in text and "李明" in text
    assert "¥300" in text  # the accident lead: the insurance car's body labour is in the team table too

    text = plain_text(monthly)
    # November: 4 cars in (4 ÷ 30 days), 3 out, ¥1 350 against October's ¥1 000 (+¥350)
    assert "4 / 30" in text and "3 / 30" in text
    assert "¥1,350" in text and "¥1,000" in text and "+¥350" in text

    for message in (daily, weekly, monthly):
        html = message.get_body(preferencelist=("html",)).get_content()
        cids = {part["Content-ID"].strip("<>"): part for part in message.walk() if part["Content-ID"]}
        assert cids and all(p.get_content_type() == "image/png" for p in cids.values())
        for cid, part in cids.items():
            assert f"cid:{cid}" in html
            assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
        assert message.get_content_type() == "multipart/alternative"


def test_rerunning_the_jobs_sends_nothing_new(db, shop, smtp, redis_conn):
    for _round in range(2):
        for name in ("reports-daily-digest", "reports-weekly-digest", "reports-monthly-digest",
                     "reports-send-digests"):
            run_job(db, redis_conn, name)
    assert len(smtp.messages) == 3
    assert db.session.scalar(select(func.count()).select_from(Digest)) == 3
    assert build_twice_is_one(db, shop["store"].id)


def build_twice_is_one(db, store_id) -> bool:
    with clock.frozen(JOB_TIME):
        first = digests.build_digest(store_id, "daily", SUNDAY)
        again = digests.build_digest(store_id, "daily", SUNDAY)
    return first.id == again.id


def test_smtp_down_keeps_it_queued_with_backoff_then_sends_when_up(db, shop, smtp, redis_conn, app):
    port = free_port()  # nothing listens there
    smtp.stop()
    app.config.update(MAIL_PORT=port)
    run_job(db, redis_conn, "reports-daily-digest")
    digest = db.session.scalar(select(Digest))
    assert digest.status == DigestStatus.QUEUED and digest.attempts == 1
    assert digest.next_attempt_at == JOB_TIME + timedelta(minutes=5)
    assert "邮件服务器" in digest.last_error or "unreachable" in digest.last_error.lower()

    run_job(db, redis_conn, "reports-send-digests", JOB_TIME + timedelta(minutes=6))  # still down: 10 min next
    digest = db.session.scalar(select(Digest))
    assert digest.attempts == 2 and digest.next_attempt_at == JOB_TIME + timedelta(minutes=16)
    assert mail.retry_delay(3) == timedelta(minutes=20) and mail.retry_delay(20) == timedelta(hours=6)

    smtp.start()  # the server is back (on another port, as configured now)
    run_job(db, redis_conn, "reports-send-digests", JOB_TIME + timedelta(minutes=10))  # not yet time
    assert smtp.messages == []
    run_job(db, redis_conn, "reports-send-digests", JOB_TIME + timedelta(minutes=16))
    digest = db.session.scalar(select(Digest))
    assert digest.status == DigestStatus.SENT and digest.attempts == 3 and digest.last_error is None
    assert digest.sent_at == JOB_TIME + timedelta(minutes=16) and len(smtp.messages) == 1


def test_a_wrong_password_stays_queued_and_the_admin_sees_why(db, shop, smtp, redis_conn, app, login_as, client):
    smtp.auth("digest", "right-password")
    app.config.update(MAIL_USERNAME="digest", MAIL_PASSWORD="wrong-password")
    run_job(db, redis_conn, "reports-daily-digest")
    digest = db.session.scalar(select(Digest))
    assert digest.status == DigestStatus.QUEUED and smtp.messages == []
    assert "MAIL_USERNAME / MAIL_PASSWORD" in digest.last_error

    login_as(Role.ADMIN)
    page = client.get("/reports/digests/").get_data(as_text=True)
    assert "MAIL_USERNAME / MAIL_PASSWORD" in page
    assert "MAIL_USERNAME / MAIL_PASSWORD" in client.get(f"/reports/digests/{digest.id}").get_data(as_text=True)
    health = client.get("/healthz").get_json()
    assert health["mail"]["ok"] is False and health["mail"]["digests_waiting"] == 1

    app.config.update(MAIL_PASSWORD="right-password")  # fixed: "send again now"
    response = client.post(f"/reports/digests/{digest.id}/send")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Digest, digest.id).status == DigestStatus.SENT and len(smtp.messages) == 1


def test_no_mail_server_keeps_the_digest_queued_with_the_reason(db, shop, app, redis_conn):
    app.config.update(MAIL_SERVER="")
    run_job(db, redis_conn, "reports-daily-digest")
    digest = db.session.scalar(select(Digest))
    assert digest.status == DigestStatus.QUEUED and "MAIL_SERVER" in digest.last_error
    assert digest.html and digest.text and digest.images


def test_no_recipients_keeps_it_readable(db, shop, smtp, redis_conn, login_as, client):
    db.session.query(DigestRecipient).delete()
    db.session.commit()
    run_job(db, redis_conn, "reports-monthly-digest")
    digest = db.session.scalar(select(Digest))
    assert digest.status == DigestStatus.NO_RECIPIENTS and smtp.messages == []
    login_as(Role.DIRECTOR)
    page = client.get(f"/reports/digests/{digest.id}")
    assert page.status_code == 200 and "¥1,350" in page.get_data(as_text=True)
    image = db.session.scalars(select(DigestImage).where(DigestImage.digest_id == digest.id)).first()
    png = client.get(f"/reports/digests/{digest.id}/images/{image.cid}")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data[:4] == b"\x89PNG"
    assert client.get(f"/reports/digests/{digest.id}/text").get_data(as_text=True) == digest.text


# ------------------------------------------------------------------ access and recipients

@pytest.mark.parametrize("role, index, recipients", [
    (Role.DIRECTOR, 200, 200), (Role.MANAGER, 200, 403), (Role.ADMIN, 200, 200),
    (Role.ADVISOR, 403, 403), (Role.CARE, 403, 403), (Role.TECHNICIAN, 403, 403),
])
def test_who_may_open_the_digests(db, store, login_as, client, role, index, recipients):
    login_as(role)
    assert client.get("/reports/digests/").status_code == index
    assert client.get("/reports/digests/recipients/").status_code == recipients


def test_a_digest_of_another_store_is_not_found(db, shop, login_as, client):
    from intranet.core.models import Store

    other = Store(code="XX", name="别店")
    db.session.add(other)
    db.session.flush()
    with clock.frozen(JOB_TIME):
        theirs = digests.build_digest(other.id, "daily", SUNDAY)
    db.session.commit()
    login_as(Role.DIRECTOR)
    assert client.get(f"/reports/digests/{theirs.id}").status_code == 404
    assert client.post(f"/reports/digests/{theirs.id}/send").status_code == 404


def test_recipients_are_added_validated_and_removed(db, store, login_as, client, make_user):
    director = login_as(Role.DIRECTOR)
    response = client.post("/reports/digests/recipients/", data={"kind": "daily", "email": " GM@Dezhong-Auto.example ",
                                                                 "user_id": str(director.id)})
    assert response.status_code == 302
    added = db.session.scalar(select(DigestRecipient))
    assert (added.kind, added.email, added.user_id) == ("daily", "gm@dezhong-auto.example", director.id)

    for data in ({"kind": "daily", "email": "not-an-address"}, {"kind": "daily", "email": ""},
                 {"kind": "daily", "email": "gm@dezhong-auto.example"}, {"kind": "hourly", "email": "a@b.cn"}):
        refused = client.post("/reports/digests/recipients/", data=data)
        assert refused.status_code == 422
        assert data["email"] in refused.get_data(as_text=True)  # what was typed is kept
    with pytest.raises(DomainError) as wrong:
        digests.add_recipient(store.id, "weekly", "x@y.cn", user_id=999999)
    assert wrong.value.field == "user_id"

    assert client.post(f"/reports/digests/recipients/{added.id}/remove").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(DigestRecipient)) == 0
    assert client.post("/reports/digests/recipients/999999/remove").status_code == 404


def test_the_job_periods_in_store_time():
    assert digests.due_period_start("daily", MONDAY) == SUNDAY
    assert digests.due_period_start("weekly", MONDAY) == date(2025, 11, 24)
    assert digests.due_period_start("weekly", date(2025, 12, 3)) == date(2025, 11, 24)
    assert digests.due_period_start("monthly", MONDAY) == date(2025, 11, 1)
    assert digests.due_period_start("monthly", date(2026, 1, 1)) == date(2025, 12, 1)
    crons = {j: get_job(j).cron for j in ("reports-daily-digest", "reports-weekly-digest", "reports-monthly-digest")}
    assert crons == {"reports-daily-digest": "0 7 * * *", "reports-weekly-digest": "10 7 * * 1",
                     "reports-monthly-digest": "20 7 1 * *"}
    assert get_job("reports-send-digests").interval == 300


def test_charts_are_small_pngs_and_survive_empty_data():
    line = to_png(Chart(LINE, "进厂台次", [f"{d}日" for d in range(1, 31)], [Series("进厂", list(range(30)))], "", 20))
    bar = to_png(Chart(BAR, "产值", ["机修", "钣金"], [Series("本月", [D("1200.50"), None])], "¥"))
    empty = to_png(Chart(LINE, "空", [], []))
    for png in (line, bar, empty):
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 60_000


def test_with_two_stores_the_digest_compares_them_side_by_side(db, shop):
    from intranet.core.models import Store
    from intranet.reports import digests

    store = shop["store"]
    second = Store(code="TS02", name="浦西店", timezone="Asia/Shanghai")
    db.session.add(second)
    db.session.commit()
    digest = digests.build_digest(store.id, DigestKind.DAILY, SUNDAY, now=JOB_TIME)
    db.session.commit()
    lines = digest.text.splitlines()
    heading = next(n for n, line in enumerate(lines) if "测试4S店 | 浦西店" in line)
    output = str(kpis.KPIS["output_value"].name)
    assert f"  {output} | ¥900 | ¥0" in lines[heading:heading + 8]  # each store in its own column
    assert "浦西店" in digest.html
