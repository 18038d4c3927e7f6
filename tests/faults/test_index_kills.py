"""SIGKILL during builds: the previous index always loads and answers the same; leftovers go on the next build."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from faultkit import Baseline, answers, leftovers, spawn_builder

from rag.engine import Engine
from rag.errors import IndexBusyError
from rag.search import store
from rag.search.embedder import Embedder
from rag.search.index import LoadedIndex
from rag.search.indexer import build_index
from rag.settings import Settings

EXTRA = "ledger-extra.txt"


def _extra_text(n: int) -> str:
    return f"Extra ledger {n}\nThe harbour of Brenzo counted {1000 + n} barrels of tar in 1888.\n"


def _set_extra(settings: Settings, present: bool, n: int = 0) -> None:
    path = settings.docs_dir / EXTRA
    if present:
        path.write_text(_extra_text(n), encoding="utf-8")
    else:
        path.unlink(missing_ok=True)


def _indexed_docs(settings: Settings) -> set[str]:
    return set(store.read_manifest(store.current_generation(settings.index_dir), settings.index_dir)["documents"])


def _run_until_started(child: subprocess.Popen[str]) -> float:
    line = child.stdout.readline() if child.stdout else ""
    assert line.strip() == "started", f"builder died before starting: {child.stderr.read() if child.stderr else ''}"
    return time.perf_counter()


def _kill(child: subprocess.Popen[str], after_s: float) -> bool:
    """SIGKILL the child `after_s` seconds from now; True when it was still running (really killed mid-build)."""
    time.sleep(after_s)
    alive = child.poll() is None
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    return alive


def _check_state(settings: Settings, embedder: Embedder, expected: dict[bool, list[object]], previous: str) -> str:
    """The index loads, is the previous or the newest generation, and answers exactly as that content did before."""
    index = LoadedIndex.load(settings.index_dir, settings.model)
    assert index.generation >= previous
    has_extra = EXTRA in index.documents
    assert answers(Engine(settings, embedder)) == expected[has_extra]
    return index.generation


def _timed_build(settings: Settings, load_model: bool) -> float:
    """Seconds from "started" to the end of one uninterrupted child build (to spread the kills over a build)."""
    child = spawn_builder(settings, load_model=load_model)
    started = _run_until_started(child)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0 and "built" in out, err
    return time.perf_counter() - started


@pytest.mark.slow
@pytest.mark.local_store  # kills between the local store's renames; a Milvus publish killed: tests/search/test_milvus.py
def test_sigkill_at_random_moments_of_builds_keeps_the_previous_index(work: Settings, baseline: Baseline, embedder: Embedder) -> None:
    rng = random.Random(1234)
    _set_extra(work, True)
    build_index(work, embedder)
    expected = {False: baseline.answers, True: answers(Engine(work, embedder))}
    _set_extra(work, False)
    # Deleting the extra document needs no model: the child's whole life is the build's reading and writing.
    # Adding it back loads the model first (seconds), then embeds and writes: only a few of those, they are slow.
    build_s = min(_timed_build(work, load_model=False) for _ in range(3))  # the quickest: a slow first run spreads kills past the end
    kills = mid_build = with_leftovers = 0
    generation = store.current_generation(work.index_dir).name
    for i in range(24):
        embed = i % 8 == 7
        # Put the index in the state this kind of build starts from, with a normal in-process build when needed.
        if (EXTRA in _indexed_docs(work)) == embed:
            _set_extra(work, not embed, i)
            build_index(work, embedder)
            assert leftovers(work.index_dir) == []
            generation = _check_state(work, embedder, expected, generation)
        _set_extra(work, embed, i + 2)
        child = spawn_builder(work, load_model=embed)
        _run_until_started(child)
        mid_build += _kill(child, rng.uniform(0, (1.5 if embed else 1.1) * build_s))
        kills += 1
        with_leftovers += bool(leftovers(work.index_dir))
        generation = _check_state(work, embedder, expected, generation)
    print(f"{kills} kills, {mid_build} while the builder ran, {with_leftovers} left a half-written build behind")
    assert kills >= 20 and mid_build >= 15, (kills, mid_build)
    assert with_leftovers >= 1, "no kill landed while a generation was being written"
    build_index(work, embedder)
    assert leftovers(work.index_dir) == []
    assert len(list(work.index_dir.glob("gen-*"))) <= 2
    _check_state(work, embedder, expected, generation)


@pytest.mark.slow
@pytest.mark.local_store
def test_sigkill_at_every_file_system_step_of_a_build_keeps_a_loadable_index(
    work: Settings, baseline: Baseline, embedder: Embedder
) -> None:
    _set_extra(work, True)
    build_index(work, embedder)
    expected = {False: baseline.answers, True: answers(Engine(work, embedder))}
    _set_extra(work, False)
    probe = spawn_builder(work, kill_at=10_000)  # counts the steps of a full build without dying
    out, err = probe.communicate(timeout=120)
    steps = int(out.split()[-1])
    assert steps >= 10, (out, err)
    # The first step, one in the middle of flushing files, and every step from the last flushes to the end
    # (rename of the build, pointer swap, directory flush, removal of old generations).
    for kill_at in sorted({1, steps // 2, *range(max(1, steps - 5), steps + 1)}):
        _set_extra(work, True)
        build_index(work, embedder)  # the extra document is indexed again; the child's build will delete it
        generation = store.current_generation(work.index_dir).name
        _set_extra(work, False)
        child = spawn_builder(work, kill_at=kill_at)
        _, err = child.communicate(timeout=120)
        assert child.returncode == -signal.SIGKILL, (kill_at, err)
        _check_state(work, embedder, expected, generation)
    build_index(work, embedder)
    assert leftovers(work.index_dir) == []


def _lock_holder(index_dir: Path) -> subprocess.Popen[str]:
    code = (
        "import sys, time; from pathlib import Path; from rag.search.store import build_lock\n"
        "with build_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(120)\n"
    )
    import sys

    holder = subprocess.Popen([sys.executable, "-c", code, str(index_dir)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_second_indexer_fails_clearly_and_a_killed_holders_lock_is_recovered(work: Settings, embedder: Embedder) -> None:
    import sys

    holder = _lock_holder(work.index_dir)
    try:
        (work.docs_dir / "ledger-0002.txt").unlink()
        with pytest.raises(IndexBusyError, match="another process is building the index"):
            build_index(work, embedder)
        cli = subprocess.run(
            [sys.executable, "-m", "rag.cli", "index", "--docs", str(work.docs_dir), "--index", str(work.index_dir)],
            capture_output=True, text=True, timeout=120,
        )
        assert cli.returncode == 1
        expected = f"rag: error: another process is building the index in {work.index_dir}; try again when it is done"
        assert cli.stderr.strip().splitlines() == [expected]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (work.index_dir / ".lock").exists()  # the killed holder's lock file stays behind...
    report = build_index(work, embedder)  # ...and does not block anyone
    assert "ledger-0002.txt" not in LoadedIndex.load(work.index_dir, work.model).documents
    assert report.documents == len(list(work.docs_dir.iterdir()))
