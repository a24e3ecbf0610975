"""Start an RQ worker inside one application context.

    python worker.py              # queues: default, low
    python worker.py default      # only the default queue

Uses REDIS_URL, or the embedded Redis under instance/ when it is unset. Run several of these
in production (one per core is a good start) and ONE scheduler (`flask --app intranet jobs
scheduler`), each under a supervisor that restarts it (systemd `Restart=always`). A worker lives
through a Redis outage (it waits, then hands over the jobs kept in the database); a job whose
worker is killed is run again by the `jobs-sweep` job within a minute (see intranet/jobs/sweep.py)."""
import sys

from intranet import create_app
from intranet.jobs.worker import run_worker

if __name__ == "__main__":
    run_worker(create_app(), sys.argv[1:] or None)
