"""CSI and the care figures: the import of the manufacturer's survey scores (each refusal, the
encodings, date formats and the score scale), CSI per advisor and month against the target, the
follow-up reach rate, complaint rate and CSI on fixed data (exact values, and "no data" when
there is nothing to divide by), the pages' access and query counts, the care settings' validation,
and the complaints section of the director's day."""
from __future__ import annotations

import itertools
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from intranet import clock
from intranet.care import csi
from intranet.care.settings import save_care_settings, SettingsRefused
from intranet.demo.care_csi import seed_csi
from intranet.care.models import (
    CallKind, CallStatus, CareSettings, Complaint, ComplaintStatus, CsiScore, FollowUpCall, Satisfaction,
)
from intranet.core.models import Role, ROStatus, Store
from intranet.director import day as director_day
from intranet.errors import DomainError
from tests import factories
from tests.conftest import queries_for

TZ = "Asia/Shanghai"
TODAY = date(2026, 3, 20)
_numbers = itertools.count(1)  # repair order and complaint numbers made by the helpers below


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), TZ)


@pytest.fixture(autouse=True)
def english(app):
    """The services' refusals read in English here, whatever the catalogue holds."""
    with force_locale("en"):
        yield


@pytest.fixture
def shop(db, store, make_user, make_vehicle):
    advisor_a = make_user(Role.ADVISOR, username="wang", display_name="王顾问")
    advisor_b = make_user(Role.ADVISOR, username="li", display_name="李顾问")
    other_store = factories.store("TS02", "另一家店", TZ)

    def ro(number: str | None = None, *, advisor=None, delivered: date | None = TODAY - timedelta(days=5),
           status: str | None = None, store_id: int | None = None):
        """A visit delivered at 10:00 on `delivered` (opened five hours before), or still in the workshop."""
        return factories.repair_order(db.session.get(Store, store_id) if store_id else store, advisor or advisor_a,
                                      car=make_vehicle(), number=number, status=status,
                                      opened=at(delivered or TODAY) - timedelta(hours=5),
                                      delivered=at(delivered) if delivered else None)

    return {"store": store, "a": advisor_a, "b": advisor_b, "other": other_store, "ro": ro}


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


# ------------------------------------------------------------------ import

def test_import_reports_each_row_imported_updated_or_refused_with_its_reason(shop, db):
    store, ro = shop["store"], shop["ro"]
    fresh = ro("TS01-A-001")
    again = ro("TS01-A-002", advisor=shop["b"])
    not_delivered = ro("TS01-A-003", delivered=None)
    late_delivery = ro("TS01-A-004", delivered=TODAY - timedelta(days=1))
    ro("TS02-B-001", store_id=shop["other"].id)
    db.session.add(CsiScore(store_id=store.id, ro_number=again.number, repair_order_id=again.id,
                            advisor_id=None, surveyed_on=TODAY - timedelta(days=3), score=Decimal("70.0")))
    db.session.commit()
    data = _csv("工单号,调查日期,得分,备注",
                "TS01-A-001,2026-03-18,96,服务很好",        # 2 imported
                "TS01-A-002,2026/3/19,88.5,",                 # 3 updated
                "TS01-X-999,2026-03-18,90,",                  # 4 unknown RO
                "TS02-B-001,2026-03-18,90,",                  # 5 another store's
                "TS01-A-003,2026-03-18,90,",                  # 6 not delivered
                "TS01-A-001,2026-03-18,91,",                  # 7 duplicate in the file
                "TS01-A-004,2026-03-18,90,",                  # 8 surveyed before delivery
                "TS01-X-998,2026-13-45,90,",                  # 9 unknown RO first
                ",2026-03-18,90,")                             # 10 no RO number
    report = csi.import_scores(store.id, shop["a"].id, data, "survey.csv", today=TODAY)
    db.session.commit()
    outcomes = {r.line: (r.outcome, r.message) for r in report.rows}
    assert outcomes[2][0] == "imported" and outcomes[3][0] == "updated"
    assert "TS01-X-999" in outcomes[4][1] and outcomes[4][0] == "refused"
    assert "another store" in outcomes[5][1]
    assert "not been delivered" in outcomes[6][1]
    assert outcomes[7][0] == "refused" and "row 2" in outcomes[7][1]
    assert "before the car was delivered" in outcomes[8][1]
    assert "missing" in outcomes[10][1]
    assert [len(report.imported), len(report.updated), len(report.refused)] == [1, 1, 7]
    scores = {s.ro_number: s for s in db.session.scalars(select(CsiScore))}
    assert scores["TS01-A-001"].score == Decimal("96.0") and scores["TS01-A-001"].comment == "服务很好"
    assert scores["TS01-A-001"].advisor_id == shop["a"].id and scores["TS01-A-001"].repair_order_id == fresh.id
    assert scores["TS01-A-002"].score == Decimal("88.5") and scores["TS01-A-002"].advisor_id == shop["b"].id
    assert scores["TS01-A-002"].surveyed_on == date(2026, 3, 19) and scores["TS01-A-002"].comment is None
    assert set(scores) == {"TS01-A-001", "TS01-A-002"}  # nothing of a refused row was written
    assert late_delivery.id not in {s.repair_order_id for s in scores.values()}
    assert not_delivered.id not in {s.repair_order_id for s in scores.values()}


@pytest.mark.parametrize("score, date_text, reason", [
    ("120", "2026-03-18", "out of range"),
    ("-5", "2026-03-18", "not a number"),
    ("很好", "2026-03-18", "not a number"),
    ("", "2026-03-18", "not a number"),
    ("95", "2026-13-45", "not a date"),
    ("95", "明天", "not a date"),
    ("95", "", "not a date"),
    ("95", "2026-03-21", "in the future"),
])
def test_a_bad_score_or_date_refuses_the_row(shop, db, score, date_text, reason):
    shop["ro"]("TS01-A-001")
    report = csi.import_scores(shop["store"].id, None, _csv("工单号,调查日期,得分", f"TS01-A-001,{date_text},{score}"),
                               "s.csv", today=TODAY, scale=csi.SCALE_PERCENT)
    assert report.rows[0].outcome == "refused" and reason in report.rows[0].message
    assert db.session.scalar(select(CsiScore.id)) is None


def test_encodings_date_formats_and_english_headings(shop, db):
    for n in range(1, 5):
        shop["ro"](f"TS01-E-00{n}", delivered=date(2026, 3, 1))
    bom = b"\xef\xbb\xbf" + _csv("ro_number,surveyed_on,score,comment", "TS01-E-001,20260303,93,ok")
    gbk = _csv("工单号,调查日期,得分,备注", "TS01-E-002,2026/3/4,97,顾问热情", "TS01-E-003,2026-03-05,95%,",
               "ts01-e-004,2026年3月6日,91,", encoding="gbk")
    first = csi.import_scores(shop["store"].id, None, bom, "a.csv", today=TODAY)
    second = csi.import_scores(shop["store"].id, None, gbk, "b.CSV", today=TODAY)
    assert [r.outcome for r in first.rows + second.rows] == ["imported"] * 4
    scores = {s.ro_number: s for s in db.session.scalars(select(CsiScore))}
    assert scores["TS01-E-001"].surveyed_on == date(2026, 3, 3)
    assert scores["TS01-E-002"].surveyed_on == date(2026, 3, 4) and scores["TS01-E-002"].comment == "顾问热情"
    assert scores["TS01-E-003"].score == Decimal("95.0")
    assert scores["TS01-E-004"].surveyed_on == date(2026, 3, 6)  # RO number in lower case still found


def test_a_ten_point_file_is_scaled_by_ten_and_the_scale_can_be_named(shop, db):
    for n in range(1, 4):
        shop["ro"](f"TS01-T-00{n}")
    ten = _csv("工单号,调查日期,得分", "TS01-T-001,2026-03-18,9.5", "TS01-T-002,2026-03-18,8")
    report = csi.import_scores(shop["store"].id, None, ten, "t.csv", today=TODAY)
    assert report.scale == csi.SCALE_TEN
    assert {s.ro_number: s.score for s in db.session.scalars(select(CsiScore))} == {
        "TS01-T-001": Decimal("95.0"), "TS01-T-002": Decimal("80.0")}
    percent = csi.import_scores(shop["store"].id, None, _csv("工单号,调查日期,得分", "TS01-T-003,2026-03-18,9"),
                                "p.csv", today=TODAY, scale=csi.SCALE_PERCENT)
    assert percent.rows[0].score == Decimal("9.0")
    named_ten = csi.import_scores(shop["store"].id, None, _csv("工单号,调查日期,得分", "TS01-T-003,2026-03-18,95"),
                                  "p.csv", today=TODAY, scale=csi.SCALE_TEN)
    assert named_ten.rows[0].outcome == "refused" and "0–10" in named_ten.rows[0].message
    mixed = csi.import_scores(shop["store"].id, None, _csv("工单号,调查日期,得分", "TS01-T-001,2026-03-18,9",
                                                           "TS01-T-002,2026-03-18,96"), "m.csv", today=TODAY)
    assert mixed.scale == csi.SCALE_PERCENT and mixed.rows[0].score == Decimal("9.0")


@pytest.mark.parametrize("data, name, reason", [
    (b"", "s.csv", "Choose"),
    (b"PK\x03\x04", "survey.xlsx", "not a CSV"),
    (b"\n\n", "s.csv", "empty"),
    ("工单号,得分\nX,90\n".encode(), "s.csv", "first row must name"),
    (b"\xff\xfe\x00\x00\xff" * 3, "s.csv", "could not be read"),
])
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(shop, db, data, name, reason):
    with pytest.raises(DomainError) as refused:
        csi.import_scores(shop["store"].id, None, data, name, today=TODAY)
    assert reason in str(refused.value.message) and refused.value.field == "file"


def test_import_page_shows_the_report_and_the_advisor_may_not_import(shop, db, client, login_as):
    shop["ro"]("TS01-P-001")
    login_as(Role.CARE)
    from io import BytesIO

    with clock.frozen(at(TODAY, 12)):
        response = client.post("/care/csi/import/", data={
            "file": (BytesIO(_csv("工单号,调查日期,得分", "TS01-P-001,2026-03-18,97", "NOPE,2026-03-18,97")),
                     "survey.csv"), "scale": "auto"}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="import-refused"' in page and "NOPE" in page
    assert db.session.scalar(select(CsiScore.score)) == Decimal("97.0")
    refused = client.post("/care/csi/import/", data={"file": (BytesIO(b"x"), "survey.xlsx")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "survey.xlsx" in refused.get_data(as_text=True)


# ------------------------------------------------------------------ CSI per advisor and month

def _score(shop, db, advisor, surveyed_on: date, score: str):
    ro = shop["ro"](f"TS01-S-{next(_numbers):04d}", advisor=advisor, delivered=surveyed_on - timedelta(days=2))
    db.session.add(CsiScore(store_id=shop["store"].id, ro_number=ro.number, repair_order_id=ro.id,
                            advisor_id=advisor.id if advisor else None, surveyed_on=surveyed_on,
                            score=Decimal(score)))
    db.session.commit()
    return ro


def test_csi_by_advisor_and_month_against_the_target(shop, db, make_user):
    a, b = shop["a"], shop["b"]
    gone = make_user(Role.ADVISOR, username="gone", display_name="离职顾问", active=False)
    make_user(Role.ADVISOR, username="gone2", display_name="没分数的离职顾问", active=False)
    _score(shop, db, a, date(2026, 2, 10), "90")
    _score(shop, db, a, date(2026, 2, 28), "97")
    _score(shop, db, a, date(2026, 3, 1), "100")
    _score(shop, db, b, date(2026, 3, 15), "80")
    _score(shop, db, gone, date(2026, 3, 2), "95")
    _score(shop, db, a, date(2025, 12, 31), "10")  # before the months asked for
    _score(shop, db, a, date(2026, 4, 1), "10")  # after
    grid = csi.csi_by_advisor(shop["store"].id, csi.recent_months(TODAY, 3))
    feb, mar = date(2026, 2, 1), date(2026, 3, 1)
    assert grid.months == [date(2026, 1, 1), feb, mar] and grid.target == Decimal("93.0")
    rows = {r.advisor.display_name: r for r in grid.rows}
    assert set(rows) == {"王顾问", "李顾问", "离职顾问"}  # an inactive advisor without scores is left out
    assert rows["王顾问"].cells[feb].average == Decimal("93.5") and rows["王顾问"].cells[feb].on_target
    assert rows["王顾问"].cells[mar].average == Decimal("100.0") and rows["王顾问"].overall.count == 3
    assert rows["王顾问"].cells[date(2026, 1, 1)].average is None
    assert rows["李顾问"].cells[mar].average == Decimal("80.0") and rows["李顾问"].cells[mar].on_target is False
    assert grid.store[mar].average == Decimal("91.7") and grid.store[mar].count == 3
    assert grid.store[date(2026, 1, 1)].count == 0 and grid.overall.average == Decimal("92.4")


def test_an_advisor_sees_the_whole_grid_coloured(shop, db, client, login_as):
    _score(shop, db, shop["a"], date(2026, 3, 10), "98")
    _score(shop, db, shop["b"], date(2026, 3, 10), "85")
    login_as(Role.ADVISOR)
    with clock.frozen(at(TODAY, 12)):
        page = client.get("/care/csi/").get_data(as_text=True)
    assert f'data-testid="csi-row-{shop["a"].id}"' in page and f'data-testid="csi-row-{shop["b"].id}"' in page
    assert 'csi-cell ok"><b>98.0</b>' in page and 'csi-cell bad"><b>85.0</b>' in page
    assert "/care/csi/import/" not in page  # an advisor reads, does not import


# ------------------------------------------------------------------ the care figures

def _call(shop, db, status: str, due_from: date):
    ro = shop["ro"](f"TS01-C-{next(_numbers):04d}", delivered=due_from - timedelta(days=1))
    call = FollowUpCall(store_id=shop["store"].id, customer_id=ro.customer_id, repair_order_id=ro.id,
                        kind=CallKind.FIRST, status=status, due_from=due_from, due_until=due_from + timedelta(days=2),
                        expires_on=due_from + timedelta(days=7),
                        reached_at=at(due_from) if status == CallStatus.DONE else None)
    db.session.add(call)
    db.session.commit()
    return call


def _complaint(shop, db, received_at: datetime, status=ComplaintStatus.REGISTERED, step_due_at=None):
    n = next(_numbers)
    ro = shop["ro"](f"TS01-K-{n:04d}", delivered=date(2026, 2, 1))  # outside the period of the figures
    complaint = Complaint(store_id=shop["store"].id, number=f"TS-{n:04d}", customer_id=ro.customer_id,
                          vehicle_id=ro.vehicle_id, repair_order_id=ro.id, advisor_id=ro.advisor_id,
                          channel="phone", category="quality", received_at=received_at, description="异响没修好",
                          status=status, step_due_at=step_due_at)
    db.session.add(complaint)
    db.session.commit()
    return complaint


START, END = date(2026, 3, 1), date(2026, 3, 15)


def _fixed_figures(shop, db):
    for status in (CallStatus.DONE, CallStatus.DONE, CallStatus.DONE, CallStatus.EXPIRED, CallStatus.DUE,
                   CallStatus.CANCELLED):
        _call(shop, db, status, date(2026, 3, 5))  # each makes a car delivered on 03-04: 6 cars
    _call(shop, db, CallStatus.DONE, date(2026, 3, 16))  # due after the period; its car is delivered on 03-15
    _call(shop, db, CallStatus.EXPIRED, date(2026, 2, 28))  # due before; car delivered 02-27
    shop["ro"](delivered=None)  # not delivered
    shop["ro"](delivered=date(2026, 3, 10), status=ROStatus.CLOSED)  # closed counts as delivered
    _complaint(shop, db, at(START, 0, 5))
    _complaint(shop, db, at(END, 23, 50))
    _complaint(shop, db, at(END + timedelta(days=1), 0, 5))  # after the period
    for day, score in ((date(2026, 3, 2), "90"), (date(2026, 3, 9), "95"), (date(2026, 3, 15), "100"),
                       (date(2026, 3, 16), "10")):
        _score(shop, db, shop["a"], day, score)  # each adds a car delivered two days before: 3 in the period


def test_care_figures_on_fixed_data(shop, db):
    _fixed_figures(shop, db)
    f = csi.care_figures(shop["store"].id, START, END)
    assert (f.reach.numerator, f.reach.denominator, f.reach.value) == (3, 4, Decimal("75.0"))
    # delivered in the period: 6 (calls) + 1 (the 03-16 call's car, on 03-15) + 1 closed + 3 (surveys)
    assert (f.complaints.numerator, f.complaints.denominator, f.complaints.value) == (2, 11, Decimal("18.18"))
    assert (f.csi.numerator, f.csi.denominator, f.csi.value) == (Decimal("285.0"), 3, Decimal("95.0"))
    assert f.csi.target == Decimal("93.0") and f.csi.on_target
    assert "expired" in str(f.reach.formula) and "delivered" in str(f.complaints.formula)


def test_an_empty_period_has_no_data_not_a_division_by_zero(shop, db, client, login_as):
    f = csi.care_figures(shop["store"].id, START, END)
    assert [(x.value, x.denominator, x.has_data) for x in f.figures] == [(None, 0, False)] * 3
    login_as(Role.CARE)
    page = client.get(f"/care/csi/?start={START}&end={END}").get_data(as_text=True)
    for key, zero in (("csi", "0.0"), ("reach", "0"), ("complaints", "0")):
        assert f'data-testid="terms-{key}">= {zero} ÷ 0' in page
        assert re.search(f'data-testid="value-{key}">[^0-9<]', page)  # "no data", not a number


def test_figures_page_shows_each_formula_with_its_terms(shop, db, client, login_as):
    _fixed_figures(shop, db)
    login_as(Role.MANAGER)
    page = client.get(f"/care/csi/?start={START}&end={END}").get_data(as_text=True)
    assert 'data-testid="value-reach">75.0%' in page and 'data-testid="terms-reach">= 3 ÷ 4' in page
    assert 'data-testid="value-complaints">18.18%' in page and 'data-testid="terms-complaints">= 2 ÷ 11' in page
    assert 'data-testid="value-csi">95.0%' in page and 'data-testid="terms-csi">= 285.0 ÷ 3' in page


def test_a_period_the_wrong_way_round_is_refused_clearly(shop, db, client, login_as):
    login_as(Role.DIRECTOR)
    response = client.get("/care/csi/?start=2026-03-15&end=2026-03-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "2026-03-15" in page and 'role="alert"' in page
    assert 'data-testid="figure-csi"' not in page
    assert client.get("/care/csi/?start=2026-02-30&end=2026-03-01").status_code == 422
    with pytest.raises(DomainError):
        csi.care_figures(shop["store"].id, END, START)


def test_the_figures_page_costs_the_same_queries_for_few_and_many_rows(shop, db, client, login_as):
    login_as(Role.CARE)
    url = f"/care/csi/?start={START}&end={END}"
    _score(shop, db, shop["a"], date(2026, 3, 2), "90")
    _call(shop, db, CallStatus.DONE, date(2026, 3, 5))
    client.get(url)  # the care settings row is made on first use
    few = queries_for(db, client, url)
    _fixed_figures(shop, db)
    for n in range(5):
        _score(shop, db, shop["b"], date(2026, 1 + n % 3, 10), "88")
    assert queries_for(db, client, url) == few


def test_the_import_page_costs_the_same_queries_for_few_and_many_rows(shop, db, client, login_as):
    login_as(Role.CARE)
    _score(shop, db, shop["a"], date(2026, 3, 2), "90")
    client.get("/care/csi/import/")
    few = queries_for(db, client, "/care/csi/import/")
    for n in range(8):
        _score(shop, db, shop["b"], date(2026, 3, 3), "88")
    assert queries_for(db, client, "/care/csi/import/") == few


def test_import_queries_do_not_grow_with_the_rows(shop, db):
    from sqlalchemy import event

    numbers = [shop["ro"](f"TS01-Q-{n:03d}").number for n in range(30)]
    statements = []

    def count(*args):
        statements.append(args[2])

    def run(rows):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            csi.import_scores(shop["store"].id, None, _csv("工单号,调查日期,得分", *rows), "q.csv", today=TODAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        # the reads; the writes (the scores, and the KPI summary forgetting the survey days) are not counted
        return [s for s in statements if not s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]

    few = run([f"{numbers[0]},2026-03-18,90"])
    many = run([f"{n},2026-03-18,90" for n in numbers])
    assert len(few) <= 3 and len(many) <= len(few)  # the store, the repair orders, the scores already in


# ------------------------------------------------------------------ access

@pytest.mark.parametrize("role, figures, importing, settings", [
    (Role.CARE, 200, 200, 403),
    (Role.DIRECTOR, 200, 200, 200),
    (Role.MANAGER, 200, 200, 403),
    (Role.ADVISOR, 200, 403, 403),
    (Role.ADMIN, 403, 403, 200),
    (Role.TECHNICIAN, 403, 403, 403),
])
def test_who_may_open_what(shop, db, client, login_as, role, figures, importing, settings):
    login_as(role)
    assert client.get("/care/csi/").status_code == figures
    assert client.get("/care/csi/import/").status_code == importing
    assert client.get("/care/settings/").status_code == settings


# ------------------------------------------------------------------ care settings

def _values(**changes) -> dict:
    values = {"first_call_from_day": "1", "first_call_to_day": "3", "call_expires_days": "7",
              "second_call_after_days": "7", "retry_minutes": "120", "hot_recall_days": "1",
              "question_due_days": "2", "supervisor_id": "", "complaint_step_hours": "24",
              "complaint_investigate_hours": "48", "complaint_carry_out_hours": "72",
              "complaint_escalation_hours": "24", "service_interval_km": "10000", "service_interval_months": "6",
              "maintenance_days_before": "14", "inspection_days_before": "30,15,7",
              "insurance_days_before": "30,15,7", "birthday_days_before": "3", "lapsed_months": "12",
              "event_notice_days": "14", "csi_target": "93.0"}
    values.update(changes)
    return values


@pytest.mark.parametrize("field, value", [
    ("inspection_days_before", "30,x"),
    ("inspection_days_before", "0"),
    ("insurance_days_before", "400,30"),
    ("birthday_days_before", ""),
    ("maintenance_days_before", "7.5"),
    ("complaint_step_hours", "0"),
    ("complaint_escalation_hours", "-3"),
    ("complaint_investigate_hours", "two"),
    ("first_call_to_day", "0"),  # before first_call_from_day (1)
    ("csi_target", "101"),
    ("csi_target", "abc"),
    ("csi_target", "NaN"),
    ("supervisor_id", "999999"),
])
def test_settings_refuse_bad_values_and_save_nothing(shop, db, field, value):
    with pytest.raises(SettingsRefused) as refused:
        save_care_settings(shop["store"].id, _values(**{field: value, "lapsed_months": "18"}))
    assert set(refused.value.errors) == {field}
    db.session.rollback()
    assert db.session.get(CareSettings, shop["store"].id) is None or \
        db.session.get(CareSettings, shop["store"].id).lapsed_months == 12


def test_the_supervisor_must_be_an_active_colleague_in_care_direction_or_management(shop, db, make_user):
    store_id = shop["store"].id
    care = make_user(Role.CARE)
    for user in (make_user(Role.TECHNICIAN), make_user(Role.CARE, active=False), shop["a"]):
        with pytest.raises(SettingsRefused):
            save_care_settings(store_id, _values(supervisor_id=str(user.id)))
        db.session.rollback()
    from intranet.core import services

    elsewhere = services.create_user(store_id=shop["other"].id, username="far", display_name="外店", password="x" * 10,
                                     roles=[Role.DIRECTOR])
    db.session.commit()
    with pytest.raises(SettingsRefused):
        save_care_settings(store_id, _values(supervisor_id=str(elsewhere.id)))
    db.session.rollback()
    row = save_care_settings(store_id, _values(supervisor_id=str(care.id), inspection_days_before="7, 30，15",
                                               csi_target="95", first_call_from_day="2", first_call_to_day="2"))
    db.session.commit()
    assert (row.supervisor_id, row.inspection_days_before, row.csi_target, row.first_call_to_day) == (
        care.id, "30,15,7", Decimal("95.0"), 2)


def test_settings_page_keeps_what_was_typed_and_marks_each_refused_field(shop, db, client, login_as):
    login_as(Role.DIRECTOR)
    assert client.get("/care/settings/").status_code == 200
    response = client.post("/care/settings/", data=_values(inspection_days_before="30,abc", complaint_step_hours="0",
                                                           lapsed_months="24"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="30,abc"' in page and page.count('class="error"') == 2
    assert db.session.get(CareSettings, shop["store"].id).lapsed_months == 12
    saved = client.post("/care/settings/", data=_values(lapsed_months="24", csi_target="92.5"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(CareSettings, shop["store"].id).lapsed_months == 24
    assert db.session.get(CareSettings, shop["store"].id).csi_target == Decimal("92.5")
    # the screen shows who changed what, from the audit log, by each setting's name
    history = client.get("/care/settings/").get_data(as_text=True).split('data-testid="settings-history"')[1]
    assert "12 → <b>24</b>" in history and "92.5" in history and "暂无" not in history


# ------------------------------------------------------------------ demo

def test_demo_scores_most_delivered_cars_and_adds_nothing_on_a_rerun(shop, db):
    for n in range(40):
        shop["ro"](f"TS01-D-{n:03d}", advisor=shop["a"] if n % 2 else shop["b"],
                   delivered=TODAY - timedelta(days=10 + n))
    first = seed_csi(shop["store"], TODAY)
    db.session.commit()
    assert 12 <= first <= 34
    assert seed_csi(shop["store"], TODAY) == 0
    scores = list(db.session.scalars(select(CsiScore)))
    assert all(0 <= s.score <= 100 and s.surveyed_on <= TODAY for s in scores)
    assert sum(s.score >= 90 for s in scores) >= len(scores) * 0.6


# ------------------------------------------------------------------ the director's day

def test_the_directors_day_shows_complaints_late_steps_and_hot_alerts(shop, db, client, login_as):
    day = date(2026, 3, 12)
    received = _complaint(shop, db, at(day, 9))
    _complaint(shop, db, at(day - timedelta(days=1), 9))  # the day before: not received this day
    late = _complaint(shop, db, at(day - timedelta(days=3)), status=ComplaintStatus.INVESTIGATING,
                      step_due_at=at(day, 8))
    _complaint(shop, db, at(day - timedelta(days=3)), status=ComplaintStatus.CLOSED, step_due_at=at(day, 8))
    _complaint(shop, db, at(day - timedelta(days=3)), status=ComplaintStatus.PROPOSING, step_due_at=at(day, 20))
    hot = _call(shop, db, CallStatus.DONE, day)
    hot.satisfaction, hot.reached_at, hot.comments = Satisfaction.DISSATISFIED, at(day, 11), "等了两个小时"
    calm = _call(shop, db, CallStatus.DONE, day)
    calm.satisfaction = Satisfaction.SATISFIED
    db.session.commit()
    now = at(day, 15)
    start, end = director_day.day_bounds(shop["store"], day)
    care = director_day.care_of_day(shop["store"].id, start, end, now)
    assert [c.id for c in care.received] == [received.id]
    assert [c.id for c in care.late] == [late.id]
    assert [c.id for c in care.hot] == [hot.id]
    login_as(Role.DIRECTOR)
    with clock.frozen(now):
        page = client.get(f"/director/day/?day={day}").get_data(as_text=True)
    assert 'data-testid="complaints-received">1<' in page and 'data-testid="complaints-late">1<' in page
    assert 'data-testid="hot-alerts">1<' in page and f'data-testid="hot-{hot.id}"' in page and "等了两个小时" in page
    assert f'data-testid="complaint-{received.id}"' in page and f'data-testid="complaint-{late.id}"' in page
    assert f'href="/care/complaints/{late.id}"' in page  # each complaint opens in customer care's pages


def test_the_directors_day_lists_the_most_overdue_complaints_and_counts_them_all(shop, db, client, login_as):
    day = date(2026, 3, 12)
    late = [_complaint(shop, db, at(day - timedelta(days=5)), step_due_at=at(day, 1, n)) for n in range(8)]
    now = at(day, 15)
    start, end = director_day.day_bounds(shop["store"], day)
    care = director_day.care_of_day(shop["store"].id, start, end, now)
    assert care.late_count == 8 and [c.id for c in care.late] == [c.id for c in late[:director_day.LATE_SHOWN]]
    login_as(Role.DIRECTOR)
    with clock.frozen(now):
        page = client.get(f"/director/day/?day={day}").get_data(as_text=True)
    assert 'data-testid="complaints-late">8<' in page and f'data-testid="complaint-{late[7].id}"' not in page


def test_the_directors_day_costs_the_same_queries_with_more_complaints(shop, db, client, login_as):
    day = date(2026, 3, 12)
    login_as(Role.DIRECTOR)
    with clock.frozen(at(day, 15)):
        url = f"/director/day/?day={day}"
        for n in range(5):
            if n == 1:
                client.get(url)
                few = queries_for(db, client, url)
            _complaint(shop, db, at(day, 10, n))
            _complaint(shop, db, at(day - timedelta(days=4)), status=ComplaintStatus.INVESTIGATING,
                       step_due_at=at(day, 8, n))
            hot = _call(shop, db, CallStatus.DONE, day)
            hot.satisfaction, hot.reached_at = Satisfaction.DISSATISFIED, at(day, 11, n)
            db.session.commit()
        assert queries_for(db, client, url) == few


def test_the_directors_day_without_care_records_says_so(shop, db, client, login_as):
    login_as(Role.MANAGER)
    page = client.get("/director/day/").get_data(as_text=True)
    assert 'data-testid="complaints-received">0<' in page and 'data-testid="hot-alerts">0<' in page
