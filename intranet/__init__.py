"""The after-sales intranet. `create_app()` builds the Flask application; it has no side effects
(no tables created, no Redis started) — those happen in commands and on first use."""
from __future__ import annotations

import importlib
import os

from flask import Flask

from intranet.config import instance_folder, load_config, site_folder


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str((config or {}).get("INSTANCE_PATH") or instance_folder()),
        template_folder=str(site_folder("templates")),
        static_folder=str(site_folder("static")),
    )
    app.config.update(load_config(config, instance_path=app.instance_path))
    os.makedirs(app.instance_path, exist_ok=True)  # SQLite and the embedded Redis live there

    from intranet import web
    from intranet.extensions import babel, csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(site_folder("migrations")), compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)

    _import_models()
    web.init_app(app)
    _register_areas(app)

    from intranet import cli

    cli.init_app(app)
    return app


# The areas, in the order their blueprints are registered. Each package's `init_app(app)` wires it in
# (blueprints, home panels, hooks); the app factory is the one place that knows them all.
AREAS = ("auth", "nav", "home", "admin", "today", "reception", "health", "workshop", "parts", "keys", "director", "care",
         "reports")
# Packages whose models make up the schema (Alembic and relationship strings need all of them).
MODEL_PACKAGES = ("auth", "care", "core", "director", "jobs", "keys", "live", "parts", "reception", "reports", "workshop")


def _import_models() -> None:
    for name in MODEL_PACKAGES:
        importlib.import_module(f"intranet.{name}.models")


def _register_areas(app: Flask) -> None:
    for name in AREAS:
        importlib.import_module(f"intranet.{name}").init_app(app)
