"""Inspection rounds (巡检): the store's areas and checklist templates, the day's schedule of
rounds with their time windows, walking a round item by item (each answer saved the moment it
is given), findings turned into corrective actions, scores per area and their trend.

One module per task: `checklists` (areas and checklists, saved as versions), `schedule` (the day's
rounds and their windows), `walk` (starting, pausing, resuming and finishing a round), `scores`
(a round's sheet and its scores), `answers` (answering items, findings, photos), `missed` (rounds
not done in their window), `trend` (scores over time, the day's findings). This package exposes
their public names, so `from intranet.director import rounds; rounds.start_round(...)` reads as
before."""
from __future__ import annotations

from intranet import clock  # noqa: F401  (read as `rounds.clock` by the browser tests, as before the split)
from intranet.director.rounds.answers import add_photo, answer_item
from intranet.director.rounds.checklists import (
    MAX_WEIGHT, ItemDraft, areas, current_version, save_area, save_template, templates,
)
from intranet.director.rounds.missed import flag_missed
from intranet.director.rounds.schedule import SlotToday, day_schedule, days_schedule, save_slot, slots
from intranet.director.rounds.scores import AreaSheet, RoundSheet, sheet
from intranet.director.rounds.trend import AreaTrend, answer_photos, area_trend, findings_between, rounds_between
from intranet.director.rounds.walk import (
    SUBJECT, RoundStarted, finish_round, get_round, pause_round, resume_round, round_history, start_round,
)

__all__ = [
    "MAX_WEIGHT", "SUBJECT", "AreaSheet", "AreaTrend", "ItemDraft", "RoundSheet", "RoundStarted", "SlotToday",
    "add_photo", "answer_item", "answer_photos", "area_trend", "areas", "current_version", "day_schedule",
    "days_schedule",
    "findings_between", "finish_round", "flag_missed", "get_round", "pause_round", "resume_round", "round_history",
    "rounds_between", "save_area", "save_slot", "save_template", "sheet", "slots", "start_round", "templates",
]
