"""``python -m bot wechat menu`` publishes the custom menu through WeChat's API (faked)."""

from click.testing import CliRunner

from bot.cli import cli
from bot.wechat.fake_api import FakeWeChatAPI, serve


def test_the_menu_is_published_with_its_three_buttons():
    fake = FakeWeChatAPI("wx-menu-test", "menu-secret")
    with serve(fake) as base:
        env = {"WECHAT_APPID": "wx-menu-test", "WECHAT_APPSECRET": "menu-secret"}
        result = CliRunner().invoke(cli, ["wechat", "menu"], env={**env, "WECHAT_API_BASE": base})
    assert result.exit_code == 0, result.output
    (menu,) = fake.menus
    assert [(b["type"], b["name"], b["key"]) for b in menu["button"]] == [
        ("click", "我想退保", "SURRENDER"),
        ("click", "防骗提醒", "ANTI_SCAM"),
        ("click", "转人工", "HUMAN"),
    ]


def test_without_the_account_the_menu_command_says_what_to_set():
    result = CliRunner().invoke(cli, ["wechat", "menu"], env={"WECHAT_APPID": ""})
    assert result.exit_code != 0 and "WECHAT_APPID" in result.output
