"""What a care agent cannot answer on the call goes to the supervisor, who answers within two days
(store setting); the agent tells the customer the same day the answer exists."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.care.calls import get_call
from intranet.care.staff import supervisor_of
from intranet.care.models import CareEvent, CareQuestion, QuestionStatus
from intranet.care.settings import settings_for
from intranet.core import notices, transitions
from intranet.core.models import Customer, Role, User
from intranet.core.services import get_owned, holders_of
from intranet.errors import Conflict, DomainError
from intranet.extensions import db

QUESTION_TRANSITIONS = {
    QuestionStatus.OPEN: frozenset({QuestionStatus.ANSWERED}),
    QuestionStatus.ANSWERED: frozenset({QuestionStatus.TOLD}),
    QuestionStatus.TOLD: frozenset(),
}


def _move(question: CareQuestion, to: QuestionStatus, *, actor_id: int, note: str | None = None) -> None:
    transitions.move(question, to, QUESTION_TRANSITIONS, event_model=CareEvent, subject="question",
                     actor_id=actor_id, note=note,
                     refusal=lambda current: _l("This question is already “%(status)s”.", status=current.label))


def get_question(question_id: int, store_id: int) -> CareQuestion:
    return get_owned(CareQuestion, question_id, store_id, _l("That question does not exist."))


def ask_supervisor(*, store_id: int, actor_id: int, question: str, call_id: int | None = None,
                   customer_id: int | None = None) -> CareQuestion:
    text = (question or "").strip()
    if not text:
        raise DomainError(_l("Write down what the customer asked."), field="question")
    if call_id is not None:
        call = get_call(call_id, store_id)
        customer_id = call.customer_id
    customer = get_owned(Customer, customer_id, store_id, _l("That customer does not exist."))
    settings = settings_for(store_id)
    now = clock.utcnow()
    row = CareQuestion(store_id=store_id, customer_id=customer.id, call_id=call_id, question=text,
                       asked_by_id=actor_id, asked_at=now, supervisor_id=supervisor_of(store_id),
                       due_at=now + timedelta(days=settings.question_due_days), status=QuestionStatus.OPEN)
    db.session.add(row)
    transitions.opened(row, event_model=CareEvent, subject="question", actor_id=actor_id)
    if row.supervisor_id:
        notices.notify(store_id, [row.supervisor_id], "care_question", {"name": customer.name, "question": text[:80]},
                       link=f"/care/questions/{row.id}")
    db.session.flush()
    return row


def _may_answer(question: CareQuestion, actor_id: int) -> bool:
    actor = db.session.get(User, actor_id)
    return actor is not None and (actor.id == question.supervisor_id or actor.has_role(Role.DIRECTOR, Role.MANAGER))


def answer(question_id: int, *, store_id: int, actor_id: int, answer_text: str) -> CareQuestion:
    question = get_question(question_id, store_id)
    if not _may_answer(question, actor_id):
        raise Conflict(_l("Only the supervisor answers questions passed on from calls."))
    text = (answer_text or "").strip()
    if not text:
        raise DomainError(_l("Write the answer for the customer."), field="answer")
    _move(question, QuestionStatus.ANSWERED, actor_id=actor_id, note=text[:200])
    question.answer = text
    question.answered_at = clock.utcnow()
    question.answered_by_id = actor_id
    if question.asked_by_id:
        notices.notify(store_id, [question.asked_by_id], "care_question_answered",
                       {"name": question.customer.name}, link=f"/care/questions/{question.id}")
    db.session.flush()
    return question


def mark_told(question_id: int, *, store_id: int, actor_id: int, note: str | None = None) -> CareQuestion:
    question = get_question(question_id, store_id)
    _move(question, QuestionStatus.TOLD, actor_id=actor_id, note=note)
    question.told_at = clock.utcnow()
    question.told_by_id = actor_id
    db.session.flush()
    return question


def open_questions(store_id: int, *, limit: int = 100) -> list[CareQuestion]:
    """Questions not yet closed: those with the supervisor by due time, then answers to pass on."""
    return list(db.session.scalars(
        select(CareQuestion).options(joinedload(CareQuestion.customer), joinedload(CareQuestion.asked_by),
                                     joinedload(CareQuestion.supervisor))
        .where(CareQuestion.store_id == store_id, CareQuestion.status != QuestionStatus.TOLD)
        .order_by(case((CareQuestion.status == QuestionStatus.ANSWERED, 0), else_=1), CareQuestion.due_at)
        .limit(limit)))


def questions_of(customer_id: int) -> list[CareQuestion]:
    return list(db.session.scalars(select(CareQuestion).where(CareQuestion.customer_id == customer_id)
                                   .order_by(CareQuestion.id.desc())))


def remind_overdue(store_id: int, now: datetime) -> int:
    """Tell the supervisor once about each question past its due time; the director too."""
    late = list(db.session.scalars(select(CareQuestion).options(joinedload(CareQuestion.customer)).where(
        CareQuestion.store_id == store_id, CareQuestion.status == QuestionStatus.OPEN,
        CareQuestion.due_at <= now, CareQuestion.reminded_at.is_(None))))
    directors = holders_of(store_id, Role.DIRECTOR)
    for question in late:
        to = {*directors, *([question.supervisor_id] if question.supervisor_id else [])}
        notices.notify(store_id, sorted(to), "care_question_late", {"name": question.customer.name},
                       link=f"/care/questions/{question.id}")
        question.reminded_at = now
    db.session.flush()
    return len(late)


notices.register("care_question", lambda p: _("A customer's question for you: %(name)s — %(question)s",
                                              name=p.get("name"), question=p.get("question")))
notices.register("care_question_answered", lambda p: _("The supervisor answered %(name)s's question: tell the "
                                                       "customer today", name=p.get("name")))
notices.register("care_question_late", lambda p: _("%(name)s's question is past its answer time",
                                                   name=p.get("name")))
