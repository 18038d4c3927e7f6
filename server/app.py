"""The web app: `create_app(settings)` wires the API, the chat page, the document view and the guard middleware."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import jinja2
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from rag.engine import Engine
from rag.errors import RagError
from rag.ingest.pageview import is_pdf
from rag.settings import Settings
from server import errors, openai_api, pdf_pages, watch
from server.api import lookup, router
from server.middleware import GuardMiddleware
from server.reading import blocks
from server.state import NotReadyError, ServerState, State

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True))
# Every request but the few cheap ones can be in flight at once up to this multiple of the question limit.
IN_FLIGHT_FACTOR = 4
FOLLOW_S = 5.0  # how often to look for an index generation built outside the server (one small file read)


def create_app(settings: Settings, engine: Engine | None = None, warm_up: bool = True, follow_s: float = FOLLOW_S) -> FastAPI:
    """Build the app over one settings object; `engine` lets tests share a loaded one.

    With `warm_up`, the model and index load in a worker thread at start; /healthz says ready when done.
    Every `follow_s` seconds the server picks up a generation built by another process.
    """
    state = ServerState(settings, engine or Engine(settings))

    async def follow() -> None:
        while True:
            await asyncio.sleep(follow_s)
            await run_in_threadpool(state.follow_index)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(run_in_threadpool(state.warm_up)) if warm_up else None
        follower = asyncio.create_task(follow())
        stop_watching = anyio.Event()
        watcher = asyncio.create_task(watch.watch_folder(state, stop_watching)) if settings.watch else None
        yield
        follower.cancel()
        if watcher is not None:
            stop_watching.set()
            watcher.cancel()
        await run_in_threadpool(state.jobs.shutdown)  # unfinished background builds are cancelled and rolled back
        if task is not None:
            await task

    app = FastAPI(
        title="rag-quotes",
        summary="Answers from your own documents, as verbatim quotes with numbered citations.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # the stock Swagger page loads scripts from a CDN; /docs is served locally instead
        redoc_url=None,
    )
    app.state.rag = state
    errors.install(app, settings)
    app.include_router(pdf_pages.router)  # before the API's /api/documents/{doc_id:path}, which would take its paths
    app.include_router(router)
    app.include_router(openai_api.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _pages(app, settings)
    app.add_middleware(GuardMiddleware, upload_limit=settings.max_upload_bytes,
                       max_in_flight=settings.max_concurrent_asks * IN_FLIGHT_FACTOR, token=settings.api_token)
    return app


def _pages(app: FastAPI, settings: Settings) -> None:
    """The HTML pages: chat, document view, API reference."""

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return TEMPLATES.TemplateResponse(request, name, {"settings": settings, **context}, status_code=status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def chat(request: Request) -> Response:
        return page(request, "chat.html")

    @app.get("/documents/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def document(request: Request, doc_id: str, state: State) -> Response:
        try:
            doc = lookup(state.index(), doc_id)
        except (RagError, NotReadyError) as exc:
            status = errors.status_for(exc)
            return page(request, "missing.html", status, status_code=status, message=errors.redact(str(exc), settings))
        return page(request, "document.html", doc=doc, blocks=blocks(doc.text), pdf=is_pdf(doc.doc_id))

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request) -> Response:
        return page(request, "apidocs.html")

