"""The director's screens, one module per blueprint group: the rounds on the tablet, the checklists
behind them, corrective actions, the director's day and work log, and the office (insurers, form
quality, equipment, the closing round's spot checks), and the director's settings."""
from __future__ import annotations

from intranet.director.views.actions import actions_bp, new_action_bp
from intranet.director.views.checklists import checklists_bp
from intranet.director.views.day import bp as day_bp
from intranet.director.views.day import log_bp
from intranet.director.views.office import BLUEPRINTS as OFFICE_BLUEPRINTS
from intranet.director.views.rounds import bp as rounds_bp
from intranet.director.views.settings import bp as settings_bp

BLUEPRINTS = (rounds_bp, checklists_bp, actions_bp, new_action_bp, day_bp, log_bp, *OFFICE_BLUEPRINTS, settings_bp)
