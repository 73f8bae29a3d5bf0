"""A mistyped public address gets the chat side's own error page, not the console's."""

from __future__ import annotations

from console_helpers import client, make_app


def test_a_public_404_leads_back_to_the_chat_and_says_nothing_of_the_console(tmp_path):
    r = client(make_app(tmp_path)).get("/no-such-page")
    assert r.status_code == 404
    assert 'data-testid="public-error"' in r.text and "找不到这个页面" in r.text
    assert 'href="/"' in r.text and "回到保单守护助手" in r.text
    assert "后台" not in r.text and "console" not in r.text


def test_the_console_keeps_its_own_404_page(tmp_path):
    r = client(make_app(tmp_path)).get("/console/login/nothing")
    assert r.status_code == 404 and "后台" in r.text and "public-error" not in r.text
