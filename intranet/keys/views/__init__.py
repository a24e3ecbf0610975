"""The key board, a tag's page (what scanning its QR code opens) with the moves of its key, the
tags and their printed QR labels, and the overnight cars of the closing round. One module per
blueprint.

The board and the tag page are live like the workshop's: a move answers with the fresh panel and
a `board-changed` event; other tablets poll and get 304 while no key moved."""
from __future__ import annotations

from intranet.keys.views.board import bp
from intranet.keys.views.overnight import overnight_bp
from intranet.keys.views.tags import tags_bp

BLUEPRINTS = (bp, tags_bp, overnight_bp)
