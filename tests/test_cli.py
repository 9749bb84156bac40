"""The CLI as a user runs it: a real subprocess over a real index."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], index_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INDEX_DIR": str(index_dir), "OMP_NUM_THREADS": "2"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_ingest_then_search(tmp_path: Path) -> None:
    seed = ROOT / "seeds" / "000_ba4ab6dccccf8163.txt"
    first = _run(["ingest", str(seed)], tmp_path / "index")
    assert first.returncode == 0, first.stderr
    assert "1 added" in first.stdout and "embedded" in first.stdout
    again = _run(["ingest", str(seed)], tmp_path / "index")
    assert "1 unchanged" in again.stdout and "embedded 0 chunks" in again.stdout
    found = _run(["search", "tổng thu ngân sách năm 2025", "--top-k", "2"], tmp_path / "index")
    assert found.returncode == 0, found.stderr
    assert "000_ba4ab6dccccf8163#" in found.stdout and "date=2025-12-11" in found.stdout


def test_search_without_index_says_how_to_build(tmp_path: Path) -> None:
    result = _run(["search", "câu hỏi"], tmp_path / "none")
    assert result.returncode == 1
    assert "python -m app ingest" in result.stderr


def test_settings_from_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("INDEX_DIR", "/tmp/x")
    monkeypatch.setenv("CHUNK_MAX_CHARS", "500")
    s = Settings(_env_file=None)
    assert s.INDEX_DIR == Path("/tmp/x") and s.CHUNK_MAX_CHARS == 500


def test_delete_and_reindex_commands(tmp_path: Path) -> None:
    seed = ROOT / "seeds" / "002_65dc7c8ac4db1663.txt"
    assert _run(["ingest", str(seed)], tmp_path / "index").returncode == 0
    again = _run(["reindex"], tmp_path / "index")
    assert again.returncode == 0 and "embedded 0 chunks" in again.stdout
    gone = _run(["delete", "002_65dc7c8ac4db1663", "missing_doc"], tmp_path / "index")
    assert gone.returncode == 1 and "1 removed" in gone.stdout and "not stored: missing_doc" in gone.stderr
    assert "holds 0 documents" in gone.stdout
    assert not list((tmp_path / "index" / "documents").glob("*.json"))


def test_reindex_reads_kept_originals_again(tmp_path: Path) -> None:
    """The uploaded file is kept; a reader that improves re-reads it on reindex. Simulated by a stored
    document whose text is stale (as an older reader left it): reindex restores it from the original."""
    import dataclasses
    import json

    from app.index.documents import DocumentStore

    src = tmp_path / "quy_che.md"
    src.write_text(
        "# Quy chế\n\n## Điều 1. Phạm vi\n\nQuy chế áp dụng cho 1.250 sinh viên.", encoding="utf-8"
    )
    index = tmp_path / "index"
    assert _run(["ingest", str(src)], index).returncode == 0
    store = DocumentStore(index / "documents")
    assert store.original("quy_che") == src.read_bytes()
    doc = store.get("quy_che")
    assert doc is not None
    stale = dataclasses.replace(doc, text="Quy chế", spans=(), content_hash="old-reader")
    path = next((index / "documents").glob("quy_che.json"))
    path.write_text(json.dumps(dataclasses.asdict(stale), ensure_ascii=False), encoding="utf-8")
    again = _run(["reindex"], index)
    assert again.returncode == 0, again.stderr
    fresh = store.get("quy_che")
    assert fresh is not None and "1.250 sinh viên" in fresh.text and fresh.content_hash == doc.content_hash


def test_ingest_and_search_a_collection(tmp_path: Path) -> None:
    from app.serve.access import AccessStore

    index = tmp_path / "index"
    source = tmp_path / "noi-bo.txt"
    source.write_text("Kế hoạch nội bộ\n\nDự án Hồ Sen Tím được dành 913,7 tỷ đồng.", encoding="utf-8")
    missing = _run(["--collection", "noi-bo", "ingest", str(source)], index)
    assert missing.returncode == 1 and "make it first" in missing.stderr
    access = AccessStore(index / "access.sqlite")
    access.create_collection("noi-bo", public=False)
    access.close()
    assert _run(["--collection", "noi-bo", "ingest", str(source)], index).returncode == 0
    found = _run(["--collection", "noi-bo", "search", "Hồ Sen Tím", "--top-k", "1"], index)
    assert found.returncode == 0 and "noi-bo#" in found.stdout, found.stderr
    assert (index / "collections" / "noi-bo" / "catalog.sqlite").exists()
    assert not (index / "catalog.sqlite").exists()  # `default` untouched
