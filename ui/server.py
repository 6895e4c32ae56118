"""The app's server: Streamlit's ASGI `st.App` around app.py, with two routes of our own and
security headers on every HTTP response. `streamlit run ui/server.py` starts it (Makefile).

The routes exist because a Streamlit script cannot set an HttpOnly cookie: the sign-in form
sends the browser to /_app/sign-in with a one-time ticket, which is traded here for the
sign-in token and set as a cookie the page's scripts cannot read (core.sign_ins).
"""

import base64
import hashlib
import re
from datetime import timedelta
from functools import cache
from pathlib import Path

import streamlit
import streamlit as st
from sqlalchemy.engine import Engine
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import sign_ins
from core.db import make_engine
from core.private_logs import private_logger
from ui.clock import now
from ui.navigation import PAGES
from ui.not_found import NOT_FOUND

ROOT = Path(__file__).resolve().parents[1]
# the browser keeps the cookie this long; the sign-in itself ends much sooner when idle
COOKIE_LIFETIME = timedelta(days=30)



def _inline_script_hashes() -> str:
    """CSP hashes of the inline scripts of Streamlit's index.html (one tiny one today), read
    from the installed Streamlit so an upgrade cannot silently break the page."""
    page = (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page, re.S)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)


# Streamlit's page needs inline styles (its components are styled at run time) and its own
# scripts; nothing comes from another origin, and no page may frame ours.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' {_inline_script_hashes()}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "frame-src 'self' blob: data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"DENY",
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response (WebSocket frames carry no headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in SECURITY_HEADERS.items() if name not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Streamlit's own addresses (its files, uploads, sign-in) start with one of these; every other
# first segment must be a page's, or Streamlit would run the start page under an English
# «Page not found» notice
STREAMLIT_ADDRESSES = {"static", "media", "component", "app", "auth", "oauth2callback"}
PAGE_ADDRESSES = {url for (_, _, _, url) in PAGES.values()} | {NOT_FOUND}


def is_unknown_address(path: str) -> bool:
    """True for an address no page has: "/shedule", "/a/b"; never "/", a page, or a file."""
    parts = path.strip("/").split("/")
    # the page asks for its server's files relative to its own address too: /schedule/_stcore/health
    if parts == [""] or "." in parts[-1] or any(p.startswith("_") or p in STREAMLIT_ADDRESSES for p in parts):
        return False
    return not (len(parts) == 1 and parts[0] in PAGE_ADDRESSES)


class UnknownAddresses:
    """Sends an address no page has to the «Такой страницы нет» page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and is_unknown_address(scope["path"]):
            await RedirectResponse("/" + NOT_FOUND, status_code=302)(scope, receive, send)
            return
        await self.app(scope, receive, send)


@cache
def _engine() -> Engine:
    return make_engine()


def _back_to(request: Request) -> str:
    """Where to go after the cookie round trip: a path of this app only, never another site."""
    target = request.query_params.get("next") or "/"
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _over_https(request: Request) -> bool:
    # behind the reverse proxy (deploy/) the app itself is reached over plain HTTP
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def sign_in_route(request: Request) -> RedirectResponse:
    token = sign_ins.redeem_ticket(_engine(), request.query_params.get("ticket", ""), now())
    response = RedirectResponse(_back_to(request), status_code=303)
    if token:
        response.set_cookie(
            sign_ins.COOKIE, token, max_age=int(COOKIE_LIFETIME.total_seconds()), path="/", httponly=True,
            samesite="strict", secure=_over_https(request),
        )
    return response


async def sign_out_route(request: Request) -> RedirectResponse:
    # the sign-in itself was ended by the page (ui.auth.sign_out); this drops the browser's copy
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(sign_ins.COOKIE, path="/", httponly=True, samesite="strict", secure=_over_https(request))
    return response


UNEXPECTED_FAILURE = (
    "Что-то пошло не так на сервере. Обновите страницу и попробуйте ещё раз; "
    "если не получится снова, сообщите администратору."
)


# where a traceback is written: Streamlit's for an uncaught error of a page (before
# show_unexpected_failure), the web server's for one of our routes
SERVER_ERROR_LOGS = ("streamlit.error_util", "uvicorn.error")
for log_name in SERVER_ERROR_LOGS:
    private_logger(log_name)


def show_unexpected_failure(error: Exception) -> bool:
    """What a person sees when a page or a button's callback fails unexpectedly (the database
    gone, a bug): Russian words in place of Streamlit's English notice. Streamlit has written
    the traceback to the server log before calling this."""
    st.error(UNEXPECTED_FAILURE, icon="⚠️")
    return True  # no notice of Streamlit's own


app = st.App(
    ROOT / "app.py",
    routes=[Route(sign_ins.SIGN_IN_ROUTE, sign_in_route), Route(sign_ins.SIGN_OUT_ROUTE, sign_out_route)],
    middleware=[Middleware(SecurityHeaders), Middleware(UnknownAddresses)],
    on_script_error=show_unexpected_failure,
)
