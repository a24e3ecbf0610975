"""The parts counter, the catalogue and bin cards, the pending parts list, the warranty clerk's
sign-offs and old parts, and the parts figures."""
from __future__ import annotations

from flask import Blueprint

from intranet.auth.access import guard
from intranet.core.models import Role

bp = guard(Blueprint("parts", __name__, url_prefix="/parts"), Role.PARTS, Role.DIRECTOR)
pending_bp = guard(Blueprint("pending", __name__, url_prefix="/parts/pending"),
                   Role.PARTS, Role.DIRECTOR, Role.ADVISOR, Role.CONTROLLER, Role.MANAGER)
warranty_bp = guard(Blueprint("warranty_parts", __name__, url_prefix="/parts/warranty"),
                    Role.WARRANTY, Role.PARTS, Role.DIRECTOR)
