"""The walk-around at reception: damage by panel with photos, fuel, valuables, the customer's signature."""
import base64
import io

import pytest
from PIL import Image

from intranet.core.models import Photo, Role
from intranet.errors import Conflict, DomainError
from intranet.reception import services


def png_signature() -> bytes:
    image = Image.new("RGBA", (300, 110), (0, 0, 0, 0))  # transparent canvas, like the tablet's
    for x in range(40, 260):
        image.putpixel((x, 55), (20, 33, 61, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 90, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


# `ro`: a car just checked in by the advisor sun (tests/conftest.py)


def test_walk_around_is_saved_and_locked_once_signed(ro, store, app, db):
    from werkzeug.datastructures import FileStorage

    args = {"store_id": store.id, "actor_id": ro.advisor_id, "photo_folder": app.config["PHOTO_FOLDER"]}
    check = services.record_walk_around(
        ro.id, fuel_eighths=4, valuables="墨镜在手套箱", interior_note=None, marks=[
            {"panel": "left_front_door", "kind": "scratch", "note": "10 cm",
             "photo": FileStorage(io.BytesIO(jpeg()), filename="door.jpg")},
            {"panel": "front_bumper", "kind": "chip", "note": ""}], **args)
    assert [(m.panel, m.kind, bool(m.photo)) for m in check.marks] == [
        ("left_front_door", "scratch", True), ("front_bumper", "chip", False)]
    check = services.record_walk_around(ro.id, fuel_eighths=4, valuables="无", interior_note="座椅干净",
                                        marks=[{"panel": "hood", "kind": "dent"}], signature_png=png_signature(),
                                        signed_name="张伟", **args)
    db.session.commit()
    assert [m.panel for m in check.marks] == ["hood"] and check.signed_name == "张伟" and check.signed_at
    signature = db.session.get(Photo, check.signature_photo_id)
    with Image.open(f"{app.config['PHOTO_FOLDER']}/{signature.path}") as stored:
        assert stored.getpixel((5, 5)) == (255, 255, 255)  # ink on white paper, not on black
    with pytest.raises(Conflict):
        services.record_walk_around(ro.id, fuel_eighths=8, valuables=None, interior_note=None, marks=[], **args)


@pytest.mark.parametrize("kwargs, field", [({"fuel_eighths": 9, "marks": []}, "fuel_eighths"),
                                           ({"fuel_eighths": 4, "marks": [{"panel": "sunroof", "kind": "dent"}]},
                                            "marks")])
def test_bad_walk_around_input(ro, store, app, kwargs, field):
    with pytest.raises(DomainError) as refused:
        services.record_walk_around(ro.id, store_id=store.id, actor_id=ro.advisor_id, valuables=None,
                                    interior_note=None, photo_folder=app.config["PHOTO_FOLDER"], **kwargs)
    assert refused.value.field == field


def test_walk_around_page_posts_marks_photos_and_signature(client, login_as, ro, db):
    login_as(Role.ADVISOR)
    page = client.get(f"/reception/ro/{ro.id}/walk-around").get_data(as_text=True)
    assert 'data-panel="left_front_door"' in page and "signature-pad" in page
    not_a_photo = client.post(f"/reception/ro/{ro.id}/walk-around", content_type="multipart/form-data", data={
        "fuel_eighths": "2", "mark-0-panel": "hood", "mark-0-kind": "dent",
        "mark-0-photo": (io.BytesIO(b"hello"), "x.jpg")})
    assert not_a_photo.status_code == 422
    data_url = "data:image/png;base64," + base64.b64encode(png_signature()).decode()
    saved = client.post(f"/reception/ro/{ro.id}/walk-around", content_type="multipart/form-data", data={
        "fuel_eighths": "6", "valuables": "行车记录仪", "mark-0-panel": "rear_bumper", "mark-0-kind": "scuff",
        "mark-0-note": "右角", "mark-0-photo": (io.BytesIO(jpeg()), "bumper.jpg"), "signature": data_url,
        "signed_name": "张伟"})
    assert saved.status_code == 302
    summary = client.get(f"/reception/ro/{ro.id}").get_data(as_text=True)
    assert "行车记录仪" in summary and "右角" in summary
    assert "signature-pad" not in client.get(f"/reception/ro/{ro.id}/walk-around").get_data(as_text=True)
