"""A server started on a damaged index rebuilds it from the stored documents and never answers from it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.serve.server import running_app

QUESTION = "Tổng thu ngân sách phường Quy Nhơn năm 2025"


@pytest.mark.slow
def test_server_rebuilds_a_damaged_index_and_never_serves_it(tmp_path: Path, seed_index: Settings) -> None:
    shutil.copytree(seed_index.INDEX_DIR, tmp_path / "index")
    for part in (tmp_path / "index").glob("catalog.sqlite*"):  # rebuilt from the store: re-embedded, ~15 s
        part.unlink()
    settings = seed_index.model_copy(update={"INDEX_DIR": tmp_path / "index"})
    statuses: list[int] = []
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=60) as c:
        assert c.get("/healthz").status_code == 200  # up at once, while the rebuild runs
        deadline = time.monotonic() + 120
        while True:
            r = c.post("/ask", json={"question": QUESTION})
            statuses.append(r.status_code)
            if r.status_code == 200:
                break
            assert r.status_code == 503 and "rebuilding" in r.json()["error"], r.text
            assert r.headers["Retry-After"]
            assert time.monotonic() < deadline, "the rebuild never finished"
            time.sleep(0.2)
        body = r.json()
        assert not body["abstained"] and "348,5 tỷ đồng" in body["answer"]
        assert c.get("/readyz").json()["ready"]
    assert statuses[0] == 503  # the damaged generation was never used to answer
    assert (tmp_path / "index" / "catalog.sqlite").is_file()
