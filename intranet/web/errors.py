"""What a person sees when something goes wrong: a page, or a toast for an htmx request.

Input that cannot be stored and database conflicts are answered here, in one place, not per view:

- the request guard refuses a NUL character in any form value or query argument, a query argument
  or a typed value of absurd length (400, nothing read);
- ids in URLs are whole numbers that fit a row id (`<int:…>` is bounded), so /ro/99999999999999999999
  is a 404; a number that still overflows the database in a query (a huge ?page=, an id read by hand)
  is a 404 for a page and a 422 for a form;
- a database conflict that escaped the view — a unique key taken at the same moment, a row saved by
  someone else in between, SQLite's "database is locked", PostgreSQL's serialization failure — is a
  409: "someone else saved at the same time", with what was typed shown and ready to send again;
- every flush is held against the columns (`core.bounds`), so a value that does not fit is a
  refusal next to its field instead of a database error.
"""
from __future__ import annotations

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import IntegerConverter

from intranet.core import bounds
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web.htmx import is_htmx_request, toast

# A query argument longer than this is no search, page or filter (a URL carries at most a few kB).
MAX_ARG = 1000
# A typed value longer than this is no note; a drawn signature (a data: URL) may be longer.
MAX_VALUE = 50_000
# SQLSTATEs of PostgreSQL meaning "another transaction got in the way; the same request may pass now".
RETRY_STATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


class IdConverter(IntegerConverter):
    """`<int:…>`: a whole number that fits a row id; a larger one matches no page (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", bounds.INT_MAX)
        super().__init__(map, *args, **kwargs)


def is_conflict(error: Exception) -> bool:
    """A database error saying another writer got there first."""
    if isinstance(error, (IntegrityError, StaleDataError)):
        return True
    if isinstance(error, OperationalError):
        orig = getattr(error, "orig", None)
        return "locked" in str(orig) or getattr(orig, "sqlstate", None) in RETRY_STATES
    return False


def posted_values() -> list[tuple[str, str]]:
    """What the person sent, to show and to send again (not the CSRF token, no password, not a NUL)."""
    if request.method != "POST":
        return []
    return [(name, value.replace("\x00", "\ufffd")) for name, value in request.form.items(multi=True)
            if name != "csrf_token" and "password" not in name.lower()]


def unusable_input() -> str | None:
    """Why this request's form or query cannot be read at all, or None."""
    for source, longest in ((request.args, MAX_ARG), (request.form, MAX_VALUE)):
        for name, value in source.items(multi=True):
            if "\x00" in name or "\x00" in value:
                return _("Something you sent contains a character that cannot be stored (NUL). Nothing was "
                         "saved: type it again rather than pasting it.")
            if len(value) > longest and not (source is request.form and value.startswith("data:")):
                return _("Something you sent is far too long (%(n)d characters). Nothing was saved.", n=len(value))
    return None


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before the areas add their rules
    bounds.install()

    def answer(message, code: int, *, page: bool = True):
        """A toast for htmx; else the error page (`page`) or a flash on the page the person came from."""
        if is_htmx_request():
            return toast(app.response_class(str(message), code), message)
        if page:
            return render_template("errors/error.html", code=code, message=message), code
        flash(str(message), "error")
        return redirect(request.referrer or url_for("core.home"))

    def kept(message, code: int, *, resend: bool):
        """A refusal that loses nothing: for htmx a toast and no swap (the form on the page keeps what
        was typed); else a page with what was typed, and a button to send it again (`resend`)."""
        if is_htmx_request():
            response = toast(app.response_class(str(message), code), message)
            response.headers["HX-Reswap"] = "none"
            return response
        if request.method != "POST":
            return render_template("errors/error.html", code=code, message=message), code
        return render_template("errors/kept.html", code=code, message=message, values=posted_values(),
                               resend=resend, files=bool(request.files)), code

    @app.before_request
    def refuse_unusable_input():
        problem = unusable_input()
        if problem:
            return kept(problem, 400, resend=False)
        return None

    @app.errorhandler(403)
    def forbidden(error):
        return answer(_("Your role does not give access to this page."), 403)

    @app.errorhandler(404)
    def not_found(error):
        return answer(_("This page does not exist (any more)."), 404)

    @app.errorhandler(413)
    def too_large(error):
        return answer(_("That upload is too large. Send fewer or smaller photos at a time."), 413, page=False)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return answer(_("The form had expired. Nothing was saved — please submit it again."), 400, page=False)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        # Views catch DomainError to redisplay their form; this is the safety net.
        db.session.rollback()
        return answer(error.message, 422, page=False)

    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    @app.errorhandler(OperationalError)
    def database_conflict(error):
        db.session.rollback()
        if not is_conflict(error):
            app.logger.exception("Database error", exc_info=error)
            return kept(_("The database did not answer. Nothing was saved; try again in a moment."), 503,
                        resend=True)
        return kept(_("Someone else saved at the same time, so nothing of yours was saved. What you typed is "
                      "below: send it again, or go back and check first."), 409, resend=True)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def does_not_fit(error):
        # A number too large for the database (SQLite: OverflowError; PostgreSQL: "out of range"),
        # or a value too long for its column, that no form or service caught first.
        db.session.rollback()
        if request.method != "POST":
            return answer(_("This page does not exist (any more)."), 404)
        return kept(_("A number or text you entered is too large to be stored. Nothing was saved: check "
                      "what you typed below."), 422, resend=False)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return answer(_("Something went wrong on our side. Nothing you entered was lost; try again in a moment."), 500)
