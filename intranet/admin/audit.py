"""The audit log page: sign-ins and failed ones with their address, account and role changes,
settings changes with old and new values — newest first, filtered by kind and by name."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from intranet.admin.views import bp
from intranet.core.audit import AuditEvent, AuditKind
from intranet.core.models import Role, User
from intranet.extensions import db
from intranet.web import current_store

PER_PAGE = 50
MAX_PAGE = 10_000

# What the log's keys read as. Settings keep their field's name (a technical key, in mono).
FIELD_LABELS = {
    "display_name": _l("Name"), "mobile": _l("Mobile"), "active": _l("Active"), "roles": _l("Roles"),
    "reason": _l("Reason"), "wait_seconds": _l("Seconds to wait"), "_row": _l("Row"),
}
REASONS = {"unknown user": _l("unknown user name"), "wrong password": _l("wrong password"),
           "disabled": _l("account disabled")}


def _readable(key: str, value):
    if value is None:
        return "—"
    if key == "roles" and isinstance(value, list):
        labels = []
        for role in value:
            try:
                labels.append(str(Role(role).label))
            except ValueError:
                labels.append(str(role))
        return "、".join(labels) or "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if key == "reason":
        return str(REASONS.get(value, value))
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def detail_rows(event: AuditEvent) -> list[tuple[str, bool, str, str | None]]:
    """(field, is a technical key, old or the value, new or None) for each detail of an event."""
    rows = []
    for key, value in event.details.items():
        label = FIELD_LABELS.get(key)
        name, technical = (str(label), False) if label is not None else (key, True)
        if isinstance(value, list) and len(value) == 2 and key != "roles" or (
                key == "roles" and len(value) == 2 and all(isinstance(v, list) for v in value)):
            rows.append((name, technical, _readable(key, value[0]), _readable(key, value[1])))
        else:
            rows.append((name, technical, _readable(key, value), None))
    return rows


@bp.get("/audit")
def audit():
    store = current_store()
    kind = request.args.get("kind", "")
    kind = kind if kind in {k.value for k in AuditKind} else ""
    who = (request.args.get("who") or "").strip().lower()[:64]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, MAX_PAGE))
    query = select(AuditEvent).where(or_(AuditEvent.store_id == store.id, AuditEvent.store_id.is_(None)))
    if kind:
        query = query.where(AuditEvent.kind == kind)
    if who:
        prefix = who.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        actors = select(User.id).where(User.store_id == store.id, User.username.like(prefix, escape="\\"))
        query = query.where(or_(AuditEvent.subject.like(prefix, escape="\\"), AuditEvent.actor_id.in_(actors)))
    rows = db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                              .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).unique().all()
    more = len(rows) > PER_PAGE
    return render_template("admin/audit.html", rows=rows[:PER_PAGE], more=more, page=page, kind=kind, who=who,
                           kinds=list(AuditKind), detail_rows=detail_rows)
