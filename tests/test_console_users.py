"""User management in the console (admins only)."""

from __future__ import annotations

from console_helpers import PASSWORD, client, csrf_from, make_app, signed_in

from bot.accounts import UserStore


def test_admin_adds_a_user_who_can_sign_in(tmp_path):
    app = make_app(tmp_path)
    c, token = signed_in(app, "root")
    r = c.post(
        "/console/users",
        data={"name": "zhao", "password": PASSWORD, "role": "supervisor", "csrf_token": token},
    )
    assert r.status_code == 303
    assert "已添加用户 zhao" in c.get("/console/users").text
    z, _ = signed_in(app, "zhao")
    assert z.get("/console/handoffs").status_code == 200


def test_bad_new_user_is_explained_and_not_added(tmp_path):
    app = make_app(tmp_path)
    c, token = signed_in(app, "root")
    c.post(
        "/console/users",
        data={"name": "zhao", "password": "short", "role": "staff", "csrf_token": token},
    )
    assert "至少 10 个字符" in c.get("/console/users").text
    assert UserStore.open(app.state.backend.db_path).get("zhao") is None


def test_role_change_applies_on_the_next_request(tmp_path):
    app = make_app(tmp_path)
    lin, _ = signed_in(app, "lin")
    assert lin.get("/console/handoffs").status_code == 403
    c, token = signed_in(app, "root")
    c.post("/console/users/lin", data={"role": "supervisor", "active": "1", "csrf_token": token})
    assert lin.get("/console/handoffs").status_code == 200
    c.post("/console/users/lin", data={"role": "supervisor", "active": "0", "csrf_token": token})
    assert lin.get("/console/handoffs").status_code == 303  # signed out


def test_the_last_admin_cannot_be_demoted_or_disabled(tmp_path):
    app = make_app(tmp_path)
    c, token = signed_in(app, "root")
    c.post("/console/users/root", data={"role": "staff", "active": "1", "csrf_token": token})
    c.post("/console/users/root", data={"role": "admin", "active": "0", "csrf_token": token})
    assert UserStore.open(app.state.backend.db_path).get("root").role == "admin"
    assert UserStore.open(app.state.backend.db_path).get("root").active
    assert "至少要保留一个" in c.get("/console/users").text


def test_unknown_user_is_404_and_non_admins_are_403(tmp_path):
    app = make_app(tmp_path)
    c, token = signed_in(app, "root")
    r = c.post("/console/users/ghost", data={"role": "staff", "active": "1", "csrf_token": token})
    assert r.status_code == 404
    w, w_token = signed_in(app, "wang")
    r = w.post(
        "/console/users",
        data={"name": "x1", "password": PASSWORD, "role": "admin", "csrf_token": w_token},
    )
    assert r.status_code == 403
    assert UserStore.open(app.state.backend.db_path).get("x1") is None


def test_login_page_explains_how_to_get_an_account(tmp_path):
    page = client(make_app(tmp_path, users={})).get("/console/login").text
    assert "python -m bot users add" in page
    assert csrf_from(page)
