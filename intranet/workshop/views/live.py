"""What the workshop's live screens share: the board they announce, the minute stamp of their
ETags, and how a tap on a board answers."""
from __future__ import annotations

from flask import make_response

from intranet import clock
from intranet.core.services import commit_unit
from intranet.errors import DomainError
from intranet.live.http import announce
from intranet.web import toast
from intranet.workshop import services

BOARD = "workshop"


def minute() -> str:
    # time in stage and clocked hours move with the clock alone: let the ETag age each minute
    return clock.utcnow().strftime("%H%M")


def board_answer(action, render):
    """Run a tap on a board: answer with the fresh board, and on a refusal with the board as it is
    now plus the reason (a stale tap shows the row as it really is)."""
    try:  # a tap arriving twice at once: the second runs again and finds the first one's result
        commit_unit(action)
    except DomainError as refused:
        status = 409 if isinstance(refused, services.StaleJob) else 422
        return toast(make_response(render(), status), refused.message)
    return announce(make_response(render()), BOARD, "today")
