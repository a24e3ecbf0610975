"""Administration: staff accounts and roles, store settings, background jobs."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from intranet.admin.forms import StoreSettingsForm, UserForm
from intranet.admin.services import set_parts_manager, update_store_settings
from intranet.auth.access import guard
from intranet.core import services
from intranet.core.models import Role, User
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.health.services import check
from intranet.jobs import queue, sweep
from intranet.jobs.connection import REDIS_ERRORS
from intranet.jobs.models import PendingEnqueue
from intranet.jobs.schedule import JOBS
from intranet.web import current_store, run_form

bp = guard(Blueprint("admin", __name__, url_prefix="/admin"), Role.ADMIN)


@bp.get("/users")
def users():
    people = db.session.scalars(
        select(User).where(User.store_id == current_store().id).order_by(User.active.desc(), User.username)).all()
    return render_template("admin/users.html", users=people)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    store_id = current_store().id

    def create():
        user = services.create_user(
            store_id=store_id, username=form.username.data, display_name=form.display_name.data,
            password=form.password.data or "", roles=form.roles.data, mobile=form.mobile.data or None)
        user.active = form.active.data
        set_parts_manager(user, form.parts_manager.data)
        return user

    outcome = run_form(form, create)
    if outcome.done:
        flash(_("Account %(name)s created.", name=outcome.result.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, error=outcome.error, user=None), outcome.status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.store_id != current_store().id:
        abort(404)
    form = UserForm(obj=user)
    form.username.render_kw = {**(form.username.render_kw or {}), "readonly": True}

    def save():
        saved = services.update_user(
            user_id, actor_id=current_user.id, display_name=form.display_name.data, roles=form.roles.data,
            active=form.active.data, mobile=form.mobile.data or None, new_password=form.password.data or None)
        set_parts_manager(saved, form.parts_manager.data)
        return saved

    outcome = run_form(form, save)
    if outcome.done:
        flash(_("Account %(name)s saved.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, error=outcome.error, user=user), outcome.status


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    store = current_store()
    form = StoreSettingsForm(obj=store, tax_rate_percent=store.tax_rate * 100)
    outcome = run_form(form, lambda: update_store_settings(
        store.id, name=form.name.data, code=form.code.data, timezone=form.timezone.data,
        opens_at=form.opens_at.data, closes_at=form.closes_at.data, key_collection_at=form.key_collection_at.data,
        tax_rate=(form.tax_rate_percent.data / Decimal(100)).quantize(Decimal("0.0001")),
        labour_rate=form.labour_rate.data, address=form.address.data, phone=form.phone.data,
        default_locale=form.default_locale.data, slot_minutes=form.slot_minutes.data,
        advisor_slot_capacity=form.advisor_slot_capacity.data,
        workshop_hours_per_day=form.workshop_hours_per_day.data))
    if outcome.done:
        flash(_("Settings saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, error=outcome.error), outcome.status


@bp.get("/jobs")
def jobs():
    kept = db.session.scalars(select(PendingEnqueue).order_by(PendingEnqueue.id)).all()
    try:
        stuck = sweep.stuck_jobs()
    except REDIS_ERRORS:
        stuck = None  # Redis is down: the health card says so
    return render_template("admin/jobs.html", jobs=JOBS, kept=kept, stuck=stuck, health=check(current_app.config))


@bp.post("/jobs/stuck/<job_id>/run")
def run_stuck_job(job_id: str):
    """Run a failed or abandoned job again; a second tap finds it queued already and says so."""
    try:
        queued = sweep.run_again(job_id[:64])
    except REDIS_ERRORS:
        flash(_("Redis is unreachable: try again when it is back."), "error")
        return redirect(url_for("admin.jobs"))
    if queued:
        flash(_("The job is queued again."), "success")
    else:
        flash(_("That job is no longer stuck: it was queued again already."), "info")
    return redirect(url_for("admin.jobs"))


@bp.post("/jobs/<name>/run")
def run_job(name: str):
    try:
        result = queue.run_now(name)  # a double tap queues it once
    except DomainError as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("admin.jobs"))
    db.session.commit()
    if result.queued:
        flash(_("Job %(name)s queued.", name=name), "success")
    else:
        flash(_("Redis is unreachable: job %(name)s is kept and will be queued when Redis is back.", name=name),
              "warning")
    return redirect(url_for("admin.jobs"))
