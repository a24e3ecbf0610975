"""Form and button helpers: one service call as one unit of work, the refusal shown next to its
field, whatever was typed kept."""
from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import flash, request
from flask_babel import lazy_gettext as _l

from intranet import clock
from intranet.core.bounds import whole_number
from intranet.core.services import commit_unit
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web.context import current_store


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
        commit_unit(action)
    except DomainError as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return False
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
        result = commit_unit(action)
    except DomainError as refused:
        db.session.rollback()
        return FormOutcome(error=attach_error(form, refused))
    return FormOutcome(done=True, result=result)


def one_time_token() -> str:
    """A token for a form marked `data-retry`: a re-sent tap carries it, and the service finds the
    first result instead of acting twice."""
    return str(uuid.uuid4())


def form_int(name: str) -> int | None:
    """A whole number from the posted form (an id, a version); None when absent, not a number, or
    too large to be one ("9" * 40 finds nothing rather than overflowing the query)."""
    return whole_number(request.form.get(name), lowest=0)


def png_from_data_url(value: str | None, field: str) -> bytes | None:
    """The PNG a drawing pad sent as a data: URL (a signature), or None when nothing was drawn; a
    mangled one is refused next to `field`."""
    value = (value or "").strip()
    if not value:
        return None
    prefix = "data:image/png;base64,"
    try:
        if not value.startswith(prefix):
            raise ValueError(value[:20])
        return base64.b64decode(value[len(prefix):], validate=True)
    except (ValueError, binascii.Error):
        raise DomainError(_l("The drawing did not arrive whole. Clear it and draw it again."), field=field) from None


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
