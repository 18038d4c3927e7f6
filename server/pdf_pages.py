"""A PDF's pages: their sizes, where a span of its text lies on them, and each page as a PNG image (the PDF is drawn
by PDFium in a child process with the PDF's time and memory limits: no script of the PDF ever runs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from server.api import lookup
from server.models import PagesOut, error_responses
from server.state import State

router = APIRouter(tags=["documents"])
_ERRORS = error_responses(400, 404, 413, 422, 500, 503)


@router.get("/api/documents/{doc_id:path}/pages", response_model=PagesOut, responses=_ERRORS)
async def pages(doc_id: str, state: State, start: Annotated[int, Query(ge=0)] = 0, end: Annotated[int, Query(ge=0)] = 0) -> Any:
    """A PDF's page sizes and, for `start` < `end`, the page and boxes of that span of its text (422 for other files)."""
    doc = lookup(state.index(), doc_id)
    spans = [(start, min(end, len(doc.text)))] if start < min(end, len(doc.text)) else []
    layout = await run_in_threadpool(state.engine.pages.layout, doc, spans)
    place = layout.places[0] if layout.places else None
    return {"sizes": [list(s) for s in layout.sizes],
            "quote": {"page": place.page, "boxes": [list(b) for b in place.boxes]} if place else None}


@router.get("/api/documents/{doc_id:path}/pages/{page}.png", response_class=Response, responses=_ERRORS)
async def page_png(doc_id: str, page: int, state: State, scale: Annotated[float, Query(gt=0, le=10)] = 1.5) -> Response:
    """Page `page` (1-based) of a PDF as a PNG, `scale` pixels per point (0.5-3, by 0.25; at most 3000 pixels a side)."""
    doc = lookup(state.index(), doc_id)
    data = await run_in_threadpool(state.engine.pages.png, doc, page, scale)
    # The id names a file that may be indexed again with other bytes: the page is cached by the sha256 it was drawn from.
    tag = f'"{doc.sha256[:16]}-{page}-{scale:g}"'
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=300", "ETag": tag})
