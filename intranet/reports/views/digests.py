"""Sent digests (every digest built, sent or not, readable here; why one is still waiting) and who
receives each kind of digest."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.auth import access
from intranet.auth.access import guard
from intranet.core.models import Role, User
from intranet.core.services import commit_unit
from intranet.errors import DomainError, NotFound
from intranet.extensions import db
from intranet.reports import digests as service
from intranet.reports.forms import RecipientForm, SendDigestForm
from intranet.reports.models import (
    Digest,
    DigestImage,
    DigestKind,
    DigestRecipient,
    DigestStatus,
)
from intranet.web import current_store

digests_bp = guard(Blueprint("digests", __name__, url_prefix="/reports/digests"),
                   Role.DIRECTOR, Role.MANAGER, Role.ADMIN)
recipients_bp = guard(Blueprint("digest_recipients", __name__, url_prefix="/reports/digests/recipients"),
                      Role.DIRECTOR, Role.ADMIN)


def _digest_or_404(digest_id: int) -> Digest:
    try:
        return service.get_digest(digest_id, current_store().id)
    except NotFound:
        abort(404)


@digests_bp.get("/")
def index():
    kind = request.args.get("kind") or None
    if kind not in (None, *[str(k) for k in DigestKind]):
        kind = None
    rows = service.list_digests(current_store().id, kind=kind)
    return render_template("reports/digests/index.html", digests=rows, kind=kind, kinds=list(DigestKind),
                           can_edit_recipients=_can_edit())


def _can_edit() -> bool:
    from flask_login import current_user

    return access.can_open(current_user, "digest_recipients.index")


@digests_bp.get("/<int:digest_id>")
def show(digest_id: int):
    digest = _digest_or_404(digest_id)
    html = digest.html
    for image in digest.images:
        html = html.replace(f"cid:{image.cid}", url_for("digests.image", digest_id=digest.id, cid=image.cid))
    return render_template("reports/digests/show.html", digest=digest, email_html=html)


@digests_bp.get("/<int:digest_id>/images/<path:cid>")
def image(digest_id: int, cid: str):
    digest = _digest_or_404(digest_id)
    png = db.session.scalar(select(DigestImage.png).where(DigestImage.digest_id == digest.id, DigestImage.cid == cid))
    if png is None:
        abort(404)
    response = make_response(bytes(png))
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@digests_bp.get("/<int:digest_id>/text")
def text(digest_id: int):
    digest = _digest_or_404(digest_id)
    return digest.text, 200, {"Content-Type": "text/plain; charset=utf-8"}


@digests_bp.post("/<int:digest_id>/send")
def send(digest_id: int):
    """Send now. A double tap sends once: the second waits for the first and answers the same."""
    store_id = current_store().id
    try:
        digest = commit_unit(lambda: service.send_now(digest_id, store_id=store_id))
    except NotFound:
        abort(404)
    except DomainError as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("digests.show", digest_id=digest_id))
    if digest.status == DigestStatus.SENT:
        flash(_("Digest sent to %(who)s.", who=digest.recipients), "success")
    elif digest.status == DigestStatus.NO_RECIPIENTS:
        flash(_("Nobody receives this digest: add recipients first."), "error")
    else:
        flash(_("Not sent: %(reason)s", reason=digest.last_error), "error")
    return redirect(SendDigestForm().back(url_for("digests.show", digest_id=digest_id)))


# ------------------------------------------------------------------ recipients

def _recipients(store_id: int) -> dict[str, list[DigestRecipient]]:
    found: dict[str, list[DigestRecipient]] = {str(k): [] for k in DigestKind}
    for r in db.session.scalars(select(DigestRecipient).options(joinedload(DigestRecipient.user))
                                .where(DigestRecipient.store_id == store_id)
                                .order_by(DigestRecipient.kind, DigestRecipient.email)):
        found.setdefault(r.kind, []).append(r)
    return found


def _staff(store_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.store_id == store_id, User.active.is_(True))
                                   .order_by(User.display_name)))


@recipients_bp.get("/", endpoint="index")
def recipients_index():
    store = current_store()
    return render_template("reports/digests/recipients.html", recipients=_recipients(store.id),
                           kinds=list(DigestKind), staff=_staff(store.id), errors={}, typed={})


@recipients_bp.post("/", endpoint="add")
def add_recipient():
    store = current_store()
    form = RecipientForm()
    typed = form.typed()
    try:
        recipient = service.add_recipient(store.id, form.kind.data, form.email.data, user_id=form.user)
    except DomainError as refused:
        db.session.rollback()
        return render_template("reports/digests/recipients.html", recipients=_recipients(store.id),
                               kinds=list(DigestKind), staff=_staff(store.id),
                               errors={refused.field or "email": str(refused.message)}, typed=typed), 422
    db.session.commit()
    flash(_("%(email)s will receive the %(digest)s.", email=recipient.email,
            digest=DigestKind(recipient.kind).label), "success")
    return redirect(url_for("digest_recipients.index"))


@recipients_bp.post("/<int:recipient_id>/remove", endpoint="remove")
def remove_recipient(recipient_id: int):
    try:
        service.remove_recipient(current_store().id, recipient_id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_("Recipient removed."), "success")
    return redirect(url_for("digest_recipients.index"))
