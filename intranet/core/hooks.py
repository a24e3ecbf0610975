"""The kernel's hooks: how an area reacts to what happens in the kernel or in a lower area without
the lower code knowing the area exists.

A hook is declared here (or, for an area's own events, in that area's `hooks.py`). Upper areas
connect their receivers in their package's `init_app(app)`; the code
that acts sends the hook, and every receiver runs at once, in the caller's transaction — so a
repair order delivered and the follow-up call it makes commit or roll back together. A receiver
that refuses raises `DomainError`, which undoes the whole unit of work like any other refusal.

Receivers run in the order they were connected — the order of the areas in the app factory, so a
lower area reacts first. Connecting is idempotent (a receiver connected again is not added twice),
so building several apps in one process (the tests do) does not run a reaction twice. (Blinker's
signals would do, but they call receivers in no set order.)

The kernel's hooks (keyword arguments in brackets):
- `vehicle_file_changed` (vehicle, before): a car's file fields were saved — customer care replans
  its next service. `before` is (service interval km, last service date) as they were, or None
  for a new car.
- `key_tag_set` (store_id, repair_order_id, code, actor_id): the advisor typed the car's key tag
  number — keys attaches that tag to the key (or takes it off for an empty code) and answers the
  tag's code as it is written; with no answer the typed code is kept as typed.
- `line_added` (line, store_id, actor_id): a line was added to a repair order — the workshop puts labour on a job, the
  parts store holds an estimated part.
- `line_removed` (line): a line is about to be removed — the same, undone.
- `repair_order_delivered` (store_id, repair_order_id, actor_id): the car went home — keys hand
  back the keys, customer care records the visit and plans the follow-up call.
- `repair_order_progress` (repair_order): the repair order's page and its combined print ask what
  is being done on the car — the workshop answers a dict (jobs, clocked hours, parts requests,
  inspections, and `technicians`: {job id: the names of everyone who clocked on it}).
"""
from __future__ import annotations

from collections.abc import Callable


class Hook:
    def __init__(self, name: str):
        self.name = name
        self._receivers: list[Callable] = []

    def connect(self, receiver: Callable) -> Callable:
        """Add `receiver(**values)`; usable as a decorator."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def send(self, **values) -> list:
        """Run every receiver now, in connection order; their results, in that order."""
        return [receiver(**values) for receiver in self._receivers]

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._receivers)} receiver(s)>"


vehicle_file_changed = Hook("vehicle_file_changed")
key_tag_set = Hook("key_tag_set")
line_added = Hook("line_added")
line_removed = Hook("line_removed")
repair_order_delivered = Hook("repair_order_delivered")
repair_order_progress = Hook("repair_order_progress")
