"""An ingest killed mid-embedding, started again, embeds only what it had not saved; the saved
vectors are its own embedder's, never another's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.embed.checkpoint import EmbedCheckpoint, text_key
from app.index.store import load_generation
from tests.embedding_server import ScriptedEmbeddings, scripted_vector

ROOT = Path(__file__).resolve().parents[2]
BATCH, CONCURRENCY = 4, 2


def _corpus(folder: Path, documents: int = 30) -> None:
    folder.mkdir()
    for d in range(documents):
        paragraphs = [
            f"Điều {p + 1}. Quy định số {d}-{p}: xã Bình An giao chỉ tiêu {d * 10 + p} hộ, "
            f"kinh phí {p},5 tỷ đồng "
            f"cho thôn {d % 7}, hoàn thành trước ngày {p + 1}/{d % 12 + 1}/2025. " * 3
            for p in range(10)
        ]
        (folder / f"quy-dinh-{d:02d}.txt").write_text(f"QUY ĐỊNH {d}\n\n" + "\n\n".join(paragraphs), "utf-8")


def _ingest(env: dict[str, str], corpus: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "ingest", str(corpus)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_killed_ingest_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    _corpus(corpus)
    with ScriptedEmbeddings(dim=8, delay_s=0.05) as srv:
        env = {
            **os.environ,
            "INDEX_DIR": str(tmp_path / "index"),
            "EMBEDDER": "openai",
            "EMBED_BASE_URL": srv.url,
            "EMBED_MODEL": "scripted",
            "EMBED_BATCH_SIZE": str(BATCH),
            "EMBED_CONCURRENCY": str(CONCURRENCY),
        }
        first = _ingest(env, corpus)
        deadline = time.monotonic() + 60
        while len(srv.log.inputs) < 20:
            assert first.poll() is None, first.communicate()[0]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        texts_before = sum(srv.log.inputs)  # a fresh index's first write also asks for 1 (its dimension)
        second = _ingest(env, corpus)
        out, _ = second.communicate(timeout=120)
        assert second.returncode == 0, out
        texts_after = sum(srv.log.inputs) - texts_before

    gen = load_generation(tmp_path / "index")
    chunks = gen.chunk_count
    assert not gen.pending
    # The second run asks again only for what the first had not saved: at most the batches in flight.
    assert texts_after <= chunks - (texts_before - 1) + CONCURRENCY * BATCH, (
        texts_after,
        chunks,
        texts_before,
    )
    assert texts_after < chunks - 60
    assert "saved by a stopped run" in out
    # Every vector is the one the endpoint gives for its text (nothing shifted, nothing mixed).
    keys, vectors = gen.vectors.vectors()
    assert len(keys) == chunks
    by_key = gen.chunks([int(k) for k in keys])
    for key, vector in zip(keys, vectors, strict=True):
        want = np.asarray(scripted_vector(by_key[int(key)].embed_text, 8))
        assert np.allclose(vector, want / np.linalg.norm(want), atol=1e-3)
    # Published vectors are no longer kept in the checkpoint.
    assert len(EmbedCheckpoint(tmp_path / "index" / "embed-checkpoint.sqlite", "openai:scripted")) == 0


def test_a_checkpoint_of_another_embedder_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "cp.sqlite"
    a = EmbedCheckpoint(path, "model-a")
    a.put([text_key("x"), text_key("y")], np.ones((2, 4), dtype=np.float32))
    a.close()
    assert set(EmbedCheckpoint(path, "model-a").get([text_key("x"), text_key("z")])) == {text_key("x")}
    assert EmbedCheckpoint(path, "model-b").get([text_key("x")]) == {}
    assert EmbedCheckpoint(path, "model-a").get([text_key("x")]) == {}  # emptied, not hidden
    c = EmbedCheckpoint(path, "model-a")
    c.put([text_key("x")], np.ones((1, 4), dtype=np.float32))
    c.put([text_key("y")], np.ones((1, 6), dtype=np.float32))  # the model behind the name changed
    assert set(c.get([text_key("x"), text_key("y")])) == {text_key("y")}


def test_a_model_that_changed_dimension_behind_its_name_is_refused(tmp_path: Path) -> None:
    from app.config import Settings
    from app.embed import make_embedder
    from app.index import EmbedderMismatch, ingest_documents
    from app.ingest import document_from_text

    def settings(url: str) -> Settings:
        return Settings(INDEX_DIR=tmp_path / "index", EMBEDDER="openai", EMBED_BASE_URL=url, EMBED_MODEL="m")

    with ScriptedEmbeddings(dim=8) as srv:
        ingest_documents(
            settings(srv.url), make_embedder(settings(srv.url)), [document_from_text("a", "Điều 1. Một.")]
        )
    with (
        ScriptedEmbeddings(dim=12) as srv,
        pytest.raises(EmbedderMismatch, match="dimension 12, but the index holds dimension 8"),
    ):
        ingest_documents(
            settings(srv.url), make_embedder(settings(srv.url)), [document_from_text("b", "Điều 2. Hai.")]
        )
    assert load_generation(tmp_path / "index").chunk_count == 1  # nothing of the refused write
