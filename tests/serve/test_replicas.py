"""Two API replicas over one Milvus (`VECTOR_STORE=milvus`), as real processes on loopback: an upload
through one is answered by the other within 2 s, neither keeps anything on local disk the other
needs, and Milvus going away is a 503 with Retry-After (never a 500, never a hang) that heals
without a restart when it comes back."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import httpx
import pytest
from milvus_server import MilvusServer
from server_process import AUTH, ServerProcess

_prefixes = (f"replicas{i}" for i in itertools.count())


def _replica(tmp_path: Path, name: str, milvus: MilvusServer, prefix: str) -> ServerProcess:
    return ServerProcess(
        tmp_path / f"{name}-index",  # never written: the shared index keeps nothing locally
        VECTOR_STORE="milvus",
        MILVUS_URI=milvus.uri,
        MILVUS_COLLECTION=prefix,
        MILVUS_TIMEOUT_S="2",
        RELOAD_INTERVAL_S="0.2",
    )


def _ask(url: str, question: str) -> httpx.Response:
    return httpx.post(f"{url}/ask", json={"question": question}, timeout=30)


REPORT = (
    "Phường Hòa Hiệp tổng kết năm 2025\n\n"
    "Năm 2025, tổng thu ngân sách phường Hòa Hiệp đạt 57,3 tỷ đồng, vượt dự toán. "
    "Phường Hòa Hiệp có 14 tổ dân phố."
)
QUESTION = "Tổng thu ngân sách phường Hòa Hiệp năm 2025 là bao nhiêu?"


@pytest.mark.slow
def test_an_upload_through_one_replica_is_answered_by_the_other(tmp_path: Path, milvus: MilvusServer) -> None:
    prefix = next(_prefixes)
    with _replica(tmp_path, "a", milvus, prefix) as a, _replica(tmp_path, "b", milvus, prefix) as b:
        assert _ask(b.url, QUESTION).json()["abstained"]
        up = httpx.post(
            f"{a.url}/documents", headers=AUTH, json={"doc_id": "hoa-hiep", "text": REPORT}, timeout=120
        )
        assert up.status_code == 201, up.text
        t0 = time.monotonic()
        while True:
            body = _ask(b.url, QUESTION).json()
            if not body["abstained"]:
                break
            assert time.monotonic() - t0 < 2.0, "the other replica did not answer within 2 s"
            time.sleep(0.05)
        assert "57,3 tỷ đồng" in body["answer"] and body["citations"][0]["doc_id"] == "hoa-hiep"
        assert httpx.get(f"{b.url}/documents/hoa-hiep/original", headers=AUTH, timeout=10).status_code == 404
        gone = httpx.delete(f"{b.url}/documents/hoa-hiep", headers=AUTH, timeout=60)
        assert gone.status_code == 200, gone.text
        t0 = time.monotonic()
        while not _ask(a.url, QUESTION).json()["abstained"]:
            assert time.monotonic() - t0 < 2.0, "the delete was not seen by the other replica within 2 s"
            time.sleep(0.05)
    assert not (tmp_path / "a-index").exists() or not any((tmp_path / "a-index").iterdir())


@pytest.mark.slow
def test_milvus_away_is_a_503_with_retry_after_and_heals_without_a_restart(tmp_path: Path) -> None:
    milvus = MilvusServer(tmp_path / "milvus").start()
    try:
        with _replica(tmp_path, "a", milvus, next(_prefixes)) as a:
            up = httpx.post(
                f"{a.url}/documents", headers=AUTH, json={"doc_id": "hoa-hiep", "text": REPORT}, timeout=120
            )
            assert up.status_code == 201, up.text
            assert not _ask(a.url, QUESTION).json()["abstained"]
            milvus.kill()
            statuses = []
            for path, body in (("/ask", {"question": QUESTION}), ("/search", {"question": QUESTION})):
                t0 = time.monotonic()
                r = httpx.post(f"{a.url}{path}", json=body, timeout=30)
                assert time.monotonic() - t0 < 8, "a request hung while Milvus was away"
                statuses.append(r.status_code)
                assert r.status_code == 503 and r.headers.get("Retry-After"), (path, r.status_code, r.text)
                assert "unavailable" in r.json()["error"]
            ready = httpx.get(f"{a.url}/readyz", timeout=10)
            assert ready.status_code == 503 and "Milvus" in ready.json()["error"]
            milvus.start()  # same port, same data
            t0 = time.monotonic()
            while httpx.get(f"{a.url}/readyz", timeout=10).status_code != 200:
                assert time.monotonic() - t0 < 15, "the replica did not recover after Milvus came back"
                time.sleep(0.1)
            recovered = time.monotonic() - t0
            body = _ask(a.url, QUESTION).json()
            assert not body["abstained"] and "57,3 tỷ đồng" in body["answer"], (recovered, body)
    finally:
        milvus.stop()
