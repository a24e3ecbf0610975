"""Double taps that reached the server twice at the same moment (issue 17, item 4): "Send now" on a
digest mails it once (checked on a real SMTP server, aiosmtpd), and the new-event form makes one
event. Both answer the second tap with the first result. Run on SQLite and on PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from intranet import clock
from intranet.care.models import StoreEvent
from intranet.core.models import Role
from intranet.reports.models import Digest, DigestKind, DigestRecipient, DigestStatus
from tests import factories
from tests.conftest import at_once, signed_in
from tests.test_reports_digests import smtp  # noqa: F401 - the real SMTP server fixture

NOW = datetime(2026, 11, 24, 2, 0)  # 10:00 in Shanghai, Tuesday 24 November 2026


def test_send_now_tapped_twice_mails_the_digest_once(app, db, store, smtp):  # noqa: F811
    director = factories.user(store, Role.DIRECTOR)
    db.session.add(DigestRecipient(store_id=store.id, kind=str(DigestKind.DAILY), email="gm@dezhong-auto.example"))
    digest = Digest(store_id=store.id, kind=str(DigestKind.DAILY), period_start=date(2026, 11, 23),
                    period_end=date(2026, 11, 23), subject="测试4S店 · 日报 · 2026-11-23", html="<p>日报</p>",
                    text="日报", status=DigestStatus.QUEUED, attempts=1, last_error="SMTP down",
                    next_attempt_at=NOW + timedelta(minutes=10), created_at=NOW)
    db.session.add(digest)
    db.session.commit()
    digest_id = digest.id
    first, second = signed_in(app, director), signed_in(app, director)
    with clock.frozen(NOW):
        answers = at_once(lambda: first.post(f"/reports/digests/{digest_id}/send", follow_redirects=True),
                          lambda: second.post(f"/reports/digests/{digest_id}/send", follow_redirects=True))
    assert [a.status_code for a in answers] == [200, 200], answers
    assert len(smtp.messages) == 1  # it was two: every recipient got the digest twice
    for answer in answers:  # the second tap answers with the first result: sent, to whom
        assert "gm@dezhong-auto.example" in answer.get_data(as_text=True)
    db.session.expire_all()
    sent = db.session.get(Digest, digest_id)
    assert sent.status == DigestStatus.SENT and sent.attempts == 2


def test_a_double_tapped_new_event_makes_one_event(app, db, store):
    agent = factories.person(store, "zhu")
    db.session.commit()
    first, second = signed_in(app, agent), signed_in(app, agent)
    with clock.frozen(NOW):
        form = first.get("/care/events/").get_data(as_text=True)
        token = form.split('name="origin_token" value="', 1)[1].split('"', 1)[0]
        data = {"title": "冬季免费检测日", "held_on": "2026-12-14", "place": "售后车间", "origin_token": token}
        answers = at_once(lambda: first.post("/care/events/new", data=data),
                          lambda: second.post("/care/events/new", data=data))
    assert [a.status_code for a in answers] == [302, 302], answers
    assert answers[0].headers["Location"] == answers[1].headers["Location"]  # both open the one event
    assert db.session.scalar(select(func.count()).select_from(StoreEvent)) == 1
    with clock.frozen(NOW):  # a new form is a new event, even with the same name
        again = first.get("/care/events/").get_data(as_text=True)
        token2 = again.split('name="origin_token" value="', 1)[1].split('"', 1)[0]
        assert token2 != token
        assert first.post("/care/events/new", data={**data, "origin_token": token2}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(StoreEvent)) == 2


def test_a_refused_new_event_keeps_its_token_so_the_corrected_form_makes_one(app, db, store):
    agent = factories.person(store, "zhu")
    db.session.commit()
    client = signed_in(app, agent)
    with clock.frozen(NOW):
        data = {"title": "冬季免费检测日", "held_on": "2026-11-01", "origin_token": "tap-42"}
        refused = client.post("/care/events/new", data=data)
        assert refused.status_code == 422 and 'value="tap-42"' in refused.get_data(as_text=True)
        for _ in range(2):
            assert client.post("/care/events/new", data={**data, "held_on": "2026-12-14"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(StoreEvent)) == 1
