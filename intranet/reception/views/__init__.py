"""The advisors' screens: one module per group, all on the two blueprints of `common` (their
names, URLs and guards as before)."""
from __future__ import annotations

from intranet.reception.views import appointments, check_in, findings, repair_order, settle, walk_around  # noqa: F401 (their routes)
from intranet.reception.views.common import bp, findings_bp

BLUEPRINTS = (bp, findings_bp)
