"""The complaints closed loop (投诉处理): register → judge → investigate → propose → approve → carry
out → confirm → call back → closed. Every step out of turn, every empty required field, stale forms,
approval by the wrong role and closing without the customer's confirmation are refused; the reminder
job runs on the real (embedded) Redis; the list and the statistics keep a fixed number of queries.
The UI language in tests is Chinese: refusals are matched on their class, field and status code."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from rq import SimpleWorker
from sqlalchemy import func, select

from intranet import clock
from intranet.care import complaint_figures, complaints
from intranet.care.models import (
    CareEvent, Complaint, ComplaintChannel, ComplaintReminder, ComplaintStatus,
)
from intranet.care.settings import settings_for
from intranet.core import services
from intranet.core.models import Notice, Role
from intranet.errors import Conflict, DomainError, IllegalTransition, NotFound
from intranet.jobs import queue
from tests import factories
from tests.conftest import new_client, queries_for

# Tuesday 24 November 2026, 10:00 in Shanghai
NOW = datetime(2026, 11, 24, 2, 0)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (60, 20), (0, 0, 0, 0)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def staff(db, store):
    settings_for(store.id)
    db.session.commit()
    return factories.people(store, director="zhao", manager="qian", care="zhu", advisor="sun", controller="wu",
                            tech="liu")


@pytest.fixture
def ro(db, store, staff, make_vehicle):
    car = make_vehicle()
    order = services.open_repair_order(store_id=store.id, vehicle_id=car.id, actor_id=staff["advisor"].id)
    db.session.commit()
    return order


def register(db, store, ro, actor=None, **kwargs):
    values = {"channel": ComplaintChannel.PHONE, "category": "quality", "description": "保养后发动机异响"}
    values.update(kwargs)
    c = complaints.register_complaint(store_id=store.id, customer_id=ro.customer_id,
                                      actor_id=actor.id if actor else None, repair_order_id=ro.id, **values)
    db.session.commit()
    return c


def kw(store, user, c):
    return {"store_id": store.id, "actor_id": user.id, "version": db_version(c)}


def db_version(c):
    from intranet.extensions import db

    db.session.refresh(c)
    return c.version


def walk(db, store, staff, c, to: ComplaintStatus):
    """Move `c` step by step up to `to` through the services."""
    care, manager = staff["care"], staff["manager"]
    steps = [
        (ComplaintStatus.INVESTIGATING, lambda: complaints.judge(c.id, justified=True, **kw(store, care, c))),
        (ComplaintStatus.PROPOSING, lambda: complaints.investigate(
            c.id, cause="技师未按规定拧紧机油滤清器", department="workshop", responsible_id=staff["tech"].id,
            **kw(store, care, c))),
        (ComplaintStatus.APPROVING, lambda: (
            complaints.add_solution(c.id, text="免费返修", cost="380", **kw(store, care, c)),
            db.session.commit(),
            complaints.add_solution(c.id, text="赠送保养券", cost="200", **kw(store, care, c)),
            db.session.commit(),
            complaints.submit_for_approval(c.id, **kw(store, care, c)))),
        (ComplaintStatus.CARRYING_OUT, lambda: complaints.approve(c.id, c.solutions[0].id, **kw(store, manager, c))),
        (ComplaintStatus.CONFIRMING, lambda: complaints.carry_out(c.id, note="已免费返修，试车无异响",
                                                                  penalty_note="扣技师绩效100元",
                                                                  **kw(store, care, c))),
        (ComplaintStatus.CALLING_BACK, lambda: complaints.confirm(c.id, kind="recorded", recording_ref="录音 20261124-0932",
                                                                  **kw(store, care, c))),
        (ComplaintStatus.CLOSED, lambda: complaints.call_back(c.id, note="客户表示满意", satisfied=True,
                                                              improvement="保养后增加复检", **kw(store, care, c))),
    ]
    order = [ComplaintStatus.REGISTERED] + [status for status, _action in steps]
    for status, action in steps:
        if c.status_enum == to:
            return c
        if order.index(status) <= order.index(c.status_enum):
            continue
        action()
        db.session.commit()
        assert c.status_enum == status
    return c


# ================================================================== registering

def test_register_numbers_notes_the_advisor_and_hands_to_the_supervisor(db, store, staff, ro):
    with clock.frozen(NOW):
        c = register(db, store, ro, staff["care"])
        second = register(db, store, ro, staff["care"], description="交车时间比承诺晚两小时", category="time")
    assert c.number == "TS01-TS-20261124-01" and second.number == "TS01-TS-20261124-02"
    assert c.advisor_id == staff["advisor"].id and c.vehicle_id == ro.vehicle_id
    assert c.handler_id == staff["director"].id  # no supervisor set: the director
    assert c.step_due_at == NOW + timedelta(hours=24)
    event = db.session.scalar(select(CareEvent).where(CareEvent.subject == "complaint", CareEvent.subject_id == c.id))
    assert event.to_status == "registered" and event.actor_id == staff["care"].id
    assert db.session.scalar(select(func.count()).select_from(Notice).where(
        Notice.user_id == staff["director"].id, Notice.kind == "complaint_assigned")) == 2


def test_register_uses_the_care_supervisor_when_set(db, store, staff, ro):
    settings_for(store.id).supervisor_id = staff["care"].id
    db.session.commit()
    assert register(db, store, ro).handler_id == staff["care"].id


@pytest.mark.parametrize("bad, field", [
    ({"description": "  "}, "description"),
    ({"channel": "pigeon"}, "channel"),
    ({"category": ""}, "category"),
])
def test_register_refuses_empty_or_unknown_fields(db, store, staff, ro, bad, field):
    with pytest.raises(DomainError) as refused:
        register(db, store, ro, **bad)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_register_refuses_another_customers_repair_order(db, store, staff, ro, make_customer):
    other = make_customer(name="王芳")
    with pytest.raises(DomainError) as refused:
        complaints.register_complaint(store_id=store.id, customer_id=other.id, actor_id=None, channel="phone",
                                      category="quality", description="异响", repair_order_id=ro.id)
    assert refused.value.field == "repair_order_id"


# ================================================================== the loop, and each refusal

def test_the_whole_loop_to_closed_records_every_step(db, store, staff, ro):
    c = register(db, store, ro, staff["care"])
    walk(db, store, staff, c, ComplaintStatus.CLOSED)
    assert c.closed_at and c.customer_satisfied and c.improvement == "保养后增加复检"
    assert [s.chosen for s in c.solutions] == [True, False] and c.approved_by_id == staff["manager"].id
    assert c.department == "workshop" and c.responsible_id == staff["tech"].id
    assert c.step_due_at is None and c.handler_id is None
    moves = db.session.scalars(select(CareEvent.to_status).where(
        CareEvent.subject == "complaint", CareEvent.subject_id == c.id).order_by(CareEvent.id)).all()
    assert moves == ["registered", "investigating", "proposing", "approving", "carrying_out", "confirming",
                     "calling_back", "closed"]
    assert c.solutions[0].cost == Decimal("380.00")


def test_not_justified_needs_the_explanation_and_ends_the_case(db, store, staff, ro):
    c = register(db, store, ro)
    with pytest.raises(DomainError) as refused:
        complaints.judge(c.id, justified=False, explanation=" ", **kw(store, staff["care"], c))
    assert refused.value.field == "explanation"
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        complaints.judge(c.id, justified=None, **kw(store, staff["care"], c))
    assert refused.value.field == "justified"
    db.session.rollback()
    complaints.judge(c.id, justified=False, explanation="已向客户说明：该异响为涡轮正常工作声音",
                     **kw(store, staff["care"], c))
    db.session.commit()
    assert c.status == ComplaintStatus.UNJUSTIFIED and c.explanation.startswith("已向客户说明") and c.closed_at
    with pytest.raises(IllegalTransition):
        complaints.investigate(c.id, cause="x", department="workshop", **kw(store, staff["care"], c))


@pytest.mark.parametrize("action, field", [
    (lambda c, k: complaints.investigate(c.id, cause=" ", department="workshop", **k), "cause"),
    (lambda c, k: complaints.investigate(c.id, cause="原因", department="", **k), "department"),
    (lambda c, k: complaints.investigate(c.id, cause="原因", department="kitchen", **k), "department"),
])
def test_investigate_needs_cause_and_department(db, store, staff, ro, action, field):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.INVESTIGATING)
    with pytest.raises(DomainError) as refused:
        action(c, kw(store, staff["care"], c))
    assert refused.value.field == field


def test_solutions_need_text_and_a_sane_cost_and_at_least_one_before_approval(db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.PROPOSING)
    care = staff["care"]
    with pytest.raises(DomainError) as refused:
        complaints.submit_for_approval(c.id, **kw(store, care, c))
    assert refused.value.field == "text"
    db.session.rollback()
    for text, cost, field in (("", "10", "text"), ("退还部分工时费", "abc", "cost"), ("退还部分工时费", "-5", "cost")):
        with pytest.raises(DomainError) as refused:
            complaints.add_solution(c.id, text=text, cost=cost, **kw(store, care, c))
        assert refused.value.field == field
        db.session.rollback()
    solution = complaints.add_solution(c.id, text="退还部分工时费", cost="150.5", **kw(store, care, c))
    db.session.commit()
    complaints.remove_solution(c.id, solution.id, **kw(store, care, c))
    db.session.commit()
    assert c.solutions == []


def test_approving_before_solutions_exist_is_refused(db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.PROPOSING)
    with pytest.raises(IllegalTransition):
        complaints.approve(c.id, None, **kw(store, staff["manager"], c))


def test_carrying_out_before_approval_is_refused(db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.APPROVING)
    with pytest.raises(IllegalTransition):
        complaints.carry_out(c.id, note="已返修", **kw(store, staff["care"], c))


def test_calling_back_before_confirmation_is_refused(db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.CONFIRMING)
    with pytest.raises(IllegalTransition):
        complaints.call_back(c.id, note="满意", satisfied=True, **kw(store, staff["care"], c))


@pytest.mark.parametrize("stop", [ComplaintStatus.REGISTERED, ComplaintStatus.CARRYING_OUT,
                                  ComplaintStatus.CONFIRMING])
def test_closing_without_the_customers_confirmation_is_refused(db, store, staff, ro, stop):
    c = walk(db, store, staff, register(db, store, ro), stop)
    with pytest.raises(DomainError) as refused:
        complaints.close(c.id, **kw(store, staff["care"], c))
    assert not isinstance(refused.value, IllegalTransition)
    db.session.rollback()
    assert db.session.get(Complaint, c.id).status == stop


def test_approval_only_by_a_manager_or_the_director(db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.APPROVING)
    for who in ("care", "advisor", "controller"):
        with pytest.raises(DomainError) as refused:
            complaints.approve(c.id, c.solutions[0].id, **kw(store, staff[who], c))
        assert refused.value.field == "solution_id"
        db.session.rollback()
    with pytest.raises(DomainError) as refused:
        complaints.approve(c.id, None, **kw(store, staff["director"], c))
    assert refused.value.field == "solution_id"
    db.session.rollback()
    complaints.approve(c.id, c.solutions[1].id, **kw(store, staff["director"], c))
    db.session.commit()
    assert c.status == ComplaintStatus.CARRYING_OUT and c.approved_by_id == staff["director"].id


def test_rejecting_sends_back_to_proposing_with_a_reason(db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.APPROVING)
    with pytest.raises(DomainError) as refused:
        complaints.reject(c.id, reason="", **kw(store, staff["manager"], c))
    assert refused.value.field == "reason"
    db.session.rollback()
    complaints.reject(c.id, reason="成本过高，请换方案", **kw(store, staff["manager"], c))
    db.session.commit()
    assert c.status == ComplaintStatus.PROPOSING
    assert db.session.scalar(select(CareEvent.note).where(CareEvent.subject_id == c.id)
                             .order_by(CareEvent.id.desc()).limit(1)) == "成本过高，请换方案"


def test_an_advisor_carries_out_but_cannot_judge(db, store, staff, ro):
    c = register(db, store, ro)
    with pytest.raises(DomainError):
        complaints.judge(c.id, justified=True, **kw(store, staff["advisor"], c))
    db.session.rollback()
    c = walk(db, store, staff, c, ComplaintStatus.CARRYING_OUT)
    assert c.handler_id == staff["advisor"].id
    complaints.carry_out(c.id, note="已免费返修", **kw(store, staff["advisor"], c))
    db.session.commit()
    assert c.status == ComplaintStatus.CONFIRMING


def test_carry_out_and_confirm_refuse_empty_fields(db, store, staff, ro, app):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.CARRYING_OUT)
    with pytest.raises(DomainError) as refused:
        complaints.carry_out(c.id, note="", **kw(store, staff["care"], c))
    assert refused.value.field == "note"
    db.session.rollback()
    c = walk(db, store, staff, c, ComplaintStatus.CONFIRMING)
    folder = app.config["PHOTO_FOLDER"]
    for args, field in (({"kind": None}, "kind"), ({"kind": "signature", "signed_name": ""}, "signed_name"),
                        ({"kind": "signature", "signed_name": "张伟"}, "signature"),
                        ({"kind": "recorded", "recording_ref": " "}, "recording_ref")):
        with pytest.raises(DomainError) as refused:
            complaints.confirm(c.id, photo_folder=folder, **args, **kw(store, staff["care"], c))
        assert refused.value.field == field
        db.session.rollback()
    complaints.confirm(c.id, kind="signature", signed_name="张伟", signature_png=png_bytes(), photo_folder=folder,
                       **kw(store, staff["care"], c))
    db.session.commit()
    assert c.signature_photo_id and c.confirmed_name == "张伟" and c.status == ComplaintStatus.CALLING_BACK


def test_not_satisfied_on_the_call_back_goes_back_to_carrying_out_and_needs_a_new_confirmation(db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.CALLING_BACK)
    for args, field in (({"note": "", "satisfied": True}, "call_note"), ({"note": "还有异响", "satisfied": None},
                                                                          "satisfied")):
        with pytest.raises(DomainError) as refused:
            complaints.call_back(c.id, **args, **kw(store, staff["care"], c))
        assert refused.value.field == field
        db.session.rollback()
    complaints.call_back(c.id, note="还有异响", satisfied=False, **kw(store, staff["care"], c))
    db.session.commit()
    assert c.status == ComplaintStatus.CARRYING_OUT and c.confirmed_at is None
    with pytest.raises(DomainError):
        complaints.close(c.id, **kw(store, staff["care"], c))


def test_a_stale_version_is_a_conflict(db, store, staff, ro):
    c = register(db, store, ro)
    old = c.version
    complaints.judge(c.id, justified=True, store_id=store.id, actor_id=staff["care"].id, version=old)
    db.session.commit()
    with pytest.raises(Conflict):
        complaints.investigate(c.id, cause="原因", department="workshop", store_id=store.id,
                               actor_id=staff["care"].id, version=old)


def test_another_stores_complaint_is_not_found(db, store, staff, ro):
    from intranet.core.models import Store

    c = register(db, store, ro)
    other = Store(code="TS02", name="其他店", timezone="Asia/Shanghai")
    db.session.add(other)
    db.session.commit()
    with pytest.raises(NotFound):
        complaints.get_complaint(c.id, other.id)


# ================================================================== the pages

def login(app, user):
    client = new_client(app)
    client.fetch_csrf()
    response = client.post("/login", data={"username": user.username, "password": "password123",
                                           "csrf_token": client.csrf_token})
    assert response.status_code == 302
    client.fetch_csrf("/")
    return client


def test_pages_walk_the_loop_through_http(app, db, store, staff, ro):
    care = login(app, staff["care"])
    page = care.get(f"/care/complaints/new?vehicle_id={ro.vehicle_id}")
    assert page.status_code == 200 and "register-form" in page.get_data(as_text=True)
    response = care.post("/care/complaints/new", data={
        "vehicle_id": ro.vehicle_id, "customer_id": ro.customer_id, "repair_order_id": ro.id, "channel": "walk_in",
        "category": "cleanliness", "description": "洗车不干净，座椅有油污", "received_at": ""})
    assert response.status_code == 302
    c = db.session.scalar(select(Complaint))
    base = f"/care/complaints/{c.id}"
    assert c.channel == "walk_in" and c.advisor_id == staff["advisor"].id

    def post(client, step, **data):
        db.session.expire_all()
        data.setdefault("version", db.session.get(Complaint, c.id).version)
        return client.post(f"{base}/{step}", data=data)

    assert post(care, "judge", justified="yes").status_code == 302
    assert post(care, "investigate", cause="洗车工漏擦座椅", department="service").status_code == 302
    assert post(care, "solution", text="免费精洗内饰", cost="120").status_code == 302
    assert post(care, "submit").status_code == 302
    manager = login(app, staff["manager"])
    sid = db.session.scalar(select(Complaint).where(Complaint.id == c.id)).solutions[0].id
    assert post(manager, "approve", solution_id=sid).status_code == 302
    assert post(care, "carry-out", note="已重新精洗").status_code == 302
    import base64
    signature = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    assert post(care, "confirm", kind="signature", signed_name="张伟", signature=signature).status_code == 302
    assert post(care, "call-back", call_note="满意", satisfied="yes").status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, c.id).status == ComplaintStatus.CLOSED
    body = care.get(base).get_data(as_text=True)
    assert "signature-image" in body and 'data-testid="closed"' in body


def test_a_stale_form_answers_409_and_keeps_the_typed_text(app, db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.INVESTIGATING)
    care = login(app, staff["care"])
    stale = c.version - 1
    response = care.post(f"/care/complaints/{c.id}/investigate",
                         data={"version": stale, "cause": "技师漏装卡扣，需返工", "department": "workshop"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "技师漏装卡扣，需返工" in body and 'data-testid="kept-text"' in body
    db.session.expire_all()
    assert db.session.get(Complaint, c.id).status == ComplaintStatus.INVESTIGATING


def test_refusals_through_http_are_422_with_the_text_kept(app, db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.CONFIRMING)
    care = login(app, staff["care"])
    response = care.post(f"/care/complaints/{c.id}/close", data={"version": c.version})
    assert response.status_code == 422
    response = care.post(f"/care/complaints/{c.id}/call-back",
                         data={"version": c.version, "call_note": "客户很满意", "satisfied": "yes"})
    assert response.status_code == 422 and 'data-testid="step-error"' in response.get_data(as_text=True)
    response = care.post(f"/care/complaints/{c.id}/confirm",
                         data={"version": c.version, "kind": "recorded", "recording_ref": ""})
    assert response.status_code == 422


def test_a_care_agent_cannot_approve_through_http(app, db, store, staff, ro):
    c = walk(db, store, staff, register(db, store, ro), ComplaintStatus.APPROVING)
    care = login(app, staff["care"])
    assert 'data-testid="waiting-approval"' in care.get(f"/care/complaints/{c.id}").get_data(as_text=True)
    response = care.post(f"/care/complaints/{c.id}/approve",
                         data={"version": c.version, "solution_id": c.solutions[0].id})
    assert response.status_code == 422


def test_access(app, db, store, staff, make_user, ro):
    c = register(db, store, ro)
    for role in (Role.CARE, Role.DIRECTOR, Role.MANAGER, Role.ADVISOR, Role.CONTROLLER):
        client = login(app, make_user(role))
        for url in ("/care/complaints/", f"/care/complaints/{c.id}", "/care/complaints/stats",
                    "/care/complaints/new"):
            assert client.get(url).status_code == 200, (role, url)
    for role in (Role.TECHNICIAN, Role.PARTS):
        client = login(app, make_user(role))
        assert client.get("/care/complaints/").status_code == 403
        assert client.post(f"/care/complaints/{c.id}/judge", data={"justified": "yes"}).status_code == 403


def test_register_form_searches_and_refuses_empty_fields(app, db, store, staff, ro):
    client = login(app, staff["advisor"])
    car = ro.vehicle
    body = client.get(f"/care/complaints/new?q={car.plate}").get_data(as_text=True)
    assert 'data-testid="choose-vehicle"' in body
    response = client.post("/care/complaints/new", data={
        "vehicle_id": car.id, "customer_id": ro.customer_id, "channel": "phone", "category": "time",
        "description": " "})
    assert response.status_code == 422 and 'name="channel" value="phone" checked' in response.get_data(as_text=True)
    response = client.post("/care/complaints/new", data={"description": "配件等了一周"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0


# ================================================================== lists, statistics, the panel

def test_list_filters_and_open_first(db, store, staff, ro):
    with clock.frozen(NOW - timedelta(days=3)):
        closed = walk(db, store, staff, register(db, store, ro), ComplaintStatus.CLOSED)
    with clock.frozen(NOW):
        late = register(db, store, ro, category="time")
    with clock.frozen(NOW - timedelta(days=2)):
        earlier = register(db, store, ro, category="time")
    rows, more = complaints.list_complaints(store.id, status="all")
    assert [r.id for r in rows] == [earlier.id, late.id, closed.id] and not more
    rows, _more = complaints.list_complaints(store.id, category="time")
    assert {r.id for r in rows} == {late.id, earlier.id}
    rows, _more = complaints.list_complaints(store.id, status="all", department="workshop")
    assert [r.id for r in rows] == [closed.id]
    rows, _more = complaints.list_complaints(store.id, status="all", advisor_id=staff["advisor"].id,
                                             month=date(2026, 11, 1))
    assert len(rows) == 3
    rows, _more = complaints.list_complaints(store.id, status="all", month=date(2026, 10, 1))
    assert rows == []


def test_open_complaints_for_the_panel(db, store, staff, ro):
    with clock.frozen(NOW - timedelta(days=2)):
        late = register(db, store, ro)
    with clock.frozen(NOW):
        fresh = register(db, store, ro)
    panel = complaints.open_complaints(store.id, NOW)
    assert panel["total"] == 2 and panel["late"] == 1
    assert [(i["id"], i["late"]) for i in panel["items"]] == [(late.id, True), (fresh.id, False)]


def test_statistics_and_the_months_analysis(db, store, staff, ro):
    with clock.frozen(datetime(2026, 10, 10, 2, 0)):
        walk(db, store, staff, register(db, store, ro), ComplaintStatus.CLOSED)
        c = register(db, store, ro, category="service")
        complaints.judge(c.id, justified=False, explanation="已解释", **kw(store, staff["care"], c))
        db.session.commit()
    with clock.frozen(NOW):
        walk(db, store, staff, register(db, store, ro, category="time"), ComplaintStatus.CLOSED)
        register(db, store, ro, category="time", channel="follow_up")
    stats = complaint_figures.statistics(store.id, date(2026, 11, 1))
    assert stats.this.count == 2 and stats.last.count == 2
    assert stats.this.closed == 1 and stats.this.on_time_share == 1.0 and stats.this.open_now == 1
    assert stats.last.justified_share == 0.5
    assert stats.by_category == [("time", 2)]
    assert dict(stats.by_channel) == {"phone": 1, "follow_up": 1}
    assert stats.by_advisor == [("孙丽华", 2)]
    assert [(r.improvement, r.n) for r in stats.improvements] == [("保养后增加复检", 1)]
    assert stats.months[-1] == (date(2026, 11, 1), 2) and stats.months[-2] == (date(2026, 10, 1), 2)


def make_many(db, store, staff, ro, n):
    for i in range(n):
        c = register(db, store, ro, description=f"投诉 {i}", category=["quality", "time", "service"][i % 3])
        if i % 2:
            walk(db, store, staff, c, ComplaintStatus.APPROVING)


def test_list_and_stats_queries_do_not_grow_with_rows(app, db, store, staff, ro):
    with clock.frozen(NOW):
        make_many(db, store, staff, ro, 2)
    client = login(app, staff["care"])
    with clock.frozen(NOW):
        few = [queries_for(db, client, url) for url in ("/care/complaints/?status=all", "/care/complaints/stats")]
        make_many(db, store, staff, ro, 12)
        many = [queries_for(db, client, url) for url in ("/care/complaints/?status=all", "/care/complaints/stats")]
    assert few == many


# ================================================================== reminders and escalation

def test_the_reminder_job_on_real_redis_reminds_each_level_once(db, store, staff, ro, redis_conn):
    settings_for(store.id).supervisor_id = staff["care"].id
    db.session.commit()
    with clock.frozen(NOW):
        c = register(db, store, ro)  # judging due NOW + 24h, handler: the care supervisor
    cid = c.id

    def run_at(moment):
        with clock.frozen(moment):
            queue.enqueue("care-complaint-reminders")
            db.session.commit()
            assert SimpleWorker(["default"], connection=redis_conn).work(burst=True)
        db.session.remove()

    def levels():
        return sorted(db.session.scalars(select(ComplaintReminder.level).where(
            ComplaintReminder.complaint_id == cid)).all())

    run_at(NOW + timedelta(hours=23))
    assert levels() == []
    run_at(NOW + timedelta(hours=25))
    run_at(NOW + timedelta(hours=25, minutes=15))
    assert levels() == [0]
    run_at(NOW + timedelta(hours=49))
    run_at(NOW + timedelta(hours=49))
    assert levels() == [0, 1]
    run_at(NOW + timedelta(hours=73))
    run_at(NOW + timedelta(hours=74))
    assert levels() == [0, 1, 2]
    kinds = db.session.execute(select(Notice.user_id, Notice.kind).where(Notice.kind.in_(
        ["complaint_late", "complaint_escalated"])).order_by(Notice.id)).all()
    assert kinds == [(staff["care"].id, "complaint_late"), (staff["care"].id, "complaint_escalated"),
                     (staff["manager"].id, "complaint_escalated")]


def test_the_home_panel_renders_open_complaints_late_in_red(app, db, store, staff, ro):
    from flask import render_template

    with clock.frozen(NOW - timedelta(days=2)):
        late = register(db, store, ro)
    with clock.frozen(NOW):
        register(db, store, ro, description="配件等了一周")
    with app.test_request_context("/"):
        html = render_template("core/panels/_complaints.html", complaints=complaints.open_complaints(store.id, NOW))
    assert 'data-testid="complaints-panel"' in html and late.number in html
    assert html.count('class="is-late"') == 1 and html.count("cp-late") == 1
    with app.test_request_context("/"):
        empty = render_template("core/panels/_complaints.html",
                                complaints=complaints.open_complaints(store.id + 999, NOW))
    assert "complaints-panel" not in empty


def test_open_complaints_takes_two_queries(db, store, staff, ro):
    from tests.test_director_office import count_queries

    with clock.frozen(NOW):
        for _i in range(5):
            register(db, store, ro)
    store_id = store.id
    db.session.expire_all()
    assert count_queries(db, lambda: complaints.open_complaints(store_id, NOW)) == 2


def test_the_demo_makes_complaints_in_every_state_once_and_advances_existing_ones(app, db, store, staff, ro):
    from intranet.demo.care_complaints import NEW, seed_complaints

    with clock.frozen(NOW - timedelta(days=59)):
        ro.delivered_at = clock.utcnow()
        follow_up = register(db, store, ro, channel=ComplaintChannel.FOLLOW_UP, description="保养后有异响")
    with clock.frozen(NOW):
        assert seed_complaints(store, date(2026, 11, 24), 60) == len(NEW)
        db.session.commit()
        assert seed_complaints(store, date(2026, 11, 24), 60) == 0
        db.session.commit()
    statuses = set(db.session.scalars(select(Complaint.status)).all())
    assert statuses == {s.value for s in ComplaintStatus}
    assert db.session.get(Complaint, follow_up.id).status == ComplaintStatus.CLOSED
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == len(NEW) + 1
