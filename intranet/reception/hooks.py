"""Reception's hooks, for the areas above it (see `intranet.core.hooks` for how hooks work).

- `appointment_booked` (appointment_id, actor_id): a booking was saved with its pre-pick lines — the
  parts store holds what is free of each line's part and writes what it held on the line
  (`PrePickLine.reserved`); a part number it does not stock is refused (a `DomainError` on the field
  `pre_pick`), which undoes the booking.
- `appointment_arrived` (appointment_id, repair_order_id): a booked car arrived and has its repair
  order — the parts store moves the pre-picked parts onto the repair order. Sent before the menu's
  lines are added, so those then hold only what is still missing.
- `appointment_dropped` (appointment_id): a booking was cancelled or missed — what was pre-picked
  for it goes back.
- `pre_pick_catalogue` (store_id, text, limit): the booking form searches the catalogue — the parts
  store answers a list of `reception.pre_pick.CataloguePart` (number, name, unit, free quantity,
  bin).
"""
from __future__ import annotations

from intranet.core.hooks import Hook

appointment_booked = Hook("appointment_booked")
appointment_arrived = Hook("appointment_arrived")
appointment_dropped = Hook("appointment_dropped")
pre_pick_catalogue = Hook("pre_pick_catalogue")
