"""One ASGI guard in front of the app: security headers, body limits, a cap on requests in flight, same-origin writes."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import OPENAI_PREFIX, error_body

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
JSON_BODY_LIMIT = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TOKEN_NEEDED = "this action needs the API token: send Authorization: Bearer <token>"


class BodyTooLarge(HTTPException):
    """The request body is over the route's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit:,} bytes")


class GuardMiddleware:
    """Adds security headers to every response and refuses, before any parsing, what must not reach the app."""

    def __init__(
        self, app: ASGIApp, upload_limit: int, max_in_flight: int, upload_path: str = "/api/documents", token: str | None = None
    ) -> None:
        self.app = app
        self.token = token
        self.upload_limit = upload_limit + MULTIPART_OVERHEAD
        self.max_in_flight = max_in_flight
        self.upload_path = upload_path
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)

        headers = Headers(scope=scope)
        method = scope["method"]
        if method == "OPTIONS":  # which methods a path takes, as HTTP clients probing the API expect
            await _send_allowed(send_with_headers, scope)
            return
        limit = self.upload_limit if method == "POST" and scope["path"] == self.upload_path else JSON_BODY_LIMIT
        refusal = self._refusal(method, headers, limit)
        if refusal is None and self._needs_token(method, scope["path"]) and not self._has_token(headers):
            # Refused from its headers alone: an unauthenticated 20 MB upload is never read (the route checks again).
            await _send_error(send_with_headers, 401, TOKEN_NEEDED, [(b"www-authenticate", b"Bearer")], scope["path"])
            return
        if refusal is None and self.in_flight >= self.max_in_flight:
            refusal = (503, "the server is overloaded; retry in a moment")
        if refusal is not None:
            await _send_error(send_with_headers, *refusal, path=scope["path"])
            return
        received = 0

        async def receive_with_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        self.in_flight += 1
        try:
            await self.app(scope, receive_with_limit, send_with_headers)
        except BodyTooLarge as exc:
            if started:
                raise
            await _send_error(send_with_headers, 413, str(exc.detail), path=scope["path"])
        finally:
            self.in_flight -= 1

    def _needs_token(self, method: str, path: str) -> bool:
        """Writes to the documents need the token, when one is set."""
        writes = path == self.upload_path or path.startswith((self.upload_path + "/", "/api/jobs/"))
        # The OpenAI-compatible API takes any key without a token, and the token when one is set, as its clients expect.
        return bool(self.token) and ((method not in _SAFE_METHODS and writes) or (path.startswith(OPENAI_PREFIX) and method != "OPTIONS"))

    def _has_token(self, headers: Headers) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), (self.token or "").encode())

    def _refusal(self, method: str, headers: Headers, limit: int) -> tuple[int, str] | None:
        """Why a request is refused outright, or None."""
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return 400, "invalid Content-Length header"
            if int(length) > limit:
                return 413, f"the request body is larger than the limit of {limit:,} bytes"
        if method not in _SAFE_METHODS and not _same_origin(headers):
            return 403, "cross-origin requests are not accepted"
        return None


def _same_origin(headers: Headers) -> bool:
    """False when a browser says the request comes from another site (CSRF, DNS rebinding pages)."""
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is None:
        return True  # not a browser, or a same-origin GET-like navigation
    return urlsplit(origin).netloc == headers.get("host", "")


def _routes(holder: object) -> Iterator[Route]:
    """Every route of an app or router, those of included routers too (FastAPI wraps them)."""
    for route in getattr(holder, "routes", None) or []:
        if isinstance(route, Route):
            yield route
        yield from _routes(getattr(route, "original_router", None))


async def _send_allowed(send: Send, scope: Scope) -> None:
    """204 with the methods the app's routes take at this path in `Allow`; 404 when no route has the path."""
    probe = {**scope, "method": "GET"}
    methods = {m for route in _routes(scope.get("app")) if route.matches(probe)[0] != Match.NONE for m in (route.methods or ())}
    if not methods:
        await _send_error(send, 404, "not found")
        return
    allow = ", ".join(sorted(methods | {"OPTIONS"})).encode()
    await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", allow)]})
    await send({"type": "http.response.body", "body": b""})


async def _send_error(send: Send, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None, path: str = "") -> None:
    body = json.dumps(error_body(path, status, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(extra or [])]
    if status == 503:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
