"""Rules for the shared records. Plain functions with explicit arguments; they flush, the
caller (view, job, CLI) commits once."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, union, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from intranet import clock
from intranet.core import audit, hooks
from intranet.core.bounds import fits_id
from intranet.core.identifiers import (
    PROVINCES, name_initials, normalize_mobile, normalize_plate, normalize_vin, reverse_key, validate_mobile,
    validate_plate, validate_vin,
)
from intranet.core.models import (
    RO_ON_SITE, RO_TRANSITIONS, ContactTime, Customer, DocumentSequence, RepairOrder, RepairOrderEvent, Role,
    ROStatus, Store, User, UserRole, Vehicle,
)
from intranet.errors import Conflict, DomainError, IllegalTransition, NotFound
from intranet.extensions import db

# ---------------------------------------------------------------- store & users


def get_owned(model, object_id: int | None, store_id: int, missing_message):
    """The `model` row `object_id` of this store, or NotFound (another store's row counts as missing)."""
    if isinstance(object_id, int) and not fits_id(object_id):
        object_id = None  # 99999999999999999999 is no row of anything, not an overflow
    found = db.session.get(model, object_id) if object_id else None
    if found is None or found.store_id != store_id:
        raise NotFound(missing_message)
    return found


def claim(model, object_id: int) -> None:
    """Take the row for writing before reading what a change depends on: whoever is changing it at
    this moment finishes first, and this unit then reads what they left. A no-op UPDATE: a row lock
    on PostgreSQL; on SQLite the database's write lock, taken before any read of the transaction, so
    the unit is never refused later for a snapshot gone stale. Call it first in the unit."""
    db.session.execute(update(model).where(model.id == object_id).values(id=model.id)
                       .execution_options(synchronize_session=False))


# PostgreSQL's "another transaction got in the way": a serialization failure, a deadlock.
RETRY_STATES = ("40001", "40P01")


def commit_unit(action, attempts: int = 3):
    """Run `action()` (one service call) and commit, as one unit of work. When the database says
    another writer got there first — a unique key taken at the same moment, or SQLite refusing a
    writer whose snapshot went stale ("database is locked"; PostgreSQL waits instead) — roll back and
    run the whole unit again: it then reads the other's work, and answers with the first result of a
    double tap or refuses with its message. A row whose version moved under the unit's UPDATE (two
    saves of one repair order at once: PostgreSQL waits for the first, then matches no row) is the
    same: run again, the unit reads the new version and refuses as a save from a stale form would.
    A `DomainError` rolls back and goes to the caller."""
    for attempt in range(1, attempts + 1):
        try:
            result = action()
            db.session.commit()
            return result
        except DomainError:
            db.session.rollback()
            raise
        except (IntegrityError, OperationalError, StaleDataError) as exc:
            db.session.rollback()
            if attempt == attempts or (isinstance(exc, OperationalError) and "locked" not in str(exc.orig)
                                       and getattr(exc.orig, "sqlstate", None) not in RETRY_STATES):
                raise
    return None


def get_store(store_id: int) -> Store:
    store = db.session.get(Store, store_id)
    if store is None:
        raise NotFound(_l("No such store."))
    return store


def create_user(*, store_id: int, username: str, display_name: str, password: str, roles: list[Role | str],
                mobile: str | None = None) -> User:
    username = (username or "").strip().lower()
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise DomainError(_l("A user name uses letters, digits, dots and underscores only."), field="username")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(_l("The user name “%(name)s” is taken.", name=username), field="username")
    check_password_strength(password)
    user = User(store_id=store_id, username=username, display_name=display_name.strip() or username,
                mobile=validate_mobile(mobile) if mobile else None)
    user.set_password(password)
    db.session.add(user)
    set_roles(user, roles)
    db.session.flush()
    audit.record(audit.AuditKind.USER_CREATED, store_id=store_id, subject=username, details={
        "display_name": user.display_name, "roles": [str(r) for r in user.roles], "mobile": user.mobile})
    return user


def holders_of(store_id: int, *roles: Role) -> list[int]:
    """The ids of the store's active people holding any of `roles`."""
    return list(db.session.scalars(select(User.id).where(
        User.store_id == store_id, User.active.is_(True),
        User.role_rows.any(UserRole.role.in_([r.value for r in roles]))).order_by(User.id)))


def check_password_strength(password: str) -> None:
    if len(password or "") < 8:
        raise DomainError(_l("A password needs at least 8 characters."), field="password")


def set_roles(user: User, roles: list[Role | str]) -> None:
    wanted = []
    for r in roles:
        try:
            wanted.append(Role(r))
        except ValueError:
            raise DomainError(_l("Unknown role “%(role)s”.", role=r), field="roles") from None
    if not wanted:
        raise DomainError(_l("Give the person at least one role."), field="roles")
    current = {row.role: row for row in user.role_rows}
    for role, row in list(current.items()):
        if role not in wanted:
            user.role_rows.remove(row)
    for role in wanted:
        if str(role) not in current:
            user.role_rows.append(UserRole(role=str(role)))


def update_user(user_id: int, *, actor_id: int, display_name: str, roles: list[Role | str], active: bool,
                mobile: str | None = None, new_password: str | None = None) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    if user_id == actor_id and (not active or Role.ADMIN not in [Role(r) for r in roles]):
        raise DomainError(_l("You cannot disable yourself or remove your own administrator role."))
    before = {"display_name": user.display_name, "mobile": user.mobile, "active": user.active,
              "roles": [str(r) for r in user.roles]}
    user.display_name = display_name.strip() or user.username
    user.mobile = validate_mobile(mobile) if mobile else None
    user.active = active
    set_roles(user, roles)
    if new_password:
        check_password_strength(new_password)
        user.set_password(new_password)
    db.session.flush()
    diff = audit.changes(before, {"display_name": user.display_name, "mobile": user.mobile, "active": user.active,
                                  "roles": [str(r) for r in user.roles]})
    if diff:
        audit.record(audit.AuditKind.USER_CHANGED, store_id=user.store_id, subject=user.username,
                     actor_id=actor_id, details=diff)
    if new_password:
        audit.record(audit.AuditKind.PASSWORD_RESET, store_id=user.store_id, subject=user.username,
                     actor_id=actor_id)
    return user


# ---------------------------------------------------------------- customers & vehicles


def _check_unique_mobile(store_id: int, mobile: str, exclude_id: int | None = None) -> None:
    q = select(Customer.id, Customer.name).where(Customer.store_id == store_id, Customer.mobile == mobile)
    if exclude_id:
        q = q.where(Customer.id != exclude_id)
    clash = db.session.execute(q).first()
    if clash:
        raise Conflict(_l("The mobile %(mobile)s already belongs to customer %(name)s.", mobile=mobile,
                          name=clash.name), field="mobile")


# An update keyword left at KEEP leaves the stored value as it is (callers that do not know a field).
KEEP = object()


def _text(value) -> str | None:
    return (value or "").strip() or None


def _contact_time(value) -> ContactTime:
    try:
        return ContactTime(value or ContactTime.ANY)
    except ValueError:
        raise DomainError(_l("Choose a time to call from the list."), field="preferred_contact_time") from None


def _latest_day() -> date:
    """Today in any store's time zone (a date-of-the-past check need not know which store)."""
    return (clock.utcnow() + timedelta(hours=14)).date()


def _check_birthday(birthday: date | None) -> None:
    if birthday is not None and not date(1900, 1, 1) <= birthday <= _latest_day():
        raise DomainError(_l("A birthday lies between 1900 and today."), field="birthday")


def create_customer(*, store_id: int, name: str, mobile: str, address: str | None = None,
                    birthday: date | None = None, preferred_contact_time: str = ContactTime.ANY,
                    note: str | None = None, wechat: str | None = None, wishes: str | None = None) -> Customer:
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Enter the customer's name."), field="name")
    mobile = validate_mobile(mobile)
    _check_unique_mobile(store_id, mobile)
    _check_birthday(birthday)
    customer = Customer(store_id=store_id, name=name, name_initials=name_initials(name), mobile=mobile,
                        mobile_rev=reverse_key(mobile), address=_text(address), birthday=birthday,
                        preferred_contact_time=_contact_time(preferred_contact_time), note=note or None,
                        wechat=_text(wechat), wishes=_text(wishes))
    db.session.add(customer)
    db.session.flush()
    return customer


def update_customer(customer_id: int, *, store_id: int, name: str, mobile: str, address: str | None,
                    birthday: date | None, preferred_contact_time: str, note: str | None,
                    wechat: str | None = KEEP, wishes: str | None = KEEP) -> Customer:
    customer = get_owned(Customer, customer_id, store_id, _l("No such customer."))
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Enter the customer's name."), field="name")
    mobile = validate_mobile(mobile)
    _check_unique_mobile(store_id, mobile, exclude_id=customer_id)
    _check_birthday(birthday)
    customer.name, customer.name_initials = name, name_initials(name)
    customer.mobile, customer.mobile_rev = mobile, reverse_key(mobile)
    customer.address = _text(address)
    customer.birthday = birthday
    customer.preferred_contact_time = _contact_time(preferred_contact_time)
    customer.note = note or None
    if wechat is not KEEP:
        customer.wechat = _text(wechat)
    if wishes is not KEEP:
        customer.wishes = _text(wishes)
    db.session.flush()
    return customer


def _plate_fields(plate: str) -> dict:
    return {"plate": plate, "plate_key": plate[1:], "plate_rev": reverse_key(plate)}


# The customer file's fields of a car (all optional): registration, service interval, insurance, inspection.
FILE_FIELDS = ("registered_on", "service_interval_km", "service_interval_months", "last_service_on",
               "insurer_name", "insurance_expires_on", "inspection_due_on")


def check_file_fields(values: dict) -> dict:
    """The car's file fields, cleaned; a value out of range is refused next to its field."""
    values = dict(values)
    if "insurer_name" in values:
        values["insurer_name"] = _text(values["insurer_name"])
    km, months = values.get("service_interval_km"), values.get("service_interval_months")
    if km is not None and not 1000 <= km <= 100_000:
        raise DomainError(_l("A service interval lies between 1,000 and 100,000 km."), field="service_interval_km")
    if months is not None and not 1 <= months <= 36:
        raise DomainError(_l("A service interval lies between 1 and 36 months."), field="service_interval_months")
    registered = values.get("registered_on")
    if registered is not None and not date(1980, 1, 1) <= registered <= _latest_day():
        raise DomainError(_l("The registration date lies between 1980 and today."), field="registered_on")
    last_service = values.get("last_service_on")
    if last_service is not None and last_service > _latest_day():
        raise DomainError(_l("The last service cannot be in the future."), field="last_service_on")
    return values


def refresh_service_plan(vehicle: Vehicle, before: tuple[int | None, date | None] | None = None) -> None:
    """The car's file fields changed: whoever plans its service replans it (customer care connects
    to `hooks.vehicle_file_changed`). `before`: its service interval (km) and last service date as
    they were, or None for a new car."""
    hooks.vehicle_file_changed.send(vehicle=vehicle, before=before)


def create_vehicle(*, store_id: int, customer_id: int | None, plate: str, model: str, vin: str | None = None,
                   colour: str | None = None, model_year: int | None = None,
                   odometer_km: int | None = None, open_notes: str | None = None, **file_fields) -> Vehicle:
    """`file_fields`: any of FILE_FIELDS (registration, service interval, insurance, inspection)."""
    unknown = set(file_fields) - set(FILE_FIELDS)
    if unknown:
        raise TypeError(f"create_vehicle() got unexpected keywords {sorted(unknown)}")
    plate = validate_plate(plate)
    vin = validate_vin(vin) if vin else None
    model = (model or "").strip()
    if not model:
        raise DomainError(_l("Enter the car model."), field="model")
    file_fields = check_file_fields(file_fields)
    _check_unique_vehicle(store_id, plate, vin)
    vehicle = Vehicle(store_id=store_id, customer_id=customer_id, model=model, colour=colour or None,
                      model_year=model_year, vin=vin, vin_rev=reverse_key(vin),
                      open_notes=(open_notes or "").strip() or None, **_plate_fields(plate), **file_fields)
    if odometer_km is not None:
        if odometer_km < 0:
            raise DomainError(_l("The odometer cannot be negative."), field="odometer_km")
        vehicle.last_odometer_km, vehicle.last_odometer_at = odometer_km, clock.utcnow()
    db.session.add(vehicle)
    db.session.flush()
    if any(value is not None for value in file_fields.values()):
        refresh_service_plan(vehicle)
        db.session.flush()
    return vehicle


def _check_unique_vehicle(store_id: int, plate: str, vin: str | None, exclude_id: int | None = None) -> None:
    conditions = [Vehicle.plate == plate] + ([Vehicle.vin == vin] if vin else [])
    q = select(Vehicle.plate, Vehicle.vin).where(Vehicle.store_id == store_id, or_(*conditions))
    if exclude_id:
        q = q.where(Vehicle.id != exclude_id)
    clash = db.session.execute(q).first()
    if clash and clash.plate == plate:
        raise Conflict(_l("A vehicle with plate %(plate)s is already on file.", plate=plate), field="plate")
    if clash:
        raise Conflict(_l("The VIN %(vin)s is already on file, on %(plate)s.", vin=vin, plate=clash.plate),
                       field="vin")


def update_vehicle(vehicle_id: int, *, store_id: int, plate: str, model: str, vin: str | None,
                   colour: str | None, model_year: int | None, open_notes: str | None = None,
                   **file_fields) -> Vehicle:
    """`file_fields`: any of FILE_FIELDS; those not given keep their value. The next service
    (by date and by projected mileage) is recomputed when they change."""
    unknown = set(file_fields) - set(FILE_FIELDS)
    if unknown:
        raise TypeError(f"update_vehicle() got unexpected keywords {sorted(unknown)}")
    vehicle = get_owned(Vehicle, vehicle_id, store_id, _l("No such vehicle."))
    plate = validate_plate(plate)
    vin = validate_vin(vin) if vin else None
    if not (model or "").strip():
        raise DomainError(_l("Enter the car model."), field="model")
    file_fields = check_file_fields(file_fields)
    _check_unique_vehicle(store_id, plate, vin, exclude_id=vehicle_id)
    for key, value in _plate_fields(plate).items():
        setattr(vehicle, key, value)
    vehicle.vin, vehicle.vin_rev = vin, reverse_key(vin)
    vehicle.model, vehicle.colour, vehicle.model_year = model.strip(), colour or None, model_year
    vehicle.open_notes = (open_notes or "").strip() or None
    before = (vehicle.service_interval_km, vehicle.last_service_on)
    for key, value in file_fields.items():
        setattr(vehicle, key, value)
    if file_fields:
        refresh_service_plan(vehicle, before)
    db.session.flush()
    return vehicle


def record_odometer(vehicle: Vehicle, km: int, *, reason: str | None = None) -> None:
    """An odometer lower than the last one recorded is refused unless a reason is given."""
    if km < 0:
        raise DomainError(_l("The odometer cannot be negative."), field="odometer_km")
    last = vehicle.last_odometer_km
    if last is not None and km < last and not (reason or "").strip():
        raise DomainError(
            _l("%(km)s km is lower than the %(last)s km recorded last time. Check the reading, or give the reason "
               "(e.g. instrument cluster replaced).", km=f"{km:,}", last=f"{last:,}"),
            field="odometer_km",
        )
    vehicle.last_odometer_km, vehicle.last_odometer_at = km, clock.utcnow()


def _prefix(column, value: str):
    # A range instead of LIKE: it uses the plain b-tree index on SQLite and PostgreSQL alike.
    return column.between(value, value + "\U0010ffff")


def search_vehicles(store_id: int, query: str, *, limit: int = 20, by_mobile: bool = True) -> list[Vehicle]:
    """Find cars as the advisor types: plate (with or without the province), last digits of the
    plate, mobile or its last digits, VIN tail, customer name or its pinyin initials.

    Each way of matching is its own index range scan, capped at `limit`; their union is sorted.
    (One query with OR across columns would scan every car of the store.)"""
    raw = (query or "").strip()
    if not raw:
        return []
    key = normalize_plate(raw)
    on_vehicle: list[tuple] = []
    on_customer: list[tuple] = []
    if key[0] in PROVINCES:
        on_vehicle.append((Vehicle.plate, key))
    if key.isascii() and key.isalnum():
        on_vehicle.append((Vehicle.plate_key, key))
        if len(key) >= 3:
            on_vehicle.append((Vehicle.plate_rev, key[::-1]))
        if len(key) >= 4:
            on_vehicle.append((Vehicle.vin_rev, normalize_vin(key)[::-1]))
    digits = normalize_mobile(raw)
    if by_mobile and raw.isdigit() and len(digits) >= 4:  # (a reader who may not see mobiles cannot probe them)
        on_customer += [(Customer.mobile, digits), (Customer.mobile_rev, digits[::-1])]
    if key.isalpha() and key.isascii():
        on_customer.append((Customer.name_initials, key))
    if not key.isascii():
        on_customer.append((Customer.name, raw))
    branches = [
        select(Vehicle.id).where(Vehicle.store_id == store_id, _prefix(column, value)).order_by(column).limit(limit)
        for column, value in on_vehicle
    ] + [
        select(Vehicle.id).join(Customer, Customer.id == Vehicle.customer_id)
        .where(Customer.store_id == store_id, _prefix(column, value)).order_by(column).limit(limit)
        for column, value in on_customer
    ]
    if not branches:
        return []
    matching = union(*(select(branch.subquery().c.id) for branch in branches))
    stmt = (
        select(Vehicle)
        .options(joinedload(Vehicle.customer))
        .where(Vehicle.id.in_(matching))
        .order_by(Vehicle.plate)
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())


# ---------------------------------------------------------------- repair orders


def next_number(store: Store, kind: str, day: date) -> str:
    """Human-readable document number: store code, store-local date, sequence — e.g. SH01-20261122-007.
    The counter row is updated in place, so two advisors never get the same number."""
    bump = (
        update(DocumentSequence)
        .where(DocumentSequence.store_id == store.id, DocumentSequence.kind == kind, DocumentSequence.day == day)
        .values(last=DocumentSequence.last + 1)
        .returning(DocumentSequence.last)
    )
    last = db.session.execute(bump).scalar()
    if last is None:
        try:
            with db.session.begin_nested():
                db.session.add(DocumentSequence(store_id=store.id, kind=kind, day=day, last=1))
            last = 1
        except IntegrityError:  # another request created today's counter first
            last = db.session.execute(bump).scalar()
    return f"{store.code}-{day:%Y%m%d}-{last:03d}"


def open_repair_order(*, store_id: int, vehicle_id: int, actor_id: int, odometer_km: int | None = None,
                      complaint: str | None = None, promised_at: datetime | None = None,
                      odometer_reason: str | None = None) -> RepairOrder:
    """A car arrives: check it in on a new repair order (status: checked in)."""
    store = get_store(store_id)
    vehicle = get_owned(Vehicle, vehicle_id, store_id, _l("No such vehicle."))
    already = db.session.scalar(
        select(RepairOrder.number).where(RepairOrder.vehicle_id == vehicle_id,
                                         RepairOrder.status.in_([str(s) for s in RO_ON_SITE]))
    )
    if already:
        raise Conflict(_l("%(plate)s is already on site on repair order %(number)s.", plate=vehicle.plate,
                          number=already))
    if odometer_km is not None:
        record_odometer(vehicle, odometer_km, reason=odometer_reason)
    now = clock.utcnow()
    ro = RepairOrder(
        store_id=store_id, vehicle_id=vehicle.id, customer_id=vehicle.customer_id, advisor_id=actor_id,
        status=ROStatus.CHECKED_IN, status_changed_at=now, odometer_km=odometer_km, complaint=complaint or None,
        opened_at=now,
        promised_at=promised_at, number=next_number(store, "RO", clock.store_today(store.timezone)),
    )
    ro.events.append(RepairOrderEvent(from_status=None, to_status=ROStatus.CHECKED_IN, actor_id=actor_id, at=now,
                                      note=odometer_reason or None, version=1))
    db.session.add(ro)
    db.session.flush()
    return ro


def transition_repair_order(ro_id: int, to: ROStatus | str, *, actor_id: int, note: str | None = None,
                            expected_version: int | None = None) -> RepairOrder:
    ro = db.session.get(RepairOrder, ro_id)
    if ro is None:
        raise NotFound(_l("No such repair order."))
    if expected_version is not None and ro.version != expected_version:
        raise Conflict(_l("Repair order %(number)s was changed by someone else meanwhile. Reload it and try again.",
                          number=ro.number))
    target = ROStatus(to)
    current = ro.status_enum
    if target not in RO_TRANSITIONS[current]:
        raise IllegalTransition(_l("A repair order that is “%(current)s” cannot become “%(target)s”.",
                                   current=current.label, target=target.label))
    now = clock.utcnow()
    ro.status, ro.status_changed_at = target, now
    if target == ROStatus.DELIVERED:
        ro.delivered_at = now
    db.session.flush()  # the version moves here
    ro.events.append(RepairOrderEvent(from_status=current, to_status=target, actor_id=actor_id, at=now, note=note,
                                      version=ro.version))
    db.session.flush()
    return ro


def count_opened_on(store: Store, day: date) -> int:
    start, end = clock.store_day_bounds_utc(day, store.timezone)
    return db.session.scalar(select(func.count()).select_from(RepairOrder).where(
        RepairOrder.store_id == store.id, RepairOrder.opened_at >= start, RepairOrder.opened_at < end))


def repair_orders_opened_on(store: Store, day: date) -> list[RepairOrder]:
    start, end = clock.store_day_bounds_utc(day, store.timezone)
    stmt = (
        select(RepairOrder)
        .options(joinedload(RepairOrder.vehicle), joinedload(RepairOrder.customer), joinedload(RepairOrder.advisor))
        .where(RepairOrder.store_id == store.id, RepairOrder.opened_at >= start, RepairOrder.opened_at < end)
        .order_by(RepairOrder.opened_at.desc())
    )
    return list(db.session.scalars(stmt))


def on_site_counts(store_id: int) -> dict[ROStatus, int]:
    rows = db.session.execute(
        select(RepairOrder.status, func.count())
        .where(RepairOrder.store_id == store_id, RepairOrder.status.in_([str(s) for s in RO_ON_SITE]))
        .group_by(RepairOrder.status)
    ).all()
    return {ROStatus(status): n for status, n in rows}


def users_online(store_id: int, *, within: timedelta = timedelta(minutes=5)) -> list[User]:
    since = clock.utcnow() - within
    stmt = (
        select(User)
        .where(User.store_id == store_id, User.active.is_(True), User.last_seen_at >= since)
        .order_by(User.display_name)
    )
    return list(db.session.scalars(stmt))


def find_vehicle_by_plate(store_id: int, plate: str) -> Vehicle:
    plate = validate_plate(plate)
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.store_id == store_id, Vehicle.plate == plate))
    if vehicle is None:
        raise NotFound(_l("No car with plate %(plate)s is on file. Add the customer and car first.", plate=plate),
                       field="plate")
    return vehicle
