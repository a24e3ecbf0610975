"""Domain errors: raised by services, shown by views as a clear, translated message."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


def some_of(names, shown: int = 6):
    """The first `shown` of `names` for a refusal, and how many more there are: "A、B、C and 15 more"."""
    names = [str(n) for n in names]
    listed = "、".join(names[:shown])
    return _l("%(names)s and %(n)d more", names=listed, n=len(names) - shown) if len(names) > shown else listed


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
