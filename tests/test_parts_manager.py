"""The parts manager (配件经理): among the parts accounts, only the one the administrator marks as
parts manager approves purchase orders and stock counts and signs write-offs for the parts store
(the director may approve orders and counts too). The flag is set on the staff form and needs the
parts role."""
from __future__ import annotations

from sqlalchemy import select

from intranet.core.models import Role, User
from intranet.parts import authority


def test_the_admin_marks_the_parts_manager_on_the_staff_form(client, login_as, db):
    login_as(Role.ADMIN)
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'name="parts_manager"' in page
    refused = client.post("/admin/users/new", data={"username": "gu", "display_name": "顾晓东", "password": "longenough",
                                                    "roles": ["advisor"], "parts_manager": "y", "active": "y"})
    assert refused.status_code == 422 and db.session.scalar(select(User).where(User.username == "gu")) is None
    assert 'value="顾晓东"' in refused.get_data(as_text=True)  # what was typed stays
    made = client.post("/admin/users/new", data={"username": "shen", "display_name": "沈佳", "password": "longenough",
                                                 "roles": ["parts"], "parts_manager": "y", "active": "y"})
    assert made.status_code == 302
    shen = db.session.scalar(select(User).where(User.username == "shen"))
    assert shen.is_parts_manager and authority.may_approve(shen)
    listed = client.get("/admin/users").get_data(as_text=True)
    assert listed.count('class="pill warn"') == 1
    edited = client.post(f"/admin/users/{shen.id}", data={"display_name": "沈佳", "roles": ["parts"], "active": "y"})
    assert edited.status_code == 302
    db.session.expire_all()
    shen = db.session.get(User, shen.id)
    assert not shen.parts_manager and not authority.may_approve(shen)  # a parts account like the others


def test_who_may_approve(make_user, db):
    planner = make_user(Role.PARTS)
    manager = make_user(Role.PARTS)
    manager.parts_manager = True
    flag_only = make_user(Role.ADVISOR)
    flag_only.parts_manager = True  # the flag counts only with the parts role
    director = make_user(Role.DIRECTOR)
    gone = make_user(Role.PARTS, active=False)
    gone.parts_manager = True
    db.session.commit()
    assert [authority.may_approve(u) for u in (planner, manager, flag_only, director, gone)] == [
        False, True, False, True, False]
