"""The workshop's screens: the wall board, the controller's dispatch board, the technician's
"my jobs", the final inspection, and the controller's end of day, figures and settings.

Each screen is a page that includes a fragment; the same fragment answers polls (304 while the
workshop board version has not moved) and the taps that change it. One module per blueprint."""
from __future__ import annotations

from intranet.workshop.views.board import bp
from intranet.workshop.views.dispatch import dispatch_bp
from intranet.workshop.views.manage import manage_bp
from intranet.workshop.views.qc import qc_bp
from intranet.workshop.views.tech import tech_bp

BLUEPRINTS = (bp, dispatch_bp, tech_bp, qc_bp, manage_bp)
