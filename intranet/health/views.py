from flask import Blueprint, current_app, jsonify

from intranet.auth.access import guard, public
from intranet.health.services import check

bp = guard(Blueprint("health", __name__))


@bp.get("/healthz")
@public
def healthz():
    result = check(current_app.config)
    response = jsonify(result)
    response.status_code = 200 if result["ok"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/ping")
@public
def ping():
    """Liveness: the web process answers. (/healthz is readiness: everything behind it works.)"""
    return "ok", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}
