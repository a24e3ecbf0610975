"""`flask --app intranet …` commands: demo data, users, the store, jobs, and `up` (everything)."""
from __future__ import annotations

import json
import os
import signal
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from intranet.core.models import Role, Store
from intranet.errors import DomainError
from intranet.extensions import db

users_cli = AppGroup("users", help="Staff accounts.")
jobs_cli = AppGroup("jobs", help="Background jobs: list, run now, worker, scheduler.")
store_cli = AppGroup("store", help="The store's settings.")


def _fail(error: DomainError):
    db.session.rollback()
    raise click.ClickException(str(error.message))


@store_cli.command("init")
@click.option("--name", required=True, help="Store name, e.g. 上海浦东4S店")
@click.option("--code", required=True, help="Document prefix, e.g. SH01")
def store_init(name: str, code: str):
    """Create the store (once, on a new installation)."""
    if db.session.scalar(select(Store.id).where(Store.code == code.upper())):
        raise click.ClickException(f"A store with code {code.upper()} exists already.")
    db.session.add(Store(name=name, code=code.upper()))
    db.session.commit()
    click.echo(f"Store {name} ({code.upper()}) created.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Full name shown in the intranet.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]),
              help="Repeat for several roles.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--store", "store_code", default=None, help="Store code (default: the first store).")
def users_create(username, display_name, roles, password, store_code):
    """Create a staff account, e.g. `flask users create admin --role admin`."""
    from intranet.core.services import create_user

    stmt = select(Store).order_by(Store.id)
    if store_code:
        stmt = stmt.where(Store.code == store_code.upper())
    store = db.session.scalar(stmt.limit(1))
    if store is None:
        raise click.ClickException("No store yet: run `flask --app intranet store init --name … --code …` first.")
    try:
        user = create_user(store_id=store.id, username=username, display_name=display_name or username,
                           password=password, roles=list(roles))
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"User {user.username} created with roles: {', '.join(roles)}.")


@jobs_cli.command("list")
def jobs_list():
    """The declared jobs and their schedules."""
    from intranet.jobs.schedule import JOBS

    for job in JOBS:
        when = f"every {job.interval}s" if job.interval else (f"cron '{job.cron}'" if job.cron else "on demand")
        click.echo(f"{job.name:<24} {when:<18} queue={job.queue:<8} {job.description}")


@jobs_cli.command("run")
@click.argument("name")
def jobs_run(name: str):
    """Enqueue the declared job NAME now."""
    from intranet.jobs.queue import enqueue

    try:
        result = enqueue(name, **({"origin": "manual"} if name == "heartbeat" else {}))
    except DomainError as error:
        _fail(error)
    db.session.commit()
    if result.queued:
        click.echo(f"Queued {name} as job {result.job_id}.")
    else:
        click.echo(f"Redis is unreachable; {name} is kept in the database and will be queued when it is back.")


@jobs_cli.command("flush")
def jobs_flush():
    """Queue the jobs kept while Redis was down."""
    from intranet.jobs.queue import flush_pending

    sent = flush_pending()
    db.session.commit()
    click.echo(f"Queued {sent} kept job(s).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.argument("queues", nargs=-1)
def jobs_worker(burst: bool, queues):
    """Run an RQ worker (same as `python worker.py`)."""
    from intranet.jobs.worker import run_worker

    run_worker(current_app._get_current_object(), list(queues) or None, burst=burst)


@jobs_cli.command("scheduler")
def jobs_scheduler():
    """Run the cron scheduler (same as `rq cron intranet.jobs.cron_config`)."""
    from intranet.jobs.worker import run_scheduler

    run_scheduler(current_app._get_current_object())


@click.command("health")
def health_command():
    """Print the health check as JSON (exit 1 when unhealthy)."""
    from intranet.health.services import check

    result = check(current_app.config)
    click.echo(json.dumps(result, indent=2))
    sys.exit(0 if result["ok"] else 1)


@click.command("seed-demo")
@click.option("--days", default=60, show_default=True, help="Days of history (settled visits) to create.")
def seed_demo_command(days: int):
    """Fill the database with a realistic demo store (idempotent)."""
    from intranet.demo import seed_demo

    report = seed_demo(history_days=days)
    click.echo(report)


def _web_workers() -> int:
    """Web processes for `up`: two per core, at most four (a store's own machine)."""
    return max(2, min(4, 2 * (os.cpu_count() or 1)))


@click.command("up")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--no-demo", is_flag=True, help="Do not load demo data.")
@click.option("--workers", type=int, default=None, help="Web processes (default: two per core, at most four).")
@click.option("--dev", is_flag=True, help="Serve with Werkzeug's development server in this process instead of gunicorn.")
def up_command(host: str, port: int, no_demo: bool, workers: int | None, dev: bool):
    """Everything on one machine: migrate, demo data, then the web (gunicorn), a worker and the
    scheduler, each started again if it exits; Ctrl-C or SIGTERM stops them all."""
    from flask_migrate import upgrade

    from intranet.jobs.connection import get_redis
    from intranet.jobs.supervise import Supervisor

    app = current_app._get_current_object()
    upgrade()
    if not no_demo:
        from intranet.demo import seed_demo

        click.echo(seed_demo())
    get_redis().ping()  # start the embedded Redis here, so the web, worker and scheduler share it
    env = {**os.environ, "INTRANET_ENV": app.config["INTRANET_ENV"]}
    # `flask jobs worker` rather than worker.py: a wheel installs the package, not the checkout's scripts.
    commands = {command: [sys.executable, "-m", "flask", "--app", "intranet", "jobs", command]
                for command in ("worker", "scheduler")}
    if not dev:
        # A production server: several processes of a few threads each (gthread), so a slow PDF or a
        # report does not hold up the boards; gunicorn restarts a web process that dies.
        commands["web"] = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
                           "--workers", str(workers or _web_workers()), "--worker-class", "gthread",
                           "--threads", "4", "--timeout", "120", "--graceful-timeout", "10",
                           "intranet:create_app()"]
    # Supervised: a web server, worker or scheduler that exits is started again (jobs.supervise).
    children = Supervisor(commands, env=env).start()
    click.echo(f"\nIntranet running at http://{host}:{port}/  (Ctrl-C stops web, worker and scheduler)\n")

    def stop(signum, frame):  # SIGTERM (kill, systemd) stops the children too, like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        if dev:
            from werkzeug.serving import run_simple

            run_simple(host, port, app, use_reloader=False, threaded=True)
        else:
            while True:
                signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        children.stop()
        from intranet.jobs.connection import stop_embedded

        stop_embedded()  # the web, worker and scheduler are gone: stop the embedded Redis with us


def init_app(app: Flask) -> None:
    for command in (users_cli, jobs_cli, store_cli, health_command, seed_demo_command, up_command):
        app.cli.add_command(command)
