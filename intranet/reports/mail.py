"""Sending a digest by SMTP (the standard library's smtplib), with its charts inline, and retrying
with a growing delay while the mail server is down or refuses us.

A digest that cannot be sent stays QUEUED with `attempts`, `next_attempt_at` and `last_error` (a
translated reason the admin can act on); the sent-digests page and the health check show it. A
digest is always kept and readable in the intranet, sent or not."""
from __future__ import annotations

import smtplib
import socket
import ssl
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from intranet import clock
from intranet.core.models import Store
from intranet.extensions import db
from intranet.reports.models import Digest, DigestRecipient, DigestStatus

FIRST_RETRY_MINUTES = 5
MAX_RETRY_MINUTES = 6 * 60


class NotSent(Exception):
    """Why a digest could not be sent (already translated, for `Digest.last_error`)."""


def retry_delay(attempts: int) -> timedelta:
    """5, 10, 20, 40… minutes after the 1st, 2nd, 3rd… failure, never more than 6 hours."""
    return timedelta(minutes=min(FIRST_RETRY_MINUTES * 2 ** max(attempts - 1, 0), MAX_RETRY_MINUTES))


def recipients_for(store_id: int, kind: str) -> list[str]:
    return list(db.session.scalars(select(DigestRecipient.email).where(
        DigestRecipient.store_id == store_id, DigestRecipient.kind == str(kind)).order_by(DigestRecipient.email)))


def build_message(digest: Digest, recipients: list[str], config) -> EmailMessage:
    """multipart/alternative (plain text, then multipart/related: the HTML and its PNGs by Content-ID)."""
    sender = config.get("MAIL_FROM") or config.get("MAIL_USERNAME") or "intranet@localhost"
    message = EmailMessage()
    message["Subject"] = digest.subject
    store_name = db.session.scalar(select(Store.name).where(Store.id == digest.store_id))
    message["From"] = formataddr((store_name or "", sender)) if "<" not in sender else sender
    message["To"] = ", ".join(recipients)
    domain = sender.rpartition("@")[2].strip(">") or "localhost"
    message["Message-ID"] = make_msgid(f"digest{digest.id}", domain=domain)
    message.set_content(digest.text, charset="utf-8")
    message.add_alternative(digest.html, subtype="html", charset="utf-8")
    html_part = message.get_payload()[1]
    for image in digest.images:
        html_part.add_related(image.png, maintype="image", subtype="png", cid=f"<{image.cid}>",
                              filename=f"{image.cid.partition('@')[0]}.png", disposition="inline")
    return message


def _deliver(message: EmailMessage, recipients: list[str], config) -> None:
    host, port = config.get("MAIL_SERVER"), int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or 30)
    if not host:
        raise NotSent(_("No mail server configured (MAIL_SERVER): the digest is kept here and sent once one is set."))
    try:
        if config.get("MAIL_USE_SSL"):
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                server.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            refused = server.send_message(message, to_addrs=recipients)
        if refused and len(refused) == len(recipients):
            raise NotSent(_("The mail server refused every recipient: %(who)s", who=", ".join(refused)))
    except NotSent:
        raise
    except smtplib.SMTPAuthenticationError:
        raise NotSent(_("SMTP login refused: check MAIL_USERNAME / MAIL_PASSWORD.")) from None
    except smtplib.SMTPNotSupportedError:
        raise NotSent(_("The mail server does not offer login or STARTTLS: check MAIL_USE_TLS / MAIL_USE_SSL.")) \
            from None
    except smtplib.SMTPRecipientsRefused as refused:
        raise NotSent(_("The mail server refused every recipient: %(who)s",
                        who=", ".join(refused.recipients))) from None
    except TimeoutError:
        raise NotSent(_("The mail server did not answer in time (%(host)s:%(port)s).", host=host, port=port)) \
            from None
    except ssl.SSLError as exc:
        raise NotSent(_("Secure connection to the mail server failed: %(reason)s", reason=exc.reason or exc)) \
            from None
    except (ConnectionError, socket.gaierror, OSError) as exc:
        if isinstance(exc, smtplib.SMTPException):
            raise NotSent(_("The mail server answered with an error: %(reason)s", reason=str(exc)[:200])) from None
        raise NotSent(_("Mail server unreachable (%(host)s:%(port)s): %(reason)s", host=host, port=port,
                        reason=getattr(exc, "strerror", None) or type(exc).__name__)) from None
    except smtplib.SMTPException as exc:
        raise NotSent(_("The mail server answered with an error: %(reason)s", reason=str(exc)[:200])) from None


def lease_seconds(config) -> int:
    """How long a sender keeps a digest: a connection, a login and the message each within the
    timeout, and some room."""
    return int(float(config.get("MAIL_TIMEOUT") or 30) * 3 + 30)


def take_for_sending(digest_id: int, now: datetime, config) -> bool:
    """Make the digest this sender's for one try, unless it is sent or another sender has it now.
    Committed at once: the other senders see it before any mail goes."""
    taken = db.session.execute(
        update(Digest).where(Digest.id == digest_id, Digest.status != DigestStatus.SENT,
                             (Digest.sending_until.is_(None)) | (Digest.sending_until <= now))
        .values(sending_until=now + timedelta(seconds=lease_seconds(config)))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(taken)


def send_digest(digest_id: int, *, now: datetime | None = None, config=None) -> Digest:
    """Try to send one digest now. SENT with its recipients and time; no recipients: NO_RECIPIENTS
    (kept, readable); a failure: still QUEUED, one more attempt counted, the next one later, and
    why. Two senders at once (the five-minute job and a "Send now", two taps) send it once: the
    digest is first taken for sending (`take_for_sending`, committed); one that finds it taken or
    sent returns it as it is. Nothing is held while the mail server answers: the reads end before it
    (SQLite keeps one write lock for the whole store, and a snapshot read before another's commit
    could not write after it), and the outcome is one UPDATE in a transaction of its own, flushed
    for the caller to commit."""
    config = config if config is not None else current_app.config
    now = now or clock.utcnow()
    taken = take_for_sending(digest_id, now, config)
    digest = db.session.get(Digest, digest_id, populate_existing=True)
    if digest is None or not taken:
        return digest
    attempts = digest.attempts or 0
    store = db.session.get(Store, digest.store_id)
    recipients = recipients_for(digest.store_id, digest.kind)
    with force_locale(store.default_locale or "zh_Hans_CN"):
        if not recipients:
            outcome = {"status": DigestStatus.NO_RECIPIENTS, "next_attempt_at": None,
                       "last_error": _("Nobody receives this digest: add recipients in the digest settings.")}
        else:
            message = build_message(digest, recipients, config)
            db.session.commit()  # end the read: nothing is held while the mail server answers
            try:
                _deliver(message, recipients, config)
            except NotSent as failure:
                outcome = {"status": DigestStatus.QUEUED, "attempts": attempts + 1,
                           "next_attempt_at": now + retry_delay(attempts + 1), "last_error": str(failure)[:400],
                           "recipients": ", ".join(recipients)}
            else:
                outcome = {"status": DigestStatus.SENT, "sent_at": now, "next_attempt_at": None,
                           "attempts": attempts + 1, "recipients": ", ".join(recipients), "last_error": None}
    db.session.commit()
    db.session.execute(update(Digest).where(Digest.id == digest_id).values(sending_until=None, **outcome)
                       .execution_options(synchronize_session=False))
    return db.session.get(Digest, digest_id, populate_existing=True)


def wait_for_sender(digest_id: int, *, timeout: float, step: float = 0.2) -> Digest:
    """Another sender has the digest: wait (reading afresh) until it is done with it, so a second
    tap answers with what the first one did."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.commit()  # end this read: the next one sees the other sender's outcome
        digest = db.session.get(Digest, digest_id, populate_existing=True)
        if digest is None or digest.sending_until is None or time.monotonic() >= deadline:
            return digest
        time.sleep(step)


def due_digest_ids(now: datetime) -> list[int]:
    """Queued digests whose next attempt has come (or that were never tried), oldest first."""
    return list(db.session.scalars(select(Digest.id).where(
        Digest.status == DigestStatus.QUEUED,
        (Digest.next_attempt_at.is_(None)) | (Digest.next_attempt_at <= now)).order_by(Digest.id)))


def mail_problem(store_id: int | None = None) -> dict | None:
    """For the health check: the oldest digest still waiting after a failed attempt, or None."""
    query = select(func.count(), func.min(Digest.created_at)).where(
        Digest.status == DigestStatus.QUEUED, Digest.attempts > 0)
    if store_id is not None:
        query = query.where(Digest.store_id == store_id)
    waiting, oldest = db.session.execute(query).one()
    if not waiting:
        return None
    last_error = db.session.scalar(select(Digest.last_error).where(
        Digest.status == DigestStatus.QUEUED, Digest.attempts > 0).order_by(Digest.id.desc()).limit(1))
    return {"waiting": waiting, "oldest": oldest, "last_error": last_error}
