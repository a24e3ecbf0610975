"""The director changes the store's numbers on a tablet (issue 16, item 16): a value out of bounds is
refused next to its field with what was typed kept, the corrected form saves, and the change is
listed with who made it."""
from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect

from intranet import clock
from intranet.core.models import Role
from tests.browser.conftest import SIZES, login, shot, zh

NOW = datetime(2026, 11, 25, 2, 0)  # 10:00 in Shanghai


@pytest.mark.parametrize("size", SIZES)
def test_the_director_changes_a_number_and_sees_who_changed_it(db, store, make_user, new_context, size):
    make_user(Role.DIRECTOR, username="zhao", display_name="赵总")
    with clock.frozen(NOW):
        page = new_context(size).new_page()
        login(page, "zhao")
        page.goto("/director/rounds/")
        page.get_by_role("link", name=zh("Settings")).last.tap()
        expect(page.locator("h1")).to_have_text(zh("Director's settings"))
        page.locator("#f-due_hours_high").fill("0")
        page.locator("#f-form_fill_target").fill("98")
        page.get_by_test_id("save-settings").tap()
        field = page.locator(".field.has-error")
        expect(field).to_contain_text(zh("A whole number from %(low)s to %(high)s.", low=1, high=720))
        expect(page.locator("#f-due_hours_high")).to_have_value("0")
        expect(page.locator("#f-form_fill_target")).to_have_value("98")  # nothing typed is lost
        shot(page, f"director-settings-refused-{size}")
        page.locator("#f-due_hours_high").fill("2")
        page.get_by_test_id("save-settings").tap()
        expect(page.locator(".flash.success")).to_be_visible()
        history = page.get_by_test_id("settings-history")
        expect(history).to_contain_text("赵总")
        expect(history).to_contain_text("4 → 2")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, f"director-settings-saved-{size}")
