"""A digest is taken for sending before its mail goes, and no lock is held while the mail server
answers: a hanging SMTP server holds up nobody's writes (SQLite has one writer for the whole store),
and the five-minute job and a "Send now" at the same moment send it once."""
from __future__ import annotations

import socket
import threading
from datetime import date, datetime, timedelta

from sqlalchemy import text

from intranet import clock
from intranet.core.models import Role
from intranet.extensions import db as _db
from intranet.reports import mail
from intranet.reports.models import Digest, DigestKind, DigestRecipient, DigestStatus
from tests import factories
from tests.conftest import at_once, signed_in
from tests.test_reports_digests import smtp  # noqa: F401 - the real SMTP server fixture

NOW = datetime(2026, 11, 24, 2, 0)  # 10:00 in Shanghai


def _queued_digest(db, store) -> int:
    db.session.add(DigestRecipient(store_id=store.id, kind=str(DigestKind.DAILY), email="gm@dezhong-auto.example"))
    digest = Digest(store_id=store.id, kind=str(DigestKind.DAILY), period_start=date(2026, 11, 23),
                    period_end=date(2026, 11, 23), subject="测试4S店 · 日报 · 2026-11-23", html="<p>日报</p>",
                    text="日报", status=DigestStatus.QUEUED, attempts=0, created_at=NOW)
    db.session.add(digest)
    db.session.commit()
    return digest.id


def test_a_hanging_mail_server_holds_up_nobodys_writes(app, db, store):
    """The server takes the connection and never says a word: while "Send now" waits for it, the
    database takes a write at once (it could not when the digest's row was claimed for the send)."""
    director = factories.user(store, Role.DIRECTOR)
    digest_id = _queued_digest(db, store)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = threading.Event()
    held = []

    def silent_server():
        conn, _ = listener.accept()
        held.append(conn)
        accepted.set()

    threading.Thread(target=silent_server, daemon=True).start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=listener.getsockname()[1], MAIL_FROM="i@example.cn",
                      MAIL_TIMEOUT=3, MAIL_USE_TLS=False, MAIL_USE_SSL=False)
    tablet = signed_in(app, director)
    try:
        with clock.frozen(NOW):
            sending = threading.Thread(target=lambda: tablet.post(f"/reports/digests/{digest_id}/send"))
            sending.start()
            assert accepted.wait(10), "the send never reached the mail server"
            with _db.engine.connect() as conn:  # another writer, not willing to wait at all
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                    conn.exec_driver_sql("BEGIN IMMEDIATE")  # "database is locked" while a writer holds it
                    conn.exec_driver_sql("UPDATE store SET name = name")
                    conn.exec_driver_sql("COMMIT")
                else:
                    conn.execute(text("SET lock_timeout = '1ms'"))
                    conn.execute(text("SELECT id FROM digest WHERE id = :id FOR UPDATE"), {"id": digest_id})
                    conn.rollback()
            sending.join(30)
    finally:
        for conn in held:
            conn.close()
        listener.close()
        app.config.update(MAIL_SERVER="", MAIL_PORT=25, MAIL_FROM="")
    db.session.expire_all()
    digest = db.session.get(Digest, digest_id)
    assert digest.status == DigestStatus.QUEUED and digest.attempts == 1 and digest.sending_until is None
    assert digest.last_error  # why, for the admin


def test_the_job_and_send_now_at_the_same_moment_send_once(app, db, store, smtp):  # noqa: F811
    digest_id = _queued_digest(db, store)

    def job():
        with app.app_context():
            try:
                return mail.send_digest(digest_id, now=NOW).status
            finally:
                _db.session.commit()
                _db.session.remove()

    with clock.frozen(NOW):
        results = at_once(job, job, job)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len(smtp.messages) == 1
    db.session.expire_all()
    digest = db.session.get(Digest, digest_id)
    assert digest.status == DigestStatus.SENT and digest.attempts == 1 and digest.sending_until is None


def test_a_sender_that_died_mid_send_leaves_the_digest_to_the_next_try(app, db, store, smtp):  # noqa: F811
    digest_id = _queued_digest(db, store)
    with clock.frozen(NOW):
        assert mail.take_for_sending(digest_id, NOW, app.config)  # …and its process was killed here
        assert mail.send_digest(digest_id, now=NOW + timedelta(seconds=10)).status == DigestStatus.QUEUED
        assert len(smtp.messages) == 0  # still someone else's
    later = NOW + timedelta(seconds=mail.lease_seconds(app.config) + 1)
    with clock.frozen(later):
        assert mail.send_digest(digest_id, now=later).status == DigestStatus.SENT
    assert len(smtp.messages) == 1
