"""Browser tests: the real app served by werkzeug in a thread, driven by a real Chromium
(Debian's, through Playwright) at the two tablet sizes the workshop uses.

The live server shares the session `app` — and so its database — with the factories of
tests/conftest.py: data a test creates is committed before the browser reads it, and the
autouse `db` fixture empties the tables after each test as usual."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, gettext
from werkzeug.serving import make_server

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

LANDSCAPE = "1024x768"
PORTRAIT = "768x1024"
VIEWPORTS = {
    LANDSCAPE: {"width": 1024, "height": 768},
    PORTRAIT: {"width": 768, "height": 1024},
}
SIZES = list(VIEWPORTS)

TIMEOUT_MS = 10_000  # every wait is bounded: a hung page fails the test, it does not hang the run

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser/ is a browser test (`-m "not browser"` skips them all)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --- the server -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(app):
    """The session app served on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the browser ------------------------------------------------------------------------------

def find_chromium() -> str | None:
    candidates = [os.environ.get("CHROMIUM_PATH") or "", "/usr/bin/chromium", shutil.which("chromium") or ""]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


@pytest.fixture(scope="session")
def browser():
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium not found, and CI must run the browser tests: install it "
                        "(apt-get install chromium) or set CHROMIUM_PATH.", pytrace=False)
        pytest.skip("Chromium not found: apt-get install chromium (browser tests)")
    from playwright.sync_api import sync_playwright

    # Under libfaketime (CI's shifted-clock run) Chromium shifts its monotonic clock with the wall
    # clock: with FAKETIME_DONT_FAKE_MONOTONIC it starts in ~20 s and its waits never fire.
    env = {k: v for k, v in os.environ.items() if k != "FAKETIME_DONT_FAKE_MONOTONIC"}
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS, env=env)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser, live_server):
    """Factory: a fresh browser context (its own cookies) at a tablet size, zh-CN, Shanghai time.
    Contexts are closed when the test ends."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    made = []

    def make(size: str = LANDSCAPE):
        context = browser.new_context(
            base_url=live_server,
            viewport=VIEWPORTS[size],
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            has_touch=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def landscape_context(new_context):
    """A 1024x768 tablet held sideways."""
    return new_context(LANDSCAPE)


@pytest.fixture
def portrait_context(new_context):
    """A 768x1024 tablet held upright."""
    return new_context(PORTRAIT)


@pytest.fixture(params=SIZES)
def size(request):
    """Parametrizes a test over both tablet sizes ("1024x768", "768x1024")."""
    return request.param


@pytest.fixture
def page(new_context, size):
    """A page in a fresh context at the test's tablet size."""
    return new_context(size).new_page()


# --- helpers ----------------------------------------------------------------------------------

def shot(page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="initial")
    return path


def path_of(page) -> str:
    return urlsplit(page.url).path


def login(page, username: str, password: str = "password123", *, expect_success: bool = True):
    """Sign in through the real login form. On success, waits until the app has left /login."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    if expect_success:
        assert path_of(page) != "/login", f"login as {username} failed: {page.locator('[role=alert]').all_inner_texts()}"
    return page


# ------------------------------------------------------------------ helpers the flows share

ZH = "zh_Hans_CN"


def zh(text, **params) -> str:
    """A message (a lazy one, or a msgid) as the Chinese UI shows it — English until the catalog
    has it."""
    with force_locale(ZH):
        return gettext(text, **params) if isinstance(text, str) else str(text)


def fresh(db):
    """End the test's read transaction so the next query sees what the browsers just saved."""
    db.session.rollback()
    db.session.expire_all()
    return db.session


def top(page) -> None:
    page.evaluate("window.scrollTo(0, 0)")
