"""Pages everyone can read and tap (issue 17, items 17 and 14; issue 16, item 17).

Over the demo store, every role's menu pages and one page of each kind they link to, at both tablet
sizes: axe-core (vendored, tests/browser/vendor/axe.min.js) finds no serious or critical violation,
nothing scrolls sideways, every visible control is at least 44 × 44 px, and the
Content-Security-Policy (scripts only from the intranet's files) blocks nothing the page needs."""
from __future__ import annotations

from pathlib import Path

import pytest

from sqlalchemy import select

from intranet import clock
from intranet.core.models import Role, Store, User
from tests import factories
from tests.browser.conftest import SIZES, login, shot
from tests.conftest import new_client
from tests.site_pages import DEMO_AT, DEMO_PASSWORD, ROLE_USERS, pages_of, sign_in

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"

# Records what the Content-Security-Policy refused, from the first moment of each document.
CSP_WATCH = """document.addEventListener("securitypolicyviolation", function (e) {
  (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});"""

# Every visible control a finger uses, smaller than 44 × 44 px. A link inside a sentence (a
# paragraph) is exempt (WCAG 2.5.5's inline exception); a tick box counts with its label.
SMALL_TARGETS = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])';
  const small = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('[hidden], .sr-label, .sr-only, template')) continue;
    let box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.tagName === 'A' && el.closest('p') && getComputedStyle(el).display === 'inline') continue;
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels.length) {
      for (const label of el.labels) {
        const lb = label.getBoundingClientRect();
        if (lb.width >= box.width && lb.height >= box.height) box = lb;
      }
    }
    if (box.width < 43.5 || box.height < 43.5) {
      small.push(el.outerHTML.slice(0, 110) + ' ' + Math.round(box.width) + 'x' + Math.round(box.height));
    }
  }
  return small;
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


@pytest.fixture
def demo_pages(app, runner, db):
    """The demo store under a frozen clock, and {username: [urls]} — each role's menu pages plus one
    page of each kind they link to (a kind already listed for an earlier role is not repeated)."""
    with clock.frozen(DEMO_AT):
        seeded = runner.invoke(args=["seed-demo", "--days", "3"])
        assert seeded.exit_code == 0, seeded.output
        seen: set[str] = set()
        listed = {}
        for username in ROLE_USERS:
            client = new_client(app)
            sign_in(client, username)
            listed[username] = list(pages_of(client, seen=seen))
        # every demo car already has its signed walk-around: one car just checked in, still to walk round
        store = db.session.scalar(select(Store))
        advisor = db.session.scalar(select(User).where(User.username == "advisor"))
        ro = factories.checked_in(store, advisor, plate="沪A4G4G4", lines=[factories.labour()])
        listed["advisor"] += [f"/reception/ro/{ro.id}/walk-around", f"/reception/ro/{ro.id}"]
        yield listed


def test_every_page_of_every_role_reads_and_taps(new_context, demo_pages):
    """Both tablet sizes in one test: the demo is seeded once."""
    axe = AXE.read_text(encoding="utf-8")
    problems: dict[str, list[str]] = {}
    checked = 0
    for size, (username, urls) in ((s, item) for s in SIZES for item in demo_pages.items()):
        context = new_context(size)
        context.add_init_script(CSP_WATCH)
        context.add_init_script(axe)  # injected by the browser, so the page's own CSP does not block it
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
        login(page, username, DEMO_PASSWORD)
        for url in urls:
            console.clear()
            response = page.goto(url)
            assert response and response.status == 200, f"{username} {url}: {response and response.status}"
            page.wait_for_load_state("load")
            checked += 1
            found = [f"axe {v}" for v in page.evaluate(AXE_RUN)]
            width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if width > inner:
                found.append(f"scrolls sideways: {width} px wide in {inner} px")
            found += [f"target under 44 px: {t}" for t in page.evaluate(SMALL_TARGETS)[:5]]
            found += [f"CSP refused: {v}" for v in page.evaluate("window.__cspViolations || []")]
            found += [f"CSP console: {m}" for m in console]
            if found:
                problems[f"{size} {username} {url}"] = found
                shot(page, f"a11y-{size}-{username}-{url.strip('/').replace('/', '_') or 'home'}")
        context.close()
    print(f"a11y: {checked} page × size checks, {len(problems)} with problems")
    assert checked >= 2 * 60
    assert not problems, "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())


def test_workshop_board_fits_a_tablet(page, size, store, make_user):
    """Cars in a stage for most of a day, late, with long model names: the board still fits the tablet
    (no sideways scroll) and each card shows its whole standard time and its late pill (issue 16, item 17)."""
    from datetime import datetime, timedelta

    now = datetime(2026, 11, 24, 9, 0)  # 17:00 in Shanghai
    with clock.frozen(now):
        make_user(Role.DIRECTOR, username="zhao_board")
        advisor = make_user(Role.ADVISOR, username="sun_board")
        for n, model in enumerate(["探岳 330TSI 四驱豪华型智联版", "揽境 380TSI 四驱旗舰版", "ID.4 CROZZ PRO 长续航版",
                                   "高尔夫 280TSI Pro", "速腾 280TSI 舒适智联版"]):
            car = factories.vehicle(store, plate=f"沪A8{n}8{n}8", model=model)
            factories.checked_in(store, advisor, car, lines=[factories.labour()], at=now - timedelta(hours=20, minutes=7 * n),
                                 promised_at=now - timedelta(hours=2))
        login(page, "zhao_board")
        page.goto("/workshop/board")
        cards = page.locator(".car-card")
        assert cards.count() == 5
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"the board is {width} px wide in a {inner} px window"
        clipped = page.evaluate("""() => [...document.querySelectorAll('.car-card')].flatMap(card => {
            const edge = card.getBoundingClientRect().right;
            return [...card.querySelectorAll('.in-stage, .pill')]
              .filter(el => el.getBoundingClientRect().right > edge + 0.5)
              .map(el => card.dataset.testid + ': ' + el.textContent.trim());
        })""")
        assert clipped == []
        shot(page, f"a11y-workshop-board-{size}")


def test_what_inline_handlers_did_still_works_under_the_csp(new_context, db, ro):
    """The confirmation before cancelling a repair order and the filters that send themselves were
    inline onclick/onchange handlers; they are data- attributes now (static/js/app.js) and work with
    the policy in force, which refuses nothing on the way (issue 17, item 14)."""
    from playwright.sync_api import expect

    from intranet.core.models import RepairOrder
    from tests.browser.conftest import fresh

    context = new_context()
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    login(page, "sun")
    page.goto(f"/reception/ro/{ro.id}")
    cancel = page.locator("button[name=to][value=cancelled]")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    cancel.click()
    page.wait_for_timeout(300)
    assert questions and ro.number in questions[0]
    assert fresh(db).get(RepairOrder, ro.id).status == "checked_in"  # "no" keeps it
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        cancel.click()
    assert fresh(db).get(RepairOrder, ro.id).status == "cancelled"

    page.goto("/reception/appointments")
    with page.expect_navigation():
        page.locator("select[name=advisor]").select_option(label=ro.advisor.display_name)
    assert f"advisor={ro.advisor.id}" in page.url
    expect(page.locator("select[name=advisor]")).to_have_value(str(ro.advisor.id))
    assert page.evaluate("window.__cspViolations || []") == []
