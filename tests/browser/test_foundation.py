"""The foundation seen through a real browser at tablet sizes: signing in, each role's home,
switching role and language, and the live "store today" board."""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from intranet.core.models import Role
from tests.browser.conftest import LANDSCAPE, PORTRAIT, SIZES, VIEWPORTS, login, path_of, shot

pytestmark = pytest.mark.browser

ZH = "zh_Hans_CN"

# A realistic name per role, so the screenshots show Chinese names of typical length.
NAMES = {
    Role.DIRECTOR: "赵建国", Role.ADVISOR: "王芳", Role.CONTROLLER: "李强", Role.TECHNICIAN: "张师傅",
    Role.INSPECTOR: "陈静", Role.PARTS: "刘洋", Role.WARRANTY: "杨丽", Role.ACCIDENT: "黄磊",
    Role.CARE: "周敏", Role.MANAGER: "吴总", Role.ADMIN: "系统管理员",
}


def zh(text) -> str:
    """A (lazy) message as the Chinese UI shows it — English until the catalog has it."""
    with force_locale(ZH):
        return str(text)


def role_chip(page):
    """The active-role chip of the top bar (a plain chip, or the role menu's summary)."""
    return page.locator("header.topbar details.role-menu > summary, header.topbar > span.chip-btn").first


# --- signing in -------------------------------------------------------------------------------

def test_login_wrong_then_right_password(page, size, make_user):
    from flask_babel import lazy_gettext as _l

    user = make_user(Role.ADVISOR, username="wangfang", display_name="王芳")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    shot(page, f"login-{size}")

    page.locator("#username").fill(user.username)
    page.locator("#password").fill("not-the-password")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    assert path_of(page) == "/login"
    alert = page.locator(".login-card [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_have_text(zh(_l("Wrong user name or password.")))
    expect(page.locator("#username")).to_have_value(user.username)  # no need to type it again
    shot(page, f"login-error-{size}")

    page.locator("#password").fill("password123")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    assert path_of(page) == "/"
    expect(page.locator("header.topbar .user-name")).to_have_text("王芳")


# --- every role's home ------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_every_role_home(new_context, make_user, role):
    user = make_user(role, username=f"home_{role.value}", display_name=NAMES[role])
    page = new_context(LANDSCAPE).new_page()
    login(page, user.username)
    assert path_of(page) == "/"

    for size in SIZES:
        page.set_viewport_size(VIEWPORTS[size])
        greeting = page.locator(".page-head h1")
        expect(greeting).to_be_visible()
        expect(greeting).to_contain_text(NAMES[role])
        expect(page.locator("header.topbar .user-name")).to_have_text(NAMES[role])
        if size == LANDSCAPE:  # the top bar hides the name below 800 px (CSS), the greeting shows it
            expect(page.locator("header.topbar .user-name")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), \
            f"the page scrolls sideways at {size}"
        expect(role_chip(page)).to_contain_text(zh(role.label))
        nav = page.locator("nav.tabs")
        expect(nav).to_be_visible()
        expect(nav.locator('a[href="/"]')).to_have_attribute("aria-current", "page")
        assert nav.locator("a").count() >= 2, "the nav offers more than the home page"
        shot(page, f"home-{role.value}-{size}")

    # Every nav entry opens (no 403/500 behind a link the role is shown).
    hrefs = nav.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    for href in hrefs:
        response = page.goto(href)
        assert response.status == 200, (role, href, response.status)
        expect(page.locator("header.topbar .user-name")).to_have_text(NAMES[role])


# --- switching role ---------------------------------------------------------------------------

def test_role_switcher(page, size, make_user):
    make_user(Role.ADVISOR, Role.CARE, username="twohats", display_name="孙悦")
    login(page, "twohats")

    menu = page.locator("header.topbar details.role-menu")
    expect(menu).to_be_visible()
    chip = menu.locator("summary")
    expect(chip).to_contain_text(zh(Role.ADVISOR.label))
    expect(page.locator(".page-head .muted")).to_contain_text(zh(Role.ADVISOR.label))
    panel_titles = page.locator("main section.card h2")
    advisor_panels = panel_titles.all_inner_texts()

    chip.click()
    expect(menu).to_have_attribute("open", "")
    current = menu.locator("button[aria-current=true]")
    expect(current).to_have_text(zh(Role.ADVISOR.label))
    shot(page, f"role-menu-{size}")

    with page.expect_navigation():
        menu.get_by_role("button", name=zh(Role.CARE.label)).click()
    assert path_of(page) == "/"
    expect(chip).to_contain_text(zh(Role.CARE.label))
    expect(chip).not_to_contain_text(zh(Role.ADVISOR.label))
    expect(page.locator(".page-head .muted")).to_contain_text(zh(Role.CARE.label))
    assert panel_titles.all_inner_texts() != advisor_panels, "the home's panels did not change with the role"
    shot(page, f"home-switched-care-{size}")

    page.reload()  # the choice is kept in the session
    expect(chip).to_contain_text(zh(Role.CARE.label))


# --- switching language -----------------------------------------------------------------------

def test_language_switch_sticks(page, size, make_user):
    from flask_babel import lazy_gettext as _l

    make_user(Role.ADVISOR, username="polyglot", display_name="马可")
    login(page, "polyglot")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("nav.tabs")).to_contain_text(zh(_l("My day")))
    to_english = page.locator('header.topbar form[action="/language/en"] button[type=submit]')
    expect(to_english).to_have_text(re.compile("English"))
    shot(page, f"lang-zh-{size}")

    with page.expect_navigation():
        to_english.click()
    expect(html).to_have_attribute("lang", "en")
    assert path_of(page) == "/"
    expect(page.locator("nav.tabs")).to_contain_text("My day")
    back = page.locator(f'header.topbar form[action="/language/{ZH}"] button[type=submit]')
    expect(back).to_have_text(re.compile("中文"))

    # It sticks: through the nav, and on a fresh load.
    with page.expect_navigation():
        page.locator('nav.tabs a[href="/today/"]').click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator(".page-head h1")).to_have_text("Store today")
    page.goto("/search")
    expect(html).to_have_attribute("lang", "en")
    page.goto("/")
    expect(html).to_have_attribute("lang", "en")
    shot(page, f"lang-en-{size}")

    with page.expect_navigation():
        back.click()
    expect(html).to_have_attribute("lang", "zh-Hans")


# --- the live board ---------------------------------------------------------------------------

def submit_quick_check_in(page, plate: str, timeout_ms: int = 5_000) -> int | None:
    """Type `plate` into the board's quick check-in and tap "Check in"; the answer's status, or
    None when the request went out but no answer came back in time."""
    is_check_in = lambda r: "/reception/quick-check-in" in r.url  # noqa: E731
    for attempt in (1, 2):
        page.locator("#quick-check-in input[name=plate]").fill(plate)
        sent = False
        try:
            with page.expect_response(is_check_in, timeout=timeout_ms) as answer:
                with page.expect_request(is_check_in, timeout=2_000 if attempt == 1 else timeout_ms):
                    page.locator("#quick-check-in button[type=submit]").click()
                sent = True
        except PlaywrightTimeoutError:
            if sent:
                return None
            # A poll re-rendered the board between typing and tapping (see the last test): again.
            continue
        return answer.value.status
    raise AssertionError("the quick check-in was never sent")


PLATE = "沪A12345"


def test_live_board_updates_other_tablet_without_reload(app, new_context, make_user, make_vehicle, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 1)  # restored after the test
    make_vehicle(plate=PLATE)
    make_user(Role.ADVISOR, username="advisor_a", display_name="王芳")
    make_user(Role.DIRECTOR, username="director_b", display_name="赵建国")

    a = new_context(LANDSCAPE).new_page()
    b = new_context(PORTRAIT).new_page()
    login(a, "advisor_a")
    login(b, "director_b")

    board_statuses: list[int] = []
    b.on("response", lambda r: board_statuses.append(r.status) if "/today/board" in r.url else None)

    a.goto("/today/")
    b.goto("/today/")
    for p in (a, b):
        expect(p.locator("#today-board")).to_have_attribute("hx-trigger", re.compile(r"every 1s"))
    b_count = b.locator("[data-testid=cars-in]")
    expect(b_count).to_have_text("0")
    expect(b.locator("#today-board .empty").first).to_be_visible()
    b.evaluate("window.__marker = 1")

    # Nothing has changed yet: B's polls are answered 304 (and B keeps its board).
    with b.expect_response(lambda r: "/today/board" in r.url and r.status == 304, timeout=8_000):
        pass
    assert 304 in board_statuses, f"unchanged board was not answered 304: {board_statuses}"
    shot(b, f"board-director-before-{PORTRAIT}")

    # A checks the car in from the board.
    answer = submit_quick_check_in(a, PLATE)
    # A's board shows the car: from the answer to the check-in (or, failing that, A's own next poll).
    expect(a.locator("[data-testid=cars-in]")).to_have_text("1")
    expect(a.locator("[data-testid=cars-in-list]")).to_contain_text(PLATE)

    # B sees it on its next poll, without reloading.
    expect(b_count).to_have_text("1", timeout=15_000)
    expect(b.locator("[data-testid=cars-in-list]")).to_contain_text(PLATE)
    assert b.evaluate("window.__marker") == 1, "B navigated instead of updating in place"
    assert 200 in board_statuses[board_statuses.index(304):], board_statuses
    shot(b, f"board-director-after-{PORTRAIT}")

    assert answer == 200
    expect(a.locator("#toasts .toast-success")).to_contain_text(PLATE)
    expect(a.locator("#quick-check-in input[name=plate]")).to_have_value("")  # ready for the next car
    shot(a, f"board-advisor-after-{LANDSCAPE}")


def test_unknown_plate_shows_error_and_keeps_text(app, page, size, make_user, make_vehicle, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 600)  # no poll may land mid-test
    make_vehicle(plate=PLATE)  # some other car is on file
    make_user(Role.ADVISOR, username="advisor_u", display_name="王芳")
    login(page, "advisor_u")
    page.goto("/today/")

    unknown = "沪B99999"
    answer = submit_quick_check_in(page, unknown)
    assert answer == 422

    alert = page.locator("#quick-error .alert[role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(unknown)
    expect(page.locator("#quick-check-in input[name=plate]")).to_have_value(unknown)
    expect(page.locator("[data-testid=cars-in]")).to_have_text("0")
    shot(page, f"board-unknown-plate-{size}")


def test_typed_plate_survives_a_board_refresh(app, db, store, new_context, make_user, monkeypatch):
    """An advisor half-way through typing a plate must not lose it when the board refreshes
    because something else changed (another car in, someone signing in, the minute ticking)."""
    from intranet.live.services import STORE_BOARD, bump

    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 1)
    make_user(Role.ADVISOR, username="advisor_t", display_name="王芳")
    page = new_context(LANDSCAPE).new_page()
    login(page, "advisor_t")
    page.goto("/today/")
    plate_input = page.locator("#quick-check-in input[name=plate]")
    plate_input.fill("沪A1")
    page.evaluate("document.getElementById('today-board').dataset.before = '1'")

    with page.expect_response(lambda r: "/today/board" in r.url and r.status == 200, timeout=8_000):
        bump(store.id, STORE_BOARD)  # what any change the board shows does (a car in, its status…)
        db.session.commit()
    # The refreshed board is in place (the old element, with its marker, is gone)...
    expect(page.locator("#today-board[data-before]")).to_have_count(0)
    shot(page, f"board-after-refresh-{LANDSCAPE}")
    # ...and it kept what the advisor was typing.
    assert page.locator("#quick-check-in input[name=plate]").input_value() == "沪A1"
