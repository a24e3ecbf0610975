from datetime import timedelta

from rq import SimpleWorker

from intranet import clock
from intranet.jobs import queue
from intranet.jobs.worker import build_scheduler
from tests.test_jobs_faults import QuietWorker


def test_healthz_is_503_until_worker_and_scheduler_have_run(app, client, redis_conn, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert body["worker"]["ok"] is False and body["worker"]["last_heartbeat_age_seconds"] is None
    assert body["scheduler"]["ok"] is False

    scheduler = build_scheduler(app)
    scheduler.register_birth()
    scheduler.heartbeat()
    scheduler.enqueue_jobs()
    # without the command channel: stopping a worker otherwise waited up to 60 s for redis-py's
    # listener thread, and the heartbeat it had just recorded was then a minute old
    QuietWorker(["default"], connection=redis_conn).work(burst=True)
    healthy = client.get("/healthz")
    assert healthy.status_code == 200, healthy.json
    assert healthy.json["worker"]["last_heartbeat_age_seconds"] <= 5
    scheduler.register_death()


def test_a_stalled_worker_turns_healthz_red(app, client, redis_conn, db):
    queue.enqueue("heartbeat")
    db.session.commit()
    SimpleWorker(["default"], connection=redis_conn).work(burst=True)
    stale = app.config["HEARTBEAT_STALE_FACTOR"] * 60 + 1
    with clock.frozen(clock.utcnow() + timedelta(seconds=stale)):
        body = client.get("/healthz").json
    assert body["worker"]["ok"] is False and body["worker"]["last_heartbeat_age_seconds"] >= stale


def test_healthz_shows_no_secrets(app, client, redis_conn):
    text = client.get("/healthz").get_data(as_text=True)
    assert app.config["SECRET_KEY"] not in text
    assert "sqlite" not in text and "postgres" not in text and "redis://" not in text
