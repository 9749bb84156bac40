"""Crash safety: a server process is SIGKILLed during ingest, at named points and at random moments.

After a restart every acknowledged document is answerable, every other one is wholly present or
wholly absent, and the index verifies against the stored documents.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import make_settings
from server_process import AUTH, ServerProcess

from app.config import Settings
from app.embed import Embedder
from app.index import DocumentStore, check_index, ingest_documents
from app.index.crashpoints import POINTS
from app.ingest import document_from_text

WARDS = ["An Nhơn", "Bồng Sơn", "Cát Tiến", "Diêu Trì", "Hoài Hảo", "Tam Quan", "Phước Lộc", "Mỹ Châu"]


def report(ward: str, i: int) -> tuple[str, str, str]:
    """(text, question, figure) of a small report only this document answers."""
    figure = f"{20 + i},{i + 1} tỷ đồng"
    text = (
        f"Phường {ward} tổng kết năm 2025\n\n"
        f"Năm 2025, tổng thu ngân sách phường {ward} đạt {figure}, vượt dự toán. "
        f"Phường {ward} có {i + 2} tổ dân phố mới."
    )
    return text, f"Tổng thu ngân sách phường {ward} năm 2025 là bao nhiêu?", figure


def slug(ward: str) -> str:
    return "crash_" + "".join(ch for ch in ward.lower() if ch.isalnum())


@pytest.fixture
def index_dir(tmp_path: Path, seed_index: Settings) -> Path:
    shutil.copytree(seed_index.INDEX_DIR, tmp_path / "index")
    return tmp_path / "index"


def upload(url: str, ward: str, i: int) -> httpx.Response:
    text, _, _ = report(ward, i)
    return httpx.post(
        f"{url}/documents",
        headers=AUTH,
        json={"doc_id": slug(ward), "text": text},
        timeout=120,
    )


def assert_answerable(url: str, ward: str, i: int) -> None:
    _, question, figure = report(ward, i)
    body = httpx.post(f"{url}/ask", json={"question": question}, timeout=60).json()
    assert not body["abstained"] and figure in body["answer"], (ward, body["answer"])
    assert [c["doc_id"] for c in body["citations"]] == [slug(ward)]


def assert_absent(url: str, ward: str, i: int) -> None:
    _, question, _ = report(ward, i)
    body = httpx.post(f"{url}/ask", json={"question": question}, timeout=60).json()
    assert body["abstained"], (ward, body["answer"])


def wait_for_vectors(url: str, timeout: float = 60) -> None:
    """Rows an interrupted upload left lexical-only are embedded after the restart."""
    deadline = time.monotonic() + timeout
    while httpx.get(f"{url}/readyz", timeout=10).json()["pending_vectors"]:
        assert time.monotonic() < deadline, "pending vectors were never embedded"
        time.sleep(0.2)


def assert_consistent(index_dir: Path, embedder: Embedder) -> set[str]:
    """The served generation verifies and was built from exactly the stored documents."""
    gen = check_index(make_settings(index_dir.parent), embedder)
    assert not gen.pending
    assert set(gen.documents) == set(DocumentStore(index_dir / "documents").ids())
    for _, c in gen.all_chunks():
        assert gen.documents[c.doc_id].text[c.start : c.end] == c.text
    return set(gen.documents)


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_write_step(index_dir: Path, embedder: Embedder, point: str) -> None:
    acked_ward, crash_ward = WARDS[0], WARDS[1]
    text, _, _ = report(acked_ward, 0)
    ingest_documents(make_settings(index_dir.parent), embedder, [document_from_text(slug(acked_ward), text)])
    server = ServerProcess(index_dir, APP_PAUSE_AT=point).start()
    try:
        threading.Thread(target=_upload_until_killed, args=(server.url, crash_ward, 1), daemon=True).start()
        marker = index_dir / f".paused-{point}"
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline, "the writer never reached " + point
            time.sleep(0.02)
    finally:
        server.kill()
    marker.unlink()
    with ServerProcess(index_dir) as again:
        assert_answerable(again.url, acked_ward, 0)
        # The document was fsynced in the store before the kill at every one of these points, so
        # the restart must bring it in whole (the index is rebuilt from the store when behind it).
        assert_answerable(again.url, crash_ward, 1)
        docs = httpx.get(f"{again.url}/documents", headers=AUTH, params={"limit": 500}).json()
        assert {d["doc_id"] for d in docs["documents"]} >= {slug(acked_ward), slug(crash_ward)}
        wait_for_vectors(again.url)
    assert slug(crash_ward) in assert_consistent(index_dir, embedder)


def _upload_until_killed(url: str, ward: str, i: int) -> None:
    with contextlib.suppress(httpx.TransportError):  # the server dies under the request: the point
        upload(url, ward, i)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_kill_at_random_moments(index_dir: Path, embedder: Embedder, seed: int) -> None:
    rng = random.Random(seed)
    acked: list[int] = []
    sent: list[int] = []
    server = ServerProcess(index_dir).start()

    def writer() -> None:
        for i, ward in enumerate(WARDS):
            sent.append(i)
            try:
                r = upload(server.url, ward, i)
            except httpx.TransportError:
                return
            if r.status_code == 201:
                acked.append(i)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    time.sleep(rng.uniform(0.5, 3.0))
    server.kill()
    t.join(30)
    print(f"seed {seed}: sent {sent}, acknowledged {acked}")
    assert sent, "the kill came before any upload was sent"
    with ServerProcess(index_dir) as again:
        for i in acked:
            assert_answerable(again.url, WARDS[i], i)
        wait_for_vectors(again.url)
        present = assert_consistent(index_dir, embedder)
        for i in sorted(set(sent) - set(acked)):
            if slug(WARDS[i]) in present:
                assert_answerable(again.url, WARDS[i], i)  # wholly present
            else:
                assert_absent(again.url, WARDS[i], i)  # wholly absent
        for i in range(max(sent, default=-1) + 1, len(WARDS)):
            assert slug(WARDS[i]) not in present
