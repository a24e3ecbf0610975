"""How a job function runs inside a worker: one unit of work, then a clean session."""
from __future__ import annotations

import functools
import os

from intranet.extensions import db

_pool_pid: int | None = None


def unit_of_work(func):
    """Commit when the job returns, roll back and re-raise when it fails (RQ records the failure
    and retries), and always remove the session. Jobs take ids and plain values, never objects."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        global _pool_pid
        if _pool_pid != os.getpid():
            # RQ forks a work horse per job: never reuse connections opened by the parent.
            db.engine.dispose(close=False)
            _pool_pid = os.getpid()
        try:
            result = func(*args, **kwargs)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()

    return run
