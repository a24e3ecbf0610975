"""Reception's hooks, for the areas above it (see `intranet.core.hooks` for how hooks work).

- `appointment_arrived` (appointment_id, repair_order_id): a booked car arrived and has its repair
  order — the parts store moves the pre-picked parts onto the repair order. Sent before the menu's
  lines are added, so those then hold only what is still missing.
- `appointment_dropped` (appointment_id): a booking was cancelled or missed — what was pre-picked
  for it goes back.
"""
from __future__ import annotations

from intranet.core.hooks import Hook

appointment_arrived = Hook("appointment_arrived")
appointment_dropped = Hook("appointment_dropped")
