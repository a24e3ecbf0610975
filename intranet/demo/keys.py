"""Demo keys: tags 001–080 and, for every repair order of the demo history and of today, the way
its key went — received at reception, to the technicians who worked on the car, to the wash,
back to the key board, home with the customer — read from what the workshop recorded. Cars that
stayed a night had their keys collected and a parking spot noted on the closing round.
Idempotent: a repair order whose key already moved is left alone."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from intranet import clock
from intranet.core.models import RO_ON_SITE, RepairOrder, RepairOrderEvent, Role, ROStatus, Store, User
from intranet.extensions import db
from intranet.keys.models import KeyMovement, KeyPlace, KeyTag, OvernightCar
from intranet.live.services import bump
from intranet.workshop.models import Job

DEMO_TAGS = [f"{n:03d}" for n in range(1, 81)]
SPOTS = [f"P-{n:02d}" for n in range(1, 41)]
NEVER = datetime.max


@dataclass
class Step:
    at: datetime
    place: KeyPlace
    holder_id: int | None
    by_id: int | None


def _first_holder(store: Store, role: Role) -> int | None:
    return db.session.scalar(select(User.id).where(User.store_id == store.id, User.active.is_(True),
                                                   User.role_rows.any(role=role.value)).order_by(User.id))


def _ensure_tags(store: Store) -> dict[str, KeyTag]:
    tags = {t.code: t for t in db.session.scalars(select(KeyTag).where(KeyTag.store_id == store.id))}
    for code in DEMO_TAGS:
        if code not in tags:
            tags[code] = KeyTag(store_id=store.id, code=code, place=KeyPlace.BOARD, active=True)
            db.session.add(tags[code])
    db.session.flush()
    return tags


def _path(ro: RepairOrder, jobs: list[Job], events: list[tuple[str, datetime]], *, controller_id: int | None,
          now: datetime, rng: random.Random) -> list[Step]:
    """Where the key went, from the car's own record: arrival, jobs, wash, ready, delivery."""
    steps = [Step(ro.opened_at + timedelta(minutes=2), KeyPlace.RECEPTION, ro.advisor_id, ro.advisor_id)]

    def add(at: datetime, place: KeyPlace, holder_id: int | None, by_id: int | None) -> None:
        last = steps[-1]
        if (last.place, last.holder_id) == (place, holder_id):
            return
        steps.append(Step(max(at, last.at + timedelta(minutes=1)), place, holder_id, by_id))

    started = [job for job in jobs if job.started_at and job.technician_id]
    if not started and rng.random() < 0.6:  # waiting for dispatch: the advisor hung the key on the board
        add(ro.opened_at + timedelta(minutes=rng.randrange(8, 30)), KeyPlace.BOARD, None, ro.advisor_id)
    for n, job in enumerate(started):
        add(job.started_at - timedelta(minutes=2), KeyPlace.TECHNICIAN, job.technician_id, job.technician_id)
        following = started[n + 1] if n + 1 < len(started) else None
        if job.finished_at is None:
            continue  # still at it (or paused): the technician keeps the key
        if following and following.started_at and following.started_at - job.finished_at < timedelta(minutes=30):
            continue  # handed straight to the next technician
        add(job.finished_at + timedelta(minutes=3), KeyPlace.BOARD, None, job.technician_id)
    for status, at in events:
        if status == ROStatus.WASHING:
            add(at + timedelta(minutes=1), KeyPlace.WASH, None, controller_id)
        elif status == ROStatus.READY:
            add(at + timedelta(minutes=2), KeyPlace.BOARD, None, controller_id)
    if ro.delivered_at:
        # the key went home at the delivery, whatever the workshop's clock said afterwards
        steps[:] = [step for step in steps if step.at < ro.delivered_at] or steps[:1]
        add(ro.delivered_at, KeyPlace.CUSTOMER, None, ro.advisor_id)
        return steps
    return [step for step in steps if step.at <= now]


def _without_repeats(steps: list[Step]) -> list[Step]:
    kept: list[Step] = []
    for step in steps:
        if not kept or (kept[-1].place, kept[-1].holder_id) != (step.place, step.holder_id):
            kept.append(step)
    return kept


def _collected(steps: list[Step], nights: list[tuple[date, datetime]], *, director_id: int | None,
               rng: random.Random) -> tuple[list[Step], list[tuple[date, datetime, datetime]]]:
    """The nights the car stayed: a key still held at collection time went to the board on the
    director's closing round. Returns the path with those moves and (night, listed, confirmed)."""
    stayed = []
    for day, collection in nights:
        before = [step for step in steps if step.at <= collection]
        if not before or before[-1].place == KeyPlace.CUSTOMER:
            continue
        after = [step for step in steps if step.at > collection]
        confirmed = collection + timedelta(minutes=rng.randrange(8, 28))
        if after and after[0].at <= confirmed:
            continue  # the car left during the round
        if before[-1].place.held:
            steps = before + [Step(confirmed, KeyPlace.BOARD, None, director_id)] + after
        stayed.append((day, collection, confirmed))
    return _without_repeats(steps), stayed


def seed_keys(store: Store, since_utc: datetime, rng: random.Random | None = None) -> int:
    """Tags 001–080 and the key movements of every repair order opened since `since_utc` whose key
    has not moved yet. Returns the number of movements written."""
    rng = rng or random.Random(5012)
    tags = _ensure_tags(store)
    now = clock.utcnow()
    done = set(db.session.scalars(select(KeyMovement.repair_order_id).distinct().where(
        KeyMovement.store_id == store.id, KeyMovement.repair_order_id.is_not(None))))
    ros = [ro for ro in db.session.scalars(select(RepairOrder).where(
        RepairOrder.store_id == store.id, RepairOrder.opened_at >= since_utc,
        RepairOrder.status.not_in([ROStatus.BOOKED, ROStatus.CANCELLED])).order_by(RepairOrder.opened_at, RepairOrder.id))
        if ro.id not in done]
    if not ros:
        return 0
    ids = [ro.id for ro in ros]
    jobs: dict[int, list[Job]] = {ro_id: [] for ro_id in ids}
    for job in db.session.scalars(select(Job).where(Job.repair_order_id.in_(ids), Job.started_at.is_not(None))
                                  .order_by(Job.started_at, Job.id)):
        jobs[job.repair_order_id].append(job)
    events: dict[int, list[tuple[str, datetime]]] = {ro_id: [] for ro_id in ids}
    for ro_id, status, at in db.session.execute(
            select(RepairOrderEvent.repair_order_id, RepairOrderEvent.to_status, RepairOrderEvent.at).where(
                RepairOrderEvent.repair_order_id.in_(ids),
                RepairOrderEvent.to_status.in_([ROStatus.WASHING, ROStatus.READY]))
            .order_by(RepairOrderEvent.id)):
        events[ro_id].append((status, at))
    controller_id = _first_holder(store, Role.CONTROLLER)
    director_id = _first_holder(store, Role.DIRECTOR)

    # the nights of the history (tonight's collection is the job's to do)
    today = clock.store_today(store.timezone)
    first_day = clock.to_store_time(since_utc, store.timezone).date()
    nights = [(first_day + timedelta(days=n),
               clock.store_local_to_utc(datetime.combine(first_day + timedelta(days=n), store.key_collection_at),
                                        store.timezone))
              for n in range((today - first_day).days)]

    # which ring is free when: tags on a car still here stay where they are
    free_from = {code: (NEVER if tag.repair_order_id and tag.repair_order and tag.repair_order.status_enum in RO_ON_SITE
                        else datetime.min)
                 for code, tag in tags.items() if tag.active}
    place_of = {code: tag.place for code, tag in tags.items()}
    spots_taken: dict[date, set[str]] = {}
    listed: set[tuple[date, int]] = set()
    for record in db.session.scalars(select(OvernightCar).where(OvernightCar.store_id == store.id,
                                                                OvernightCar.day >= first_day)):
        spots_taken.setdefault(record.day, set()).add(record.parking_spot)
        listed.add((record.day, record.repair_order_id))
    written = 0
    for ro in ros:
        free = [code for code in DEMO_TAGS if free_from.get(code, NEVER) <= ro.opened_at]
        code = ro.key_tag if ro.key_tag in free else (rng.choice(free[:30] or free) if free else None)
        if code is None:
            continue
        steps, stayed = _collected(_path(ro, jobs[ro.id], events[ro.id], controller_id=controller_id, now=now,
                                         rng=rng), nights, director_id=director_id, rng=rng)
        if not steps:
            continue
        tag = tags[code]
        ro.key_tag = code
        for step in steps:
            db.session.add(KeyMovement(store_id=store.id, tag_id=tag.id, repair_order_id=ro.id,
                                       from_place=place_of[code], to_place=step.place, holder_id=step.holder_id,
                                       by_id=step.by_id, at=step.at))
            place_of[code] = step.place
            written += 1
        last = steps[-1]
        tag.place, tag.holder_id, tag.since = last.place, last.holder_id, last.at
        tag.repair_order_id = None if last.place == KeyPlace.CUSTOMER else ro.id
        free_from[code] = last.at if last.place == KeyPlace.CUSTOMER else NEVER
        for day, collection, confirmed in stayed:
            if (day, ro.id) in listed:
                continue
            taken = spots_taken.setdefault(day, set())
            spot = rng.choice([s for s in SPOTS if s not in taken] or SPOTS)
            taken.add(spot)
            db.session.add(OvernightCar(store_id=store.id, day=day, repair_order_id=ro.id, listed_at=collection,
                                        key_confirmed_at=confirmed, parking_spot=spot, confirmed_by_id=director_id))
    db.session.flush()
    bump(store.id, "keys")
    return written
