"""The JSON API: thin routes over the engine; CPU and disk work runs in worker threads, never on the event loop."""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from rag.errors import DocumentError, DocumentNotFoundError
from rag.schema import Document
from rag.search.index import LoadedIndex
from server import uploads
from server.errors import redact
from server.middleware import TOKEN_NEEDED
from server.models import (
    AnswerOut,
    AskRequest,
    DeleteOut,
    DocumentDetail,
    DocumentSummary,
    HealthOut,
    JobOut,
    UploadOut,
    error_responses,
)
from server.state import ServerState, State

router = APIRouter()


def require_token(request: Request, state: State) -> None:
    """When an API token is configured, demand `Authorization: Bearer <token>` (constant-time compare)."""
    token = state.settings.api_token
    if not token:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise HTTPException(401, TOKEN_NEEDED, {"WWW-Authenticate": "Bearer"})


Authorised = Annotated[None, Depends(require_token)]


# What any route may answer besides its own: the guard's refusals (server/middleware.py) and unexpected failures.
_ANY = (400, 413, 500)
_WRITE = (*_ANY, 401, 403, 503, 507)


@router.get("/healthz", response_model=HealthOut, tags=["health"], responses={503: {"model": HealthOut}, **error_responses(*_ANY)})
def healthz(state: State) -> Any:
    """Ready or not, with what is served. Answers while questions are being served (503 until warmed up)."""
    s = state.settings
    body: dict[str, Any] = {
        "status": "ready" if state.ready else ("error" if state.error else "starting"),
        "ready": state.ready, "model": s.model, "uploads_need_token": bool(s.api_token),
        "max_question_chars": s.max_question_chars, "max_upload_bytes": s.max_upload_bytes,
        "error": redact(state.error, s) if state.error else None,  # the machine's folders stay private
    }
    if state.ready:
        index = state.index()
        body.update(documents=len(index.documents), chunks=index.chunk_count, generation=index.generation,
                    index_built=index.manifest.get("created"))
    return JSONResponse(HealthOut(**body).model_dump(), status_code=200 if state.ready else 503)


@router.post("/api/ask", response_model=AnswerOut, tags=["questions"], responses=error_responses(*_ANY, 403, 422, 503))
async def ask(body: AskRequest, state: State) -> Any:
    """Answer a question with verbatim quotes and numbered citations, or abstain with the closest passages."""
    if len(body.question) > state.settings.max_question_chars:
        raise _invalid("question", f"the question is longer than {state.settings.max_question_chars:,} characters")
    history = [turn.model_dump() for turn in body.history]
    state.index()  # 503 while starting
    with state.ask_gate.slot():
        answer = await run_in_threadpool(state.engine.ask, body.question, history, body.top_k)
    return answer.to_dict()


@router.get("/api/documents", response_model=list[DocumentSummary], tags=["documents"], responses=error_responses(*_ANY, 503))
def list_documents(state: State) -> Any:
    """Every indexed document: id (its path in the docs folder), title, size in bytes, chunk count."""
    index = state.index()
    return [_summary(index, doc) for doc in sorted(index.documents.values(), key=lambda d: d.doc_id.lower())]


@router.get("/api/documents/{doc_id:path}", response_model=DocumentDetail, tags=["documents"],
            responses=error_responses(*_ANY, 404, 422, 503))
def get_document(doc_id: str, state: State) -> Any:
    """One document's text and metadata, looked up by id in the loaded index (a URL never reaches the file system)."""
    index = state.index()
    doc = lookup(index, doc_id)
    return {**_summary(index, doc), "sha256": doc.sha256, "text": doc.text}


@router.post("/api/documents", response_model=UploadOut, status_code=201, tags=["documents"],
             responses={200: {"model": UploadOut, "description": "the same bytes are indexed already"},
                        202: {"model": UploadOut, "description": "stored; a background job indexes it (follow /api/jobs/{id})"},
                        **error_responses(*_WRITE, 415, 422)})
async def upload_document(file: Annotated[UploadFile, File(description="a .txt, .md, .html, .pdf or .docx file")], state: State,
                          _auth: Authorised, response: Response) -> Any:
    """Store a file in the docs folder under a safe name and index it; it is answerable when this returns (201).

    A file of `background_upload_bytes` or more, or one sent while a background build waits or runs, is indexed in
    the background: 202 with the `job` to follow. A file the index already holds (the same bytes) is not stored
    twice: 200 with `existing` and its document.
    """
    name = uploads.safe_name(file.filename or "")
    state.index()  # 503 while starting
    if (file.size or 0) >= state.settings.background_upload_bytes or state.jobs.busy():
        out = await run_in_threadpool(_store_for_job, state, name, file)
        response.status_code = 200 if out["existing"] else 202
        return out
    with state.build_gate.slot():
        out = await run_in_threadpool(_store_and_index, state, name, file)
    if out["existing"]:
        response.status_code = 200
    return out


@router.get("/api/jobs/{job_id}", response_model=JobOut, tags=["documents"], responses=error_responses(*_ANY, 404))
def get_job(job_id: str, state: State) -> Any:
    """A background build: its files, how far it is, and its outcome."""
    job = state.jobs.get(job_id)
    if job is None:
        raise DocumentNotFoundError("no job has this id")
    return job.to_dict()


@router.delete("/api/jobs/{job_id}", response_model=JobOut, tags=["documents"], responses=error_responses(*_WRITE, 404))
def cancel_job(job_id: str, state: State, _auth: Authorised) -> Any:
    """Cancel a background build: its files are removed and the index stays as it was (a finished job is unchanged)."""
    job = state.jobs.cancel(job_id)
    if job is None:
        raise DocumentNotFoundError("no job has this id")
    return job.to_dict()


@router.delete("/api/documents/{doc_id:path}", response_model=DeleteOut, tags=["documents"],
               responses=error_responses(*_WRITE, 404, 422))
async def delete_document(doc_id: str, state: State, _auth: Authorised) -> Any:
    """Delete a document's file from the docs folder and re-index; it is gone from answers when this returns."""
    lookup(state.index(), doc_id)
    with state.build_gate.slot():
        generation = await run_in_threadpool(_delete_and_index, state, doc_id)
    return {"deleted": doc_id, "generation": generation}


def lookup(index: LoadedIndex, doc_id: str) -> Document:
    """The indexed document with this id, or DocumentNotFoundError (404)."""
    doc = index.documents.get(doc_id)
    if doc is None:
        raise DocumentNotFoundError("no document has this id")
    return doc


def _summary(index: LoadedIndex, doc: Document) -> dict[str, Any]:
    meta = index.manifest.get("documents", {}).get(doc.doc_id, {})
    return {"doc_id": doc.doc_id, "title": doc.title, "size": doc.size, "chunks": int(meta.get("chunks", 0))}


def _store_and_index(state: ServerState, name: str, file: UploadFile) -> dict[str, Any]:
    """Write the upload and rebuild (serialised); a file the loader rejects is removed again, with its reason."""
    started = time.perf_counter()
    docs = state.settings.docs_dir
    with state.build_lock:
        doc_id, digest = uploads.store_upload(docs, name, file.file, state.settings.max_upload_bytes)
        index = state.index()
        same = next((d for d in index.documents.values() if d.sha256 == digest), None)
        if same is not None:  # a second copy would leave one of the two out of the index, and its links dead
            (docs / doc_id).unlink(missing_ok=True)
            return {"document": _summary(index, same), "generation": index.generation,
                    "seconds": round(time.perf_counter() - started, 3), "existing": True}
        try:
            report = state.engine.build()
        except BaseException:
            (docs / doc_id).unlink(missing_ok=True)
            raise
        index = state.index()
        if doc_id not in index.documents:
            reason = next((s.reason for s in report.skipped if s.path == doc_id), "it has no readable text")
            (docs / doc_id).unlink(missing_ok=True)
            raise DocumentError(f"the file was not indexed: {reason}")
        return {"document": _summary(index, index.documents[doc_id]), "generation": index.generation,
                "seconds": round(time.perf_counter() - started, 3), "existing": False}



def _store_for_job(state: ServerState, name: str, file: UploadFile) -> dict[str, Any]:
    """Write the upload and hand its build to the background jobs (a copy of an indexed file is not kept)."""
    started = time.perf_counter()
    docs = state.settings.docs_dir
    doc_id, digest = uploads.store_upload(docs, name, file.file, state.settings.max_upload_bytes)
    index = state.index()
    same = next((d for d in index.documents.values() if d.sha256 == digest), None)
    if same is not None:
        (docs / doc_id).unlink(missing_ok=True)
        return {"document": _summary(index, same), "generation": index.generation,
                "seconds": round(time.perf_counter() - started, 3), "existing": True, "job": None}
    try:
        job = state.jobs.submit(doc_id)
    except BaseException:
        (docs / doc_id).unlink(missing_ok=True)
        raise
    return {"document": None, "generation": None, "seconds": round(time.perf_counter() - started, 3), "existing": False,
            "job": job.to_dict()}


def _delete_and_index(state: ServerState, doc_id: str) -> str:
    """Delete as one change: the file is set aside, the index rebuilt without it, and only then is the file
    removed; a failed rebuild puts the file back, so the folder and the index never disagree."""
    with state.build_lock:
        path = uploads.document_path(state.settings.docs_dir, lookup(state.index(), doc_id).doc_id)
        aside = uploads.set_aside(path) if path is not None else None  # None: removed by hand; the rebuild drops it
        try:
            state.engine.build()
        except BaseException:
            if aside is not None:
                uploads.put_back(aside)
            raise
        if aside is not None:
            uploads.remove(aside)
        return state.index().generation


def _invalid(field: str, message: str) -> HTTPException:
    return HTTPException(422, f"invalid request: {field}: {message}")

