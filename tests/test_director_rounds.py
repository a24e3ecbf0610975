"""The director's rounds and corrective actions: versioned checklists, the day's schedule (a second
start refused, a missed round flagged by the job and walked late), answers saved one by one,
findings turned into actions, the finish refused while items or photos are missing, scores, and
the actions' close / verify / reopen with their reminders on real Redis with a frozen clock."""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from rq import SimpleWorker
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Notice, Photo, Role
from intranet.director import actions, rounds
from intranet.director.models import (
    ActionReminder, ActionStatus, CorrectiveAction, InspectionRound, ItemKind, RoundSlot, RoundStatus,
)
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.jobs import queue
from tests.conftest import queries_for

# Wednesday 25 November 2026, Shanghai. 00:00 UTC is 08:00 there.
DAY = datetime(2026, 11, 25).date()
MORNING = datetime(2026, 11, 24, 23, 50)  # 07:50 in Shanghai, inside the 07:40–08:30 window


def jpeg(name="photo.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 120, 120)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.filename = name
    return buffer


def not_an_image(name="notes.txt"):
    buffer = io.BytesIO(b"this is not a photo")
    buffer.filename = name
    return buffer


# `people` (tests/conftest.py) makes these
pytestmark = pytest.mark.people(director="zhao", controller=(Role.CONTROLLER, "wu", "吴主管"), advisor="sun",
                                manager=(Role.MANAGER, "qian", "钱总"))


@pytest.fixture
def setup(db, store, people):
    front = rounds.save_area(store.id, area_id=None, name="前台办公区", owner_id=people["advisor"].id)
    shop = rounds.save_area(store.id, area_id=None, name="机修车间", owner_id=people["controller"].id)
    version = rounds.save_template(store.id, template_id=None, name="早巡", actor_id=people["director"].id, items=[
        rounds.ItemDraft(area_id=front.id, text="接待台整洁", kind=ItemKind.PASS_FAIL, weight=2),
        rounds.ItemDraft(area_id=front.id, text="6S 印象", kind=ItemKind.SCORE, weight=1),
        rounds.ItemDraft(area_id=shop.id, text="举升机锁止", kind=ItemKind.PASS_FAIL, weight=3, photo_on_fail=True),
        rounds.ItemDraft(area_id=shop.id, text="空压机压力", kind=ItemKind.NUMBER, weight=1, min_value="0.6",
                         max_value="0.8", unit="MPa"),
        rounds.ItemDraft(area_id=shop.id, text="备注", kind=ItemKind.TEXT),
    ])
    slot = RoundSlot(store_id=store.id, code="morning", name="第一趟巡检", starts_at=time(7, 40), ends_at=time(8, 30),
                     template_id=version.template_id)
    db.session.add(slot)
    db.session.commit()
    items = {item.text: item for item in version.items}
    return {"front": front, "shop": shop, "version": version, "slot": slot, "items": items}


def start(store, setup, people, at=MORNING):
    with clock.frozen(at):
        round_ = rounds.start_round(store, setup["slot"].id, DAY, actor_id=people["director"].id, now=at)
    return round_


def answer(store, round_, item, value, people, app=None, **kwargs):
    folder = kwargs.pop("folder", "/tmp/intranet-test-photos")
    return rounds.answer_item(store.id, round_.id, item.id, value=value, actor_id=people["director"].id,
                              folder=folder, **kwargs)


# ------------------------------------------------------------------ checklists are versioned

def test_editing_a_checklist_writes_a_new_version_and_leaves_walked_rounds_alone(db, store, setup, people):
    round_ = start(store, setup, people)
    same = rounds.save_template(store.id, template_id=setup["version"].template_id, name="早巡",
                                actor_id=people["director"].id,
                                items=[rounds.ItemDraft(area_id=i.area_id, text=i.text, kind=i.kind, weight=i.weight,
                                                        photo_on_fail=i.photo_on_fail, min_value=i.min_value,
                                                        max_value=i.max_value, unit=i.unit)
                                       for i in setup["version"].items])
    assert same.id == setup["version"].id  # nothing changed: no new version
    edited = rounds.save_template(store.id, template_id=setup["version"].template_id, name="早巡",
                                  actor_id=people["director"].id,
                                  items=[rounds.ItemDraft(area_id=setup["front"].id, text="只剩一项")])
    db.session.commit()
    assert edited.number == 2
    assert [i.text for i in rounds.sheet(round_).areas[0].items] == ["接待台整洁", "6S 印象"]
    assert round_.version_id == setup["version"].id


@pytest.mark.parametrize("draft, field_word", [
    (dict(text=""), None), (dict(area_id=999999), None), (dict(kind="colour"), None), (dict(weight="11"), None),
    (dict(kind=ItemKind.NUMBER, min_value="5", max_value="1"), None), (dict(kind=ItemKind.NUMBER, min_value="abc"), None),
])
def test_a_bad_checklist_row_is_refused_naming_the_row(db, store, setup, people, draft, field_word):
    good = rounds.ItemDraft(area_id=setup["front"].id, text="好的一行")
    bad = rounds.ItemDraft(**{"area_id": setup["front"].id, "text": "坏的一行", **draft})
    with pytest.raises(DomainError) as refused:
        rounds.save_template(store.id, template_id=None, name="新清单", actor_id=people["director"].id,
                             items=[good, bad])
    assert "2" in str(refused.value.message)


# ------------------------------------------------------------------ the schedule

def test_a_round_started_twice_for_the_same_slot_is_refused_naming_who(db, store, setup, people):
    start(store, setup, people)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        start(store, setup, people, at=MORNING + timedelta(minutes=3))
    assert "赵总" in str(refused.value.message) and "07:50" in str(refused.value.message)
    assert db.session.scalar(select(func.count()).select_from(InspectionRound)) == 1


def test_the_missed_rounds_job_flags_a_round_once_and_it_can_still_be_walked_late(db, store, setup, people,
                                                                               redis_conn):
    def run_at(moment):
        with clock.frozen(moment):
            queue.enqueue("director-missed-rounds")
            db.session.commit()
            assert SimpleWorker(["default"], connection=redis_conn).work(burst=True)
        db.session.remove()

    run_at(datetime(2026, 11, 25, 0, 20))  # 08:20: the window is still open
    assert db.session.scalar(select(func.count()).select_from(InspectionRound)) == 0
    run_at(datetime(2026, 11, 25, 0, 40))  # 08:40: missed
    run_at(datetime(2026, 11, 25, 0, 50))  # a rerun
    missed = db.session.scalars(select(InspectionRound)).all()
    assert [(r.status, r.missed) for r in missed] == [(RoundStatus.MISSED, True)]
    told = db.session.scalars(select(Notice).where(Notice.kind == "round_missed")).all()
    assert [n.user_id for n in told] == [people["director"].id]

    store = db.session.merge(store)
    late = start(store, setup, people, at=datetime(2026, 11, 25, 1, 30))
    db.session.commit()
    assert (late.id, late.status, late.missed) == (missed[0].id, RoundStatus.IN_PROGRESS, True)


def test_the_schedule_shows_each_slot_state(db, store, setup, people):
    with clock.frozen(datetime(2026, 11, 24, 23, 0)):  # 07:00
        assert [e.state for e in rounds.day_schedule(store, DAY, clock.utcnow())] == ["upcoming"]
    assert [e.state for e in rounds.day_schedule(store, DAY, MORNING)] == ["open"]
    assert [e.state for e in rounds.day_schedule(store, DAY, datetime(2026, 11, 25, 1, 0))] == ["late"]
    start(store, setup, people)
    assert [e.state for e in rounds.day_schedule(store, DAY, MORNING)] == [RoundStatus.IN_PROGRESS]


# ------------------------------------------------------------------ answers and findings

@pytest.mark.parametrize("item, value", [
    ("接待台整洁", "maybe"), ("接待台整洁", ""), ("6S 印象", "7"), ("6S 印象", "0"), ("空压机压力", "高"),
    ("空压机压力", "NaN"), ("空压机压力", "Infinity"), ("备注", "  "),
])
def test_a_bad_answer_is_refused_and_nothing_is_saved(db, store, setup, people, item, value):
    round_ = start(store, setup, people)
    db.session.commit()
    with pytest.raises(DomainError):
        answer(store, round_, setup["items"][item], value, people)
    db.session.rollback()
    assert rounds.sheet(db.session.get(InspectionRound, round_.id)).answered == 0


def test_a_failed_item_becomes_an_action_for_the_area_owner_and_a_pass_cancels_it(db, store, setup, people):
    round_ = start(store, setup, people)
    with clock.frozen(MORNING):
        answer(store, round_, setup["items"]["接待台整洁"], "fail", people, note="单据散放")
    action = db.session.scalar(select(CorrectiveAction))
    assert (action.owner_id, action.status, action.detail) == (people["advisor"].id, ActionStatus.OPEN, "单据散放")
    assert action.due_at == MORNING + timedelta(hours=24)  # normal priority: the store's 24 hours
    assert db.session.scalar(select(Notice.user_id).where(Notice.kind == "action_assigned")) == people["advisor"].id

    answer(store, round_, setup["items"]["接待台整洁"], "pass", people)  # a mistap, corrected
    assert action.status == ActionStatus.CANCELLED
    answer(store, round_, setup["items"]["接待台整洁"], "fail", people)  # and failed again after all
    assert action.status == ActionStatus.OPEN
    assert db.session.scalar(select(func.count()).select_from(CorrectiveAction)) == 1


def test_a_heavy_item_makes_a_high_priority_action_and_a_low_score_or_reading_is_a_finding(db, store, setup, people):
    round_ = start(store, setup, people)
    with clock.frozen(MORNING):
        answer(store, round_, setup["items"]["举升机锁止"], "fail", people, photos=[jpeg()])
        answer(store, round_, setup["items"]["6S 印象"], "2", people)
        answer(store, round_, setup["items"]["空压机压力"], "0,5", people)  # a comma is a decimal point
    found = {a.title: a for a in db.session.scalars(select(CorrectiveAction))}
    assert found["机修车间：举升机锁止"].priority == "high"
    assert found["机修车间：举升机锁止"].due_at == MORNING + timedelta(hours=4)
    assert found["机修车间：举升机锁止"].owner_id == people["controller"].id
    assert set(found) == {"机修车间：举升机锁止", "前台办公区：6S 印象", "机修车间：空压机压力"}


def test_a_file_that_is_not_an_image_is_refused_and_the_answer_is_not_lost_on_retry(db, store, setup, people):
    round_ = start(store, setup, people)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        answer(store, round_, setup["items"]["举升机锁止"], "fail", people, photos=[not_an_image()])
    assert "notes.txt" in str(refused.value.message)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    answer(store, round_, setup["items"]["举升机锁止"], "fail", people, photos=[jpeg()])
    db.session.commit()
    assert len(rounds.sheet(db.session.get(InspectionRound, round_.id)).answers[setup["items"]["举升机锁止"].id]
               .photos) == 1


def test_finishing_needs_every_answer_and_the_photo_of_each_failed_item(db, store, setup, people):
    round_ = start(store, setup, people)
    items = setup["items"]
    answer(store, round_, items["接待台整洁"], "pass", people)
    with pytest.raises(DomainError) as refused:
        rounds.finish_round(store, round_.id, actor_id=people["director"].id, now=MORNING)
    assert "4" in str(refused.value.message)
    answer(store, round_, items["6S 印象"], "4", people)
    answer(store, round_, items["举升机锁止"], "fail", people)
    answer(store, round_, items["空压机压力"], "0.7", people)
    answer(store, round_, items["备注"], "迈腾等配件", people)
    with pytest.raises(DomainError) as refused:
        rounds.finish_round(store, round_.id, actor_id=people["director"].id, now=MORNING)
    assert "举升机锁止" in str(refused.value.message)
    rounds.add_photo(store.id, round_.id, items["举升机锁止"].id, upload=jpeg(), actor_id=people["director"].id,
                     folder="/tmp/intranet-test-photos")
    done = rounds.finish_round(store, round_.id, actor_id=people["director"].id, now=MORNING + timedelta(minutes=20))
    # weights: pass 2×1, score 4 → 1×0.75, fail 3×0, 0.7 in range 1×1; the text counts for nothing
    assert done.score == Decimal(str(round(100 * (2 + 0.75 + 0 + 1) / 7, 1)))
    assert (done.status, done.missed) == (RoundStatus.DONE, False)
    with pytest.raises(DomainError):
        answer(store, done, items["接待台整洁"], "fail", people)


def test_pause_and_resume_and_an_answer_resumes_a_paused_round(db, store, setup, people):
    round_ = start(store, setup, people)
    rounds.pause_round(store.id, round_.id, actor_id=people["director"].id, area_id=setup["shop"].id)
    assert (round_.status, round_.last_area_id) == (RoundStatus.PAUSED, setup["shop"].id)
    with pytest.raises(IllegalTransition):
        rounds.pause_round(store.id, round_.id, actor_id=people["director"].id)
    answer(store, round_, setup["items"]["接待台整洁"], "pass", people)
    assert round_.status == RoundStatus.IN_PROGRESS
    moves = [(e.from_status, e.to_status) for e in rounds.round_history(round_.id)]
    assert moves == [(None, "in_progress"), ("in_progress", "paused"), ("paused", "in_progress")]


def test_area_scores_per_week(db, store, setup, people):
    round_ = start(store, setup, people)
    for text, value in [("接待台整洁", "pass"), ("6S 印象", "5"), ("举升机锁止", "pass"), ("空压机压力", "0.9"),
                        ("备注", "好")]:
        answer(store, round_, setup["items"][text], value, people)
    rounds.finish_round(store, round_.id, actor_id=people["director"].id, now=MORNING)
    weeks, trends = rounds.area_trend(store.id, DAY, weeks=2)
    assert weeks == [datetime(2026, 11, 16).date(), datetime(2026, 11, 23).date()]
    by_name = {t.name: t for t in trends}
    assert by_name["前台办公区"].weeks[weeks[1]] == 100.0
    assert by_name["机修车间"].weeks[weeks[1]] == 75.0  # lift ×3 passed, pressure ×1 out of range
    assert by_name["机修车间"].weeks[weeks[0]] is None and by_name["机修车间"].failed == 1


# ------------------------------------------------------------------ actions

@pytest.fixture
def finding(db, store, setup, people):
    round_ = start(store, setup, people)
    with clock.frozen(MORNING):
        answer(store, round_, setup["items"]["举升机锁止"], "fail", people, photos=[jpeg()], note="锁止销未插")
    db.session.commit()
    return db.session.scalar(select(CorrectiveAction))


def test_only_the_owner_closes_with_a_note_and_the_photo_the_finding_had(db, store, people, finding):
    with pytest.raises(DomainError) as refused:
        actions.close_action(finding.id, store_id=store.id, actor_id=people["advisor"].id, note="好了")
    assert "吴主管" in str(refused.value.message)
    with pytest.raises(DomainError) as refused:
        actions.close_action(finding.id, store_id=store.id, actor_id=people["controller"].id, note=" ")
    assert refused.value.field == "note"
    with pytest.raises(DomainError) as refused:
        actions.close_action(finding.id, store_id=store.id, actor_id=people["controller"].id, note="已插好")
    assert refused.value.field == "photos"
    closed = actions.close_action(finding.id, store_id=store.id, actor_id=people["controller"].id, note="已插好",
                                  photos=[jpeg("after.jpg")], folder="/tmp/intranet-test-photos")
    assert closed.status == ActionStatus.DONE and len(closed.photos) == 1
    assert db.session.scalar(select(Notice.user_id).where(Notice.kind == "action_done")) == people["director"].id


def test_the_director_verifies_or_reopens_with_a_reason(db, store, people, finding):
    actions.close_action(finding.id, store_id=store.id, actor_id=people["controller"].id, note="已插好",
                         photos=[jpeg()], folder="/tmp/intranet-test-photos")
    with pytest.raises(DomainError):
        actions.verify_action(finding.id, store_id=store.id, actor_id=people["controller"].id)
    with pytest.raises(DomainError) as refused:
        actions.reopen_action(finding.id, store_id=store.id, actor_id=people["director"].id, reason="")
    assert refused.value.field == "reason"
    with clock.frozen(MORNING + timedelta(hours=2)):
        actions.reopen_action(finding.id, store_id=store.id, actor_id=people["director"].id, reason="另一台也没锁")
    assert (finding.status, finding.reopened, finding.closed_at) == (ActionStatus.OPEN, 1, None)
    assert finding.due_at == MORNING + timedelta(hours=6)
    actions.close_action(finding.id, store_id=store.id, actor_id=people["controller"].id, note="两台都锁好")
    actions.verify_action(finding.id, store_id=store.id, actor_id=people["director"].id)
    assert finding.status == ActionStatus.VERIFIED
    with pytest.raises(IllegalTransition):
        actions.reopen_action(finding.id, store_id=store.id, actor_id=people["director"].id, reason="again")
    assert [e.to_status for e in actions.history(finding.id)] == ["open", "done", "open", "done", "verified"]


def test_a_stale_action_form_is_refused(db, store, people, finding):
    with pytest.raises(Conflict):
        actions.update_action(finding.id, store_id=store.id, actor_id=people["director"].id,
                              owner_id=people["advisor"].id, due_at=None, priority="low",
                              expected_version=finding.version - 1)


def test_overdue_actions_are_reminded_once_and_escalated(db, store, people, finding, redis_conn):
    finding_id = finding.id
    due = finding.due_at  # 4 hours after the finding (high priority)

    def run_at(moment):
        with clock.frozen(moment):
            queue.enqueue("director-action-reminders")
            db.session.commit()
            assert SimpleWorker(["default"], connection=redis_conn).work(burst=True)
        db.session.remove()

    def told():
        return sorted((n.user_id, n.kind) for n in db.session.scalars(
            select(Notice).where(Notice.kind == "action_overdue")))

    run_at(due - timedelta(minutes=1))
    assert told() == []
    run_at(due + timedelta(minutes=1))
    run_at(due + timedelta(minutes=20))  # a rerun
    assert told() == [(people["controller"].id, "action_overdue")]
    run_at(due + timedelta(hours=4, minutes=1))  # one escalation step: the director
    run_at(due + timedelta(hours=8, minutes=1))  # two: management
    run_at(due + timedelta(hours=9))
    assert told() == sorted([(people["controller"].id, "action_overdue"), (people["director"].id, "action_overdue"),
                             (people["manager"].id, "action_overdue")])
    assert db.session.scalar(select(func.count()).select_from(ActionReminder)
                             .where(ActionReminder.action_id == finding_id)) == 3


# ------------------------------------------------------------------ the tablet, over HTTP

@pytest.fixture
def director_client(client, people):
    client.fetch_csrf()
    client.post("/login", data={"username": "zhao", "password": "password123", "csrf_token": client.csrf_token})
    client.fetch_csrf("/")
    return client


def test_an_answer_over_htmx_answers_with_the_saved_item(director_client, db, store, setup, people):
    round_ = start(store, setup, people)
    db.session.commit()
    item = setup["items"]["空压机压力"]
    url = f"/director/rounds/{round_.id}/items/{item.id}"
    bad = director_client.post(url, data={"value": "高"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert 'value="高"' in body and 'id="item-' in body  # what was typed stays, with the message
    good = director_client.post(url, data={"value": "0.7"}, headers={"HX-Request": "true"})
    assert good.status_code == 200
    body = good.get_data(as_text=True)
    assert 'value="0.7"' in body and 'id="rnd-progress"' in body and 'hx-swap-oob="true"' in body
    photo = director_client.post(f"/director/rounds/{round_.id}/items/{setup['items']['举升机锁止'].id}",
                                 data={"value": "fail", "photos": (io.BytesIO(b"not a photo"), "x.txt")},
                                 headers={"HX-Request": "true"}, content_type="multipart/form-data")
    assert photo.status_code == 422 and "x.txt" in photo.get_data(as_text=True)


def test_closing_someone_elses_action_over_http_is_refused(client, db, store, people, finding):
    client.fetch_csrf()
    client.post("/login", data={"username": "sun", "password": "password123", "csrf_token": client.csrf_token})
    client.fetch_csrf("/")
    response = client.post(f"/director/actions/{finding.id}/close", data={"note": "我来关", "version": finding.version})
    assert response.status_code == 422
    assert "吴主管" in response.get_data(as_text=True)  # whose it is
    db.session.expire_all()
    assert db.session.get(CorrectiveAction, finding.id).status == ActionStatus.OPEN




def test_the_overdue_filter_lists_the_open_actions_past_their_due_time(director_client, db, store, setup, people):
    """The rounds page's "N overdue" opens ?status=overdue: it lists exactly those actions (it asked for a
    status that does not exist, and listed nothing)."""
    round_ = start(store, setup, people)
    answer(store, round_, setup["items"]["接待台整洁"], "fail", people, note="单据散放")
    db.session.commit()
    action = db.session.scalar(select(CorrectiveAction))
    link = f"/director/actions/{action.id}"
    with clock.frozen(action.due_at + timedelta(hours=1)):
        overdue = director_client.get("/director/actions/?status=overdue").get_data(as_text=True)
    with clock.frozen(action.due_at - timedelta(hours=1)):
        not_yet = director_client.get("/director/actions/?status=overdue").get_data(as_text=True)
    assert link in overdue
    assert link not in not_yet


def test_the_walk_page_and_the_report_cost_the_same_queries_for_few_or_many_items(director_client, db, store, setup,
                                                                                  people):
    def build(n, code):
        drafts = [rounds.ItemDraft(area_id=setup["shop"].id if i % 2 else setup["front"].id, text=f"项目{i}")
                  for i in range(n)]
        version = rounds.save_template(store.id, template_id=None, name=f"清单{code}", items=drafts,
                                       actor_id=people["director"].id)
        slot = RoundSlot(store_id=store.id, code=code, name=code, starts_at=time(7), ends_at=time(10),
                         template_id=version.template_id)
        db.session.add(slot)
        db.session.flush()
        round_ = rounds.start_round(store, slot.id, DAY, actor_id=people["director"].id, now=MORNING)
        for item in version.items:
            rounds.answer_item(store.id, round_.id, item.id, value="fail", actor_id=people["director"].id, note="x")
        db.session.commit()
        return round_.id

    few, many = build(3, "few"), build(30, "many")
    for page in ("", "/report"):
        assert queries_for(db, director_client, f"/director/rounds/{few}{page}") == \
            queries_for(db, director_client, f"/director/rounds/{many}{page}")
    assert queries_for(db, director_client, "/director/actions/?status=all") == \
        queries_for(db, director_client, "/director/actions/?status=open")


def test_the_report_pdf(director_client, db, store, setup, people):
    round_ = start(store, setup, people)
    answer(store, round_, setup["items"]["接待台整洁"], "fail", people, note="单据散放")
    db.session.commit()
    response = director_client.get(f"/director/rounds/{round_.id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


@pytest.mark.parametrize("weeks", ["", "abc", "0", "12", "999"])
def test_the_scores_page_takes_any_number_of_weeks_it_is_given(director_client, weeks):
    assert director_client.get(f"/director/rounds/scores?weeks={weeks}").status_code == 200


def test_a_second_start_over_http_opens_the_round_under_way(director_client, db, store, setup, people):
    first = start(store, setup, people)
    db.session.commit()
    with clock.frozen(MORNING + timedelta(minutes=5)):  # the same morning, not whatever day the suite runs
        response = director_client.post(f"/director/rounds/start/{setup['slot'].id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/director/rounds/{first.id}")
    assert db.session.scalar(select(func.count()).select_from(InspectionRound)) == 1


@pytest.mark.parametrize("posted, rows", [("9" * 30, 0), ("999999999", 300), ("12", 12), ("-3", 0), ("x", 0)])
def test_the_checklist_editor_reads_a_bounded_number_of_rows(app, posted, rows):
    """`rows=999…` on the checklist editor looped for ever (and, on SQLite under `up`, held the write
    lock so that every save, sign-in included, failed): the form reads at most MAX_ROWS rows."""
    from intranet.director.forms import MAX_ROWS, checklist_form

    with app.test_request_context("/director/checklists/new", method="POST", data={"rows": posted, "name": "x"}):
        form = checklist_form()
        assert form.row_count == rows <= MAX_ROWS


def test_a_refusal_naming_many_things_says_how_many_more(app):
    """The closing round's refusal named 6 of 18 unconfirmed cars and stopped: it says how many more."""
    from intranet.errors import some_of

    with app.test_request_context():
        plates = [f"沪A{n:05d}" for n in range(18)]
        text = str(some_of(plates))
        assert text.startswith("沪A00000、沪A00001") and "沪A00006" not in text and "12" in text
        assert str(some_of(plates[:3])) == "沪A00000、沪A00001、沪A00002"


def test_a_round_cannot_be_started_long_before_its_window(db, store, setup, people):
    """A round started hours before its window counted as walked on time: it opens a quarter of an hour
    before its window at the earliest."""
    too_early = MORNING - timedelta(hours=2)  # 05:50 for the 07:40 round
    with clock.frozen(too_early), pytest.raises(DomainError) as refused:
        rounds.start_round(store, setup["slot"].id, DAY, actor_id=people["director"].id, now=too_early)
    assert "07:40" in str(refused.value.message)
    db.session.rollback()
    just_before = MORNING - timedelta(minutes=20)  # 07:30: the director walking to the first area
    with clock.frozen(just_before):
        assert rounds.start_round(store, setup["slot"].id, DAY, actor_id=people["director"].id, now=just_before)
