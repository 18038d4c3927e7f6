"""The `rag` command line: the same JSON as the API, one-line errors, non-zero exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.cli import main
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _rag(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)


@pytest.mark.slow
def test_cli_ask_json_prints_the_api_object(seed_settings: Settings, seed_engine: object) -> None:
    result = _rag("ask", "Who is Keith Kellogg?", "--json", "--docs", str(seed_settings.docs_dir), "--index", str(seed_settings.index_dir))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert set(body) >= {"question", "answer", "abstained", "citations", "passages", "searched_question", "timings_ms"}
    assert body["citations"] and "Kellogg" in body["answer"]


@pytest.mark.slow
def test_cli_ask_plain_lists_citations(seed_settings: Settings, seed_engine: object) -> None:
    where = ["--docs", str(seed_settings.docs_dir), "--index", str(seed_settings.index_dir)]
    result = _rag("ask", "Which committee does Mike McCaul chair?", *where)
    assert result.returncode == 0, result.stderr
    assert "House Foreign Affairs Committee" in result.stdout and "[1] " in result.stdout


@pytest.mark.slow
def test_cli_ask_plain_lists_the_closest_passages_one_per_line_when_it_abstains(seed_settings: Settings, seed_engine: object) -> None:
    where = ["--docs", str(seed_settings.docs_dir), "--index", str(seed_settings.index_dir)]
    result = _rag("ask", "What is the boiling point of water at sea level?", *where)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "don't say" in lines[0]
    assert len(lines) == 4 and all(line.startswith("  - ") and "(chars " in line for line in lines[1:]), lines


def test_cli_ask_without_index_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "Anything?", "--docs", str(tmp_path), "--index", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("rag: error: no index in") and err.count("\n") == 1 and "Traceback" not in err


def test_cli_index_missing_docs_folder_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["index", "--docs", str(tmp_path / "missing"), "--index", str(tmp_path / "index")])
    assert code == 1 and "documents folder not found" in capsys.readouterr().err


def test_cli_bad_environment_value_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_TOP_K", "many")
    assert main(["ask", "x", "--index", str(tmp_path)]) == 1
    assert "RAG_TOP_K='many' is not a valid int" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_index_reports_skipped_files(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("A good document about apples.", encoding="utf-8")
    (docs / "empty.txt").write_text("", encoding="utf-8")
    result = _rag("index", "--docs", str(docs), "--index", str(tmp_path / "index"))
    assert result.returncode == 0, result.stderr
    assert "skipped empty.txt: empty file" in result.stderr
    assert "1 documents" in result.stdout and "1 skipped" in result.stdout
