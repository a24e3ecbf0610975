"""The HTTP side of live boards: answer a poll with 304 when the board's ETag has not moved."""
from __future__ import annotations

from collections.abc import Callable

from flask import make_response, request

from intranet.live.services import version
from intranet.web.htmx import add_trigger

EVENT = "board-changed"


def board_etag(board: str, store_id: int, extra: str = "") -> str:
    return f"{board}-{store_id}-{version(store_id, board)}{'-' + extra if extra else ''}"


def conditional_board(board: str, store_id: int, render: Callable[[str], str], *, extra: str = ""):
    """`render(etag)` builds the fragment only when the client's copy is stale."""
    etag = board_etag(board, store_id, extra)
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = make_response(render(etag))
    response.set_etag(etag)
    # The page script sends If-None-Match itself, so the browser must not answer from its cache.
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response


def announce(response, *boards: str):
    """Tell the page that `boards` changed (htmx HX-Trigger); its boards refresh at once."""
    # after the swap: the page's own board, just replaced by this answer, then polls with the new
    # ETag and gets a 304 instead of fetching itself a second time
    add_trigger(response, EVENT, {"boards": list(boards)}, header="HX-Trigger-After-Settle")
    return response
