"""The care agent's screens: the follow-up call queue, one call with its script and outcome, and
the questions passed to the supervisor."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.care import calls, questions
from intranet.care.forms import AnswerQuestionForm, AskSupervisorForm, NotReachedForm, ReachedForm, ToldCustomerForm
from intranet.care.models import (
    CALL_TOPIC_LABELS, CALL_TOPICS, AttemptOutcome, QuestionStatus, Satisfaction,
)
from intranet.care.settings import settings_for
from intranet.care.views.common import local_now, or_404
from intranet.core.models import ContactTime, Role
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store, run_action

bp = guard(Blueprint("calls", __name__, url_prefix="/care/calls"), Role.CARE, Role.DIRECTOR, Role.MANAGER)
questions_bp = guard(Blueprint("questions", __name__, url_prefix="/care/questions"),
                     Role.CARE, Role.DIRECTOR, Role.MANAGER)
BLUEPRINTS = [bp, questions_bp]


@bp.get("/")
def queue():
    store = current_store()
    now = clock.utcnow()
    is_agent = current_user.has_role(Role.CARE)
    who = request.args.get("who", "mine" if is_agent else "all")
    agent_id = current_user.id if who == "mine" else None
    entries = calls.call_queue(store.id, now, agent_id=agent_id)
    today = clock.store_today(store.timezone)
    return render_template("care/calls/queue.html", entries=entries, who=who, is_agent=is_agent,
                           counts=calls.queue_counts(store.id, today), today=today,
                           local_now=local_now(), now_utc=now)


def _call_or_404(call_id: int):
    return or_404(lambda: calls.get_call(call_id, current_store().id))


def _script(call) -> dict:
    """The script's lines, filled with this customer's visit."""
    store = current_store()
    ro = call.repair_order
    work = [line.description for line in ro.lines if line.kind == "labour"][:3]
    service = "、".join(work) if work else (ro.complaint or _("service"))
    delivered = clock.to_store_time(ro.delivered_at, store.timezone) if ro.delivered_at else None
    car = f"{call.vehicle.model} {call.vehicle.plate}" if call.vehicle else ""
    agent = current_user.display_name
    return {
        "greeting": _("Hello, is that %(name)s? This is %(agent)s from %(store)s after-sales service.",
                      name=call.customer.name, agent=agent, store=store.name),
        "thanks": _("Thank you for bringing your %(car)s to us on %(date)s for %(service)s.", car=car,
                    date=delivered.strftime("%m-%d") if delivered else "", service=service),
        "question": _("Were you satisfied with our service this time?"),
        "satisfied": _("Thank you! Is there anything we could do better?"),
        "dissatisfied": _("We are sorry. Which part were you not happy with?"),
        "close_satisfied": _("Thank you for your time. Drive safely, and see you next time!"),
        "close_dissatisfied": _("We apologise again. We will look into it and call you back with an answer."),
        "recall": _("We are calling about the problem you told us about after your visit on %(date)s: are you "
                    "satisfied with how it was handled now?", date=delivered.strftime("%m-%d") if delivered else ""),
    }


def _retry_choices(call, now_local: datetime) -> list[tuple[str, str]]:
    """Quick retry times: in one and two hours, and tomorrow at the start of the customer's time."""
    start, _end = calls.contact_window(call.customer)
    tomorrow = datetime.combine(now_local.date() + timedelta(days=1), start)
    choices = [(now_local + timedelta(hours=1), _("In 1 hour")), (now_local + timedelta(hours=2), _("In 2 hours")),
               (tomorrow, _("Tomorrow %(time)s", time=start.strftime("%H:%M")))]
    return [(when.strftime("%Y-%m-%dT%H:%M"), label) for when, label in choices]


def _call_page(call, *, error: str | None = None, typed=None, status: int = 200):
    now_local = local_now()
    context = {
        "call": call, "script": _script(call), "topics": [(t, CALL_TOPIC_LABELS[t]) for t in CALL_TOPICS],
        "satisfaction": list(Satisfaction), "outcomes": [o for o in AttemptOutcome if o != AttemptOutcome.REACHED],
        "in_time": calls.within_preferred_time(call.customer, now_local),
        "window": calls.contact_window(call.customer),
        "contact_label": ContactTime(call.customer.preferred_contact_time or ContactTime.ANY).label,
        "history": calls.call_history(call.customer_id), "retry_choices": _retry_choices(call, now_local),
        "customer_questions": questions.questions_of(call.customer_id),
        "error": error, "typed": typed or {}, "local_now": now_local, "settings": settings_for(call.store_id),
    }
    return make_response(render_template("care/calls/call.html", **context), status)


@bp.get("/<int:call_id>")
def call(call_id: int):
    return _call_page(_call_or_404(call_id))


def _refused(call_id: int, form, refused: DomainError):
    """The call's page again, the message beside its field and what was typed kept: 409 when the
    call changed meanwhile, else 422."""
    db.session.rollback()
    typed = {**form.typed(), "field": refused.field}
    status = 409 if isinstance(refused, Conflict) else 422
    return _call_page(_call_or_404(call_id), error=refused.message, typed=typed, status=status)


@bp.post("/<int:call_id>/not-reached")
def not_reached(call_id: int):
    store = current_store()
    form = NotReachedForm()
    try:
        form.check()
        calls.record_not_reached(call_id, store_id=store.id, actor_id=current_user.id,
                                 outcome=form.outcome.data or "", retry_at=form.retry_at.utc(store.timezone),
                                 note=form.note.data, version=form.version.data,
                                 override_reason=form.override_reason.data)
    except DomainError as refused:
        return _refused(call_id, form, refused)
    db.session.commit()
    flash(_("Attempt recorded. The call comes back at the retry time."), "success")
    return redirect(url_for("calls.queue"))


@bp.post("/<int:call_id>/reached")
def reached(call_id: int):
    store = current_store()
    form = ReachedForm()
    try:
        form.check()
        done = calls.record_reached(call_id, store_id=store.id, actor_id=current_user.id, answers=form.answers(),
                                    version=form.version.data, override_reason=form.override_reason.data)
    except DomainError as refused:
        return _refused(call_id, form, refused)
    db.session.commit()
    if calls.dissatisfied(done) and done.complaint_id:
        flash(_("Complaint opened and the customer will be called again until satisfied."), "warning")
        return redirect(url_for("complaints.page", complaint_id=done.complaint_id))
    flash(_("Call recorded."), "success")
    return redirect(url_for("calls.queue"))


@bp.post("/<int:call_id>/question")
def ask(call_id: int):
    store = current_store()
    form = AskSupervisorForm()
    try:
        form.check()
        questions.ask_supervisor(store_id=store.id, actor_id=current_user.id, call_id=call_id,
                                 question=form.question.data or "")
    except DomainError as refused:
        return _refused(call_id, form, refused)
    db.session.commit()
    flash(_("Passed to the supervisor, who answers within %(days)s days.",
            days=settings_for(store.id).question_due_days), "success")
    return redirect(url_for("calls.call", call_id=call_id))


# ---------------------------------------------------------------- questions for the supervisor
@questions_bp.get("/")
def list_():
    store = current_store()
    return render_template("care/calls/questions.html", rows=questions.open_questions(store.id),
                           now=clock.utcnow())


@questions_bp.get("/<int:question_id>")
def question(question_id: int):
    try:
        found = questions.get_question(question_id, current_store().id)
    except NotFound:
        abort(404)
    return render_template("care/calls/question.html", q=found, now=clock.utcnow(),
                           statuses=QuestionStatus)


@questions_bp.post("/<int:question_id>/answer")
def answer(question_id: int):
    form = AnswerQuestionForm()
    run_action(lambda: questions.answer(question_id, store_id=current_store().id, actor_id=current_user.id,
                                        answer_text=form.answer.data or ""),
               _("Answer saved: the agent tells the customer today."))
    return redirect(url_for("questions.question", question_id=question_id))


@questions_bp.post("/<int:question_id>/told")
def told(question_id: int):
    form = ToldCustomerForm()
    run_action(lambda: questions.mark_told(question_id, store_id=current_store().id, actor_id=current_user.id,
                                           note=form.note.data),
               _("Recorded: the customer has the answer."))
    return redirect(url_for("questions.list_"))
