"""Writers share one lock across processes; a server follows generations others write."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.config import Settings
from app.embed import Embedder
from app.index import ingest_documents
from app.index.store import writer_lock
from app.ingest import document_from_text
from app.serve.routes import GENERATION_HEADER
from app.serve.server import running_app

KEY = "writers-key"


@pytest.fixture
def settings(tmp_path: Path, seed_index: Settings) -> Settings:
    shutil.copytree(seed_index.INDEX_DIR, tmp_path / "index")
    return seed_index.model_copy(
        update={
            "INDEX_DIR": tmp_path / "index",
            "ADMIN_API_KEY": SecretStr(KEY),
            "WRITER_WAIT_S": 0.5,
            "RELOAD_INTERVAL_S": 0.1,
        }
    )


def test_upload_while_another_writer_holds_the_lock_is_409(settings: Settings) -> None:
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=60) as c:
        before = c.get("/documents", headers={"X-API-Key": KEY}).json()
        with writer_lock(settings.INDEX_DIR):  # e.g. a CLI ingest in progress
            r = c.post(
                "/documents",
                headers={"X-API-Key": KEY},
                json={"doc_id": "blocked", "text": "Xã Chờ\n\nNăm 2025 xã Chờ có 12 thôn."},
            )
        assert r.status_code == 409 and r.headers["Retry-After"] and "another ingest" in r.json()["error"]
        assert c.get("/documents", headers={"X-API-Key": KEY}).json() == before
        assert not (settings.INDEX_DIR / "documents" / "blocked.json").exists()
        again = c.post(
            "/documents",
            headers={"X-API-Key": KEY},
            json={"doc_id": "blocked", "text": "Xã Chờ\n\nNăm 2025 xã Chờ có 12 thôn."},
        )
        assert again.status_code == 201  # the lock is free again: the retry goes through


def test_server_follows_a_generation_the_cli_wrote(settings: Settings, embedder: Embedder) -> None:
    question = {"question": "Năm 2025 xã Ngoài Luồng trồng bao nhiêu ha rừng?"}
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=60) as c:
        assert c.post("/ask", json=question).json()["abstained"]
        doc = document_from_text("cli_doc", "Xã Ngoài Luồng\n\nNăm 2025 xã Ngoài Luồng trồng 77 ha rừng.")
        report = ingest_documents(settings, embedder, [doc])  # what `python -m app ingest` runs
        deadline = time.monotonic() + 30
        while (r := c.post("/ask", json=question)).headers[GENERATION_HEADER] != report.generation:
            assert time.monotonic() < deadline, "the server never switched to the new generation"
            time.sleep(0.1)
        assert "77 ha" in r.json()["answer"]
