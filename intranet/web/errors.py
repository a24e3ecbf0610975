"""What a person sees when something goes wrong: a page, or a toast for an htmx request."""
from __future__ import annotations

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web.htmx import is_htmx_request, toast


def init_app(app: Flask) -> None:
    def answer(message, code: int, *, page: bool = True):
        """A toast for htmx; else the error page (`page`) or a flash on the page the person came from."""
        if is_htmx_request():
            return toast(app.response_class(str(message), code), message)
        if page:
            return render_template("errors/error.html", code=code, message=message), code
        flash(str(message), "error")
        return redirect(request.referrer or url_for("core.home"))

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

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return answer(_("Something went wrong on our side. Nothing you entered was lost; try again in a moment."), 500)
