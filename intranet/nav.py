"""The main navigation: one list; each person sees the entries their roles can open."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intranet.auth import access
from intranet.web import active_role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    icon: str  # name of an inline SVG symbol in templates/_icons.html


NAV = [
    NavItem("core.home", _l("My day"), "home"),
    NavItem("core.search", _l("Find a car"), "search"),
    NavItem("reception.appointments", _l("Appointments"), "calendar"),
    NavItem("tech.my_jobs", _l("My jobs"), "wrench"),
    NavItem("dispatch.dispatch", _l("Dispatch"), "users"),
    NavItem("workshop.board", _l("Workshop"), "board"),
    NavItem("keys.board", _l("Key board"), "car"),
    NavItem("qc.queue", _l("Final inspection"), "check"),
    NavItem("today.page", _l("Store today"), "board"),
    NavItem("director_day.page", _l("Director's day"), "calendar"),
    NavItem("rounds.today", _l("Rounds"), "clipboard"),
    NavItem("insurers.index", _l("Insurers"), "users"),
    NavItem("form_quality.page", _l("Form quality"), "check"),
    NavItem("equipment.index", _l("Equipment"), "settings"),
    NavItem("parts.counter", _l("Parts"), "box"),
    NavItem("pending.tracker", _l("Pending parts"), "box"),
    NavItem("warranty_parts.sign_offs", _l("Warranty parts"), "box"),
    NavItem("records.new_customer", _l("New customer"), "user-plus"),
    NavItem("workshop_manage.end_of_day", _l("End of day"), "moon"),
    NavItem("workshop_manage.workshop_figures", _l("Workshop figures"), "chart"),
    NavItem("calls.queue", _l("Follow-up calls"), "phone"),
    NavItem("csi.index", _l("CSI"), "chart"),
    NavItem("care_settings.page", _l("Care settings"), "settings"),
    NavItem("complaints.index", _l("Complaints"), "alert"),
    NavItem("customer_files.index", _l("Customer files"), "users"),
    NavItem("reminders.index", _l("Reminders"), "bell"),
    NavItem("lapsed.index", _l("Lapsed customers"), "flag"),
    NavItem("events.index", _l("Events"), "calendar"),
    NavItem("dashboard.index", _l("Dashboard"), "chart"),
    NavItem("digests.index", _l("Digests"), "bell"),
    NavItem("admin.users", _l("Staff"), "users"),
    NavItem("admin.settings", _l("Settings"), "settings"),
    NavItem("admin.jobs", _l("Jobs"), "pulse"),
    NavItem("admin.audit", _l("Audit log"), "clipboard"),
]


def navigation(user, role) -> list[NavItem]:
    return [item for item in NAV if access.can_open(user, item.endpoint)]


def init_app(app) -> None:
    """The menu in every page's layout: the entries the signed-in person's roles can open."""

    @app.context_processor
    def nav_context():
        return {"nav": _Menu()}


class _Menu:
    """The menu, worked out when the page layout first reads it: a fragment (a board every few
    seconds) never does, so it does not pay for asking every entry's access rule."""

    def __init__(self):
        self._items = None

    def _list(self) -> list[NavItem]:
        if self._items is None:
            role = active_role()
            self._items = navigation(current_user, role) if role else []
        return self._items

    def __iter__(self):
        return iter(self._list())

    def __len__(self):
        return len(self._list())

    def __bool__(self):
        return bool(self._list())
