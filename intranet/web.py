"""Request plumbing shared by every page: who is signed in, which language, access, errors,
template helpers."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import Flask, current_app, flash, g, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from intranet import clock
from intranet.auth import access
from intranet.core.models import Role, Store, User
from intranet.errors import DomainError
from intranet.extensions import db, login_manager


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user and user.active else None  # a disabled account is signed out at once


def active_role() -> Role | None:
    if not current_user.is_authenticated:
        return None
    roles = current_user.roles
    chosen = session.get("role")
    return Role(chosen) if chosen in roles else (roles[0] if roles else None)


def current_store() -> Store | None:
    if "store" not in g:
        g.store = current_user.store if current_user.is_authenticated else db.session.scalar(
            db.select(Store).order_by(Store.id).limit(1))
    return g.store


def add_trigger(response, event: str, detail, header: str = "HX-Trigger") -> None:
    """Add an htmx client event to the response, keeping events already there. `header` may be
    HX-Trigger-After-Settle: the event then fires once the answer is swapped in."""
    events = json.loads(response.headers.get(header) or "{}")
    events[event] = detail
    # Header values must be Latin-1: keep the default \u escapes (htmx decodes them).
    response.headers[header] = json.dumps(events)


def toast(response, message: str, level: str = "error"):
    """Attach a message that the page shows as a toast (used for htmx answers)."""
    add_trigger(response, "toast", {"message": str(message), "level": level})
    return response


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    from datetime import timedelta

    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["REMEMBER_COOKIE_DURATION_DAYS"])
    app.before_request(access.enforce_access)

    @app.before_request
    def note_presence():
        if current_user.is_authenticated and request.endpoint not in (None, "static"):
            from intranet.auth.services import touch_last_seen
            from intranet.live.services import bump

            came_online = touch_last_seen(current_user)
            if came_online:
                bump(current_user.store_id, "today")
            if db.session.dirty or db.session.new or came_online:
                db.session.commit()

    @app.after_request
    def vary_on_htmx(response):
        response.vary.add("HX-Request")
        response.vary.add("Cookie")
        return response

    @app.errorhandler(403)
    def forbidden(error):
        message = _("Your role does not give access to this page.")
        if _is_htmx():
            return toast(app.response_class(message, 403), message)
        return render_template("errors/error.html", code=403, message=message), 403

    @app.errorhandler(404)
    def not_found(error):
        message = _("This page does not exist (any more).")
        if _is_htmx():
            return toast(app.response_class(message, 404), message)
        return render_template("errors/error.html", code=404, message=message), 404

    @app.errorhandler(413)
    def too_large(error):
        message = _("That upload is too large. Send fewer or smaller photos at a time.")
        if _is_htmx():
            return toast(app.response_class(message, 413), message)
        flash(message, "error")
        return redirect(request.referrer or url_for("core.home"))

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        message = _("The form had expired. Nothing was saved — please submit it again.")
        if _is_htmx():
            return toast(app.response_class(message, 400), message)
        flash(message, "error")
        return redirect(request.referrer or url_for("core.home"))

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        # Views catch DomainError to redisplay their form; this is the safety net.
        db.session.rollback()
        if _is_htmx():
            return toast(app.response_class(str(error.message), 422), error.message)
        flash(str(error.message), "error")
        return redirect(request.referrer or url_for("core.home"))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        message = _("Something went wrong on our side. Nothing you entered was lost; try again in a moment.")
        if _is_htmx():
            return toast(app.response_class(message, 500), message)
        return render_template("errors/error.html", code=500, message=message), 500

    @app.template_filter("localtime")
    def localtime(value, fmt: str = "%H:%M"):
        store = current_store()
        local = clock.to_store_time(value, store.timezone if store else "Asia/Shanghai")
        return local.strftime(fmt) if local else "—"

    @app.template_filter("when")
    def when(value):
        """A time near today said the way people say it: 14:30, tomorrow 10:00, 11-25 09:00."""
        store = current_store()
        tz = store.timezone if store else "Asia/Shanghai"
        local = clock.to_store_time(value, tz)
        if local is None:
            return "—"
        days = (local.date() - clock.store_today(tz)).days
        if days == 0:
            return local.strftime("%H:%M")
        if days == 1:
            return _("tomorrow %(time)s", time=local.strftime("%H:%M"))
        if days == -1:
            return _("yesterday %(time)s", time=local.strftime("%H:%M"))
        return local.strftime("%m-%d %H:%M")

    app.add_template_filter(minutes_text, "minutes")

    @app.template_filter("qty")
    def qty(value):
        return format_decimal(Decimal(value), format="#,##0.##")

    _register_label_filters(app)

    @app.template_filter("money")
    def money(value):
        if value is None:
            return "—"
        amount = Decimal(value)
        return ("-¥" if amount < 0 else "¥") + format_decimal(abs(amount), format="#,##0.00")

    @app.context_processor
    def layout_context():
        from intranet.nav import navigation

        role = active_role()
        return {
            "active_role": role,
            "store": current_store() if current_user.is_authenticated else None,
            "languages": app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
            "nav": navigation(current_user, role) if role else [],
            "can_open": lambda endpoint: access.can_open(current_user, endpoint),
            "unread_notices": _unread_notices,  # called by the page layout only, never by fragments
            "Role": Role,
        }


def minutes_text(value) -> str:
    """A stretch of time the way a wall board says it: 45 min, 2 h 05."""
    value = int(value or 0)
    if value < 60:
        return _("%(minutes)s min", minutes=value)
    return _("%(hours)s h %(minutes)02d", hours=value // 60, minutes=value % 60)


def _unread_notices() -> int:
    from intranet.core.notices import unread_count

    return unread_count(current_user.id) if current_user.is_authenticated else 0


def _register_label_filters(app: Flask) -> None:
    """`{{ value|pay_type_label }}` and the like: the translated label of a stored enum value."""
    from intranet.core.models import ContactTime, PayType, ROStatus
    from intranet.director.models import ActionStatus, RoundStatus
    from intranet.reception.models import AnswerChannel, OldParts, PaymentMethod
    from intranet.workshop.models import JobStatus, PauseReason, Stage, Team

    enums = {"pay_type_label": PayType, "ro_status_label": ROStatus, "answer_channel_label": AnswerChannel,
             "payment_method_label": PaymentMethod, "old_parts_label": OldParts, "contact_time": ContactTime,
             "round_status_label": RoundStatus, "action_status_label": ActionStatus,
             "team_label": Team, "job_status_label": JobStatus, "pause_reason_label": PauseReason,
             "stage_label": Stage}
    for name, enum_class in enums.items():
        app.add_template_filter(lambda value, enum_class=enum_class: enum_class(value).label if value else "—", name)


def attach_error(form, error: DomainError) -> str | None:
    """Show a service's refusal next to the field it is about; returns it when it fits no field."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
        return None
    return error.message


@dataclass
class FormOutcome:
    done: bool = False
    result: object = None
    error: object = None  # a refusal that fits no field, shown above the form

    @property
    def status(self) -> int:
        """422 when the form came back with errors, so htmx and tests can tell."""
        return 422 if request.method == "POST" and not self.done else 200


def run_action(action, success: str | None = None) -> bool:
    """Run `action()` (one service call) as one unit of work for a button without a form: commit
    and flash `success`, or roll back and flash the refusal. True when it went through."""
    try:
        action()
    except DomainError as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return False
    db.session.commit()
    if success:
        flash(success, "success")
    return True


def run_form(form, action) -> FormOutcome:
    """Validate `form` and, if valid, run `action()` (one service call) as one unit of work:
    commit on success; on a DomainError roll back and put the message next to its field.
    Whatever was typed stays in the form."""
    if not form.validate_on_submit():
        return FormOutcome()
    try:
        result = action()
    except DomainError as refused:
        db.session.rollback()
        return FormOutcome(error=attach_error(form, refused))
    db.session.commit()
    return FormOutcome(done=True, result=result)


def one_time_token() -> str:
    """A token for a form marked `data-retry`: a re-sent tap carries it, and the service finds the
    first result instead of acting twice."""
    import uuid

    return str(uuid.uuid4())


def form_int(name: str) -> int | None:
    """A whole number from the posted form (an id, a version); None when absent or not a number."""
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def period_from_args(days: int = 30) -> tuple[date, date]:
    """The period a figures page shows: ?start=&end= (store dates), by default the last `days` days
    up to today; a reversed period is turned round."""
    today = clock.store_today(current_store().timezone)

    def parse(name: str, default: date) -> date:
        try:
            return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
        except ValueError:
            return default

    start, end = parse("start", today - timedelta(days=days - 1)), parse("end", today)
    return (start, end) if start <= end else (end, start)
