"""The combined document (三单合一: repair order, dispatch sheet, settlement) as the print page and as
the PDF: both show the walk-around (damage, fuel, valuables), the dispatch part (teams, jobs,
technicians, clocked hours, the final inspection and its inspector), the findings and the customer's
signature drawn at the walk-around. The dispatch part comes from the workshop through the
`repair_order_progress` hook; reception never imports the workshop."""
import io
import re
from datetime import datetime, timedelta

import pytest
from PIL import Image

from intranet import clock
from intranet.core.models import Role
from intranet.reception import documents
from intranet.reception import services as reception
from intranet.workshop import services as workshop
from intranet.workshop.models import ClockSpan, QCItem, Team
from tests import factories
from tests.pdf_text import pdf_text

MORNING = datetime(2026, 11, 23, 2, 0)  # 10:00 in Shanghai


def png_signature() -> bytes:
    image = Image.new("RGBA", (300, 110), (0, 0, 0, 0))
    for x in range(40, 260):
        image.putpixel((x, 55), (20, 33, 61, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def finished(store, db, app):
    """A car in for brakes: walked round and signed by 陈晓明, a finding the customer declined, the
    mechanical job dispatched to 郑师傅 (王师傅 clocked on it too) for 1.5 h, and passed by 蒋质检."""
    people = factories.people(store, advisor=(Role.ADVISOR, "sun", "孙顾问"), boss=(Role.CONTROLLER, "wu", "吴调度"),
                              inspector=(Role.INSPECTOR, "jiang", "蒋质检"),
                              mech=(Role.TECHNICIAN, "zheng", "郑师傅"), mech2=(Role.TECHNICIAN, "wang", "王师傅"))
    for key in ("mech", "mech2"):
        factories.technician(store, people[key], Team.MECHANICAL)
    db.session.add(QCItem(store_id=store.id, team=None, text="路试正常", position=1))
    db.session.commit()
    args = {"store_id": store.id}
    with clock.frozen(MORNING):
        ro = factories.checked_in(store, people["advisor"], at=MORNING, promised_at=MORNING + timedelta(hours=4),
                                  lines=[factories.labour("更换前刹车片", "1.0", team="mechanical")],
                                  complaint="刹车有异响")
        reception.record_walk_around(
            ro.id, actor_id=people["advisor"].id, fuel_eighths=6, valuables="行车记录仪", interior_note="座椅有污渍",
            marks=[{"panel": "left_front_door", "kind": "scratch", "note": "约10厘米"}],
            signature_png=png_signature(), signed_name="陈晓明", photo_folder=app.config["PHOTO_FOLDER"], **args)
        finding = reception.report_finding(ro.id, actor_id=people["mech"].id, description="后刹车片磨损到限",
                                           labour_hours="0.8", parts_description="后刹车片", parts_amount="420", **args)
        reception.answer_finding(finding.id, actor_id=people["advisor"].id, approved=False, channel="phone",
                                 decline_reason="下次再换", **args)
        job = workshop.jobs_of(ro.id)[0]
        workshop.assign_job(job.id, people["mech"].id, actor_id=people["boss"].id, expected_version=None, **args)
        workshop.start_job(job.id, actor_id=people["mech"].id, **args)
    with clock.frozen(MORNING + timedelta(hours=1)):
        workshop.finish_job(job.id, actor_id=people["mech"].id, **args)
        db.session.add(ClockSpan(store_id=store.id, job_id=job.id, technician_id=people["mech2"].id,
                                 started_at=MORNING + timedelta(minutes=10), ended_at=MORNING + timedelta(minutes=40),
                                 end_reason="done"))
        workshop.inspect(ro.id, actor_id=people["inspector"].id, passed=True, **args)
        db.session.commit()
    return {"ro": ro, "people": people}


def test_the_sheet_is_composed_once_from_the_workshops_answer(app, db, store, finished):
    ro = finished["ro"]
    with app.test_request_context():
        sheet = documents.print_sheet(ro, store=store, photo_folder=app.config["PHOTO_FOLDER"])
    assert [(j.team, j.technicians, round(j.clocked, 1)) for j in sheet.jobs] == [("机修", ["郑师傅", "王师傅"], 1.5)]
    assert (sheet.final_inspection.passed, sheet.final_inspection.inspector) == (True, "蒋质检")
    assert sheet.check.valuables == "行车记录仪" and sheet.signature_file.is_file()
    assert [f.description for f in sheet.findings] == ["后刹车片磨损到限"]


def test_the_print_page_and_the_pdf_carry_every_part(client, login_as, db, store, finished):
    ro = finished["ro"]
    login_as(Role.ADVISOR)
    with clock.frozen(MORNING + timedelta(hours=2)):
        page = client.get(f"/reception/ro/{ro.id}/print").get_data(as_text=True)
        pdf = client.get(f"/reception/ro/{ro.id}/document.pdf")

    def part(name):
        start = page.index(f'data-testid="{name}"')
        return page[start:page.index("</section>", start)]

    walk = part("print-walk-around")
    assert "行车记录仪" in walk and "约10厘米" in walk and "6/8" in walk and "座椅有污渍" in walk
    dispatch = part("print-dispatch")
    for words in ("机修", "更换前刹车片", "郑师傅", "王师傅", "1.5 / 1.0", "蒋质检"):
        assert words in dispatch, words
    findings = part("print-findings")
    assert "后刹车片磨损到限" in findings and "下次再换" in findings and "后刹车片" in findings
    signature = page[page.index('data-testid="print-signature"'):]
    assert re.search(r'<img src="/photos/\d+', signature) and "陈晓明" in signature

    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for words in ("行车记录仪", "约10厘米", "6/8", "座椅有污渍",  # the walk-around
                  "机修", "郑师傅", "王师傅", "1.5 / 1.0", "蒋质检",  # the dispatch part and the final inspection
                  "后刹车片磨损到限", "下次再换",  # the findings
                  "陈晓明"):  # who signed
        assert words in text, words
    assert pdf.data.count(b"/Subtype /Image") == 1  # the customer's signature


def test_a_car_not_yet_dispatched_prints_without_a_dispatch_or_a_signature(client, login_as, db, store):
    advisor = login_as(Role.ADVISOR)
    ro = factories.checked_in(store, advisor)
    page = client.get(f"/reception/ro/{ro.id}/print").get_data(as_text=True)
    pdf = client.get(f"/reception/ro/{ro.id}/document.pdf")
    assert 'data-testid="print-dispatch"' in page and "print-walk-around" not in page
    assert pdf.status_code == 200 and b"/Subtype /Image" not in pdf.data
