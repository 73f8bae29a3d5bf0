"""The console's edge to the internet: the hosts it answers to, the URLs it sends people to,
its cookie and cache headers, the server banner, and text it cannot store."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from console_helpers import PASSWORD, FakeBot, client, csrf_from, make_app, signed_in
from starlette.testclient import TestClient

from bot.cli import cli
from bot.handoff import HandoffStore
from bot.knowledge.store import KnowledgeBase
from bot.settings import Settings

SENDER = "3f2a9c1e-77aa-4c1b"
#: A lone surrogate ("\ud800") as a form or a URL carries it: UTF-8's bytes for it, which
#: no UTF-8 decoder accepts.
SURROGATE = "%ED%A0%80"


# --- hosts and origins -------------------------------------------------------------------


def test_a_request_for_another_host_is_refused(tmp_path):
    c = client(make_app(tmp_path))
    assert c.get("/console/login").status_code == 200
    for path in ("/", "/console/login", "/console/kb", "/api/chat"):
        r = c.get(path, headers={"host": "evil.example"})
        assert r.status_code == 400, path


def test_redirects_and_forms_never_name_the_requested_host(tmp_path):
    # Even an operator who lets every host in gets no link to the host a request claims.
    app = make_app(tmp_path, console_trusted_hosts=("*",))
    c = TestClient(app, base_url="http://evil.example", follow_redirects=False)
    r = c.get("/console/kb")
    assert r.status_code == 303 and r.headers["location"] == "/console/login?next=%2Fconsole%2Fkb"
    page = c.get("/console/login").text
    assert "evil.example" not in page and 'action="/console/login"' in page
    token = csrf_from(page)
    r = c.post("/console/login", data={"csrf_token": token, "name": "wang", "password": PASSWORD})
    assert r.headers["location"] == "/console/handoffs"
    assert "evil.example" not in c.get("/console/handoffs").text
    assert c.get("/console").headers["location"] == "/console/handoffs"


def test_an_https_origin_makes_the_session_cookie_secure(tmp_path):
    app = make_app(tmp_path, console_public_origin="https://guard.example.com")
    c = TestClient(app, base_url="https://guard.example.com", follow_redirects=False)
    token = csrf_from(c.get("/console/login").text)
    r = c.post("/console/login", data={"csrf_token": token, "name": "lin", "password": PASSWORD})
    assert r.status_code == 303 and "; secure" in r.headers["set-cookie"].lower()
    assert c.get("/console/login", headers={"host": "127.0.0.1"}).status_code == 400
    plain = make_app(tmp_path / "plain")
    assert "secure" not in client(plain).get("/console/login").headers["set-cookie"].lower()


def test_origin_and_hosts_come_from_the_environment():
    s = Settings.from_env(
        {
            "CONSOLE_PUBLIC_ORIGIN": "https://guard.example.com",
            "CONSOLE_TRUSTED_HOSTS": "guard.example.com, guard-2.example.com",
        }
    )
    assert s.public_origin == "https://guard.example.com" and s.https
    assert s.trusted_hosts == ["guard.example.com", "guard-2.example.com"]
    default = Settings.from_env({"HOST": "10.0.0.5", "CONSOLE_PORT": "8080"})
    assert default.public_origin == "http://10.0.0.5:8080" and not default.https
    assert default.trusted_hosts == ["10.0.0.5"]


@pytest.mark.parametrize(
    "bad", ["guard.example.com", "ftp://guard.example.com", "https://x/console", "https://"]
)
def test_a_bad_public_origin_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="CONSOLE_PUBLIC_ORIGIN"):
        Settings.from_env({"CONSOLE_PUBLIC_ORIGIN": bad})


# --- headers -----------------------------------------------------------------------------


def test_pages_with_personal_data_are_never_cached(tmp_path):
    app = make_app(tmp_path)
    handoff, _ = HandoffStore.open(app.state.backend.db_path).request(
        "c-1", "web", "user_request", "high", [], [{"role": "user", "text": "电话13812345678"}]
    )
    c, _ = signed_in(app, "root")
    for path in (
        "/",
        "/console/login",
        "/console/kb",
        "/console/kb/new",
        "/console/handoffs",
        f"/console/handoffs/{handoff.id}",
        "/console/handoffs.csv",
        "/console/dashboard",
        "/console/users",
        "/console/nothing-here",
    ):
        r = c.get(path)
        assert r.headers["cache-control"] == "no-store", path
    chat = c.post("/api/chat", json={"sender": SENDER, "message": "你好"})
    assert chat.status_code == 200 and chat.headers["cache-control"] == "no-store"
    assert "no-store" not in c.get("/static/console.css").headers.get("cache-control", "")


def test_the_console_runs_without_a_server_banner(tmp_path, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    monkeypatch.setenv("POLICYGUARD_DB", str(tmp_path / "pg.db"))
    monkeypatch.setenv("CONSOLE_PUBLIC_ORIGIN", "https://guard.example.com")
    result = CliRunner().invoke(cli, ["console", "--port", "8123"])
    assert result.exit_code == 0, result.output
    [kwargs] = calls
    assert kwargs["server_header"] is False
    assert kwargs["proxy_headers"] is False and kwargs["access_log"] is False
    assert (kwargs["host"], kwargs["port"]) == ("127.0.0.1", 8123)


def test_listening_everywhere_needs_a_public_origin(tmp_path, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: None)
    monkeypatch.setenv("POLICYGUARD_DB", str(tmp_path / "pg.db"))
    monkeypatch.delenv("CONSOLE_PUBLIC_ORIGIN", raising=False)
    monkeypatch.delenv("CONSOLE_TRUSTED_HOSTS", raising=False)
    result = CliRunner().invoke(cli, ["console", "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "CONSOLE_PUBLIC_ORIGIN" in result.output


# --- text that cannot be stored ----------------------------------------------------------


@pytest.mark.parametrize(
    "body", [b'"\\ud800"', b'"\\udfff\xe9\x80\x80"', b'"\xed\xa0\x80"', b'"\\ud83d"']
)
def test_the_chat_api_refuses_a_lone_surrogate(tmp_path, body):
    bot = FakeBot()
    c = client(make_app(tmp_path, bot=bot))
    raw = b'{"sender": "' + SENDER.encode() + b'", "message": ' + body + b"}"
    r = c.post("/api/chat", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"error": "这条消息里有无法识别的字符，请删掉后重新发送。"}
    assert bot.sent == []
    emoji = b'{"sender": "' + SENDER.encode() + b'", "message": "\\ud83d\\ude00"}'
    r = c.post("/api/chat", content=emoji, headers={"content-type": "application/json"})
    assert r.status_code == 200 and bot.sent == [("web:" + SENDER, "😀")]


def post_form(c, path, fields: str):
    return c.post(
        path, content=fields.encode(), headers={"content-type": "application/x-www-form-urlencoded"}
    )


def test_console_forms_refuse_text_that_is_not_utf8(tmp_path):
    app = make_app(tmp_path)
    handoff, _ = HandoffStore.open(app.state.backend.db_path).request(
        "c-1", "web", "user_request", "high", [], []
    )
    c, token = signed_in(app, "root")
    forms = {
        "/console/kb/new": f"id=loan&title=t{SURROGATE}&action=save",
        f"/console/handoffs/{handoff.id}": f"what=note&note=%E5%A5%BD{SURROGATE}",
        "/console/users": f"name=zhao{SURROGATE}&password=a+long+passphrase&role=staff",
        "/console/users/lin": f"role=staff{SURROGATE}&active=1",
    }
    for path, fields in forms.items():
        r = post_form(c, path, f"csrf_token={token}&{fields}")
        assert r.status_code == 400, path
        assert "表单里有无法识别的字符" in r.text and "Traceback" not in r.text
    # Raw bytes that are not UTF-8, as a multipart form sends them.
    r = c.post(
        f"/console/handoffs/{handoff.id}",
        content=(
            b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            + token.encode()
            + b'\r\n--b\r\nContent-Disposition: form-data; name="what"\r\n\r\nnote\r\n'
            b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\n\xed\xa0\x80\r\n--b--\r\n'
        ),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 400
    assert HandoffStore.open(app.state.backend.db_path).notes(handoff.id) == []
    assert KnowledgeBase.open(app.state.backend.db_path).count() == 0
    assert [u.name for u in app.state.backend.users.list()] == ["lin", "root", "wang"]
    # The same forms with good text still work.
    r = post_form(
        c, f"/console/handoffs/{handoff.id}", f"csrf_token={token}&what=note&note=%E5%A5%BD"
    )
    assert r.status_code == 303


def test_the_login_form_refuses_text_that_is_not_utf8(tmp_path):
    c = client(make_app(tmp_path))
    token = csrf_from(c.get("/console/login").text)
    r = post_form(c, "/console/login", f"csrf_token={token}&name=lin&password=x{SURROGATE}")
    assert r.status_code == 400 and "无法识别的字符" in r.text


@pytest.mark.parametrize(
    "path",
    [
        f"/console/kb?q={SURROGATE}",
        f"/console/handoffs?q=%E9%80%80{SURROGATE}",
        f"/console/handoffs.csv?reason={SURROGATE}",
        f"/console/dashboard?days={SURROGATE}",
        f"/console/login?next=/console/{SURROGATE}",
        f"/?x={SURROGATE}",
    ],
)
def test_query_strings_that_are_not_utf8_are_refused(tmp_path, path):
    c, _ = signed_in(make_app(tmp_path), "root")
    r = c.get(path)
    assert r.status_code == 400
    assert "网址里有无法识别的字符" in r.text and "Traceback" not in r.text


def test_the_chat_api_refuses_a_query_string_that_is_not_utf8_as_json(tmp_path):
    bot = FakeBot()
    c = client(make_app(tmp_path, bot=bot))
    r = c.post(f"/api/chat?x={SURROGATE}", json={"sender": SENDER, "message": "你好"})
    assert r.status_code == 400 and "无法识别" in r.json()["error"]
    assert bot.sent == []
