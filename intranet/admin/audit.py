"""The audit log page: sign-ins and failed ones with their address, account and role changes,
settings changes with old and new values — newest first, filtered by kind and by name."""
from __future__ import annotations

from flask import render_template, request
from sqlalchemy import or_, select

from intranet.admin.views import bp
from intranet.core.audit import AuditEvent, AuditKind
from intranet.core.models import User
from intranet.extensions import db
from intranet.web import current_store

PER_PAGE = 50
MAX_PAGE = 10_000


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
                           kinds=list(AuditKind))
