"""The director's rounds in the demo store: the areas of the documents (前台, 检查区, 通道, 车间,
烤漆房, 空压机房, 两气…), four checklists for the day's four rounds, and two months of rounds
walked (a few missed or late), their findings, and the corrective actions they became — most
closed and verified, some closed late, a few reopened, this week's still open."""
from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from flask import current_app
from sqlalchemy import select, update

from intranet import clock
from intranet.core.models import Notice, Store, User
from intranet.director import actions, rounds
from intranet.director.models import (
    CorrectiveAction, InspectionRound, ItemKind, RoundAnswer, RoundSlot,
)
from intranet.extensions import db

AREAS = [  # name, owner (demo username)
    ("前台办公区", "advisor"), ("车辆检查区", "inspector"), ("主通道", "controller"), ("机修车间", "controller"),
    ("钣喷车间", "controller"), ("烤漆房", "controller"), ("空压机房", "controller"), ("两气存放间", "controller"),
    ("配件库房", "parts"), ("洗车房", "controller"), ("客户休息区", "care"),
]
P, S, N, T = ItemKind.PASS_FAIL, ItemKind.SCORE, ItemKind.NUMBER, ItemKind.TEXT
# (area, text, kind, weight, photo on fail, min, max, unit)
CHECKLISTS = {
    "morning": ("第一趟巡检（早）", [
        ("前台办公区", "接待台面整洁，资料、单据归位", P, 2, True, None, None, None),
        ("前台办公区", "绿植浇水（见干见湿、浇透）", P, 1, False, None, None, None),
        ("前台办公区", "昨日布置的工作已按计划完成", P, 3, False, None, None, None),
        ("车辆检查区", "预检工位干净，三件套、预检单备齐", P, 2, True, None, None, None),
        ("车辆检查区", "6S 总体印象", S, 2, False, None, None, None),
        ("主通道", "大通道畅通，无车辆、杂物占道", P, 3, True, None, None, None),
        ("主通道", "地面无油污、无积水", P, 2, True, None, None, None),
        ("客户休息区", "茶水、报刊、充电设备齐备", P, 1, False, None, None, None),
        ("客户休息区", "室温", N, 1, False, Decimal("22"), Decimal("26"), "℃"),
    ]),
    "workshop": ("第二趟巡检（车间）", [
        ("机修车间", "按工序、工艺流程操作", P, 3, False, None, None, None),
        ("机修车间", "三件套、翼子板布使用到位", P, 2, True, None, None, None),
        ("机修车间", "油水不落地，工具物品定位", P, 2, True, None, None, None),
        ("机修车间", "员工纪律（无私活、闲聊、玩手机、离岗）", S, 3, False, None, None, None),
        ("机修车间", "举升机作业安全（锁止到位、车下无人违规）", P, 3, True, None, None, None),
        ("钣喷车间", "打磨作业佩戴防护用品", P, 3, True, None, None, None),
        ("钣喷车间", "车辆进度与预计完工时间相符", P, 2, False, None, None, None),
        ("钣喷车间", "6S 总体印象", S, 2, False, None, None, None),
        ("机修车间", "在修车辆进度备注", T, 1, False, None, None, None),
    ]),
    "afternoon": ("第三趟巡检（全岗位与安全）", [
        ("前台办公区", "服务前台 6S", S, 2, False, None, None, None),
        ("洗车房", "洗车区排水通畅、地面无积水", P, 1, True, None, None, None),
        ("机修车间", "机修总成维修房安全检查", P, 3, True, None, None, None),
        ("钣喷车间", "钣喷区域 6S", S, 2, False, None, None, None),
        ("配件库房", "库房 6S，配件定位、通道畅通", P, 2, True, None, None, None),
        ("空压机房", "储气罐压力", N, 2, True, Decimal("0.6"), Decimal("0.8"), "MPa"),
        ("空压机房", "排水、防护罩完好，无异响", P, 2, True, None, None, None),
        ("烤漆房", "过滤棉按期更换，无易燃物堆放", P, 3, True, None, None, None),
        ("两气存放间", "氧气、乙炔分开存放（≥5 米），气瓶固定", P, 3, True, None, None, None),
        ("两气存放间", "灭火器在位、在有效期内", P, 3, True, None, None, None),
    ]),
    "closing": ("收车巡检", [
        ("前台办公区", "下班前 6S，资料归档", P, 1, False, None, None, None),
        ("机修车间", "工位清洁，设备断电", P, 2, True, None, None, None),
        ("钣喷车间", "烤漆房、打磨房关闭，断电断气", P, 3, True, None, None, None),
        ("主通道", "完工车辆已出厂，过夜车辆停在指定区域", P, 2, False, None, None, None),
        ("机修车间", "未完工车辆进度与加班已记录", P, 2, False, None, None, None),
    ]),
}
SLOTS = [  # code, name, window, closing
    ("morning", "第一趟巡检", time(7, 40), time(8, 30), False),
    ("workshop", "第二趟巡检", time(9, 30), time(11, 0), False),
    ("afternoon", "第三趟巡检", time(14, 30), time(16, 30), False),
    ("closing", "收车巡检", time(18, 0), time(19, 0), True),
]
NOTES = {  # what the director writes down when an item fails
    "接待台面整洁，资料、单据归位": ["单据散放在接待台", "客户资料未归档"], "绿植浇水（见干见湿、浇透）": ["绿植叶子发黄，土已干透"],
    "昨日布置的工作已按计划完成": ["昨天布置的预约回访未完成"], "预检工位干净，三件套、预检单备齐": ["预检单用完未补", "三件套缺两套"],
    "大通道畅通，无车辆、杂物占道": ["待修车停在通道上"], "地面无油污、无积水": ["通道有一滩机油"],
    "三件套、翼子板布使用到位": ["2 号工位未铺翼子板布"], "油水不落地，工具物品定位": ["地面油渍未清理", "扭力扳手未归位"],
    "员工纪律（无私活、闲聊、玩手机、离岗）": ["学徒在工位玩手机"], "举升机作业安全（锁止到位、车下无人违规）": ["3 号举升机未落锁"],
    "打磨作业佩戴防护用品": ["打磨未戴口罩"], "车辆进度与预计完工时间相符": ["探岳钣喷比预计慢半天"],
    "烤漆房、打磨房关闭，断电断气": ["打磨房未断电"], "过滤棉按期更换，无易燃物堆放": ["过滤棉超期未换"],
    "储气罐压力": ["压力偏低，排水阀漏气"], "排水、防护罩完好，无异响": ["防护罩松动"],
    "氧气、乙炔分开存放（≥5 米），气瓶固定": ["乙炔瓶未固定"], "灭火器在位、在有效期内": ["灭火器过期"],
    "库房 6S，配件定位、通道畅通": ["通道堆放纸箱"], "洗车区排水通畅、地面无积水": ["排水沟堵塞"],
    "茶水、报刊、充电设备齐备": ["饮水机没水"], "室温": ["空调未开，室温偏低"],
}
CLOSED = ["已整改完毕", "已清理并提醒班组", "已更换", "已补齐并安排专人每日检查", "已培训相关人员"]


def seed_setup(store: Store, users: dict[str, int]) -> None:
    """Areas, checklists and the day's schedule (once)."""
    if db.session.scalar(select(RoundSlot.id).where(RoundSlot.store_id == store.id).limit(1)):
        return
    area_ids = {}
    for name, owner in AREAS:
        area_ids[name] = rounds.save_area(store.id, area_id=None, name=name, owner_id=users.get(owner)).id
    director = users["director"]
    templates = {}
    for code, (name, items) in CHECKLISTS.items():
        drafts = [rounds.ItemDraft(area_id=area_ids[area], text=text, kind=kind, weight=weight, photo_on_fail=photo,
                                   min_value=low, max_value=high, unit=unit)
                  for area, text, kind, weight, photo, low, high, unit in items]
        templates[code] = rounds.save_template(store.id, template_id=None, name=name, items=drafts,
                                               actor_id=director).template_id
    for position, (code, name, start, end, closing) in enumerate(SLOTS, start=1):
        db.session.add(RoundSlot(store_id=store.id, code=code, name=name, position=position, starts_at=start,
                                 ends_at=end, template_id=templates[code], closing=closing))
    db.session.flush()


def _photo(rng: random.Random, label: str):
    """A stand-in for the tablet's photo: a grey scene with a red mark where the fault is."""
    image = Image.new("RGB", (640, 480), (rng.randrange(150, 200),) * 3)
    draw = ImageDraw.Draw(image)
    x, y = rng.randrange(80, 460), rng.randrange(80, 300)
    draw.ellipse((x, y, x + 120, y + 90), outline=(200, 30, 30), width=8)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    buffer.seek(0)
    buffer.filename = f"{label}.jpg"
    return buffer


def seed_history(store: Store, rng: random.Random, today: date, days: int, users: dict[str, int]) -> None:
    """Two months of rounds, findings and actions, and today's rounds up to now. Once."""
    if db.session.scalar(select(InspectionRound.id).where(InspectionRound.store_id == store.id).limit(1)):
        return
    director = users["director"]
    slots = rounds.slots(store.id)
    now = clock.utcnow()
    for back in range(days, -1, -1):
        day = today - timedelta(days=back)
        # the body shop's 6S was the weak spot and improves over the weeks; the rest stays good
        for slot in slots:
            start = clock.store_local_to_utc(datetime.combine(day, slot.starts_at), store.timezone)
            end = clock.store_local_to_utc(datetime.combine(day, slot.ends_at), store.timezone)
            if start > now:
                break
            roll = rng.random()
            if roll < 0.04 and back:  # a missed round (a meeting with the insurer ran over)
                with clock.frozen(end + timedelta(minutes=5)):
                    rounds.flag_missed(store, clock.utcnow())
                continue
            late = roll > 0.96
            began = (end + timedelta(minutes=rng.randrange(10, 40)) if late
                     else start + timedelta(minutes=rng.randrange(0, 15)))
            if began > now:
                continue
            with clock.frozen(began):
                round_ = rounds.start_round(store, slot.id, day, actor_id=director, now=began)
            items = rounds.sheet(round_).areas
            at = began
            all_items = [item for area in items for item in area.items]
            # about two minutes an item: the round is still being walked if that runs past now
            in_progress_now = began + timedelta(minutes=2 * len(all_items) + 5) > now
            for index, item in enumerate(all_items):
                at += timedelta(minutes=rng.randrange(1, 3))
                if in_progress_now and (at > now or index > len(all_items) // 2):
                    break
                _answer(store, round_, item, rng, at, day, today, director, now)
            finishing = at + timedelta(minutes=rng.randrange(2, 6))
            if not in_progress_now:
                with clock.frozen(finishing):
                    rounds.finish_round(store, round_.id, actor_id=director, now=finishing)
    # what the history told people is old news: the bell shows today's notices, not two months'
    db.session.execute(update(Notice).where(Notice.store_id == store.id, Notice.read_at.is_(None),
                                            Notice.created_at < now - timedelta(hours=12)).values(read_at=now))
    db.session.flush()


def _weakness(area: str, day: date, today: date) -> float:
    weeks_ago = (today - day).days / 7
    if area == "钣喷车间":
        return 0.05 + 0.03 * weeks_ago  # was bad, getting better
    if area in ("两气存放间", "空压机房"):
        return 0.04
    return 0.03


def _answer(store, round_, item, rng, at, day, today, director, now) -> None:
    fails = rng.random() < _weakness(item.area_name, day, today)
    kind = item.kind_enum
    if kind == ItemKind.PASS_FAIL:
        value = "fail" if fails else "pass"
    elif kind == ItemKind.SCORE:
        value = str(rng.choice((1, 2)) if fails else rng.choice((3, 4, 4, 5, 5)))
    elif kind == ItemKind.NUMBER:
        low, high = item.min_value, item.max_value
        value = str((low - Decimal("0.1") if fails else low + (high - low) * Decimal(rng.randrange(1, 10)) / 10)
                    .quantize(Decimal("0.1")))
    else:
        value = rng.choice(["迈腾等配件，预计明天完工", "探岳钣喷进度正常", "无异常"])
    note = rng.choice(NOTES.get(item.text, ["现场检查不符合要求，已当面指出"])) if fails else None
    photos = [_photo(rng, item.area_name)] if fails and item.photo_on_fail else []
    with clock.frozen(at):
        answer = rounds.answer_item(store.id, round_.id, item.id, value=value, actor_id=director, note=note,
                                    photos=photos, folder=_folder())
    if answer.passed is False:
        _follow_up(store, answer, rng, director, now)


def _follow_up(store, answer: RoundAnswer, rng, director, now) -> None:
    """What became of the finding's action: closed by its owner (mostly in time), verified by the
    director (once in a while reopened first); this week's may still be open."""
    action = db.session.scalar(select(CorrectiveAction).where(CorrectiveAction.answer_id == answer.id))
    if action is None:
        return
    closed_at = action.due_at - timedelta(hours=rng.uniform(0.5, 6)) if rng.random() < 0.85 else (
        action.due_at + timedelta(hours=rng.uniform(1, 30)))
    if closed_at > now - timedelta(hours=2) or rng.random() < 0.04:
        return  # still open (and maybe overdue): something for today's screens
    with clock.frozen(closed_at):
        photos = [_photo(rng, "after")] if actions.needs_photo(action) else []
        actions.close_action(action.id, store_id=store.id, actor_id=action.owner_id, note=rng.choice(CLOSED),
                             photos=photos, folder=_folder())
    verify_at = closed_at + timedelta(hours=rng.uniform(1, 20))
    if verify_at > now:
        return
    if rng.random() < 0.08:
        with clock.frozen(verify_at):
            actions.reopen_action(action.id, store_id=store.id, actor_id=director, reason="现场复查仍未整改到位")
        again = verify_at + timedelta(hours=rng.uniform(2, 20))
        if again > now:
            return
        with clock.frozen(again):
            actions.close_action(action.id, store_id=store.id, actor_id=action.owner_id, note="已重新整改",
                                 photos=[_photo(rng, "after")] if actions.needs_photo(action) else [],
                                 folder=_folder())
        verify_at = again + timedelta(hours=rng.uniform(1, 10))
        if verify_at > now:
            return
    with clock.frozen(verify_at):
        actions.verify_action(action.id, store_id=store.id, actor_id=director)


def _folder():
    return current_app.config["PHOTO_FOLDER"]


def users_by_name() -> dict[str, int]:
    return dict(db.session.execute(select(User.username, User.id)).all())

