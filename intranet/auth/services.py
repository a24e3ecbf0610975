"""Signing in: password check, disabled accounts, guesses slowed down, every attempt audited."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from intranet import clock
from intranet.auth.models import LoginFailure
from intranet.core.audit import AuditEvent, AuditKind, record
from intranet.core.models import User
from intranet.errors import DomainError
from intranet.extensions import db

# A fixed hash to compare against when the user does not exist, so timing does not reveal it.
_DUMMY_HASH = "scrypt:32768:8:1$WkbmWhSn0kN1Lq1v$4d1f2c9c3e2b0c9b6f3b8a6f7f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"  # noqa: E501


class LoginRefused(DomainError):
    pass


# A device that guessed wrong `max_failures` times waits this long before its next try, doubling with
# each further wrong guess, up to the window. The right password from another device is never held up.
BACKOFF_SECONDS = 30
# A person's own tablet: an address they signed in from within this many days.
KNOWN_DEVICE_DAYS = 90


def _failures(*conditions):
    """How many recent failures match, and when the last was."""
    return db.session.execute(
        select(func.count(), func.max(LoginFailure.at)).select_from(LoginFailure).where(*conditions)).one()


def _held_until(count: int, last, threshold: int, window: timedelta):
    if not count or count < threshold or last is None:
        return None
    return last + min(timedelta(seconds=BACKOFF_SECONDS * 2 ** (count - threshold)), window)


def known_device(user: User | None, address: str, now) -> bool:
    """Has this person signed in from this address lately (their own tablet or PC)?"""
    if user is None:
        return False
    return db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.kind == AuditKind.SIGN_IN.value, AuditEvent.actor_id == user.id, AuditEvent.address == address,
        AuditEvent.at >= now - timedelta(days=KNOWN_DEVICE_DAYS)).limit(1)) is not None


def authenticate(username: str, password: str, *, address: str, max_failures: int = 5,
                 window: timedelta = timedelta(minutes=15)) -> User:
    """The user whose password this is, or LoginRefused with the reason a person can act on.

    Guessing is slowed down, never turned into a lockout of the real person: the device (address)
    that guessed wrong waits before its next try — 30 s after `max_failures` wrong guesses, doubling
    with each further one; an address guessing many names, or a name guessed from many addresses,
    slows down every device except those the person has signed in from before. Every failed and every
    slowed-down attempt is written to the audit log with its address.
    """
    username = (username or "").strip().lower()[:64]
    address = (address or "?")[:64]
    now = clock.utcnow()
    since = now - window
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    store_id = user.store_id if user is not None else None

    pair_count, pair_last = _failures(LoginFailure.username == username, LoginFailure.address == address,
                                      LoginFailure.at >= since)
    holds = [_held_until(pair_count, pair_last, max_failures, window)]
    if not known_device(user, address, now):
        holds.append(_held_until(*_failures(LoginFailure.address == address, LoginFailure.at >= since),
                                 max_failures * 4, window))
        holds.append(_held_until(*_failures(LoginFailure.username == username, LoginFailure.at >= since),
                                 max_failures * 4, window))
    held_until = max((h for h in holds if h is not None), default=None)
    if held_until is not None and now < held_until:
        seconds = max(1, int((held_until - now).total_seconds() + 0.999))
        record(AuditKind.SIGN_IN_THROTTLED, store_id=store_id, subject=username, address=address,
               details={"wait_seconds": seconds})
        db.session.flush()
        if seconds >= 120:
            raise LoginRefused(_l("Too many wrong passwords from this device. Try again in %(minutes)d minutes.",
                                  minutes=(seconds + 59) // 60))
        raise LoginRefused(_l("Too many wrong passwords from this device. Try again in %(seconds)d seconds.",
                              seconds=seconds))

    if user is None or not user.check_password(password or ""):
        if user is None:
            from werkzeug.security import check_password_hash

            check_password_hash(_DUMMY_HASH, password or "")
        db.session.add(LoginFailure(username=username, address=address, at=now))
        record(AuditKind.SIGN_IN_FAILED, store_id=store_id, subject=username, address=address,
               details={"reason": "unknown user" if user is None else "wrong password"})
        db.session.flush()
        left = max_failures - pair_count - 1
        if 0 < left <= 2:
            raise LoginRefused(_l("Wrong user name or password. %(left)d attempts left before this device has to "
                                  "wait.", left=left))
        raise LoginRefused(_l("Wrong user name or password."))
    if not user.active:
        record(AuditKind.SIGN_IN_FAILED, store_id=store_id, subject=username, address=address,
               details={"reason": "disabled"})
        db.session.flush()
        raise LoginRefused(_l("This account is disabled. Ask your administrator."))
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                                  LoginFailure.address == address))
    user.last_login_at = user.last_seen_at = now
    record(AuditKind.SIGN_IN, store_id=store_id, subject=username, actor_id=user.id, address=address)
    db.session.flush()
    return user


def touch_last_seen(user: User, *, every: timedelta = timedelta(minutes=1)) -> bool:
    """Mark the user as seen now, at most once a minute. True when they just came online."""
    now = clock.utcnow()
    last = user.last_seen_at
    if last is not None and now - last < every:
        return False
    user.last_seen_at = now
    db.session.flush()
    return last is None or now - last > timedelta(minutes=5)
