"""htmx: the one meaning of "an htmx request", and the events an answer carries to the page."""
from __future__ import annotations

import json

from flask import has_request_context, request


def is_htmx_request() -> bool:
    """A request htmx sent to swap a part of the page: answer with the fragment. A history restore
    (the browser's back button with htmx's cache gone) is not one: it wants the whole page."""
    return (has_request_context() and request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


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
