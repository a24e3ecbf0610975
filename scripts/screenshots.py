"""Screenshots of the main pages at tablet sizes, from a running intranet with demo data.

    flask --app intranet up &            # or any running server with `seed-demo` data
    python scripts/screenshots.py http://127.0.0.1:5000 [out-dir]

Uses Debian's Chromium (CHROMIUM_PATH or /usr/bin/chromium) through Playwright."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

SIZES = [(1024, 768), (768, 1024)]
PAGES = {
    "advisor": ["/", "/search?q=A1", "/today/", "/records/customers/new", "/reception/ro/1", "/reception/ro/7", "/reception/appointments", "/reception/appointments?view=week", "/reception/appointments/new", "/reception/ro/9/settle", "/reception/ro/10/settle", "/reception/ro/9/print", "/reception/ro/2/walk-around"],
    "director": ["/", "/today/", "/workshop/manage/figures", "/workshop/manage/time-control", "/notices",
                 "/director/rounds/", "/director/rounds/1/report", "/director/rounds/scores", "/director/actions/",
                 "/director/checklists/", "/director/checklists/1"],
    "technician": ["/", "/workshop/my/"],
    "controller": ["/workshop/dispatch/", "/workshop/board", "/workshop/board?team=body", "/workshop/manage/end-of-day",
                   "/workshop/manage/settings"],
    "inspector": ["/workshop/qc/"],
    "admin": ["/", "/admin/users", "/admin/settings", "/admin/jobs"],
    "parts": ["/", "/parts/", "/parts/stock", "/parts/stock?only=low", "/parts/p/2", "/parts/p/6", "/parts/pending/",
              "/parts/figures", "/parts/import", "/parts/new", "/parts/purchasing/", "/parts/purchasing/discrepancies",
              "/parts/counts/", "/parts/write-offs/"],
    "warranty": ["/parts/warranty/", "/parts/warranty/old-parts", "/parts/write-offs/"],
    "care": ["/", "/care/calls/", "/care/questions/", "/care/complaints/", "/care/complaints/stats",
             "/care/customers/", "/care/customers/import", "/care/reminders/", "/care/messages/", "/care/lapsed/",
             "/care/events/", "/care/csi/"],
    "manager": ["/", "/reports/", "/reports/?period=week", "/reports/?period=month", "/reports/kpi/cars_out",
                "/reports/digests/", "/reports/targets/"],
}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        for width, height in SIZES:
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
            page = context.new_page()
            page.goto(base + "/login")
            page.screenshot(path=out / f"login-{width}x{height}.png")
            only = set(filter(None, os.environ.get("ONLY", "").split(",")))  # e.g. ONLY=parts,warranty
            for user, urls in PAGES.items():
                if only and user not in only:
                    continue
                context.clear_cookies()
                page.goto(base + "/login")
                page.fill("#username", "tech1" if user == "technician" else user)
                page.fill("#password", "demo1234")
                page.click("button[type=submit]")
                page.wait_for_url(base + "/")
                for url in urls:
                    if os.environ.get("ONLY_PREFIX") and not url.startswith(os.environ["ONLY_PREFIX"]):
                        continue
                    page.goto(base + url)
                    page.wait_for_load_state("networkidle")
                    name = url.strip("/").replace("/", "_").replace("?", "_").replace("=", "_") or "home"
                    page.screenshot(path=out / f"{user}-{name}-{width}x{height}.png", full_page=True)
            context.close()
        browser.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), Path(sys.argv[2] if len(sys.argv) > 2 else "test-artifacts/screenshots/manual"))
