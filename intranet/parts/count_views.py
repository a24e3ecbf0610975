"""Stock counts (盘点) and write-offs (报损)."""
from __future__ import annotations

from flask import Blueprint

from intranet.auth.access import guard
from intranet.core.models import Role

counts_bp = guard(Blueprint("counts", __name__, url_prefix="/parts/counts"), Role.PARTS, Role.DIRECTOR, Role.MANAGER)
write_offs_bp = guard(Blueprint("write_offs", __name__, url_prefix="/parts/write-offs"),
                      Role.PARTS, Role.DIRECTOR, Role.WARRANTY)
