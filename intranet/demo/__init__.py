"""Demo data: a store a service manager would recognise — its people, 300 customers and their cars,
two months of history and a day under way — one module per area, seeded in the order the areas
stand (`seed.seed_demo`). The demo sits in the composition layer: it drives each area through its
own services, as people would, and no area imports it.

- `seed`: the store, staff, customers and cars, menu items, the advisors' history, today and the
  appointments; it calls the others in turn;
- `workshop`, `parts` (`parts_purchasing`, `parts_counts`), `keys`, `director` (`director_office`),
  `care_files`, `care_calls`, `care_complaints`, `care_csi`, `care_reminders`, `reports`.
"""
from __future__ import annotations

from intranet.demo.seed import DEMO_PASSWORD, seed_demo

__all__ = ["DEMO_PASSWORD", "seed_demo"]
