"""A breadth-first walk of the links a signed-in person is shown: from their home (and so their
menu), every same-origin `<a href>` each page offers, as far as a bound. What a page offers must
open for the person it is offered to: the walk collects every link that answered 403 or 500,
with the page that offered it (issue 16, item 10; issue 17, item 17)."""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from werkzeug.routing import RequestRedirect
from werkzeug.exceptions import HTTPException

# Links that leave the pages a person reads: files to download and printouts, whose answers a
# page walk need not render (they are opened all the same, once per endpoint, to see they open).
_SKIP_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "sms:")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


@dataclass
class Walk:
    visited: dict[str, int] = field(default_factory=dict)  # url -> status
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (status, url, offered on)

    def add(self, status: int, url: str, source: str) -> None:
        self.visited[url] = status
        if status in (403, 500):
            self.refused.append((status, url, source))


def _endpoint(app, url: str) -> str | None:
    parts = urlsplit(url)
    adapter = app.url_map.bind("localhost", url_scheme="http")
    try:
        endpoint, _ = adapter.match(parts.path, method="GET", query_args=parts.query)
    except RequestRedirect as redirect:
        return _endpoint(app, redirect.new_url.replace("http://localhost", "", 1))
    except HTTPException:
        return None
    return endpoint


_NUMBER = re.compile(r"\d+")


def crawl(app, client, *, start=("/",), per_endpoint: int = 3, limit: int = 400, on_page=None) -> Walk:
    """Open `start`, then every same-origin link the pages offer, breadth first. Each endpoint is
    opened with at most `per_endpoint` different URLs (pages of one kind share their template), and
    at most `limit` pages in all. The client is signed in already. `on_page(url, html)` sees each
    HTML page the walk opened."""
    walk = Walk()
    queue: deque[tuple[str, str]] = deque((url, "(start)") for url in start)
    seen: set[str] = set(start)
    per: dict[str, int] = {}
    while queue and len(walk.visited) < limit:
        url, source = queue.popleft()
        response = client.get(url)
        # read every answer to the end and close it: a streamed download (the catalogue export) runs
        # its generator here, so a failure half-way is this link's failure, not a stray one later
        response.get_data()
        response.close()
        walk.add(response.status_code, url, source)
        if response.status_code in (301, 302, 303, 307, 308):
            target = urldefrag(urljoin(url, response.headers["Location"]))[0]
            if _same_origin(target) and target not in seen:
                seen.add(target)
                queue.appendleft((_local(target), url))
            continue
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        html = response.get_data(as_text=True)
        if on_page is not None:
            on_page(url, html)
        for href in links_of(html):
            if href.startswith(_SKIP_SCHEMES) or href.startswith("#"):
                continue
            target = urldefrag(urljoin(url, href))[0]
            if not _same_origin(target):
                continue
            target = _local(target)
            if target in seen or target.startswith("/static/"):
                continue
            seen.add(target)
            endpoint = _endpoint(app, target) or target
            # One shape of URL (the same endpoint, ids aside) counts once per distinct query names.
            shape = (endpoint, tuple(sorted(_NUMBER.sub("#", urlsplit(target).query).split("&"))))
            key = repr(shape)
            if per.get(key, 0) >= per_endpoint:
                continue
            per[key] = per.get(key, 0) + 1
            queue.append((target, url))
    return walk


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("", "http") and parts.netloc in ("", "localhost")


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -------------------------------------------------------------- English left on a Chinese page
class _Text(HTMLParser):
    """The words a reader sees: text outside script, style and svg, and the attributes read aloud or
    shown (placeholder, title, aria-label, alt). Identifiers shown as they are — a user name, a job's
    name, a file's column heading — sit in an element marked `translate="no"` (or `<code>`), which
    browsers do not translate either; their text is left out."""

    SHOWN_ATTRS = ("placeholder", "title", "aria-label", "alt")
    HIDDEN = ("script", "style", "svg", "template", "code", "kbd", "samp")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip: list[str] = []  # the tag that started a part left out, once per nesting of it

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if self._skip:
            if tag == self._skip[0]:
                self._skip.append(tag)
            return
        if tag in self.HIDDEN or values.get("translate") == "no":
            self._skip.append(tag)
            return
        for name, value in attrs:
            if name in self.SHOWN_ATTRS and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if self._skip and tag == self._skip[0]:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


# Words that are English on a Chinese page on purpose: names of things (software, file kinds,
# codes), the language switch, car models. A store's own data (names, models) is not checked: the
# walk looks at words of lower-case letters, which data here never is.
ALLOWED_ENGLISH = frozenset({
    "xlsx", "csv", "pdf", "utf", "gbk", "png", "jpg", "jpeg", "http", "https", "www", "com", "tsi", "pro",
    "mpa", "kpa", "psi", "min",
})
_LOWER_WORD = re.compile(r"(?<![A-Za-z0-9_\-./@])[a-z]{3,}(?![A-Za-z0-9_\-./@])")


def english_words(html: str) -> set[str]:
    """Lower-case English words a reader sees on the page (a Chinese page should show none)."""
    parser = _Text()
    parser.feed(html)
    return {w for w in _LOWER_WORD.findall(" ".join(parser.parts)) if w not in ALLOWED_ENGLISH}
