"""``python -m bot wechat``: publish the custom menu, or try the WeChat channel locally."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time

import click

from bot.settings import Settings

HELP = (
    "Type a message as a WeChat user would. Also: /voice TEXT, /voice (not recognised), "
    "/image, /click SURRENDER|ANTI_SCAM|HUMAN, /quit."
)


@click.group()
def wechat() -> None:
    """The WeChat Official Account (公众号) channel."""


@wechat.command()
def menu() -> None:
    """Publish the custom menu (我想退保 / 防骗提醒 / 转人工) with $WECHAT_APPID.

    Example: WECHAT_APPID=wx… WECHAT_APPSECRET=… python -m bot wechat menu
    """
    from bot.wechat.api import WeChatAPI, WeChatAPIError
    from bot.wechat.channel import menu as custom_menu

    settings = Settings.from_env()
    if not (settings.wechat_appid and settings.wechat_secret):
        raise click.ClickException("set WECHAT_APPID and WECHAT_APPSECRET first")

    async def publish() -> None:
        api = WeChatAPI(settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base)
        async with api:
            await api.create_menu(custom_menu())

    try:
        asyncio.run(publish())
    except WeChatAPIError as exc:
        raise click.ClickException(f"WeChat refused the menu ({exc.code})") from None
    click.echo("menu published: " + " / ".join(b["name"] for b in custom_menu()["button"]))


@wechat.command()
@click.option("--plain", is_flag=True, help="Plaintext mode instead of 安全模式 (AES).")
@click.option("--user", default="o_local_user", show_default=True, help="The user's openid.")
@click.option("--say", "lines", multiple=True, help="Send these and exit (else: type them).")
@click.option("--wait", default=8.0, show_default=True, help="Seconds to wait for 客服 messages.")
def simulate(plain: bool, user: str, lines: tuple[str, ...], wait: float) -> None:
    """Play WeChat's server against the local bot (needs `make run`): sign, encrypt, resend
    after 5 s, fake the 客服 API on 127.0.0.1, and print what the user would see.

    Example: python -m bot wechat simulate --say 我想退保 --say 1
    """
    from bot.console.app import create_app
    from bot.wechat.fake_api import FakeWeChatAPI, serve, serve_app
    from bot.wechat.simulate import (
        LOCAL_AES_KEY,
        LOCAL_APPID,
        LOCAL_SECRET,
        LOCAL_TOKEN,
        WeChatServer,
    )

    fake = FakeWeChatAPI(LOCAL_APPID, LOCAL_SECRET)
    with serve(fake) as api_base:
        settings = dataclasses.replace(
            Settings.from_env(),
            wechat_token=LOCAL_TOKEN,
            wechat_appid=LOCAL_APPID,
            wechat_secret=LOCAL_SECRET,
            wechat_aes_key="" if plain else LOCAL_AES_KEY,
            wechat_api_base=api_base,
        )
        settings.db_path.parent.mkdir(parents=True, exist_ok=True)
        with serve_app(create_app(settings), lifespan="on") as console:
            server = WeChatServer(
                console + "/wechat", LOCAL_TOKEN, LOCAL_APPID, settings.wechat_aes_key
            )
            mode = "plaintext" if plain else "安全模式 (AES)"
            click.echo(f"WeChat simulator, {mode}: {console}/wechat; bot at {settings.rasa_url}")
            click.echo(f"An agent can answer this user at {console}/console/handoffs")
            shown = _Printer(fake, user)
            _push(server, server.event_fields(user, "subscribe"), shown)
            if lines:
                for line in lines:
                    _say(server, user, line, shown)
                shown.settle(wait)
                return
            click.echo(HELP)
            while True:
                try:
                    line = input("you> ").strip()
                except EOFError:
                    break
                if line in ("/quit", "/exit"):
                    break
                if line:
                    _say(server, user, line, shown)
            shown.settle(wait)


def _say(server, user: str, line: str, shown: _Printer) -> None:
    if line.startswith("/voice"):
        fields = server.voice_fields(user, line[len("/voice") :].strip())
    elif line == "/image":
        fields = {**server.text_fields(user, ""), "MsgType": "image", "PicUrl": "http://x/1.jpg"}
    elif line.startswith("/click"):
        fields = server.event_fields(user, "CLICK", line[len("/click") :].strip())
    else:
        click.echo(f"you: {line}")
        fields = server.text_fields(user, line)
    _push(server, fields, shown)


def _push(server, fields: dict, shown: _Printer) -> None:
    delivery = server.push(fields)
    for text in delivery.texts:
        click.echo(f"bot (reply, {delivery.seconds:.1f} s): {text}")
    if not delivery.texts:
        click.echo(f"WeChat got 'success' ({delivery.seconds:.1f} s): the answer comes by 客服")
    shown.settle(1.0)


class _Printer:
    """Prints the 客服 messages the fake API receives for the user, as they come."""

    def __init__(self, fake, user: str) -> None:
        self.fake, self.user, self.seen = fake, user, 0
        self.lock = threading.Lock()

    def settle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            texts = self.fake.texts(self.user)
            for text in texts[self.seen :]:
                click.echo(f"bot (客服): {text}")
            self.seen = len(texts)
            time.sleep(0.2)
