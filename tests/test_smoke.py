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
