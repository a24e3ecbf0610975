from intranet.core.models import Role
from tests.conftest import new_client


def test_every_role_home_renders(app, make_user, make_vehicle):
    make_vehicle(plate="沪A12345")
    for role in Role:
        c = new_client(app)
        user = make_user(role)
        c.fetch_csrf()
        assert c.post("/login", data={"username": user.username, "password": "password123"}).status_code == 302
        for url in ["/", "/today/", "/search?q=A123"]:
            r = c.get(url)
            assert r.status_code == 200, (role, url, r.get_data(as_text=True)[:3000])


def test_page_titles_are_plain_text():
    """A page's <title> is text: no template's title block holds markup (three held a stray </div>)."""
    import re
    from pathlib import Path

    found = []
    for template in (Path(__file__).resolve().parent.parent / "templates").rglob("*.html"):
        for title in re.findall(r"\{% block title %\}(.*?)\{% endblock", template.read_text(encoding="utf-8"), re.S):
            if "<" in re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", title, flags=re.S):
                found.append(template.name)
    assert not found, f"markup in the title of {found}"
