"""Signing in: password check, disabled accounts, throttling of guesses."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from intranet import clock
from intranet.auth.models import LoginFailure
from intranet.core.models import User
from intranet.errors import DomainError
from intranet.extensions import db

# A fixed hash to compare against when the user does not exist, so timing does not reveal it.
_DUMMY_HASH = "scrypt:32768:8:1$WkbmWhSn0kN1Lq1v$4d1f2c9c3e2b0c9b6f3b8a6f7f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"  # noqa: E501


class LoginRefused(DomainError):
    pass


def authenticate(username: str, password: str, *, address: str, max_failures: int = 5,
                 window: timedelta = timedelta(minutes=15)) -> User:
    """The user whose password this is, or LoginRefused with the reason a person can act on."""
    username = (username or "").strip().lower()
    now = clock.utcnow()
    since = now - window
    by_name = db.session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username,
                                                             LoginFailure.at >= since))
    by_address = db.session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.address == address,
                                                             LoginFailure.at >= since))
    if by_name >= max_failures or by_address >= max_failures * 4:
        raise LoginRefused(_l("Too many failed attempts. Wait %(minutes)d minutes and try again, or ask your "
                              "administrator to reset your password.", minutes=int(window.total_seconds() // 60)))
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.check_password(password or ""):
        if user is None:
            from werkzeug.security import check_password_hash

            check_password_hash(_DUMMY_HASH, password or "")
        db.session.add(LoginFailure(username=username[:64], address=address[:64], at=now))
        db.session.flush()
        left = max_failures - by_name - 1
        if 0 < left <= 2:
            raise LoginRefused(_l("Wrong user name or password. %(left)d attempts left before a %(minutes)d-minute "
                                  "pause.", left=left, minutes=int(window.total_seconds() // 60)))
        raise LoginRefused(_l("Wrong user name or password."))
    if not user.active:
        raise LoginRefused(_l("This account is disabled. Ask your administrator."))
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    user.last_login_at = user.last_seen_at = now
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
