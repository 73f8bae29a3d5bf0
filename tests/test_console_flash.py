"""Flash messages: every one flashed before a page shows is shown, once."""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.console.web import flash, pop_flash


def test_two_saves_before_a_page_shows_both_messages():
    async def save(request):
        flash(request, request.path_params["what"])
        return JSONResponse({})

    async def show(request):
        return JSONResponse([f["text"] for f in pop_flash(request)])

    app = Starlette(
        routes=[Route("/save/{what}", save, methods=["POST"]), Route("/show", show)],
        middleware=[Middleware(SessionMiddleware, secret_key="test")],
    )
    client = TestClient(app)
    client.post("/save/first")
    client.post("/save/second")
    assert client.get("/show").json() == ["first", "second"]
    assert client.get("/show").json() == []
