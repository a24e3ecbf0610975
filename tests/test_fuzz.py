"""Garbage in every field and every id, as a careless user, a flaky network and a curious colleague
would send it (issue 17, item 7): no answer is a 500, and nothing that is no number is stored.

The demo store is seeded once for this module (a small one), and every role walks its pages as a
person would: the forms it meets are the forms it may send, with real objects behind their URLs and
the values the page filled in. Each field of each form is then sent with each garbage value, one
field at a time, the others as the page had them. Every route that takes an id or a page is asked
for a huge one. Both run on SQLite and, with DATABASE_URL, on PostgreSQL."""
from __future__ import annotations

import ast
import json
import math
import re
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse

import pytest
from sqlalchemy import Float, Numeric, select
from werkzeug.routing.converters import AnyConverter, NumberConverter

from intranet import clock
from intranet.demo.seed import DEMO_PASSWORD, seed_demo
from intranet.extensions import db as _db
from tests.conftest import new_client

# Monday 7 December 2026, 10:30 in Shanghai: the store is open, rounds and the counter are busy.
AT = datetime(2026, 12, 7, 2, 30)
ROLES = ("director", "advisor", "controller", "tech1", "inspector", "parts", "warranty", "accident", "care",
         "admin", "manager")
HUGE_ID = "99999999999999999999"
GARBAGE = ["1e309", "nan", "-1", "9" * 40, "abc", "", "\x00", "x" * 10_000, "2026-02-30", "☃ 𝔘\u202e 漢字²", HUGE_ID]
# The areas, each tested on its own (what a failure names): an endpoint belongs to the package of its
# view (sign-in, the home page and the rest: "home").
GROUPS = ("home", "reception", "workshop", "parts", "keys", "care", "director", "reports", "admin")
# Buttons that end the walk for everyone else (signing out, switching the role) are not pressed.
SKIPPED = ("auth.logout", "auth.switch_role", "auth.set_language", "auth.login")


class Page(HTMLParser):
    """The links and forms of a page: each form's target and the values the page filled in."""

    def __init__(self):
        super().__init__()
        self.links, self.forms = [], []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("hx-get"):
            self.links.append(a["hx-get"])
        if tag == "form":
            target = a.get("hx-post") or a.get("action") or ""
            post = bool(a.get("hx-post")) or (a.get("method") or "get").lower() == "post"
            self._form = {"action": target, "post": post, "fields": []}
            self.forms.append(self._form)
        elif a.get("hx-post"):  # a button or a field posting on its own
            fields = list(self._form["fields"]) if self._form else []
            if a.get("name"):
                fields.append((a["name"], a.get("value", "")))
            try:
                fields += [(k, str(v)) for k, v in json.loads(a.get("hx-vals") or "{}").items()]
            except ValueError:
                pass
            self.forms.append({"action": a["hx-post"], "post": True, "fields": fields})
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind == "file" or kind in ("checkbox", "radio") and "checked" not in a and (
                    kind == "checkbox" or any(n == a["name"] for n, _ in fields)):
                return
            fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "button" and a.get("name"):
            fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None]
        elif tag == "option" and self._select is not None and (self._select[1] is None or "selected" in a):
            self._select[1] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if self._form is not None and tag == "select" and self._select is not None:
            self._form["fields"].append((self._select[0], self._select[1] or ""))
            self._select = None
        elif self._form is not None and tag == "textarea" and self._textarea is not None:
            self._form["fields"].append(tuple(self._textarea))
            self._textarea = None
        elif tag == "form":
            self._form = None


def _shape(url: str) -> str:
    return re.sub(r"/\d+", "/N", urlparse(url).path)


def _endpoint(app, url: str, method: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(urlparse(url).path, method=method)[0]
    except Exception:  # noqa: BLE001 - a link to nowhere, a redirect
        return None


def _group(app, endpoint: str) -> str:
    area = app.view_functions[endpoint].__module__.split(".")[1]
    return area if area in GROUPS else "home"


def _sign_in(app, username: str):
    client = new_client(app)
    client.fetch_csrf()
    answer = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                         "csrf_token": client.csrf_token})
    assert answer.status_code == 302, username
    client.fetch_csrf("/")
    return client


def _walk(app, client, username, forms, pages):
    """Open the pages a person of this role reaches from home (each kind of page twice at most) and
    keep the first form met for each kind of target."""
    queue, seen, kinds = ["/"], set(), defaultdict(int)
    while queue and len(seen) < 400:
        url = queue.pop(0)
        parts = urlparse(url)
        if (url in seen or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static")
                or "logout" in url or re.search(r"fmt=|\.(csv|xlsx|pdf|png|jpg)\b|/export|/download", url)):
            continue
        if kinds[_shape(url)] >= 2:
            continue
        kinds[_shape(url)] += 1
        seen.add(url)
        answer = client.get(url)
        if answer.status_code != 200 or "html" not in answer.content_type:
            continue
        pages.add(url)
        page = Page()
        page.feed(answer.get_data(as_text=True))
        queue += [urljoin(url, link) for link in page.links]
        for form in page.forms:
            target = urljoin(url, form["action"] or url)
            endpoint = _endpoint(app, target, "POST") if form["post"] else None
            if endpoint and endpoint not in SKIPPED and _shape(target) not in forms:
                forms[_shape(target)] = (endpoint, username, target, form["fields"])


@pytest.fixture(scope="module")
def site(app):
    """The small demo store, and every form and page its people meet: {shape: (endpoint, username,
    url, fields)} and the set of pages opened."""
    forms, pages = {}, set()
    with app.app_context(), clock.frozen(AT):
        seed_demo(customers=12, history_days=2)
        _db.session.remove()
    with clock.frozen(AT):
        for username in ROLES:
            _walk(app, _sign_in(app, username), username, forms, pages)
    yield {"forms": forms, "pages": pages}
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                if table.name != "alembic_version":
                    conn.execute(table.delete())


@pytest.fixture
def db(app, site):
    """This module's tests share the seeded store (conftest's `db` empties the tables after each test)."""
    with app.app_context():
        yield _db
        _db.session.remove()


def _send(client, url, method="GET", data=None):
    """The status of one request, or the exception that escaped the app (a 500 in production)."""
    try:
        if method == "POST":  # with the session's CSRF token, as the page would send it
            return client.post(url, data=data).status_code
        return client.get(url).status_code
    except Exception as exc:  # noqa: BLE001 - the test reports it
        return f"{type(exc).__name__}: {str(exc)[:160]}"


def _not_numbers(db):
    """Stored numbers that are no numbers (SQLite keeps 1e309 as Infinity)."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (Numeric, Float)):
                for value in db.session.scalars(select(column).where(column.isnot(None))):
                    number = float(value) if isinstance(value, (Decimal, float)) else value
                    if isinstance(number, float) and not math.isfinite(number):
                        found.append(f"{table.name}.{column.name}={value}")
    return found


@pytest.mark.parametrize("group", GROUPS)
def test_no_form_field_takes_a_page_down(app, site, db, group):
    """Each field of each form of the area, with each garbage value, the other fields as the page had
    them: a refusal (400/404/409/422) or a success, never a 500 — and no Infinity or NaN stored."""
    clients, failures, sent, refused_at_door = {}, [], 0, 0
    with clock.frozen(AT):
        for shape, (endpoint, username, url, fields) in sorted(site["forms"].items()):
            if _group(app, endpoint) != group:
                continue
            client = clients.get(username) or clients.setdefault(username, _sign_in(app, username))
            names = list(dict.fromkeys(re.sub(r"\d+", "N", n) for n, _ in fields if n != "csrf_token"))
            for name in names:
                field = next(n for n, _ in fields if re.sub(r"\d+", "N", n) == name)
                for garbage in GARBAGE:
                    data = defaultdict(list)
                    for n, v in fields:
                        if n != "csrf_token":
                            data[n].append(v)
                    data[field] = [garbage]
                    status = _send(client, url, "POST", dict(data))
                    sent += 1
                    refused_at_door += status == 400
                    if not isinstance(status, int) or status >= 500:
                        failures.append(f"{endpoint} {field}={garbage[:12]!r}: {status}")
    print(f"fuzz {group}: {sent} posts, {len(failures)} answered 5xx, {refused_at_door} refused at the door")
    assert sent, f"no form of {group} was found"
    assert refused_at_door < sent / 4, "most were refused before the view (CSRF?): the test tested nothing"
    assert not failures, f"{len(failures)} of {sent}:\n" + "\n".join(failures[:40])
    assert not _not_numbers(db)


def test_the_walk_reaches_most_forms(app, site):
    """The walk reaches the forms: at least 95 POST endpoints had their fields sent garbage. (Those it
    misses need an object the small demo does not have in that state: a purchase order waiting for
    approval, a count under review, a round paused — the message lists them.)"""
    posted = {endpoint for endpoint, *_rest in site["forms"].values()}
    every = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    print(f"fuzz: {len(posted)} of {len(every)} POST endpoints reached")
    assert len(posted) >= 95, sorted(every - posted - set(SKIPPED))


def _huge_urls(app, site):
    """Each GET route with its ids huge; each page opened with ?page= and every number in its query
    huge."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or not any(
                isinstance(c, NumberConverter) for c in rule._converters.values()):
            continue
        def value(match):
            converter = rule._converters[match.group(1)]
            if isinstance(converter, NumberConverter):
                return HUGE_ID
            return sorted(converter.items)[0] if isinstance(converter, AnyConverter) else "x"

        urls.append(re.sub(r"<(?:[^>:]*:)?(\w+)>", value, rule.rule))
    shapes = set()
    for page in sorted(site["pages"]):
        parts = urlparse(page)
        if _shape(page) in shapes:
            continue
        shapes.add(_shape(page))
        query = [(k, HUGE_ID if re.fullmatch(r"-?\d+", v) else v) for k, v in parse_qsl(parts.query)]
        urls.append(f"{parts.path}?{urlencode([*query, ('page', HUGE_ID)])}")
        urls.append(f"{parts.path}?{urlencode([*query, ('page', '-' + HUGE_ID)])}")
    return urls


def test_huge_ids_and_pages_find_nothing(app, site, db):
    """/ro/99999999999999999999 is a 404, ?page=99999999999999999999 the last page or a 404 — never an
    overflow in the database."""
    client = _sign_in(app, "director")
    failures = []
    with clock.frozen(AT):
        for url in _huge_urls(app, site):
            status = _send(client, url)
            if not isinstance(status, int) or status >= 500:
                failures.append(f"{url}: {status}")
    assert not failures, "\n".join(failures)


def test_forms_take_numbers_and_dates_from_the_bounded_fields():
    """Forms use core.forms' IntegerField, DecimalField, FloatField, DateField and DateTimeLocalField
    (finite, bounded, dates 1900–2100), never wtforms' own."""
    unbounded = {"IntegerField", "DecimalField", "FloatField", "DateField", "DateTimeLocalField", "DateTimeField",
                 "IntegerRangeField", "DecimalRangeField"}
    found = []
    for path in Path(__file__).parents[1].joinpath("intranet").rglob("*.py"):
        if path.name == "forms.py" and path.parent.name == "core":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wtforms"):
                found += [f"{path.name}: {alias.name}" for alias in node.names if alias.name in unbounded]
    assert not found, found
