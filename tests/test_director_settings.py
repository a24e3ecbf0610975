"""The director's settings screen (issue 16, item 16): the director's numbers — due hours by priority,
the escalation step, the key report delay, the insurer targets, the form thresholds, the spot checks —
are changed on a screen, each value within its bounds with a clear message (nothing saved, what was
typed kept), the due hours in the order of their priorities; every change is kept with who made it,
and the code that uses the numbers reads them."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from intranet import clock
from intranet.core.audit import AuditEvent
from intranet.core.models import Role
from intranet.director import actions
from intranet.director.models import ActionPriority, DirectorSettings
from intranet.director.settings import SETTINGS, recent_changes, save_director_settings, settings_for
from intranet.keys import hooks as key_hooks
from tests.browser.conftest import zh

pytestmark = pytest.mark.people(director="zhao", advisor="sun", admin=(Role.ADMIN, "root", "管理员"))

NOW = datetime(2026, 11, 25, 2, 0)  # 10:00 in Shanghai
VALID = {"due_hours_high": "2", "due_hours_normal": "12", "due_hours_low": "96", "escalation_hours": "6",
         "key_report_minutes": "45", "insurer_contacts_target": "5", "partner_contacts_target": "10",
         "form_fill_target": "98.5", "form_error_limit": "5", "spot_checks_per_day": "3"}


def signed_in(client, username):
    client.fetch_csrf()
    client.post("/login", data={"username": username, "password": "password123", "csrf_token": client.csrf_token})
    client.fetch_csrf("/")
    return client


def test_the_screen_shows_the_numbers_in_force_and_only_to_the_director_and_the_administrator(client, db, store,
                                                                                              people):
    with clock.frozen(NOW):
        page = signed_in(client, "zhao").get("/director/settings/")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        for setting in SETTINGS:
            assert f'name="{setting.name}"' in body
        assert 'value="24"' in body and 'value="100"' in body and 'value="6"' in body  # the documents' figures
        client.post("/logout")
        assert signed_in(client, "sun").get("/director/settings/").status_code == 403
        client.post("/logout")
        assert signed_in(client, "root").get("/director/settings/").status_code == 200


def test_saving_keeps_who_changed_what_and_the_code_reads_the_numbers(client, db, store, people):
    with clock.frozen(NOW):
        response = signed_in(client, "zhao").post("/director/settings/", data=VALID)
        assert response.status_code == 302
        page = client.get("/director/settings/").get_data(as_text=True)
    history = page[page.index('data-testid="settings-history"'):]
    assert people["director"].display_name in history and "24 → <b>12</b>" in history and "98.5" in history
    db.session.expire_all()
    row = db.session.get(DirectorSettings, store.id)
    assert (row.due_hours_high, row.escalation_hours, row.form_fill_target) == (2, 6, Decimal("98.5"))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.subject == "director_settings"))
    assert event.actor_id == people["director"].id
    # what reads them: the due time of a new finding, the key report's delay
    assert actions.default_due(store.id, ActionPriority.HIGH, NOW) == NOW + timedelta(hours=2)
    assert actions.default_due(store.id, ActionPriority.LOW, NOW) == NOW + timedelta(hours=96)
    assert key_hooks.report_minutes(store.id) == 45


@pytest.mark.parametrize("field, typed, message", [
    ("due_hours_high", "0", ("A whole number from %(low)s to %(high)s.", {"low": 1, "high": 720})),
    ("escalation_hours", "abc", ("A whole number from %(low)s to %(high)s.", {"low": 1, "high": 168})),
    ("key_report_minutes", "-5", ("A whole number from %(low)s to %(high)s.", {"low": 0, "high": 240})),
    ("spot_checks_per_day", "99999999999", ("A whole number from %(low)s to %(high)s.", {"low": 0, "high": 20})),
    ("form_fill_target", "150", ("A percentage from %(low)s to %(high)s.", {"low": 0, "high": 100})),
    ("form_error_limit", "NaN", ("A percentage from %(low)s to %(high)s.", {"low": 0, "high": 100})),
    ("due_hours_high", "30", ("A high-priority action is due sooner than a normal one (at most %(n)s h).",
                              {"n": 12})),
    ("due_hours_low", "8", ("A low-priority action is due later than a normal one (at least %(n)s h).", {"n": 12})),
])
def test_a_value_out_of_bounds_is_refused_with_its_message_and_nothing_is_saved(client, db, store, people, field,
                                                                                  typed, message):
    with clock.frozen(NOW):
        response = signed_in(client, "zhao").post("/director/settings/", data={**VALID, field: typed})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert zh(message[0], **message[1]) in body
    other = "key_report_minutes" if field != "key_report_minutes" else "escalation_hours"
    assert f'value="{typed}"' in body and f'value="{VALID[other]}"' in body  # everything typed is still there
    db.session.expire_all()
    assert settings_for(store.id).due_hours_normal == 24 and not recent_changes(store.id)


def test_saving_the_same_numbers_again_records_no_change(db, store, people, app):
    with app.test_request_context("/director/settings/", method="POST"):
        save_director_settings(store.id, VALID)
        db.session.commit()
        save_director_settings(store.id, VALID)
        db.session.commit()
    assert len(recent_changes(store.id)) == 1
