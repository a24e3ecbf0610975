"""Purchasing and receiving: suggested and written purchase orders, approval, quotes, the three
receiving checks and the discrepancy notes with their claims."""
from __future__ import annotations

from flask import Blueprint

from intranet.auth.access import guard
from intranet.core.models import Role

bp = guard(Blueprint("purchasing", __name__, url_prefix="/parts/purchasing"), Role.PARTS, Role.DIRECTOR)
