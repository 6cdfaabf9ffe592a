"""The web app: a Starlette app serving one page and a small JSON API, run by uvicorn.

Safe by default, as Jupyter is: it listens on 127.0.0.1 only, every request must carry the
random token printed in the URL (the first page load turns it into a cookie for the page's
own files and strips it from the address bar; API calls send it in a header, which another
site cannot make a browser send, so there is no cross-site request forgery), and the Host
header must name this machine (a DNS-rebinding page gets "Invalid host header"). The page
renders all text with `textContent` under a Content-Security-Policy that allows no inline
script, so markup in a sentence is shown, never run.
"""

from __future__ import annotations

import contextlib
import errno
import json
import secrets
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stance.errors import StanceError
from stance.label.queue import BadRequest, Conflict

STATIC = Path(__file__).parent / "static"
HOST = "127.0.0.1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
TOKEN_HEADER = "x-stance-token"
MAX_BODY = 64 * 1024
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
FORBIDDEN = (
    "403 Forbidden: this labeling server needs its access token. Open the URL that "
    "`stance label` printed (it ends in ?token=...).\n"
)


class Guard:
    """Token check on every request (header, query or cookie for page loads; the header
    only for actions) and security headers on every response."""

    def __init__(self, app: ASGIApp, token: str, cookie: str):
        self.app, self.token, self.cookie = app, token, cookie

    def _allowed(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        if scope["method"] in ("GET", "HEAD"):
            from http.cookies import SimpleCookie

            cookies = SimpleCookie()
            with contextlib.suppress(Exception):
                cookies.load(headers.get("cookie", ""))
            morsel = cookies.get(self.cookie)
            candidates = [
                headers.get(TOKEN_HEADER),
                QueryParams(scope.get("query_string", b"")).get("token"),
                morsel.value if morsel else None,
            ]
        else:
            origin = headers.get("origin")
            if origin and origin.split("://", 1)[-1].rsplit(":", 1)[0] not in ALLOWED_HOSTS:
                return False
            candidates = [headers.get(TOKEN_HEADER)]
        return any(c is not None and secrets.compare_digest(c.encode(), self.token.encode()) for c in candidates)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        if not self._allowed(scope):
            await PlainTextResponse(FORBIDDEN, status_code=403)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def create_app(session: Any, token: str, port: int | None = None) -> Starlette:
    """The app for one session. The cookie name carries the port: cookies are not kept per
    port, and two servers on one machine must not overwrite each other's token."""
    cookie = f"stance_label_{port or 'token'}"
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{TOKEN}}", token)

    async def index(request: Request) -> Response:
        # SameSite=Lax, not Strict: a link opened from another page must still reach the page
        # after the redirect below; actions never trust the cookie alone anyway.
        if "token" in request.query_params:
            response: Response = RedirectResponse("/", status_code=303)  # no token in history or screenshots
        else:
            response = HTMLResponse(page)
        response.set_cookie(cookie, token, httponly=True, samesite="lax", path="/")
        return response

    async def state(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(session.state))

    def action(name: str):
        async def endpoint(request: Request) -> Response:
            try:
                body = json.loads(await request.body() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
            except ValueError as err:
                return JSONResponse({"error": f"bad request: {err}"}, status_code=400)
            arguments = [body.get("id")] + ([body.get("label")] if name == "label" else []) + [body.get("run")]
            try:
                result = await run_in_threadpool(getattr(session, name), *arguments)
            except Conflict as err:
                current = await run_in_threadpool(session.state)
                return JSONResponse({"error": str(err), "state": current}, status_code=409)
            except BadRequest as err:
                return JSONResponse({"error": str(err)}, status_code=400)
            except (StanceError, OSError) as err:
                print(f"label: {name} failed: {err}", file=sys.stderr)
                return JSONResponse({"error": f"NOT saved: {err}"}, status_code=500)
            return JSONResponse(result)

        return endpoint

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
        Route("/api/state", state, methods=["GET"]),
        Route("/api/label", action("label"), methods=["POST"]),
        Route("/api/skip", action("skip"), methods=["POST"]),
        Route("/api/undo", action("undo"), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=ALLOWED_HOSTS),  # outermost: first check
        Middleware(Guard, token=token, cookie=cookie),
    ]
    return Starlette(routes=routes, middleware=middleware, max_body_size=MAX_BODY)


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1, or one clear error (the port is taken, not allowed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A restart right after `kill -9` finds the old connections in TIME_WAIT; they must not
    # block the port (a live listener still does).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise StanceError(
                f"port {port} is in use on {HOST} (another `stance label`?): "
                f"pass --port N, or --port 0 for any free port"
            ) from None
        raise StanceError(f"cannot listen on {HOST}:{port}: {err.strerror}") from None
    return sock


def serve(session: Any, sock: socket.socket, open_browser: bool) -> None:
    """Serve on a socket from `bind` until Ctrl+C (or SIGTERM); prints the URL with its token first."""
    import uvicorn

    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    url = f"http://{HOST}:{port}/?token={token}"
    print(f"Label in your browser at {url}  (Ctrl+C stops)", flush=True)
    config = uvicorn.Config(
        create_app(session, token, port),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=3,
    )
    if open_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    uvicorn.Server(config).run(sockets=[sock])
