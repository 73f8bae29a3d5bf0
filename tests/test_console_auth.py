"""Console sign-in, sessions, roles, CSRF and the login rate limit, over HTTP."""

from __future__ import annotations

import pytest
from console_helpers import PASSWORD, client, csrf_from, make_app, signed_in
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.console.web import page

#: Every console page and the permission it needs (GET unless noted).
PAGES = {
    "/console/kb": {"staff", "supervisor", "admin"},
    "/console/kb/new": {"staff", "admin"},
    "/console/handoffs": {"supervisor", "admin"},
    "/console/handoffs.csv": {"supervisor", "admin"},
    "/console/dashboard": {"supervisor", "admin"},
    "/console/inspection": {"supervisor", "admin"},
    "/console/review": {"staff", "supervisor", "admin"},
    "/console/users": {"admin"},
}
ROLE_USER = {"staff": "lin", "supervisor": "wang", "admin": "root"}


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_need_a_session(app, path):
    r = client(app).get(path)
    assert r.status_code == 303
    # A path on this site, never a URL made from the request's Host header.
    assert r.headers["location"] == "/console/login?next=" + path.replace("/", "%2F")


@pytest.mark.parametrize("role", sorted(ROLE_USER))
@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_role_sees_only_its_pages(app, role, path):
    c, _ = signed_in(app, ROLE_USER[role])
    r = c.get(path)
    expected = 200 if role in PAGES[path] else 403
    assert r.status_code == expected, (role, path, r.status_code)
    if expected == 403:
        assert "没有权限" in r.text


def test_posts_without_a_session_are_refused(app):
    c = client(app)
    for path in ("/console/kb/new", "/console/handoffs/1", "/console/users", "/console/logout"):
        r = c.post(path, data={"csrf_token": "x"})
        assert r.status_code in (401, 403), path


def test_wrong_password_is_refused_and_leaves_no_session(app):
    c = client(app)
    token = csrf_from(c.get("/console/login").text)
    r = c.post("/console/login", data={"csrf_token": token, "name": "lin", "password": "nope"})
    assert r.status_code == 401
    assert "用户名或密码不对" in r.text
    assert c.get("/console/kb").status_code == 303


def test_login_without_csrf_token_is_refused(app):
    c = client(app)
    c.get("/console/login")
    r = c.post("/console/login", data={"name": "lin", "password": PASSWORD})
    assert r.status_code == 403
    assert c.get("/console/kb").status_code == 303


def test_forms_need_the_sessions_csrf_token(app):
    c, _ = signed_in(app, "lin")
    data = {"id": "x-entry", "title": "t"}
    assert c.post("/console/kb/new", data=data).status_code == 403
    assert c.post("/console/kb/new", data={**data, "csrf_token": "forged"}).status_code == 403
    _, other_token = signed_in(app, "root")
    assert c.post("/console/kb/new", data={**data, "csrf_token": other_token}).status_code == 403


def test_page_checks_csrf_on_every_post_before_the_page_runs(app):
    ran = []

    @page("kb_read")
    def never_reads_the_form(request, ctx):
        ran.append(request.method)
        return PlainTextResponse("ran")

    app.router.routes.append(Route("/console/probe", never_reads_the_form, methods=["GET", "POST"]))
    c, token = signed_in(app, "lin")
    assert c.post("/console/probe", data={"csrf_token": "forged"}).status_code == 403
    assert c.post("/console/probe", data={}).status_code == 403
    assert ran == []
    assert c.post("/console/probe", data={"csrf_token": token}).text == "ran"
    assert c.get("/console/probe").text == "ran"
    assert ran == ["POST", "GET"]


def test_login_attempts_are_rate_limited(app):
    c = client(app)
    token = csrf_from(c.get("/console/login").text)
    for _ in range(5):
        r = c.post("/console/login", data={"csrf_token": token, "name": "lin", "password": "x"})
        assert r.status_code == 401
    # Even the right password waits now: the limit is checked before the password.
    r = c.post("/console/login", data={"csrf_token": token, "name": "lin", "password": PASSWORD})
    assert r.status_code == 429
    assert "15 分钟" in r.text


def test_logout_ends_the_session(app):
    c, token = signed_in(app, "wang")
    r = c.post("/console/logout", data={"csrf_token": token})
    assert r.status_code == 303
    assert c.get("/console/handoffs").status_code == 303


def test_a_disabled_user_loses_the_session_at_once(app):
    c, _ = signed_in(app, "lin")
    app.state.backend.users.set_active("lin", False)
    assert c.get("/console/kb").status_code == 303


def test_session_cookie_is_signed_httponly_and_strict(app):
    c = client(app)
    token = csrf_from(c.get("/console/login").text)
    r = c.post("/console/login", data={"csrf_token": token, "name": "lin", "password": PASSWORD})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=28800" in cookie
    c.cookies.clear()
    c.cookies.set("pg_session", "forged.value")
    assert c.get("/console/kb").status_code == 303


def test_next_only_follows_console_paths(app):
    c = client(app)
    page = c.get("/console/login?next=//evil.example/x").text
    assert "evil.example" not in page
    token = csrf_from(page)
    r = c.post(
        "/console/login",
        data={"csrf_token": token, "name": "wang", "password": PASSWORD, "next": "/console/kb"},
    )
    assert r.headers["location"] == "/console/kb"


def test_security_headers_on_every_page(app):
    for path in ("/", "/console/login", "/console/nothing-here"):
        r = client(app).get(path)
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"


def test_unknown_page_is_a_404_page_not_a_stack_trace(app):
    c, _ = signed_in(app, "root")
    r = c.get("/console/kb/no-such-entry")
    assert r.status_code == 404
    assert "Traceback" not in r.text and "找不到" in r.text
    assert c.get("/console/handoffs/99999").status_code == 404
    assert c.get("/console/handoffs/abc").status_code == 404
    assert c.get("/console/kb/BAD%20ID").status_code == 404


def test_console_home_sends_each_role_to_its_first_page(app):
    assert client(app).get("/console").headers["location"].endswith("/console/login")
    for name, landing in (("lin", "/console/kb"), ("wang", "/console/handoffs")):
        c, _ = signed_in(app, name)
        assert c.get("/console").headers["location"].endswith(landing)
        assert c.get("/console/login").headers["location"].endswith(landing)


def test_health_and_static_files_need_no_session(app):
    c = client(app)
    assert c.get("/healthz").text == "ok"
    assert c.get("/static/chat.js").status_code == 200
    assert c.get("/static/../accounts.py").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/console/handoffs/%C2%B2",
        "/console/handoffs/99999999999999999999999",
        "/console/dashboard?days=%C2%B2",
        "/console/dashboard?from=9999-12-25&to=9999-12-31",
        "/console/dashboard?from=0001-01-01&to=0001-01-02",
        "/console/kb/" + "a" * 81,
    ],
)
def test_odd_numbers_and_dates_are_not_500s(app, path):
    c, _ = signed_in(app, "root")
    assert c.get(path).status_code in (200, 404)


def test_a_copied_session_cookie_stops_working_after_sign_out(app):
    c, token = signed_in(app, "root")
    stolen = c.cookies.get("pg_session")
    c.post("/console/logout", data={"csrf_token": token})
    replay = client(app)
    replay.cookies.set("pg_session", stolen)
    assert replay.get("/console/users").status_code == 303


def test_a_new_password_ends_the_sessions(app):
    c, _ = signed_in(app, "wang")
    app.state.backend.users.set_password("wang", "another long passphrase")
    assert c.get("/console/handoffs").status_code == 303


def test_a_session_ends_eight_hours_after_sign_in_however_busy(app, monkeypatch):
    import time

    import bot.console.web

    c, _ = signed_in(app, "wang")
    start = time.time()
    monkeypatch.setattr(bot.console.web.time, "time", lambda: start + 7.9 * 3600)
    assert c.get("/console/handoffs").status_code == 200
    monkeypatch.setattr(bot.console.web.time, "time", lambda: start + 8.1 * 3600)
    assert c.get("/console/handoffs").status_code == 303


def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(app, monkeypatch):
    import asyncio
    import threading
    import time

    import httpx

    import bot.accounts

    hasher = bot.accounts._hasher
    checked = []
    lock = threading.Lock()

    class CountingHasher:
        """The real hasher, counting verifications; slow enough that all 30 overlap."""

        def __getattr__(self, name):
            return getattr(hasher, name)

        def verify(self, *args):
            with lock:
                checked.append(1)
            time.sleep(0.1)
            return hasher.verify(*args)

    monkeypatch.setattr(bot.accounts, "_hasher", CountingHasher())
    c = client(app)
    token = csrf_from(c.get("/console/login").text)
    session = {"pg_session": c.cookies.get("pg_session")}

    async def guesses():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=session
        ) as ac:
            data = {"csrf_token": token, "name": "lin", "password": "wrong guess"}
            return await asyncio.gather(*(ac.post("/console/login", data=data) for _ in range(30)))

    codes = sorted(r.status_code for r in asyncio.run(guesses()))
    assert len(checked) == 5, "each guess must be counted before its password is checked"
    assert codes == [401] * 5 + [429] * 25


def test_a_lock_out_outlives_a_restart_and_the_cli_clears_it(tmp_path):
    from click.testing import CliRunner

    from bot.cli import cli

    def sign_in(app, password):
        c = client(app)
        token = csrf_from(c.get("/console/login").text)
        data = {"csrf_token": token, "name": "lin", "password": password}
        return c.post("/console/login", data=data).status_code

    app = make_app(tmp_path)
    assert [sign_in(app, "wrong") for _ in range(6)] == [401] * 5 + [429]
    restarted = make_app(tmp_path, users={})  # another process on the same database
    assert sign_in(restarted, PASSWORD) == 429
    db = str(app.state.backend.db_path)
    result = CliRunner().invoke(cli, ["users", "unlock", "lin", "--db", db])
    assert result.exit_code == 0, result.output
    assert "5 failed sign-in" in result.output
    assert sign_in(restarted, PASSWORD) == 303
    unknown = CliRunner().invoke(cli, ["users", "unlock", "nobody", "--db", db])
    assert unknown.exit_code != 0 and "没有用户 nobody" in unknown.output


def test_a_successful_sign_in_forgives_the_names_failures(app):
    for _ in range(4):
        c = client(app)
        token = csrf_from(c.get("/console/login").text)
        c.post("/console/login", data={"csrf_token": token, "name": "lin", "password": "x"})
    signed_in(app, "lin")
    for _ in range(4):  # four more mistakes: not locked out, the first four are forgiven
        c = client(app)
        token = csrf_from(c.get("/console/login").text)
        r = c.post("/console/login", data={"csrf_token": token, "name": "lin", "password": "x"})
        assert r.status_code == 401


def test_a_page_must_be_a_plain_function_so_it_runs_off_the_event_loop():
    with pytest.raises(TypeError, match="plain function"):

        @page("kb_read")
        async def on_the_loop(request, ctx):  # would run its database calls on the loop
            return PlainTextResponse("")
