"""Every page of every role is valid enough HTML for a screen reader and a validator: no duplicate ids,
no empty form action, no aria-label on a plain span, no tel: link with spaces, a required select that
starts with an empty choice, no empty table header, no label pointing at no field (issue 17, item 17)."""
from __future__ import annotations

from intranet import clock
from tests.conftest import new_client
from tests.site_pages import DEMO_AT, ROLE_USERS, html_problems, pages_of, sign_in


def test_html_problems_are_found():
    """The check itself: each kind of defect on a made-up page is named."""
    page = """<main><form action=""><input id="csrf_token"><input id="csrf_token"></form>
    <span aria-label="Role">Advisor</span><a href="tel:021-5888 6666">call</a>
    <select required name="x"><option value="a">A</option></select>
    <table><tr><th></th><th>Plate</th></tr></table><label for="nowhere">Name</label>
    <template><input id="row"></template><template><input id="row"></template></main>"""
    problems = html_problems(page)
    assert any("duplicate id 'csrf_token'" in p for p in problems)
    assert any('action=""' in p for p in problems)
    assert any("aria-label on a plain <span>" in p for p in problems)
    assert any("tel:" in p for p in problems)
    assert any("required <select>" in p for p in problems)
    assert any("empty table header" in p for p in problems)
    assert any("names no field" in p for p in problems)
    assert not any("'row'" in p for p in problems), "ids inside <template> are copies, not duplicates"
    assert html_problems('<main><select required><option value="">—</option></select>'
                         '<a href="tel:02158886666">x</a><th aria-label="Actions"></th></main>') == []


def test_every_page_of_every_role_is_valid_html(app, runner, db):
    with clock.frozen(DEMO_AT):
        seeded = runner.invoke(args=["seed-demo", "--days", "3"])
        assert seeded.exit_code == 0, seeded.output
        seen: set[str] = set()
        problems = {}
        checked = 0
        for username in ROLE_USERS:
            client = new_client(app)
            sign_in(client, username)
            for url, html in pages_of(client, seen=seen).items():
                checked += 1
                if found := html_problems(html):
                    problems[f"{username} {url}"] = sorted(set(found))
    assert checked > 60
    assert not problems, "\n".join(f"{page}: {'; '.join(found)}" for page, found in problems.items())
