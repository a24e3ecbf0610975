"""Keeping the worker and the scheduler running under `flask up`: a child process that exits (an
error nobody caught, killed by the out-of-memory killer…) is started again, after 1, 2, 4 … seconds
(at most 30; the wait starts again at 1 once a child has run for a minute). In production
systemd's `Restart=always` does the same for each worker and the scheduler."""
from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time

log = logging.getLogger(__name__)

STEADY_SECONDS = 60


class Child:
    def __init__(self, name: str, command: list[str], env: dict | None):
        self.name, self.command, self.env = name, command, env
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.wait = 1.0
        self.restart_at: float | None = None
        self.restarts = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env)
        self.started_at = time.monotonic()
        self.restart_at = None


class Supervisor:
    def __init__(self, commands: dict[str, list[str]], env: dict | None = None, *, max_wait: float = 30.0,
                 poll_seconds: float = 0.5):
        self.children = [Child(name, command, env) for name, command in commands.items()]
        self.max_wait, self.poll_seconds = max_wait, poll_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Supervisor:
        for child in self.children:
            child.start()
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._thread.start()
        return self

    def check(self) -> None:
        """Start again every child that has exited, once its wait is over."""
        now = time.monotonic()
        for child in self.children:
            if child.process is None or child.process.poll() is None:
                continue
            if child.restart_at is None:
                if now - child.started_at >= STEADY_SECONDS:
                    child.wait = 1.0
                log.warning("%s exited with %s; starting it again in %.0f s", child.name, child.process.returncode,
                            child.wait)
                child.restart_at = now + child.wait
                child.wait = min(child.wait * 2, self.max_wait)
            elif now >= child.restart_at and not self._stopping.is_set():
                child.start()
                child.restarts += 1

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_seconds):
            self.check()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to every child (they finish the job under way), SIGKILL after `timeout`."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        running = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
