"""The director's office: insurer relations, the repair orders' form quality, the equipment
register with its maintenance cards, and the closing round's spot checks of those cards."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intranet import clock
from intranet.auth import access
from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.director import equipment as register_service
from intranet.director import form_quality, insurers
from intranet.director.forms import (
    ContactForm, EquipmentForm, HoursForm, InsurerForm, RecordForm, SpotCheckForm, TaskForm,
)
from intranet.director.models import ContactChannel, InspectionRound
from intranet.director.settings import settings_for
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store, is_htmx_request, run_form, toast

insurers_bp = guard(Blueprint("insurers", __name__, url_prefix="/director/insurers"),
                    Role.DIRECTOR, Role.ACCIDENT, Role.MANAGER)
form_quality_bp = guard(Blueprint("form_quality", __name__, url_prefix="/director/form-quality"),
                        Role.DIRECTOR, Role.ADVISOR, Role.MANAGER)
equipment_bp = guard(Blueprint("equipment", __name__, url_prefix="/director/equipment"),
                     Role.DIRECTOR, Role.CONTROLLER, Role.ADMIN)
spot_checks_bp = guard(Blueprint("spot_checks", __name__, url_prefix="/director/spot-checks"), Role.DIRECTOR)
BLUEPRINTS = (insurers_bp, form_quality_bp, equipment_bp, spot_checks_bp)

OFFICE_TABS = (
    ("insurers.index", _l("Insurers")),
    ("form_quality.page", _l("Form quality")),
    ("equipment.index", _l("Equipment")),
)


@insurers_bp.app_context_processor
def _office_context():
    def office_tabs():
        return [(endpoint, label) for endpoint, label in OFFICE_TABS
                if endpoint in current_app.view_functions and access.can_open(current_user, endpoint)]

    return {"office_tabs": office_tabs}


def _today() -> date:
    return clock.store_today(current_store().timezone)


def _or_404(lookup):
    try:
        return lookup()
    except NotFound:
        abort(404)


def _page() -> int:
    value = request.args.get("page", "1")
    return max(int(value), 1) if value.isdigit() else 1


def _local_now_text() -> str:
    return clock.to_store_time(clock.utcnow(), current_store().timezone).strftime("%Y-%m-%dT%H:%M")


def _safe_next(default: str) -> str:
    target = request.values.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


# ------------------------------------------------------------------ insurers

def _month() -> date:
    try:
        return datetime.strptime(request.args.get("month", ""), "%Y-%m").date()
    except ValueError:
        return insurers.month_start_of(_today())


def _contact_form(insurer_id: int | None = None) -> ContactForm:
    """The contact form: what was posted, else now and the insurer the page is about."""
    form = ContactForm()
    form.insurer_id.choices = [("", _("Choose…"))] + [
        (str(i.id), i.name) for i in insurers.insurers(current_store().id)]
    if not form.is_submitted():
        form.at.data = _local_now_text()
        if insurer_id:
            form.insurer_id.data = str(insurer_id)
    return form


@insurers_bp.get("/", endpoint="index")
def insurer_list():
    store = current_store()
    month, today = _month(), _today()
    return render_template("director/office/insurers.html", month=month, today=today,
                           progress=insurers.month_progress(store.id, month, today=today),
                           late_in_month=insurers.in_last_third(month, today),
                           previous_month=(month - timedelta(days=1)).replace(day=1),
                           next_month=insurers.next_month(month) if insurers.next_month(month) <= today else None,
                           recent=insurers.recent_contacts(store.id), form=_contact_form(),
                           settings=settings_for(store.id),
                           channels={c.value: c.label for c in ContactChannel})


@insurers_bp.route("/contacts/new", methods=["GET", "POST"])
def log_contact():
    store = current_store()
    preset = request.args.get("insurer_id", "")
    form = _contact_form(int(preset) if preset.isdigit() else None)
    outcome = run_form(form, lambda: insurers.log_contact(
        store_id=store.id, actor_id=current_user.id, insurer_id=form.insurer_id.data, subject=form.subject.data,
        at=form.at.data, channel=form.channel.data, their_person=form.their_person.data, note=form.note.data))
    if outcome.done:
        flash(_("Contact with %(insurer)s logged.", insurer=outcome.result.insurer.name), "success")
        return redirect(_safe_next(url_for(".index")))
    return render_template("director/office/contact_form.html", form=form, error=outcome.error,
                           next=_safe_next(url_for(".index"))), outcome.status


@insurers_bp.get("/<int:insurer_id>")
def insurer(insurer_id: int):
    store = current_store()
    progress = _or_404(lambda: insurers.insurer_progress(insurer_id, store.id, today=_today()))
    page = _page()
    contacts, more = insurers.contact_history(insurer_id, store.id, page=page)
    return render_template("director/office/insurer.html", p=progress, insurer=progress.insurer, contacts=contacts,
                           more=more, page=page, form=_contact_form(insurer_id),
                           channels={c.value: c.label for c in ContactChannel})


def _insurer_form_page(insurer_id: int | None):
    store = current_store()
    found = _or_404(lambda: insurers.get_insurer(insurer_id, store.id)) if insurer_id else None
    form = InsurerForm(obj=found)
    outcome = run_form(form, lambda: insurers.save_insurer(
        store_id=store.id, insurer_id=insurer_id, name=form.name.data, partner=form.partner.data,
        contact_person=form.contact_person.data, phone=form.phone.data, active=form.active.data))
    if outcome.done:
        flash(_("Saved."), "success")
        return redirect(url_for(".insurer", insurer_id=outcome.result.id))
    return render_template("director/office/insurer_form.html", form=form, insurer=found,
                           error=outcome.error), outcome.status


@insurers_bp.route("/new", methods=["GET", "POST"])
def new_insurer():
    return _insurer_form_page(None)


@insurers_bp.route("/<int:insurer_id>/edit", methods=["GET", "POST"])
def edit_insurer(insurer_id: int):
    return _insurer_form_page(insurer_id)


# ------------------------------------------------------------------ form quality

@form_quality_bp.get("/", endpoint="page")
def form_quality_page():
    store = current_store()
    today = _today()
    days, total = form_quality.history(store.id, today - date.resolution)
    return render_template("director/office/form_quality.html", today=today,
                           live=form_quality.check_day(store.id, today), days=days, total=total,
                           groups=form_quality.ros_to_fix(store.id, today, viewer_id=current_user.id),
                           missing=list(form_quality.Missing), errors=list(form_quality.FormError),
                           to_fix_days=form_quality.TO_FIX_DAYS,
                           may_open_ro=access.can_open(current_user, "reception.repair_order"))


# ------------------------------------------------------------------ equipment register and cards

@equipment_bp.get("/", endpoint="index")
def equipment_list():
    store = current_store()
    show_all = request.args.get("all") == "1"
    return render_template("director/office/equipment.html", today=_today(), show_all=show_all,
                           rows=register_service.register(store.id, _today(), include_inactive=show_all))


def _record_prefix(task_id: int) -> str:
    """Each check on the card has its own "record done" form: distinct field names and ids."""
    return f"task{task_id}"


def _card_page(equipment_id: int, *, task_form: TaskForm | None = None, record_forms: dict | None = None,
               hours_form: HoursForm | None = None, error=None, status: int = 200):
    store = current_store()
    found = _or_404(lambda: register_service.get_equipment(equipment_id, store.id))
    today = _today()
    state = register_service.card_state(found, today)
    record_forms = record_forms or {}
    for due in state.tasks:
        if due.task.id not in record_forms:
            record_forms[due.task.id] = RecordForm(formdata=None, prefix=_record_prefix(due.task.id),
                                                   done_on=today.isoformat())
    html = render_template("director/office/equipment_card.html", equipment=found, state=state, today=today,
                           records=register_service.records_of(equipment_id, store.id),
                           task_form=task_form or TaskForm(formdata=None), record_forms=record_forms,
                           hours_form=hours_form or HoursForm(formdata=None), error=error)
    return make_response(html, status)


@equipment_bp.get("/<int:equipment_id>")
def card(equipment_id: int):
    return _card_page(equipment_id)


def _equipment_form_page(equipment_id: int | None):
    store = current_store()
    found = _or_404(lambda: register_service.get_equipment(equipment_id, store.id)) if equipment_id else None
    form = EquipmentForm(obj=found)
    outcome = run_form(form, lambda: register_service.save_equipment(
        store_id=store.id, equipment_id=equipment_id, name=form.name.data, kind=form.kind.data,
        location=form.location.data, serial=form.serial.data, active=form.active.data))
    if outcome.done:
        flash(_("Saved."), "success")
        return redirect(url_for(".card", equipment_id=outcome.result.id))
    return render_template("director/office/equipment_form.html", form=form, equipment=found,
                           error=outcome.error), outcome.status


@equipment_bp.route("/new", methods=["GET", "POST"])
def new_equipment():
    return _equipment_form_page(None)


@equipment_bp.route("/<int:equipment_id>/edit", methods=["GET", "POST"])
def edit_equipment(equipment_id: int):
    return _equipment_form_page(equipment_id)


@equipment_bp.post("/<int:equipment_id>/hours")
def update_hours(equipment_id: int):
    store = current_store()
    form = HoursForm()
    outcome = run_form(form, lambda: register_service.update_hours(store_id=store.id, equipment_id=equipment_id,
                                                                   reading=form.reading.data))
    if outcome.done:
        flash(_("Hours reading saved."), "success")
        return redirect(url_for(".card", equipment_id=equipment_id))
    return _card_page(equipment_id, hours_form=form, error=outcome.error, status=outcome.status)


@equipment_bp.post("/<int:equipment_id>/tasks")
def add_task(equipment_id: int):
    store = current_store()
    form = TaskForm()
    outcome = run_form(form, lambda: register_service.save_task(
        store_id=store.id, equipment_id=equipment_id, name=form.name.data, every_days=form.every_days.data,
        every_hours=form.every_hours.data, last_done_on=form.last_done_on.data,
        last_done_hours=form.last_done_hours.data))
    if outcome.done:
        flash(_("Check added to the card."), "success")
        return redirect(url_for(".card", equipment_id=equipment_id))
    return _card_page(equipment_id, task_form=form, error=outcome.error, status=outcome.status)


@equipment_bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
def edit_task(task_id: int):
    store = current_store()
    task = _or_404(lambda: register_service.get_task(task_id, store.id))
    form = TaskForm(obj=task)
    outcome = run_form(form, lambda: register_service.save_task(
        store_id=store.id, equipment_id=task.equipment_id, task_id=task_id, name=form.name.data,
        every_days=form.every_days.data, every_hours=form.every_hours.data, last_done_on=form.last_done_on.data,
        last_done_hours=form.last_done_hours.data))
    if outcome.done:
        flash(_("Saved."), "success")
        return redirect(url_for(".card", equipment_id=task.equipment_id))
    return render_template("director/office/task_form.html", form=form, task=task, error=outcome.error), outcome.status


@equipment_bp.post("/tasks/<int:task_id>/done")
def record_check(task_id: int):
    store = current_store()
    task = _or_404(lambda: register_service.get_task(task_id, store.id))
    equipment_id = task.equipment_id
    form = RecordForm(prefix=_record_prefix(task_id))
    outcome = run_form(form, lambda: register_service.record_check(
        store_id=store.id, actor_id=current_user.id, task_id=task_id, done_on=form.done_on.data,
        hours_reading=form.hours_reading.data, note=form.note.data))
    if outcome.done:
        flash(_("Check recorded on the card."), "success")
        return redirect(url_for(".card", equipment_id=equipment_id) + f"#task-{task_id}")
    return _card_page(equipment_id, record_forms={task_id: form}, error=outcome.error, status=outcome.status)


# ------------------------------------------------------------------ the closing round's spot checks

def _spot_row(round_: InspectionRound, equipment_id: int, *, error=None, status: int = 200):
    row = register_service.spot_check_row(round_.store_id, round_.id, equipment_id, round_.day)
    html = render_template("director/office/_spot_check_row.html", s=row, round=round_, error=error)
    return make_response(html, status)


@spot_checks_bp.post("/<int:round_id>/<int:equipment_id>")
def answer(round_id: int, equipment_id: int):
    store = current_store()
    round_ = _or_404(lambda: register_service.get_round(round_id, store.id))
    _or_404(lambda: register_service.get_equipment(equipment_id, store.id))
    form = SpotCheckForm()
    card_ok = form.card_ok.data
    if card_ok not in ("1", "0"):
        message = _("Tap “Card up to date” or “Not up to date”.")
        return toast(_spot_row(round_, equipment_id, error=message, status=422), message)
    try:
        register_service.record_spot_check(store.id, round_id, equipment_id, card_ok=card_ok == "1",
                                           note=form.note.data, actor_id=current_user.id)
    except DomainError as refused:
        db.session.rollback()
        status = 409 if isinstance(refused, Conflict) else 422
        return toast(_spot_row(round_, equipment_id, error=refused.message, status=status), refused.message)
    db.session.commit()
    if not is_htmx_request():
        flash(_("Saved."), "success")
        return redirect(request.referrer or url_for("core.home"))
    if card_ok == "1":
        return toast(_spot_row(round_, equipment_id), _("Card noted as up to date."), "success")
    return toast(_spot_row(round_, equipment_id), _("Card not up to date: a corrective action is open for it."),
                 "warning")
