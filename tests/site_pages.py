"""The pages of every role, and a light HTML check over them (what the Nu validator and axe-core found
on the walked store, kept from coming back without a Java validator in the test run).

`demo_store` seeds the demo (three days of history, a frozen clock); `pages_of(client)` walks a signed-in
person's menu and, one level down, one page of each kind the menu pages link to (a repair order, a key
tag, a part, a round …); `html_problems(html)` lists what a validator would refuse."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

# Who walks the pages: one demo account per role (advisor3 also wears the care role: the role switcher).
ROLE_USERS = ["director", "manager", "advisor", "advisor3", "controller", "tech1", "inspector", "parts",
              "warranty", "accident", "care", "admin"]
DEMO_PASSWORD = "demo1234"
DEMO_AT = datetime(2026, 11, 24, 2, 30)  # a Tuesday, 10:30 in Shanghai: the store is open, the board full

SKIP = re.compile(r"logout|/export|\.(pdf|csv|xlsx|png|jpe?g)$|/photos?/|/download|/print|/labels", re.I)
HREF = re.compile(r'<a\b[^>]*?\bhref="(/[^"#]*)"', re.I)
NAV = re.compile(r'<nav class="tabs"[^>]*>(.*?)</nav>', re.S)
MAIN = re.compile(r"<main\b[^>]*>(.*)</main>", re.S)


def pattern(url: str) -> str:
    """The kind of a page: its path with the numbers taken out (/reception/ro/12 → /reception/ro/N)."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


def sign_in(client, username: str) -> None:
    client.fetch_csrf()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": client.csrf_token})
    assert response.status_code == 302, f"{username} could not sign in"
    client.fetch_csrf("/")


def menu_of(html: str) -> list[str]:
    found = NAV.search(html)
    return HREF.findall(found.group(1)) if found else []


def pages_of(client, *, seen: set[str] | None = None, limit: int = 60) -> dict[str, str]:
    """{url: html} of the menu pages and one page of each kind they link to, as this client sees them.
    Kinds already in `seen` (checked for another role) are left out, except the menu pages themselves."""
    seen = seen if seen is not None else set()
    home = client.get("/", follow_redirects=True)
    menu = ["/"] + menu_of(home.get_data(as_text=True))
    found: dict[str, str] = {}
    queue = [(url, True) for url in menu]
    while queue and len(found) < limit:
        url, is_menu = queue.pop(0)
        kind = pattern(url)
        if url in found or SKIP.search(url) or (not is_menu and kind in seen):
            continue
        seen.add(kind)
        response = client.get(url)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        html = response.get_data(as_text=True)
        found[url] = html
        if is_menu:
            body = MAIN.search(html)
            queue += [(link.replace("&amp;", "&"), False) for link in HREF.findall(body.group(1) if body else "")]
    return found


# ---------------------------------------------------------------------------------------- the check

GENERIC = {"span", "div", "p", "b", "i", "em", "strong", "small", "li", "td", "dd", "dt", "section"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: Counter[str] = Counter()
        self.label_for: list[str] = []
        self.problems: list[str] = []
        self.stack: list[list] = []  # [tag, attrs, text]
        self.select: dict | None = None
        self.in_template = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self.in_template += 1
        if not self.in_template:
            if a.get("id"):
                self.ids[a["id"]] += 1
            if tag == "label" and a.get("for"):
                self.label_for.append(a["for"])
        if tag == "form" and "action" in a and not (a["action"] or "").strip():
            self.problems.append('a form with action="" (leave the attribute out)')
        if "aria-label" in a and tag in GENERIC and "role" not in a:
            self.problems.append(f"aria-label on a plain <{tag}>: {a['aria-label']!r}")
        href = a.get("href") or ""
        if href.startswith("tel:") and re.search(r"\s", href):
            self.problems.append(f"a tel: link with spaces: {href!r}")
        if tag == "select" and "required" in a and "multiple" not in a and int(a.get("size") or 1) <= 1:
            self.select = {"seen": False, "first": ""}
        if tag == "option" and self.select is not None and not self.select["seen"]:
            self.select.update(seen=True, first=a.get("value", ""))
        if tag not in VOID:
            self.stack.append([tag, a, ""])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_data(self, data):
        for frame in self.stack:
            frame[2] += data

    def handle_endtag(self, tag):
        if tag == "template":
            self.in_template -= 1
        if tag == "select" and self.select is not None:
            if self.select["first"]:
                self.problems.append("a required <select> whose first option is not an empty choice")
            self.select = None
        while self.stack:
            name, attrs, text = self.stack.pop()
            if name == tag:
                if tag == "th" and not text.strip() and not attrs.get("aria-label"):
                    self.problems.append("an empty table header <th>")
                break


def html_problems(html: str) -> list[str]:
    """What an HTML validator (and axe's structural rules) would refuse on a page."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    problems = list(checker.problems)
    problems += [f"duplicate id {i!r} ({n}×)" for i, n in checker.ids.items() if n > 1]
    problems += [f"<label for={target!r}> names no field" for target in checker.label_for
                 if target not in checker.ids]
    return problems
