"""A Content-Security-Policy the pages pass: scripts only from the intranet's own files, no inline
script, no inline handlers, no eval — so an injected <script> or onerror= never runs (issue 17, item 14).
The browser side (no CSP violation on any page of any role) is tests/browser/test_a11y.py."""
from __future__ import annotations

import json
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"""<[a-z][^>]*\son(?:click|dblclick|change|input|submit|reset|load|error|focus|blur|select|scroll|"""
                     r"""resize|toggle|key[a-z]+|mouse[a-z]+|pointer[a-z]+|touch[a-z]+|before[a-z]+|after[a-z]+)\s*=""", re.I | re.S)
HX_ON = re.compile(r"\b(?:data-)?hx-on[:\-]", re.I)
TRIGGER = re.compile(r'hx-trigger="([^"]*)"')


def _trigger_filters(text: str) -> list[str]:
    """hx-trigger event filters ("every 5s [cond]", "click[ctrlKey]"); a from:<css selector> may hold
    brackets of its own and is no filter."""
    return [spec for spec in TRIGGER.findall(text) if "[" in re.sub(r"from:\S+", "", spec)]


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def test_scripts_come_only_from_the_intranets_own_files(client):
    for url in ("/login", "/static/js/app.js"):
        policy = _directives(client.get(url).headers["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], policy["script-src"]
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
        for directive in ("script-src", "default-src", "worker-src"):
            assert "'unsafe-inline'" not in policy.get(directive, []) and "'unsafe-eval'" not in policy.get(directive, [])


def test_no_template_has_inline_script_handlers_or_eval():
    """What the policy would block must not be in the pages: inline <script>, on…= handlers, hx-on
    (htmx evaluates it), [filters] in hx-trigger (evaluated too), javascript: links."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(TEMPLATES)
        if path.name == "email.html":  # the digest e-mail: mail clients, not the intranet's pages
            continue
        found += [f"{name}: inline <script>" for _ in INLINE_SCRIPT.findall(text)]
        found += [f"{name}: {m.group(0)[-40:]!r}" for m in HANDLER.finditer(text)]
        found += [f"{name}: hx-on" for _ in HX_ON.findall(text)]
        found += [f"{name}: filter in hx-trigger {spec!r}" for spec in _trigger_filters(text)]
        found += [f"{name}: javascript: link" for _ in re.findall(r"javascript:", text, re.I)]
    assert found == []


def test_htmx_neither_injects_styles_nor_evaluates(client):
    html = client.get("/login").get_data(as_text=True)
    meta = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", html)
    config = json.loads(meta.group(1))
    assert config["includeIndicatorStyles"] is False and config["allowEval"] is False


def test_every_page_has_a_favicon(client):
    html = client.get("/login").get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert link, "no favicon link"
    icon = client.get(link.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
