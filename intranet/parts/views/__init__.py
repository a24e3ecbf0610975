"""The parts area's pages: one module per blueprint group, the same blueprints (names, URLs, guards)."""
from __future__ import annotations

from intranet.parts.views.counter import bp as parts_bp
from intranet.parts.views.counts import counts_bp
from intranet.parts.views.pending import pending_bp
from intranet.parts.views.purchasing import bp as purchasing_bp
from intranet.parts.views.warranty import warranty_bp
from intranet.parts.views.write_offs import write_offs_bp

BLUEPRINTS = (parts_bp, pending_bp, warranty_bp, purchasing_bp, counts_bp, write_offs_bp)
