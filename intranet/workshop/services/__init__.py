"""The workshop's rules: jobs from repair-order lines, dispatch, clocking, parts requests, the
final inspection and the wash. Functions flush; the caller commits once.

One module per task: `moves` (a job's state machine, the checks every move makes, the repair order
following its jobs), `lines` (jobs from repair-order lines), `crew` (the technicians and their
profiles), `dispatch` (assigning and unassigning jobs), `clocking` (the technician's clock: start,
pause, finish), `parts` (parts requests to the counter), `boards` (the dispatch board, a
technician's own jobs, clocked hours), `inspection` (the final inspection and the wash),
`settings` (checklist points and bays). This package exposes their public names, so
`from intranet.workshop import services; services.start_job(...)` reads as before."""
from __future__ import annotations

from intranet.workshop.services.boards import TechLoad, clocked_hours, dispatch_board, my_jobs
from intranet.workshop.services.clocking import finish_job, pause_job, running_span, start_job
from intranet.workshop.services.crew import save_technician, technicians
from intranet.workshop.services.dispatch import assign_job, unassign_job
from intranet.workshop.services.inspection import car_washed, cars_in, checklist, inspect, inspections_of, qc_items
from intranet.workshop.services.lines import attach_line, detach_line, jobs_of, line_team
from intranet.workshop.services.moves import BOARDS, StaleJob, already_done, get_job
from intranet.workshop.services.parts import parts_requests, request_part
from intranet.workshop.services.settings import add_bay, add_qc_item, bays, remove_qc_item

__all__ = [
    "BOARDS", "StaleJob", "TechLoad", "add_bay", "add_qc_item", "already_done", "assign_job", "attach_line", "bays",
    "car_washed", "cars_in", "checklist", "clocked_hours", "detach_line", "dispatch_board", "finish_job", "get_job",
    "inspect", "inspections_of", "jobs_of", "line_team", "my_jobs", "parts_requests", "pause_job", "qc_items",
    "remove_qc_item", "request_part", "running_span", "save_technician", "start_job", "technicians",
    "unassign_job",
]
