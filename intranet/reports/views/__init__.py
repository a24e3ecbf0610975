"""Management's pages: one module per blueprint group, the same blueprints (names, URLs, guards)."""
from __future__ import annotations

from intranet.reports.views.dashboard import dashboard_bp
from intranet.reports.views.digests import digests_bp, recipients_bp
from intranet.reports.views.targets import targets_bp

BLUEPRINTS = (dashboard_bp, targets_bp, digests_bp, recipients_bp)
