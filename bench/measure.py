"""What the benchmarks share: timing a request in-process and counting the SQL it sends."""
from __future__ import annotations

import statistics
import time

from sqlalchemy import event


def summary(samples):
    """Median and 95th percentile of `samples` (milliseconds)."""
    samples = sorted(samples)
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def timed(client, url, rounds, headers=None, expect=200):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == expect, (url, response.status_code)
    return summary(samples)


def count_queries(app, client, url, headers=None, expect=None, answer=False):
    """SQL statements one request sends (with `answer`, also the response)."""
    from intranet.extensions import db

    seen = []
    with app.app_context():
        engine = db.engine

    def listener(*args):
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url, headers=headers or {})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    if expect is not None:
        assert response.status_code == expect, (url, response.status_code)
    return (len(seen), response) if answer else len(seen)
