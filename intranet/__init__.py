"""The after-sales intranet. `create_app()` builds the Flask application; it has no side effects
(no tables created, no Redis started) — those happen in commands and on first use."""
from __future__ import annotations

import os

from flask import Flask

from intranet.config import PROJECT_ROOT, load_config


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str((config or {}).get("INSTANCE_PATH") or PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(config, instance_path=app.instance_path))
    os.makedirs(app.instance_path, exist_ok=True)  # SQLite and the embedded Redis live there

    from intranet import web
    from intranet.extensions import babel, csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)

    _import_models()
    web.init_app(app)
    _register_blueprints(app)

    from intranet import cli

    cli.init_app(app)
    return app


def _import_models() -> None:
    # Every model module, so Alembic and relationship strings see the whole schema.
    import intranet.auth.models  # noqa: F401
    import intranet.care.models  # noqa: F401
    import intranet.core.models  # noqa: F401
    import intranet.director.models  # noqa: F401
    import intranet.jobs.models  # noqa: F401
    import intranet.keys.models  # noqa: F401
    import intranet.live.models  # noqa: F401
    import intranet.parts.models  # noqa: F401
    import intranet.reception.models  # noqa: F401
    import intranet.reports.models  # noqa: F401
    import intranet.workshop.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from intranet.admin.views import bp as admin_bp
    from intranet.care import blueprints as care_blueprints
    from intranet.reports import blueprints as report_blueprints
    from intranet.auth.views import bp as auth_bp
    from intranet.core.views import bp as core_bp
    from intranet.core.views import records_bp
    from intranet.director import day_views, office_views
    from intranet.director import views as director
    from intranet.health.views import bp as health_bp
    from intranet.keys import views as keys
    from intranet.parts import count_views, purchasing_views
    from intranet.parts import views as parts
    from intranet.reception.views import bp as reception_bp
    from intranet.reception.views import findings_bp
    from intranet.today.views import bp as today_bp
    from intranet.workshop import views as workshop

    for bp in (auth_bp, core_bp, records_bp, admin_bp, today_bp, reception_bp, findings_bp, health_bp, workshop.bp,
               workshop.dispatch_bp, workshop.tech_bp, workshop.qc_bp, workshop.manage_bp, parts.bp, parts.pending_bp,
               parts.warranty_bp, purchasing_views.bp, count_views.counts_bp, count_views.write_offs_bp,
               keys.bp, keys.tags_bp, keys.overnight_bp,
               director.bp, director.checklists_bp, director.actions_bp, director.new_action_bp,
               day_views.bp, day_views.log_bp, *office_views.BLUEPRINTS, *care_blueprints(), *report_blueprints()):
        app.register_blueprint(bp)
