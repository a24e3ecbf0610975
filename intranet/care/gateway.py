"""The outgoing-message box and the gateways that carry its messages (SMS, WeChat).

A gateway is anything with `send(channel, to, body) -> reference` that raises GatewayError when
the message did not go. The store's real SMS / WeChat provider plugs in here; out of the box the
`RecordingGateway` writes each message as one JSON line to a file (config CARE_MESSAGE_LOG), so
the whole flow — queue, send, fail, retry — works and can be checked without a provider."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import time
from pathlib import Path
from typing import Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.care.models import MessageStatus, OutgoingMessage
from intranet.core.models import Store
from intranet.core.services import get_owned
from intranet.errors import Conflict
from intranet.extensions import db

CHANNELS = ("sms", "wechat")
SEND_HOURS = (time(9, 0), time(20, 0))  # store-local: no message to a customer at night
MAX_ATTEMPTS = 3  # a failed message is retried automatically until it has been tried this often
BATCH = 100


class GatewayError(Exception):
    """The gateway did not take the message; the text says why (kept on the message)."""


class MessageGateway(Protocol):
    def send(self, channel: str, to: str, body: str) -> str:
        """Hand one message over; return the gateway's reference, or raise GatewayError."""


class RecordingGateway:
    """Appends every message to a JSON-lines file: the stand-in for a real SMS / WeChat provider."""

    _lock = threading.Lock()

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def send(self, channel: str, to: str, body: str) -> str:
        if channel not in CHANNELS:
            raise GatewayError(f"unknown channel {channel!r}")
        if not to:
            raise GatewayError("no recipient")
        reference = f"rec-{uuid.uuid4().hex[:16]}"
        line = json.dumps({"ref": reference, "at": clock.utcnow().isoformat(timespec="seconds"),
                           "channel": channel, "to": to, "body": body}, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as log:
                log.write(line + "\n")
        except OSError as exc:
            raise GatewayError(f"cannot write {self.path}: {exc}") from exc
        return reference


def _recording(config) -> MessageGateway:
    return RecordingGateway(config["CARE_MESSAGE_LOG"])


# config CARE_MESSAGE_GATEWAY → a factory taking the app config; a real provider adds its entry
GATEWAYS = {"recording": _recording}


def get_gateway() -> MessageGateway:
    name = current_app.config.get("CARE_MESSAGE_GATEWAY") or "recording"
    factory = GATEWAYS.get(name)
    if factory is None:
        raise RuntimeError(f"CARE_MESSAGE_GATEWAY={name!r} is not a known gateway ({', '.join(GATEWAYS)})")
    return factory(current_app.config)


def read_log(path: str | Path) -> list[dict]:
    """The recording gateway's messages (for tests and the demo)."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ---------------------------------------------------------------- sending the box
def _sendable():
    return or_(OutgoingMessage.status == MessageStatus.QUEUED,
               (OutgoingMessage.status == MessageStatus.FAILED) & (OutgoingMessage.attempts < MAX_ATTEMPTS))


def send_batch(gateway: MessageGateway, *, store_id: int | None = None, limit: int = BATCH,
               skip: set[int] | None = None) -> tuple[int, int, list[int]]:
    """Send up to `limit` queued (or failed, fewer than MAX_ATTEMPTS tries) messages, oldest first.
    Each is marked sent with the gateway's reference, or failed with the error. Flushes only.
    Returns (sent, failed, ids tried)."""
    stmt = select(OutgoingMessage).where(_sendable()).order_by(OutgoingMessage.id).limit(limit)
    if store_id is not None:
        stmt = stmt.where(OutgoingMessage.store_id == store_id)
    if skip:
        stmt = stmt.where(OutgoingMessage.id.not_in(skip))
    sent = failed = 0
    tried = []
    for message in db.session.scalars(stmt):
        tried.append(message.id)
        message.attempts += 1
        try:
            message.gateway_ref = gateway.send(message.channel, message.to, message.body)[:64]
        except GatewayError as exc:
            message.status = MessageStatus.FAILED
            message.error = str(exc)[:400] or "error"
            failed += 1
            continue
        message.status = MessageStatus.SENT
        message.error = None
        message.sent_at = clock.utcnow()
        sent += 1
    db.session.flush()
    return sent, failed, tried


def send_queued_messages(*, store_id: int | None = None, gateway: MessageGateway | None = None,
                         commit_each_batch: bool = False) -> tuple[int, int]:
    """Work through the box in batches; each message is tried at most once per run."""
    gateway = gateway or get_gateway()
    total_sent = total_failed = 0
    seen: set[int] = set()
    while True:
        sent, failed, tried = send_batch(gateway, store_id=store_id, skip=seen)
        total_sent, total_failed = total_sent + sent, total_failed + failed
        seen.update(tried)
        if commit_each_batch:
            db.session.commit()  # what went out is recorded even if a later batch breaks
        if len(tried) < BATCH:
            return total_sent, total_failed


def within_send_hours(store: Store, now) -> bool:
    """Customers get messages in the day only: the night's reminders wait for the morning."""
    local = clock.to_store_time(now, store.timezone).time()
    return SEND_HOURS[0] <= local < SEND_HOURS[1]


# ---------------------------------------------------------------- the box page
def box_counts(store_id: int) -> dict[str, int]:
    rows = db.session.execute(select(OutgoingMessage.status, func.count()).where(
        OutgoingMessage.store_id == store_id).group_by(OutgoingMessage.status)).all()
    counts = {s.value: 0 for s in MessageStatus}
    counts.update({status: n for status, n in rows})
    return counts


def box(store_id: int, status: str | None, *, page: int = 1, per_page: int = 50) -> tuple[list[OutgoingMessage], bool]:
    stmt = (select(OutgoingMessage).options(joinedload(OutgoingMessage.customer))
            .where(OutgoingMessage.store_id == store_id).order_by(OutgoingMessage.id.desc())
            .offset((page - 1) * per_page).limit(per_page + 1))
    if status in {s.value for s in MessageStatus}:
        stmt = stmt.where(OutgoingMessage.status == status)
    rows = list(db.session.scalars(stmt))
    return rows[:per_page], len(rows) > per_page


def get_message(message_id: int, store_id: int) -> OutgoingMessage:
    return get_owned(OutgoingMessage, message_id, store_id, _l("That message does not exist."))


def retry(message_id: int, *, store_id: int) -> OutgoingMessage:
    """Put a failed message back in the queue: the next run of the sender tries it again."""
    message = get_message(message_id, store_id)
    if message.status != MessageStatus.FAILED:
        raise Conflict(_l("Only a failed message can be sent again; this one is %(status)s.",
                          status=MessageStatus(message.status).label))
    message.status = MessageStatus.QUEUED
    db.session.flush()
    return message
