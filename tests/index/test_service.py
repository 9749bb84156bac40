"""The index service on its own (no HTTP): writes are served at once, the vectors changed since the
base are merged into a new one in the background, and a damaged index is repaired while the service
says why it cannot answer yet."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from conftest import make_settings

from app.config import Settings
from app.embed import Embedder
from app.index import Generation, load_generation
from app.index.service import IndexService
from app.ingest import document_from_text


def _wait(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_writes_are_served_and_changed_vectors_merged_into_a_new_base(
    tmp_path: Path, seed_index: Settings, embedder: Embedder
) -> None:
    shutil.copytree(seed_index.INDEX_DIR, tmp_path / "index")
    settings = make_settings(tmp_path, VECTOR_DELTA_MAX=1, EMBED_UPLOADS_IN_BACKGROUND=False)
    served: list[Generation] = []
    service = IndexService(settings, embedder, served.append)
    service.open()
    assert service.error is None and served
    _wait(lambda: not service._merging.is_set())  # the delta at start (every vector) may merge
    first = served[-1]
    for i in range(2):
        doc = document_from_text(
            f"ward_{i}", f"Phường Thử {i}\n\nNăm 2025 phường Thử {i} có {7 + i} tổ dân phố."
        )
        report = service.write([doc], [])
        assert report.added == [f"ward_{i}"] and service.generation is not None
        assert f"ward_{i}" in service.generation.documents  # served once the write returns
    _wait(lambda: not service._merging.is_set() and not service.generation.vectors.needs_merge)
    gen = service.generation
    assert gen is served[-1] and gen.number == first.number + 2
    base = gen.catalog.meta("vector_base")
    assert base and (settings.INDEX_DIR / "vectors" / base).is_file()
    assert int(gen.catalog.meta("vector_base_gen") or 0) == gen.number
    # A fresh process reads that base and nothing after it: the same vectors.
    fresh = load_generation(settings.INDEX_DIR, embedder.name, settings=settings)
    assert sorted(fresh.vectors.keys().tolist()) == sorted(gen.vectors.keys().tolist())
    assert len(gen.vectors) == gen.chunk_count


def test_a_damaged_index_is_repaired_in_the_background(
    tmp_path: Path, seed_index: Settings, embedder: Embedder
) -> None:
    shutil.copytree(seed_index.INDEX_DIR, tmp_path / "index")
    shutil.rmtree(tmp_path / "index" / "lexical")
    settings = make_settings(tmp_path)
    served: list[Generation] = []
    service = IndexService(settings, embedder, served.append)
    service.open()
    assert service.error is None or "rebuilding" in service.error
    _wait(lambda: service.error is None and served)
    assert len(served[-1].documents) == 5 and served[-1].chunk_count == len(served[-1].vectors)
