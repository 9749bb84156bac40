"""The service with EMBEDDER=openai, over HTTP: uploads embedded through the endpoint (progress in
/metrics), questions answered, and a 503 with Retry-After, never a 500, when the endpoint is down."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.config import Settings
from app.embed import make_embedder
from app.index import ingest_documents
from app.ingest import document_from_text
from tests.milvus_server import free_port
from tests.server_process import AUTH, ROOT, ServerProcess

LAW = """QUY ĐỊNH VỀ QUẢN LÝ CHỢ

Điều 1. Phạm vi điều chỉnh
Quy định này áp dụng cho 14 chợ trên địa bàn xã Tân Phú.

Điều 2. Phí sử dụng diện tích bán hàng
Mức phí là 120.000 đồng một mét vuông một tháng, nộp trước ngày 5 hằng tháng.
"""


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def _endpoint(port: int, dim: int) -> subprocess.Popen[str]:
    """Its own process, so that it can go away as a real one does."""
    proc = subprocess.Popen(
        [sys.executable, "tests/embedding_server.py", "--port", str(port), "--dim", str(dim), "--delay", "0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and "scripted embeddings" in proc.stdout.readline()
    return proc


def test_uploads_questions_and_an_endpoint_that_goes_away(tmp_path: Path) -> None:
    port = free_port()
    endpoint = _endpoint(port, 16)
    env = {
        "EMBEDDER": "openai",
        "EMBED_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "EMBED_MODEL": "scripted",
        "EMBED_RETRIES": "1",
        "EMBED_RETRY_MAX_WAIT_S": "0.2",
        "EMBED_TIMEOUT_S": "2",
    }
    try:
        settings = Settings(INDEX_DIR=tmp_path / "index", **env)  # type: ignore[arg-type]
        first = document_from_text("bao-cao", "BÁO CÁO\nNăm 2025 xã Tân Phú thu ngân sách 348,5 tỷ đồng.")
        ingest_documents(settings, make_embedder(settings), [first])
        with ServerProcess(tmp_path / "index", **env) as api:
            up = httpx.post(
                f"{api.url}/documents",
                headers=AUTH,
                files={"files": ("quy-dinh-cho.txt", LAW.encode(), "text/plain")},
                timeout=30,
            )
            assert up.status_code in (200, 201), up.text
            deadline = time.monotonic() + 20
            while httpx.get(f"{api.url}/readyz", timeout=5).json().get("pending_vectors"):
                assert time.monotonic() < deadline, "the upload was never embedded"
                time.sleep(0.1)
            metrics = httpx.get(f"{api.url}/metrics", timeout=5).text
            assert _metric(metrics, "embedded_passages_total") >= 1
            assert _metric(metrics, "embedding_running") == 0

            # The scripted vectors carry no meaning: what is checked is that a question goes through.
            found = httpx.post(
                f"{api.url}/search", json={"question": "phí sử dụng diện tích bán hàng"}, timeout=30
            )
            assert found.status_code == 200, found.text
            assert "quy-dinh-cho" in [p["doc_id"] for p in found.json()["passages"]]

            endpoint.kill()  # the endpoint goes away
            endpoint.wait()
            t0 = time.monotonic()
            down = httpx.post(f"{api.url}/search", json={"question": "phí chợ một mét vuông"}, timeout=30)
            assert down.status_code == 503, down.text
            assert "Retry-After" in down.headers and "/embeddings" in down.json()["error"]
            assert time.monotonic() - t0 < 5
            streamed = httpx.post(
                f"{api.url}/ask", json={"question": "phí chợ một mét vuông", "stream": True}, timeout=30
            )
            assert streamed.status_code == 200 and "event: error" in streamed.text

            endpoint = _endpoint(port, 24)  # back, but serving another model under the same name
            swapped = httpx.post(f"{api.url}/search", json={"question": "phí chợ một mét vuông"}, timeout=30)
            assert swapped.status_code == 503 and "dimension 24" in swapped.json()["error"], swapped.text
    finally:
        endpoint.kill()
        endpoint.wait()
