"""The audit log: who signed in (or failed to, from where), who changed a person's account or roles,
who changed a store's settings — with the old and the new values.

Two ways in:
- `record(kind, …)` — an event written by the code that knows what happened (sign-in, a new account,
  a password reset);
- `__audit__` on a model — a label (lazy string) naming a settings record; every change to such a
  row, whoever makes it, is written as a SETTINGS_CHANGED event with the changed fields (the subject
  is the table's name, read back as the label), by a session hook (`watch_settings`), so an area
  only marks its settings model.

The actor and the address are what the web layer says for the request (`acting_as`, set in
`web.init_app`); a job has none. Passwords and
hashes are never written.
"""
from __future__ import annotations

import enum
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, String, Text, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from intranet import clock
from intranet.extensions import db

# Fields never written to the log, whatever the model.
SECRET_FIELDS = frozenset({"password_hash", "password", "token", "secret"})


class AuditKind(enum.StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_THROTTLED = "sign_in_throttled"
    SIGN_OUT = "sign_out"
    USER_CREATED = "user_created"
    USER_CHANGED = "user_changed"
    PASSWORD_RESET = "password_reset"
    SETTINGS_CHANGED = "settings_changed"

    @property
    def label(self):
        return KIND_LABELS[self]


KIND_LABELS = {
    AuditKind.SIGN_IN: _l("Signed in"),
    AuditKind.SIGN_IN_FAILED: _l("Failed sign-in"),
    AuditKind.SIGN_IN_THROTTLED: _l("Sign-in slowed down"),
    AuditKind.SIGN_OUT: _l("Signed out"),
    AuditKind.USER_CREATED: _l("Account created"),
    AuditKind.USER_CHANGED: _l("Account changed"),
    AuditKind.PASSWORD_RESET: _l("Password reset"),
    AuditKind.SETTINGS_CHANGED: _l("Settings changed"),
}


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_store_at", "store_id", "at"),
        Index("ix_audit_event_kind_actor_address", "kind", "actor_id", "address"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # What it was about, as people read it: a user name, "Store settings", "Care settings" …
    subject: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str | None] = mapped_column(String(64))
    details_json: Mapped[str] = mapped_column(Text, default="{}")

    actor = relationship("User", lazy="joined")

    @property
    def details(self) -> dict:
        try:
            return json.loads(self.details_json or "{}")
        except ValueError:
            return {}

    @property
    def subject_label(self):
        """A settings record reads as its model's `__audit__` label, in the reader's language."""
        return settings_labels().get(self.subject, self.subject)

    @property
    def kind_label(self):
        try:
            return AuditKind(self.kind).label
        except ValueError:
            return self.kind


def _plain(value):
    """A value as the log keeps it: text for numbers, times and enums; lists stay lists."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (Decimal, float, date, datetime, time)):
        return str(value)
    return str(value)


def changes(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value differs (secrets left out)."""
    out = {}
    for key, new in after.items():
        if key in SECRET_FIELDS:
            continue
        old = before.get(key)
        if _plain(old) != _plain(new):
            out[key] = [_plain(old), _plain(new)]
    return out


@dataclass(frozen=True)
class Origin:
    """Who is acting and from where, as the web layer tells it (`acting_as`); the kernel reads no
    request. `saving` is a person's submit (a POST), not a page view."""
    actor_id: int | None = None
    address: str | None = None
    saving: bool = False


_origin: ContextVar[Origin] = ContextVar("audit_origin", default=Origin())


def acting_as(origin: Origin):
    """Set the origin of what is recorded until `reset(token)` (the web layer, per request)."""
    return _origin.set(origin)


def reset(token) -> None:
    _origin.reset(token)


def record(kind: AuditKind, *, store_id: int | None, subject: str = "", actor_id: int | None = None,
           details: dict | None = None, address: str | None = None, session: Session | None = None) -> AuditEvent:
    """Add one event to the session (it is committed with the change it describes)."""
    entry = AuditEvent(
        store_id=store_id, kind=str(kind), subject=str(subject)[:120],
        actor_id=actor_id if actor_id is not None else _origin.get().actor_id,
        address=(address if address is not None else _origin.get().address),
        details_json=json.dumps({k: v for k, v in (details or {}).items() if k not in SECRET_FIELDS},
                                ensure_ascii=False, default=str),
        at=clock.utcnow())
    (session or db.session).add(entry)
    return entry


def settings_labels() -> dict:
    """{table name: label} of every model marked with `__audit__`."""
    return {m.class_.__tablename__: m.class_.__audit__ for m in db.Model.registry.mappers
            if getattr(m.class_, "__audit__", None) is not None}


def _settings_changes(obj) -> dict:
    state = inspect(obj)
    keys = {col.key for col in state.mapper.primary_key}
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SECRET_FIELDS or key in keys:
            continue
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if _plain(old) != _plain(new):
            out[key] = [_plain(old), _plain(new)]
    return out


def _row_key(obj) -> dict:
    """The columns that tell one row of a settings table from another (a stage, a KPI …)."""
    mapper = inspect(obj).mapper
    return {col.key: _plain(getattr(obj, col.key, None)) for col in mapper.primary_key
            if col.key not in {"id", "store_id"}}


def _before_flush(session: Session, flush_context, instances) -> None:
    # A new settings row counts when a person saved it (a POST); defaults written on a first read or
    # by the demo are not changes anyone made.
    saved = _origin.get().saving
    touched = [obj for obj in session.new if saved and getattr(type(obj), "__audit__", None) is not None]
    touched += [obj for obj in session.dirty if getattr(type(obj), "__audit__", None) is not None
                and session.is_modified(obj, include_collections=False)]
    for obj in touched:
        diff = _settings_changes(obj)
        if not diff:
            continue
        store_id = getattr(obj, "store_id", None)
        if store_id is None and type(obj).__tablename__ == "store":
            store_id = obj.id
        key = _row_key(obj)
        if key:
            diff["_row"] = key
        record(AuditKind.SETTINGS_CHANGED, store_id=store_id, subject=type(obj).__tablename__, details=diff,
               session=session)


def watch_settings() -> None:
    """Write a SETTINGS_CHANGED event for every change to a model marked with `__audit__`."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
