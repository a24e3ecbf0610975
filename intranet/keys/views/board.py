"""The key board, its search box, and a tag's page with the taps that move its key."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.keys import services
from intranet.keys.models import KeyPlace
from intranet.live.http import announce, board_etag, conditional_board
from intranet.web import current_store, form_int, is_htmx_request, one_time_token, toast

BOARD = services.BOARD
FILTERS = ("technician", "reception", "wash", "board", "free")

bp = guard(Blueprint("keys", __name__, url_prefix="/keys"),
           Role.DIRECTOR, Role.ADVISOR, Role.CONTROLLER, Role.TECHNICIAN, Role.INSPECTOR, Role.ADMIN)


def _minute() -> str:
    # a key still out turns red at the key-collection time, with no move to announce it
    return clock.utcnow().strftime("%H%M")


def _code_from_scan(text: str | None) -> str:
    """What was typed, or what a scanner typed: the whole URL of the tag's QR code."""
    text = (text or "").strip()
    if "/keys/t/" in text:
        text = text.rsplit("/keys/t/", 1)[1].split("?")[0].split("/")[0]
    return services.normalize_code(text)


# ------------------------------------------------------------------ the key board

def _place_filter() -> str | None:
    place = request.args.get("place")
    return place if place in FILTERS else None


def render_board(store, place: str | None, etag: str | None = None) -> str:
    return render_template("keys/_board.html", board=services.key_board(store.id), place=place,
                           etag=etag or board_etag(BOARD, store.id, _minute() + (place or "")))


def _board_page(store, *, error=None, typed: str = "", status: int = 200):
    place = _place_filter()
    return render_template("keys/board.html", board=render_board(store, place), place=place, filters=FILTERS,
                           places=KeyPlace, error=error, typed=typed), status


@bp.get("/")
def board():
    return _board_page(current_store())


@bp.get("/live")
def board_live():
    store, place = current_store(), _place_filter()
    return conditional_board(BOARD, store.id, lambda etag: render_board(store, place, etag),
                             extra=_minute() + (place or ""))


@bp.get("/find")
def find():
    """The board's search box: a tag number typed or its QR code scanned, or the car's plate or
    repair order number."""
    store = current_store()
    typed = request.args.get("code", "")
    code = _code_from_scan(typed)
    tag = services.find_tag(store.id, code) if code else None
    if tag is not None:
        return redirect(url_for(".tag", code=tag.code))
    error = services.nothing_found(code).message if code else _("Type or scan a key tag number.")
    return _board_page(store, error=error, typed=typed, status=404 if code else 422)


# ------------------------------------------------------------------ a tag's page

def _tag_or_404(store, code: str):
    tag = services.tag_by_code(store.id, code)
    if tag is None:
        if is_htmx_request():
            message = services.not_found(code).message
            abort(toast(make_response(str(message), 404), message))
        abort(make_response(render_template("keys/unknown.html", code=services.normalize_code(code),
                                            message=services.not_found(code).message), 404))
    return tag


def render_tag(store, tag, *, etag: str | None = None, error=None) -> str:
    return render_template("keys/_tag.html", tag=tag, history=services.history_of(store.id, tag.id),
                           technicians=services.technicians(store.id), token=one_time_token, error=error,
                           handover_statuses=services.HANDOVER_STATUSES, places=KeyPlace,
                           etag=etag or board_etag(BOARD, store.id, f"t{tag.id}"))


@bp.get("/t/<code>")
def tag(code: str):
    store = current_store()
    found = _tag_or_404(store, code)
    return render_template("keys/tag.html", tag=found, panel=render_tag(store, found))


@bp.get("/t/<code>/live")
def tag_live(code: str):
    store = current_store()
    found = _tag_or_404(store, code)
    return conditional_board(BOARD, store.id, lambda etag: render_tag(store, found, etag=etag), extra=f"t{found.id}")


@bp.post("/t/<code>/move")
def move(code: str):
    """A tap on the tag's page: a button posting where to, to whom, the key's version and a token."""
    store = current_store()
    found = _tag_or_404(store, code)
    to = request.form.get("to", "")
    common = {"actor_id": current_user.id, "token": request.form.get("token"),
              "expected_version": form_int("version")}
    try:
        if to == "me":
            movement = services.take_key(store.id, found.id, **common)
        else:
            movement = services.move_key(store.id, found.id, to, holder_id=form_int("holder_id"),
                                         note=request.form.get("note"), **common)
    except DomainError as refused:
        db.session.rollback()
        if not is_htmx_request():
            flash(str(refused.message), "error")
            return redirect(url_for(".tag", code=code))
        status = 409 if isinstance(refused, Conflict) else 422
        fresh = _tag_or_404(store, code)  # the key as it is now
        return toast(make_response(render_tag(store, fresh, error=refused.message), status), refused.message)
    db.session.commit()
    done = _("Key %(code)s: %(place)s.", code=found.code, place=movement.to_place_enum.label)
    if not is_htmx_request():
        flash(done, "success")
        return redirect(url_for(".tag", code=code))
    fresh = _tag_or_404(store, code)
    return announce(toast(make_response(render_tag(store, fresh)), done, "success"), BOARD)
