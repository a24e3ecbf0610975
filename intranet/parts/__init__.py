"""The parts store: catalogue, ledger, counter, pending parts, purchasing, counts, write-offs."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.parts import count_views, purchasing_views, views
    blueprints = [views.bp, views.pending_bp, views.warranty_bp, purchasing_views.bp, count_views.counts_bp,
                  count_views.write_offs_bp]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    from intranet.parts import reactions

    reactions.connect()
