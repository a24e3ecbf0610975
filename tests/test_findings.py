"""Extra work found during repair: reported with photos, answered by the customer through the
advisor, declined work kept on the car and offered again on the next visit."""
import io
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from intranet.core.models import Photo, RepairOrder, Role, ROStatus
from intranet.core.services import transition_repair_order
from intranet.errors import DomainError
from intranet.reception import services
from intranet.reception.models import Finding, FindingStatus
from tests import factories


def jpeg(width=2400, height=1800) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def in_workshop(store):
    return factories.checked_in(store, factories.person(store, "sun"), plate="沪A12345", to=ROStatus.IN_WORKSHOP)


def test_finding_with_photo_puts_the_car_on_hold_for_the_customer(in_workshop, store, make_user, app, db):
    tech = make_user(Role.TECHNICIAN)
    finding = services.report_finding(
        in_workshop.id, store_id=store.id, actor_id=tech.id, description="右前减震器漏油", labour_hours="1.5",
        parts_description="减震器", parts_amount="860", photo_folder=app.config["PHOTO_FOLDER"],
        photos=[FileStorage(io.BytesIO(jpeg()), filename="leak.jpg")])
    db.session.commit()
    assert in_workshop.status == ROStatus.WAITING_APPROVAL
    photo = finding.photos[0]
    assert (photo.width, photo.height) == (1600, 1200)  # shrunk, kept readable
    assert services.waiting_findings(store.id, advisor_id=in_workshop.advisor_id) == [finding]


@pytest.mark.parametrize("payload, name", [(b"%PDF-1.4 not a photo", "scan.pdf"), (b"", "empty.jpg")])
def test_a_file_that_is_not_a_photo_is_refused(in_workshop, store, app, payload, name):
    with pytest.raises(DomainError) as refused:
        services.report_finding(in_workshop.id, store_id=store.id, actor_id=in_workshop.advisor_id,
                                description="x", photo_folder=app.config["PHOTO_FOLDER"],
                                photos=[FileStorage(io.BytesIO(payload), filename=name)])
    assert refused.value.field == "photos"


def test_approval_adds_lines_moves_the_promise_and_resumes_the_work(in_workshop, store, db):
    finding = services.report_finding(in_workshop.id, store_id=store.id, actor_id=in_workshop.advisor_id,
                                      description="刹车片磨损到限", labour_hours="1", parts_amount="680",
                                      parts_description="前刹车片")
    later = datetime(2026, 11, 23, 9, 0)
    services.answer_finding(finding.id, store_id=store.id, actor_id=in_workshop.advisor_id, approved=True,
                            channel="phone", promised_at=later)
    db.session.commit()
    assert finding.status == FindingStatus.APPROVED and finding.answer_channel == "phone"
    assert [(line.description, str(line.amount)) for line in in_workshop.lines] == [
        ("刹车片磨损到限", "150.00"), ("前刹车片", "680.00")]
    assert in_workshop.promised_at == later and in_workshop.status == ROStatus.IN_WORKSHOP
    with pytest.raises(DomainError):  # answered already
        services.answer_finding(finding.id, store_id=store.id, actor_id=in_workshop.advisor_id, approved=False,
                                channel="phone", decline_reason="x")


def test_declining_needs_a_reason_and_the_work_is_offered_next_visit(in_workshop, store, db):
    finding = services.report_finding(in_workshop.id, store_id=store.id, actor_id=in_workshop.advisor_id,
                                      description="轮胎老化有裂纹", parts_amount="1200", parts_description="轮胎×2")
    with pytest.raises(DomainError) as refused:
        services.answer_finding(finding.id, store_id=store.id, actor_id=in_workshop.advisor_id, approved=False,
                                channel="in_person", decline_reason=" ")
    assert refused.value.field == "decline_reason"
    services.answer_finding(finding.id, store_id=store.id, actor_id=in_workshop.advisor_id, approved=False,
                            channel="in_person", decline_reason="下次保养再换")
    db.session.commit()
    assert in_workshop.lines == [] and services.declined_work(in_workshop.vehicle_id) == [finding]

    for status in (ROStatus.QUALITY_CHECK, ROStatus.READY, ROStatus.DELIVERED):
        transition_repair_order(in_workshop.id, status, actor_id=in_workshop.advisor_id)
    next_visit = services.check_in(store_id=store.id, vehicle_id=in_workshop.vehicle_id,
                                   actor_id=in_workshop.advisor_id)
    services.take_up_declined(finding.id, next_visit.id, store_id=store.id, actor_id=in_workshop.advisor_id)
    db.session.commit()
    assert [line.description for line in next_visit.lines] == ["轮胎×2"]
    assert finding.status == FindingStatus.DONE_LATER and finding.approved_on_id == next_visit.id
    assert services.declined_work(in_workshop.vehicle_id) == []


def test_technician_reports_from_the_vehicle_page_and_advisor_answers(app, client, login_as, in_workshop, db):
    login_as(Role.TECHNICIAN)
    page = client.get(f"/vehicles/{in_workshop.vehicle_id}").get_data(as_text=True)
    assert f"/findings/new/{in_workshop.id}" in page
    sent = client.post(f"/findings/new/{in_workshop.id}", content_type="multipart/form-data", data={
        "description": "发动机皮带开裂", "labour_hours": "0.5", "parts_description": "皮带", "parts_amount": "180",
        "photos": (io.BytesIO(jpeg(800, 600)), "belt.jpg")})
    assert sent.status_code == 302
    bad = client.post(f"/findings/new/{in_workshop.id}", content_type="multipart/form-data", data={
        "description": "另一个问题", "photos": (io.BytesIO(b"not an image"), "x.jpg")})
    assert bad.status_code == 422 and "另一个问题" in bad.get_data(as_text=True)
    assert client.get(f"/reception/ro/{in_workshop.id}").status_code == 403  # the advisor's page

    finding = db.session.scalar(select(Finding))
    photo_id = db.session.scalar(select(Photo.id))
    assert client.get(f"/photos/{photo_id}").mimetype == "image/jpeg"

    advisor = client.application.test_client()
    advisor.fetch_csrf()
    with advisor.session_transaction() as session:
        session["_user_id"] = in_workshop.advisor.get_id()
    advisor.fetch_csrf("/")
    home = advisor.get("/").get_data(as_text=True)
    assert "发动机皮带开裂" in home
    page = advisor.get(f"/reception/ro/{in_workshop.id}").get_data(as_text=True)
    assert "发动机皮带开裂" in page and f"/photos/{photo_id}" in page
    no_reason = advisor.post(f"/reception/findings/{finding.id}/answer", data={"decision": "decline",
                                                                              "channel": "phone"})
    assert no_reason.status_code == 422
    ok = advisor.post(f"/reception/findings/{finding.id}/answer", data={"decision": "approve", "channel": "phone"})
    assert ok.status_code == 302
    db.session.expire_all()
    ro = db.session.get(RepairOrder, in_workshop.id)
    assert ro.status == ROStatus.IN_WORKSHOP and len(ro.lines) == 2


def test_a_photo_too_large_is_refused(in_workshop, store, app, monkeypatch):
    from intranet.core import photos

    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 10_000)
    with pytest.raises(DomainError) as refused:
        services.report_finding(in_workshop.id, store_id=store.id, actor_id=in_workshop.advisor_id,
                                description="x", photo_folder=app.config["PHOTO_FOLDER"],
                                photos=[FileStorage(io.BytesIO(jpeg()), filename="big.jpg")])
    assert refused.value.field == "photos"
