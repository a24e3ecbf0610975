"""What management reports add to the layers below: the mail part of the health card (digests
waiting after a failed send — SMTP down or refusing)."""
from __future__ import annotations

from intranet.health.services import register_part
from intranet.reports.mail import mail_problem


def mail_health() -> dict:
    problem = mail_problem()
    return {"ok": problem is None, "digests_waiting": problem["waiting"] if problem else 0,
            "last_error": problem["last_error"] if problem else None}


def connect() -> None:
    register_part("mail", mail_health)
