"""Domain errors: raised by services, shown by views as a clear, translated message."""
from __future__ import annotations


class DomainError(Exception):
    """A rule of the business refused the action. `message` is already translated (lazy)."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """Someone else changed the record, or a duplicate exists."""


class IllegalTransition(DomainError):
    pass
