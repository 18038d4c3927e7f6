"""The one place that turns errors into HTTP responses: clear JSON messages, no paths, no tracebacks."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from rag.errors import (
    ConfigError,
    DocumentError,
    DocumentNotFoundError,
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    RagError,
    StorageFullError,
    StoreUnavailableError,
)
from rag.settings import Settings
from server.state import BusyError, NotReadyError
from server.uploads import StorageError, TooLargeError, UnsupportedTypeError

log = logging.getLogger("server")

# Most specific first: the first match wins.
STATUS_FOR: tuple[tuple[type[Exception], int], ...] = (
    (UnsupportedTypeError, 415),
    (TooLargeError, 413),
    (StorageFullError, 507),
    (StorageError, 500),
    (DocumentNotFoundError, 404),
    (DocumentError, 422),
    (ConfigError, 422),
    (IndexBusyError, 503),
    (StoreUnavailableError, 503),
    (IndexMissingError, 503),
    (IndexMismatchError, 503),
    (IndexCorruptError, 503),
    (BusyError, 503),
    (NotReadyError, 503),
    (RagError, 500),
)
RETRY_AFTER = {IndexBusyError: "5", BusyError: "1", NotReadyError: "2"}
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/>])/(?:[^\s/'\"]+/)*[^\s/'\"]*")


def status_for(exc: Exception) -> int:
    """The HTTP status of a library error.

    >>> status_for(DocumentNotFoundError("x"))
    404
    """
    return next((code for kind, code in STATUS_FOR if isinstance(exc, kind)), 500)


def redact(message: str, settings: Settings) -> str:
    """Replace the configured folders with neutral names and drop any other absolute path.

    >>> redact("/srv/idx/gen-1/manifest.json is damaged", Settings(index_dir=Path("/srv/idx")))
    '<index>/gen-1/manifest.json is damaged'
    """
    for folder, name in ((settings.index_dir, "<index>"), (settings.docs_dir, "<docs>")):
        for form in {str(Path(folder).resolve()), str(folder)}:
            if form.startswith("/"):  # a relative folder name ("index") says nothing about the machine
                message = message.replace(form, name)
    return _ABSOLUTE_PATH.sub("<path>", message)


def error_response(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """The body of every error: {"detail": message, ...}."""
    return JSONResponse({"detail": message, **extra}, status_code=status, headers=headers)


OPENAI_PREFIX = "/v1/"
_OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                 413: "invalid_request_error", 422: "invalid_request_error", 503: "service_unavailable"}


def error_body(path: str, status: int, message: str, **extra: Any) -> dict[str, Any]:
    """An error's JSON body: ours ({"detail": ...}), or OpenAI's ({"error": {...}}) under /v1/, where its clients read it.

    >>> error_body("/v1/models", 401, "no token")["error"]["type"]
    'authentication_error'
    """
    if not path.startswith(OPENAI_PREFIX):
        return {"detail": message, **extra}
    return {"error": {"message": message, "type": _OPENAI_TYPES.get(status, "api_error"), "param": None, "code": str(status)}}


def _shaped(handler: Any) -> Any:
    """The handler, its body in OpenAI's error shape under /v1/."""
    async def run(request: Request, exc: Exception) -> JSONResponse:
        response: JSONResponse = await handler(request, exc)
        if not request.url.path.startswith(OPENAI_PREFIX):
            return response
        body = json.loads(bytes(response.body))
        shaped = error_body(request.url.path, response.status_code, str(body.get("detail", "")))
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        return JSONResponse(shaped, status_code=response.status_code, headers=headers)

    return run


def install(app: FastAPI, settings: Settings) -> None:
    """Register the handlers on an app."""

    async def on_library_error(request: Request, exc: Exception) -> JSONResponse:
        status = status_for(exc)
        if status >= 500 and not isinstance(exc, (BusyError, NotReadyError)):
            log.warning("%s %s -> %d: %s", request.method, request.url.path, status, exc)
        retry = next((v for k, v in RETRY_AFTER.items() if isinstance(exc, k)), None)
        return error_response(status, redact(str(exc), settings), {"Retry-After": retry} if retry else None)

    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_problem(e) for e in exc.errors()]
        summary = "; ".join(f"{p['field']}: {p['msg']}" if p["field"] else p["msg"] for p in problems[:5])
        return error_response(422, f"invalid request: {summary}", errors=problems)

    async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None and "json" in request.headers.get("content-type", ""):
            # FastAPI could not decode the body at all: not UTF-8, or nested too deeply for the parser.
            reason = _undecodable(exc.__cause__)
            return error_response(422, f"invalid request: malformed JSON ({reason})")
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, "internal error; the server log has the details")

    app.add_exception_handler(RagError, _shaped(on_library_error))
    app.add_exception_handler(BusyError, _shaped(on_library_error))
    app.add_exception_handler(NotReadyError, _shaped(on_library_error))
    app.add_exception_handler(RequestValidationError, _shaped(on_validation_error))
    app.add_exception_handler(HTTPException, _shaped(on_http_error))
    app.add_exception_handler(Exception, _shaped(on_unexpected))


def _undecodable(cause: BaseException) -> str:
    """Why a JSON body could not be decoded at all, in a few words."""
    if isinstance(cause, RecursionError):
        return "nested too deeply"
    if isinstance(cause, UnicodeDecodeError):
        return "the body is not UTF-8 text"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return "a number has too many digits"
    return "it cannot be parsed"


def _problem(error: Any) -> dict[str, str]:
    """One validation error without the offending input (which may be huge or hostile)."""
    loc = [str(part) for part in error.get("loc", ()) if part != "body"]
    msg = str(error.get("msg", "invalid")).removeprefix("Value error, ")  # pydantic's prefix to our own messages
    if error.get("type") == "json_invalid":
        loc, msg = [], f"malformed JSON ({error.get('ctx', {}).get('error', 'cannot be parsed')})"
    elif error.get("type") == "missing" and not loc:
        msg = "the request needs a JSON body"
    elif error.get("type") == "model_attributes_type" and not loc:
        msg = "the body must be a JSON object sent with Content-Type: application/json"
    elif loc == ["question"] and error.get("type") in ("string_too_short", "string_pattern_mismatch"):
        msg = "the question is empty"  # the schema's minLength and pattern, in plain words
    return {"field": ".".join(loc), "msg": msg, "type": str(error.get("type", ""))}
