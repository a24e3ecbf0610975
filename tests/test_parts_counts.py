"""Stock counts (盘点): sheets in bin-walking order made by a background job (idempotent), blind
entry with the book taken at counting time, second counts by someone else, the review, the
variance report and its approval posting COUNT movements; the overnight job (scheduled counts and
the ledger check, told once). The UI language in tests is Chinese but the new strings have no
translation yet: refusals are matched on their class, field and the part number they name."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select, update

from intranet import clock
from intranet.core.models import Notice, Role
from intranet.errors import DomainError, IllegalTransition
from intranet.jobs import queue
from intranet.parts import counts, ledger
from intranet.parts.models import (
    CountKind, CountLine, CountStatus, MovementKind, Part, StockCount, StockMovement,
)
from tests import factories
from tests.conftest import queries_for

# Monday 30 November 2026, 10:00 in Shanghai — a Monday and the last day of the month
MORNING = datetime(2026, 11, 30, 2, 0)


@pytest.fixture
def staff(db, store):
    people = factories.people(store, manager=(Role.PARTS, "shen", "沈佳"), keeper=(Role.PARTS, "keeper", "库管"),
                              counter=(Role.PARTS, "counter", "盘点员"), director="zhao",
                              finance=(Role.MANAGER, "qian", "钱会计"), advisor=(Role.ADVISOR, "sun"))
    people["manager"].parts_manager = True  # 沈佳 is the parts manager; keeper and counter approve nothing
    db.session.commit()
    return people


def add_part(db, store, number, on_hand="5", *, cost="10", bin_code=None, abc="C"):
    part = Part(store_id=store.id, number=number, name=f"配件 {number}", abc_class=abc, cost=Decimal(cost),
                bin_code=bin_code, unit="件")
    db.session.add(part)
    db.session.flush()
    if Decimal(on_hand):
        ledger.post(part.id, Decimal(on_hand), MovementKind.OPENING, store_id=store.id, actor_id=None)
    return part


@pytest.fixture
def shelf(db, store):
    """Parts created out of walking order, two without a bin, one of class A on another shelf."""
    parts = [
        add_part(db, store, "P-300", "4", bin_code="A-03-2-05"),
        add_part(db, store, "P-100", "10", bin_code="A-01-1-01", abc="A", cost="50"),
        add_part(db, store, "P-900", "2"),  # no bin
        add_part(db, store, "P-200", "3", bin_code="A-03-1-01", abc="A"),
        add_part(db, store, "P-050", "1"),  # no bin
        add_part(db, store, "P-400", "0", bin_code="B-01-1-01", abc="B"),
    ]
    db.session.commit()
    return {p.number: p for p in parts}


def open_and_generate(db, store, actor, kind="full", **kwargs) -> StockCount:
    with clock.frozen(MORNING):
        count = counts.open_count(store_id=store.id, actor_id=actor.id, kind=kind, **kwargs)
        counts.generate_sheets(count.id, batch_size=2)
        db.session.commit()
    return count


def line_of(db, count, number) -> CountLine:
    return db.session.scalar(select(CountLine).join(Part).where(CountLine.count_id == count.id, Part.number == number))


def count_all(db, store, count, actor, figures: dict | None = None):
    """Count every line at its book quantity, except the `figures` given by part number."""
    figures = figures or {}
    for line in db.session.scalars(select(CountLine).where(CountLine.count_id == count.id).order_by(CountLine.seq)):
        counts.enter_count(count.id, store_id=store.id, actor_id=actor.id, line_id=line.id, stage="first",
                           quantity=figures.get(line.part.number, line.part.on_hand))
    db.session.commit()


# ------------------------------------------------------------------ sheets

def test_sheets_walk_the_bins_then_parts_without_a_bin_and_a_rerun_adds_nothing(db, store, staff, shelf):
    count = open_and_generate(db, store, staff["manager"])
    lines = db.session.scalars(select(CountLine).where(CountLine.count_id == count.id).order_by(CountLine.seq)).all()
    assert [line.part.number for line in lines] == ["P-100", "P-200", "P-300", "P-400", "P-050", "P-900"]
    assert [line.bin_code for line in lines][:4] == ["A-01-1-01", "A-03-1-01", "A-03-2-05", "B-01-1-01"]
    db.session.refresh(count)
    assert (count.status, count.total_lines, count.generated_lines) == (CountStatus.COUNTING, 6, 6)
    assert count.number.startswith("PD-")

    # a rerun (the job retried) adds nothing, even with the count sent back to generating
    db.session.execute(update(StockCount).where(StockCount.id == count.id).values(status=CountStatus.GENERATING))
    db.session.commit()
    assert counts.generate_sheets(count.id) == 0
    assert db.session.scalar(select(func.count()).select_from(CountLine).where(CountLine.count_id == count.id)) == 6


def test_a_cycle_count_takes_its_classes_and_its_shelf(db, store, staff, shelf):
    by_class = open_and_generate(db, store, staff["manager"], kind="cycle", classes=["A"])
    assert {line.part.number for line in by_class_lines(db, by_class)} == {"P-100", "P-200"}
    counts.cancel_count(by_class.id, store_id=store.id, actor_id=staff["manager"].id)  # P-200 is on shelf A-03 too
    db.session.commit()
    one_shelf = open_and_generate(db, store, staff["manager"], kind="cycle", bin_prefix="a 3")
    assert one_shelf.bin_prefix == "A-03"
    assert {line.part.number for line in by_class_lines(db, one_shelf)} == {"P-200", "P-300"}
    with pytest.raises(DomainError) as refused:
        counts.open_count(store_id=store.id, actor_id=staff["manager"].id, kind="cycle")
    assert refused.value.field == "classes"
    with pytest.raises(DomainError) as refused:
        counts.open_count(store_id=store.id, actor_id=staff["manager"].id, kind="cycle", bin_prefix="A-123")
    assert refused.value.field == "bin_prefix"


def by_class_lines(db, count):
    return db.session.scalars(select(CountLine).where(CountLine.count_id == count.id)).all()


# ------------------------------------------------------------------ entry

def test_blind_entry_takes_the_book_at_counting_time_and_flags_big_variances(db, store, staff, shelf):
    count = open_and_generate(db, store, staff["keeper"], recount_value="100")
    small, big = line_of(db, count, "P-300"), line_of(db, count, "P-100")
    counts.enter_count(count.id, store_id=store.id, actor_id=staff["counter"].id, line_id=small.id, quantity="3",
                       stage="first")
    counts.enter_count(count.id, store_id=store.id, actor_id=staff["counter"].id, part_number="p-100",
                       quantity="7", stage="first")  # scanned: the part number finds the line
    db.session.commit()
    assert (small.first_quantity, small.first_book, small.needs_second) == (3, 4, False)  # ¥10 < ¥100
    assert (big.first_quantity, big.first_book, big.needs_second) == (7, 10, True)  # 3 × ¥50 = ¥150 > ¥100
    assert small.first_by_id == staff["counter"].id and small.variance == -1

    # the second count is somebody else's
    with pytest.raises(counts.SameCounter) as refused:
        counts.enter_count(count.id, store_id=store.id, actor_id=staff["counter"].id, line_id=big.id,
                           quantity="10", stage="second")
    assert "P-100" in str(refused.value) and refused.value.field == "quantity"
    db.session.rollback()
    assert line_of(db, count, "P-100").second_quantity is None
    counts.enter_count(count.id, store_id=store.id, actor_id=staff["keeper"].id, line_id=big.id, quantity="10",
                       stage="second")
    db.session.commit()
    big = line_of(db, count, "P-100")
    assert (big.second_quantity, big.second_book, big.counted, big.variance) == (10, 10, 10, 0)


def test_a_bin_counted_twice_is_refused_and_a_double_tap_changes_nothing(db, store, staff, shelf):
    count = open_and_generate(db, store, staff["keeper"])
    line = line_of(db, count, "P-300")
    with clock.frozen(MORNING):
        counts.enter_count(count.id, store_id=store.id, actor_id=staff["counter"].id, line_id=line.id,
                           quantity="4", stage="first")
        db.session.commit()
    # the same tap resent a few seconds later (the answer was lost): accepted, nothing changes
    with clock.frozen(MORNING.replace(second=20)):
        counts.enter_count(count.id, store_id=store.id, actor_id=staff["counter"].id, line_id=line.id,
                           quantity="4", stage="first")
    # another counter counts the same bin again: refused
    for actor, quantity in ((staff["keeper"], "4"), (staff["counter"], "5")):
        with clock.frozen(MORNING.replace(second=30)), pytest.raises(counts.AlreadyCounted) as refused:
            counts.enter_count(count.id, store_id=store.id, actor_id=actor.id, part_number="P-300",
                               quantity=quantity, stage="first")
        assert "P-300" in str(refused.value) and refused.value.field == "quantity"
        db.session.rollback()
    line = line_of(db, count, "P-300")
    assert (line.first_quantity, line.first_by_id, line.second_quantity) == (4, staff["counter"].id, None)


def test_bad_entries_are_refused(db, store, staff, shelf):
    count = open_and_generate(db, store, staff["keeper"], kind="cycle", classes="A")
    line = line_of(db, count, "P-100")
    for kwargs, field in (({"line_id": line.id, "quantity": "-1"}, "quantity"),
                          ({"line_id": line.id, "quantity": "abc"}, "quantity"),
                          ({"line_id": line.id, "quantity": ""}, "quantity"),
                          ({"part_number": "P-300", "quantity": "1"}, "part_number"),  # not on this sheet
                          ({"part_number": "NOPE", "quantity": "1"}, "part_number")):
        with pytest.raises(DomainError) as refused:
            counts.enter_count(count.id, store_id=store.id, actor_id=staff["counter"].id, **kwargs)
        assert refused.value.field == field, kwargs
    assert line_of(db, count, "P-100").first_quantity is None


def test_a_sale_between_the_sheet_and_the_count_is_no_variance(db, store, staff, shelf):
    count = open_and_generate(db, store, staff["keeper"], kind="cycle", classes="A")
    # after the sheet was printed one unit is issued: the shelf and the book both hold 9 now
    ledger.post(shelf["P-100"].id, Decimal("-1"), MovementKind.ISSUE, store_id=store.id, actor_id=staff["keeper"].id)
    db.session.commit()
    count_all(db, store, count, staff["counter"], {"P-100": "9"})
    counts.submit_for_review(count.id, store_id=store.id, actor_id=staff["counter"].id)
    report = counts.variance_report(count.id, store.id)
    assert report.lines == [] and report.net_value == 0
    # and a unit issued after counting does not disturb the approval
    ledger.post(shelf["P-200"].id, Decimal("-1"), MovementKind.ISSUE, store_id=store.id, actor_id=staff["keeper"].id)
    counts.approve_count(count.id, store_id=store.id, actor_id=staff["manager"].id)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.kind == MovementKind.COUNT)) == 0
    assert ledger.ledger_drift(store.id) == []


# ------------------------------------------------------------------ review and approval

def test_review_is_refused_while_lines_are_uncounted_or_seconds_pending(db, store, staff, shelf):
    count = open_and_generate(db, store, staff["keeper"], recount_value="0")
    lines = by_class_lines(db, count)
    counts.enter_count(count.id, store_id=store.id, actor_id=staff["counter"].id, line_id=lines[0].id,
                       quantity=Decimal(lines[0].part.on_hand) + 1, stage="first")
    db.session.commit()
    with pytest.raises(counts.LinesOutstanding) as refused:
        counts.submit_for_review(count.id, store_id=store.id, actor_id=staff["counter"].id)
    assert "5" in str(refused.value)  # five lines left
    db.session.rollback()
    for line in by_class_lines(db, count)[1:]:
        counts.enter_count(count.id, store_id=store.id, actor_id=staff["counter"].id, line_id=line.id,
                           quantity=line.part.on_hand, stage="first")
    db.session.commit()
    with pytest.raises(counts.LinesOutstanding):  # the first line waits for its second count
        counts.submit_for_review(count.id, store_id=store.id, actor_id=staff["counter"].id)
    db.session.rollback()
    assert db.session.get(StockCount, count.id).status == CountStatus.COUNTING


def _reviewed(db, store, staff, kind="full"):
    count = open_and_generate(db, store, staff["keeper"], kind=kind, recount_value="1000")
    count_all(db, store, count, staff["counter"], {"P-300": "6", "P-100": "8"})  # +2 × ¥10, −2 × ¥50
    counts.submit_for_review(count.id, store_id=store.id, actor_id=staff["counter"].id)
    db.session.commit()
    return count


def test_variance_report_totals_and_each_variance_needs_a_reason_and_a_person(db, store, staff, shelf):
    count = _reviewed(db, store, staff)
    report = counts.variance_report(count.id, store.id)
    assert [line.part.number for line in report.lines] == ["P-100", "P-300"]
    assert (report.surplus_quantity, report.surplus_value) == (2, 20)
    assert (report.loss_quantity, report.loss_value, report.net_value) == (2, 100, -80)
    assert report.unexplained == 2

    with pytest.raises(DomainError) as refused:
        counts.approve_count(count.id, store_id=store.id, actor_id=staff["manager"].id)
    assert "P-100" in str(refused.value)
    db.session.rollback()
    line = report.lines[0]
    with pytest.raises(DomainError) as refused:
        counts.explain_variance(count.id, line.id, store_id=store.id, reason=" ", responsible_id=staff["keeper"].id)
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        counts.explain_variance(count.id, line.id, store_id=store.id, reason="发错货", responsible_id=None)
    assert refused.value.field == "responsible_id"


def _explain_all(db, store, staff, count):
    for line in counts.variance_report(count.id, store.id).lines:
        counts.explain_variance(count.id, line.id, store_id=store.id, reason="上次盘点漏记",
                                responsible_id=staff["keeper"].id)
    db.session.commit()


def test_approval_posts_count_movements_once_by_the_right_person(db, store, staff, shelf):
    count = _reviewed(db, store, staff)
    _explain_all(db, store, staff, count)
    for actor, error in ((staff["keeper"], counts.ApprovalRefused),  # opened it
                         (staff["finance"], counts.ApprovalRefused),  # no parts or director role
                         (staff["advisor"], counts.ApprovalRefused)):
        with pytest.raises(error):
            counts.approve_count(count.id, store_id=store.id, actor_id=actor.id)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.kind == MovementKind.COUNT)) == 0

    counts.approve_count(count.id, store_id=store.id, actor_id=staff["director"].id,
                         expected_version=db.session.get(StockCount, count.id).version)
    db.session.commit()
    moves = db.session.execute(select(Part.number, StockMovement.quantity, StockMovement.count_id)
                               .join(Part).where(StockMovement.kind == MovementKind.COUNT)
                               .order_by(Part.number)).all()
    assert moves == [("P-100", -2, count.id), ("P-300", 2, count.id)]
    assert (db.session.get(Part, shelf["P-100"].id).on_hand, db.session.get(Part, shelf["P-300"].id).on_hand) == (8, 6)
    assert ledger.ledger_drift(store.id) == []
    assert db.session.get(StockCount, count.id).status == CountStatus.APPROVED
    with pytest.raises(IllegalTransition):
        counts.approve_count(count.id, store_id=store.id, actor_id=staff["manager"].id)


def test_a_quarterly_count_needs_finance_before_approval(db, store, staff, shelf):
    count = _reviewed(db, store, staff, kind="quarterly")
    _explain_all(db, store, staff, count)
    with pytest.raises(counts.FinanceMissing):
        counts.approve_count(count.id, store_id=store.id, actor_id=staff["manager"].id)
    db.session.rollback()
    with pytest.raises(counts.ApprovalRefused):  # finance is signed by management only
        counts.finance_sign_off(count.id, store_id=store.id, actor_id=staff["manager"].id)
    db.session.rollback()
    counts.finance_sign_off(count.id, store_id=store.id, actor_id=staff["finance"].id)
    counts.approve_count(count.id, store_id=store.id, actor_id=staff["manager"].id)
    db.session.commit()
    assert db.session.get(StockCount, count.id).finance_by_id == staff["finance"].id


def test_a_stale_approval_is_a_conflict_and_posts_nothing(db, store, staff, shelf):
    count = _reviewed(db, store, staff)
    _explain_all(db, store, staff, count)
    seen = db.session.get(StockCount, count.id).version
    counts.reopen_counting(count.id, store_id=store.id, actor_id=staff["manager"].id, expected_version=seen)
    counts.submit_for_review(count.id, store_id=store.id, actor_id=staff["manager"].id)
    db.session.commit()
    with pytest.raises(counts.StaleCount):  # the page still showed the earlier version
        counts.approve_count(count.id, store_id=store.id, actor_id=staff["director"].id, expected_version=seen)
    db.session.rollback()

    # changed by another session between this one's read and its write: the version column catches it
    loaded = db.session.get(StockCount, count.id)
    assert loaded.status == CountStatus.REVIEW
    with db.engine.begin() as other:
        other.execute(update(StockCount.__table__).where(StockCount.id == count.id)
                      .values(version=StockCount.__table__.c.version + 1))
    with pytest.raises(counts.StaleCount):
        counts.approve_count(count.id, store_id=store.id, actor_id=staff["director"].id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.kind == MovementKind.COUNT)) == 0


# ------------------------------------------------------------------ jobs on real Redis

def test_sheet_job_runs_on_real_redis_and_reruns_add_nothing(db, store, staff, shelf, redis_conn):
    with clock.frozen(MORNING):
        count = counts.open_count(store_id=store.id, actor_id=staff["manager"].id, kind="full")
        db.session.commit()
        count_id = count.id
        assert counts.request_sheets(count_id).queued
        queue.enqueue("parts-count-sheets", count_id=count_id)  # sent twice by mistake
        db.session.commit()
        assert SimpleWorker(["low"], connection=redis_conn).work(burst=True)
    db.session.remove()
    count = db.session.get(StockCount, count_id)
    assert (count.status, count.generated_lines, count.total_lines) == (CountStatus.COUNTING, 6, 6)
    assert db.session.scalar(select(func.count()).select_from(CountLine).where(CountLine.count_id == count_id)) == 6


def test_overnight_job_opens_scheduled_counts_and_reports_drift_once(db, store, staff, shelf, redis_conn):
    # a part whose on-hand was changed behind the ledger's back
    db.session.execute(update(Part).where(Part.id == shelf["P-900"].id).values(on_hand=Decimal("7")))
    db.session.commit()

    def run_at(moment):
        with clock.frozen(moment):
            queue.enqueue("parts-overnight-counts")
            db.session.commit()
            assert SimpleWorker(["low"], connection=redis_conn).work(burst=True)
        db.session.remove()

    run_at(datetime(2026, 11, 29, 17, 45))  # 01:45 on Monday 30 November, Shanghai: the last of the month
    run_at(datetime(2026, 11, 29, 18, 15))  # a rerun the same night
    opened = db.session.execute(select(StockCount.kind, StockCount.classes, StockCount.scheduled_for,
                                       StockCount.status).order_by(StockCount.kind)).all()
    day = datetime(2026, 11, 30).date()
    # the Monday A-class count falls on the month's last day: the full count counts those bins once
    assert opened == [(CountKind.FULL, None, day, CountStatus.COUNTING)]
    drift = db.session.execute(select(Notice.user_id, Notice.kind).order_by(Notice.user_id)).all()
    assert sorted(u for u, _ in drift) == sorted([staff["manager"].id, staff["keeper"].id, staff["counter"].id,
                                                  staff["director"].id])
    assert {k for _, k in drift} == {counts.DRIFT_NOTICE}
    from intranet.core.notices import text_of

    assert "P-900" in text_of(db.session.scalars(select(Notice)).first())
    # the next night (Tuesday, 1 December): no count due, the drift is told again for the new day
    summary = None
    with clock.frozen(datetime(2026, 11, 30, 17, 45)):
        summary = counts.overnight()
        db.session.commit()
    assert summary["opened"] == [] and summary["drifting"] == 1 and summary["notices"] == 4


def test_overnight_on_an_ordinary_day_opens_nothing(db, store, staff, shelf):
    with clock.frozen(datetime(2026, 11, 25, 17, 45)):  # Thursday 26 November
        summary = counts.overnight()
    assert summary == {"stores": 1, "opened": [], "enqueued": 0, "drifting": 0, "notices": 0}


# ------------------------------------------------------------------ views

@pytest.fixture
def parts_client(client, login_as, db):
    user = login_as(Role.PARTS, username="tablet", display_name="平板")
    user.parts_manager = True  # the parts manager's tablet
    db.session.commit()
    return user


def test_open_a_count_from_the_page_and_a_refusal_keeps_what_was_typed(client, parts_client, db, store, shelf,
                                                                        redis_conn):
    refused = client.post("/parts/counts/", data={"kind": "cycle", "bin_prefix": "Z-999", "recount_value": "80"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'value="Z-999"' in body and 'value="80"' in body
    assert db.session.scalar(select(func.count()).select_from(StockCount)) == 0

    response = client.post("/parts/counts/", data={"kind": "cycle", "classes": ["A"], "recount_value": "80"})
    assert response.status_code == 302
    count_id = db.session.scalars(select(StockCount.id)).one()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="sheet-progress"' in page and 'hx-trigger="every 1s"' in page
    assert client.get(f"/parts/counts/{count_id}/progress", headers={"HX-Request": "true"}).status_code == 200
    assert SimpleWorker(["low"], connection=redis_conn).work(burst=True)
    done = client.get(f"/parts/counts/{count_id}/progress", headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"
    page = client.get(f"/parts/counts/{count_id}").get_data(as_text=True)
    assert "A-01-1-01" in page and "P-100" in page and 'inputmode="decimal"' in page


def test_htmx_entry_answers_with_the_entry_fragment_and_a_second_entry_is_refused(client, parts_client, db, store,
                                                                                   staff, shelf):
    count = open_and_generate(db, store, staff["manager"], kind="cycle", classes="A")
    first = line_of(db, count, "P-100")
    picked = client.get(f"/parts/counts/{count.id}/pick?part_number=p-100", headers={"HX-Request": "true"})
    assert picked.status_code == 200 and "A-01-1-01" in picked.get_data(as_text=True)
    assert "<html" not in picked.get_data(as_text=True)
    # blind: the book quantity (10) is nowhere in the entry panel
    assert ">10<" not in picked.get_data(as_text=True)

    response = client.post(f"/parts/counts/{count.id}/enter", headers={"HX-Request": "true"},
                           data={"line_id": first.id, "stage": "first", "quantity": "10"})
    assert response.status_code == 200
    assert "count-entered" in response.headers["HX-Trigger-After-Settle"]
    body = response.get_data(as_text=True)
    assert 'id="cnt-entry"' in body and "<html" not in body
    assert "A-03-1-01" in body  # the next bin in walking order is ready to count

    again = client.post(f"/parts/counts/{count.id}/enter", headers={"HX-Request": "true"},
                        data={"line_id": first.id, "stage": "first", "quantity": "11"})
    assert again.status_code == 409 and "toast" in again.headers["HX-Trigger"]
    assert "P-100" in again.get_data(as_text=True)
    second = line_of(db, count, "P-200")
    typo = client.post(f"/parts/counts/{count.id}/enter", headers={"HX-Request": "true"},
                       data={"line_id": second.id, "stage": "first", "quantity": "3,x"})
    assert typo.status_code == 422 and 'value="3,x"' in typo.get_data(as_text=True)  # what was typed stays
    db.session.expire_all()
    assert line_of(db, count, "P-100").first_quantity == 10

    sheet = client.get(f"/parts/counts/{count.id}/sheet?show=todo", headers={"HX-Request": "true"})
    assert "P-200" in sheet.get_data(as_text=True) and "P-100" not in sheet.get_data(as_text=True)


def test_review_view_lists_how_many_lines_remain_and_report_page_explains(client, parts_client, db, store, staff,
                                                                         shelf):
    count = open_and_generate(db, store, staff["manager"])
    number = count.number
    refused = client.post(f"/parts/counts/{count.id}/review", data={"version": count.version})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/parts/counts/{count.id}")
    assert db.session.get(StockCount, count.id).status == CountStatus.COUNTING
    count_all(db, store, count, staff["counter"], {"P-300": "6"})
    version = db.session.get(StockCount, count.id).version
    assert client.post(f"/parts/counts/{count.id}/review", data={"version": version}).headers["Location"].endswith(
        "/report")
    report = client.get(f"/parts/counts/{count.id}/report")
    assert report.status_code == 200 and "P-300" in report.get_data(as_text=True)
    line = line_of(db, count, "P-300")
    bad = client.post(f"/parts/counts/{count.id}/lines/{line.id}/explain", headers={"HX-Request": "true"},
                      data={"reason": "多收未入账", "responsible_id": ""})
    assert bad.status_code == 422 and "多收未入账" in bad.get_data(as_text=True)
    ok = client.post(f"/parts/counts/{count.id}/lines/{line.id}/explain", headers={"HX-Request": "true"},
                     data={"reason": "多收未入账", "responsible_id": staff["keeper"].id})
    assert ok.status_code == 200 and 'id="cnt-var-' in ok.get_data(as_text=True)
    db.session.expire_all()
    assert line_of(db, count, "P-300").responsible_id == staff["keeper"].id
    # the tablet's user did not open the count: it may approve
    version = db.session.get(StockCount, count.id).version
    client.post(f"/parts/counts/{count.id}/approve", data={"version": version})
    db.session.expire_all()
    assert db.session.get(StockCount, count.id).status == CountStatus.APPROVED
    archived = client.get("/parts/counts/").get_data(as_text=True)
    assert number in archived and f"/parts/counts/{count.id}/report" in archived


# ------------------------------------------------------------------ queries stay constant



@pytest.mark.parametrize("screen", ["sheet page", "variance report"])
def test_count_screens_cost_the_same_queries_for_5_or_50_lines(client, parts_client, db, store, staff, screen):
    def build(n):
        for i in range(n):
            add_part(db, store, f"Q{n:02d}-{i:03d}", "3", bin_code=f"{'CD'[n > 5]}-{i // 40:02d}-{i % 4}-{i % 40:02d}")
        db.session.commit()
        count = open_and_generate(db, store, staff["manager"], kind="cycle", bin_prefix="CD"[n > 5])
        for k, line in enumerate(by_class_lines(db, count)):
            counts.enter_count(count.id, store_id=store.id, actor_id=staff["counter"].id, line_id=line.id,
                               stage="first", quantity="2" if k % 2 else "3")
        counts.submit_for_review(count.id, store_id=store.id, actor_id=staff["counter"].id)
        for k, line in enumerate(counts.variance_report(count.id, store.id).lines):
            counts.explain_variance(count.id, line.id, store_id=store.id, reason="损耗",
                                    responsible_id=(staff["keeper"] if k % 2 else staff["counter"]).id)
        db.session.commit()
        return count

    few, many = build(5), build(50)
    url = "/parts/counts/{}" if screen == "sheet page" else "/parts/counts/{}/report"
    queries_for(db, client, url.format(few.id))  # warm up
    assert queries_for(db, client, url.format(few.id)) == queries_for(db, client, url.format(many.id))


# ------------------------------------------------------------------ one open count per bin

def test_a_count_over_bins_another_open_count_takes_is_refused_so_a_variance_is_posted_once(db, store, staff,
                                                                                             shelf):
    """A cycle count of shelf A-03 and the full count both posted −1 for the same missing unit: the
    books ended one below the shelf. The full count is refused while the shelf's count is open (naming
    it); other bins may be counted meanwhile; once the shelf's count is approved, the full count
    opens and finds no variance left on the shelf."""
    shelf_count = open_and_generate(db, store, staff["keeper"], kind="cycle", bin_prefix="A-03")
    for kind, extra in (("full", {}), ("quarterly", {}), ("cycle", {"classes": "A"}), ("cycle", {"bin_prefix": "A"})):
        with clock.frozen(MORNING), pytest.raises(counts.CountOverlaps) as refused:
            counts.open_count(store_id=store.id, actor_id=staff["manager"].id, kind=kind, **extra)
        db.session.rollback()
        assert shelf_count.number in str(refused.value.message), kind
        assert refused.value.other_id == shelf_count.id
    assert "A-03-1-01" in str(refused.value.message)  # a bin both would count
    other_shelf = open_and_generate(db, store, staff["manager"], kind="cycle", classes="B")  # B-01: no overlap
    assert {line.part.number for line in by_class_lines(db, other_shelf)} == {"P-400"}

    # the shelf's count: one P-300 missing, posted once
    count_all(db, store, shelf_count, staff["counter"], {"P-300": "3"})
    counts.submit_for_review(shelf_count.id, store_id=store.id, actor_id=staff["counter"].id)
    _explain_all(db, store, staff, shelf_count)
    counts.approve_count(shelf_count.id, store_id=store.id, actor_id=staff["manager"].id)
    counts.cancel_count(other_shelf.id, store_id=store.id, actor_id=staff["manager"].id)
    db.session.commit()
    full = open_and_generate(db, store, staff["manager"], kind="full")
    count_all(db, store, full, staff["counter"], {"P-300": "3"})  # the shelf holds 3, the books say 3
    counts.submit_for_review(full.id, store_id=store.id, actor_id=staff["counter"].id)
    assert counts.variance_report(full.id, store.id).lines == []
    p300 = db.session.get(Part, shelf["P-300"].id)
    assert p300.on_hand == 3
    assert db.session.scalars(select(StockMovement.quantity).where(
        StockMovement.part_id == p300.id, StockMovement.kind == MovementKind.COUNT)).all() == [Decimal("-1")]


def test_the_sheet_leaves_out_a_part_another_open_count_has_on_its_sheet(db, store, staff, shelf):
    """Judged on the catalogue when it opens; a part moved meanwhile (here P-400 made class A while the
    class B count holds it) is not put on a second sheet."""
    b_count = open_and_generate(db, store, staff["manager"], kind="cycle", classes="B")
    db.session.execute(update(Part).where(Part.id == shelf["P-400"].id).values(abc_class="A"))
    db.session.commit()
    a_count = open_and_generate(db, store, staff["manager"], kind="cycle", classes="A")
    assert {line.part.number for line in by_class_lines(db, a_count)} == {"P-100", "P-200"}
    assert {line.part.number for line in by_class_lines(db, b_count)} == {"P-400"}


def test_two_counts_opened_at_once_over_the_same_bins_open_one(app, db, store, staff, shelf):
    from tests.conftest import at_once, signed_in

    keeper, manager = signed_in(app, staff["keeper"]), signed_in(app, staff["manager"])
    with clock.frozen(MORNING):
        answers = at_once(
            lambda: keeper.post("/parts/counts/", data={"kind": "cycle", "bin_prefix": "A-03", "recount_value": "200"}),
            lambda: manager.post("/parts/counts/", data={"kind": "full", "recount_value": "200"}))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [302, 409], [a.get_data(as_text=True)[:300] for a in answers]
    refused = next(a for a in answers if a.status_code == 409).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StockCount)) == 1
    opened = db.session.scalars(select(StockCount)).one()
    assert opened.number in refused


def test_a_scheduled_count_over_an_open_count_is_not_opened_and_the_parts_staff_are_told_once(db, store, staff,
                                                                                               shelf):
    with clock.frozen(datetime(2026, 11, 27, 2, 0)):  # a Friday
        shelf_count = counts.open_count(store_id=store.id, actor_id=staff["keeper"].id, kind="cycle", bin_prefix="A")
        db.session.commit()
    for moment in (datetime(2026, 11, 29, 17, 45), datetime(2026, 11, 29, 18, 15)):  # Monday 30th, twice
        with clock.frozen(moment):
            summary = counts.overnight()
            db.session.commit()
        assert summary["opened"] == []
    told = db.session.scalars(select(Notice).where(Notice.kind == counts.NOT_OPENED_NOTICE)).all()
    # the month's full count and the Monday A-class count: each told once to each, not again on the rerun
    staff_ids = [staff["manager"].id, staff["keeper"].id, staff["counter"].id, staff["director"].id]
    assert sorted(n.user_id for n in told) == sorted(staff_ids * 2)
    from intranet.core.notices import text_of

    assert shelf_count.number in text_of(told[0])


# ------------------------------------------------------------------ the recount stays blind

def test_the_variance_report_is_closed_while_counting(client, parts_client, db, store, staff, shelf):
    count = open_and_generate(db, store, staff["keeper"], kind="cycle", classes="A", recount_value="10")
    line = line_of(db, count, "P-100")
    counts.enter_count(count.id, store_id=store.id, actor_id=staff["keeper"].id, line_id=line.id, quantity="4",
                       stage="first")
    db.session.commit()
    page = client.get(f"/parts/counts/{count.id}").get_data(as_text=True)
    assert f"/parts/counts/{count.id}/report" not in page and 'data-testid="variance-report"' not in page
    answer = client.get(f"/parts/counts/{count.id}/report")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/parts/counts/{count.id}")
    with pytest.raises(counts.ReportClosed):
        counts.variance_report(count.id, store.id)
    with pytest.raises(IllegalTransition):
        counts.explain_variance(count.id, line.id, store_id=store.id, reason="x", responsible_id=staff["keeper"].id)
    db.session.rollback()
    refused = client.post(f"/parts/counts/{count.id}/lines/{line.id}/explain", headers={"HX-Request": "true"},
                          data={"reason": "多收", "responsible_id": staff["keeper"].id})
    assert refused.status_code == 422 and refused.get_data(as_text=True) == ""  # no figure in the answer
    assert "toast" in refused.headers["HX-Trigger"]
    db.session.expire_all()
    assert line_of(db, count, "P-100").reason is None


def test_a_parts_account_that_is_not_the_parts_manager_does_not_approve_a_count(client, login_as, db, store, staff,
                                                                                shelf):
    count = open_and_generate(db, store, staff["manager"], kind="cycle", classes="A")
    count_all(db, store, count, staff["counter"])
    counts.submit_for_review(count.id, store_id=store.id, actor_id=staff["counter"].id)
    db.session.commit()
    with pytest.raises(counts.ApprovalRefused):
        counts.approve_count(count.id, store_id=store.id, actor_id=staff["keeper"].id)
    db.session.rollback()
    login_as(Role.PARTS, username="planner")
    page = client.get(f"/parts/counts/{count.id}/report").get_data(as_text=True)
    assert 'data-testid="approve"' not in page and 'data-testid="waits-approval"' in page
    client.post(f"/parts/counts/{count.id}/approve", data={"version": count.version})
    db.session.expire_all()
    assert db.session.get(StockCount, count.id).status == CountStatus.REVIEW
    counts.approve_count(count.id, store_id=store.id, actor_id=staff["director"].id)
    db.session.commit()
    assert db.session.get(StockCount, count.id).status == CountStatus.APPROVED
