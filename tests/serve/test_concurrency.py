"""Queries keep working while 500 documents are ingested, and each is answered from one generation."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from server_process import AUTH, ServerProcess

from app.config import Settings
from app.serve.routes import GENERATION_HEADER

BATCHES, PER_BATCH = 10, 50  # 500 documents, one generation per batch (50 files per upload)


def batch_files(k: int) -> list[tuple[str, tuple[str, bytes]]]:
    files = []
    for i in range(PER_BATCH):
        n = k * PER_BATCH + i
        name = f"thôn Thử Nghiệm số {n}"
        text = f"{name[0].upper()}{name[1:]}\n\nNăm 2025, {name} có {100 + n} hộ dân và {n % 7 + 1} tổ."
        files.append(("files", (f"thon_{n:03d}.txt", text.encode())))
    return files


@pytest.mark.slow
def test_queries_during_a_500_document_ingest(tmp_path: Path, seed_index: Settings) -> None:
    shutil.copytree(seed_index.INDEX_DIR, tmp_path / "index")
    seeds = {p.stem for p in (tmp_path / "index" / "documents").glob("*.json")}
    with ServerProcess(tmp_path / "index") as server, httpx.Client(base_url=server.url, timeout=60) as c:
        first = c.post("/search", json={"question": "số hộ dân năm 2025", "top_k": 5})
        generations: dict[str, set[str]] = {first.headers[GENERATION_HEADER]: set(seeds)}
        seen: list[tuple[str, str, set[str]]] = []  # (thread, generation, doc ids in the response)
        errors: list[str] = []
        done = threading.Event()

        def write() -> None:
            docs = set(seeds)
            try:
                for k in range(BATCHES):
                    r = c.post("/documents", headers=AUTH, files=batch_files(k), timeout=300)
                    if r.status_code != 201:
                        errors.append(f"upload {k}: {r.status_code} {r.text[:200]}")
                        return
                    docs |= {d["doc_id"] for d in r.json()["documents"]}
                    generations[r.json()["generation"]] = set(docs)
                # Uploads answer before their vectors exist: the ingest ends when the background
                # embedding has caught up.
                deadline = time.monotonic() + 300
                while c.get("/readyz").json()["pending_vectors"] and time.monotonic() < deadline:
                    time.sleep(0.2)
            finally:
                done.set()

        def query(kind: str) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as q:
                while not done.is_set():
                    n = len(seen) % (BATCHES * PER_BATCH)
                    question = f"Năm 2025 thôn Thử Nghiệm số {n} có bao nhiêu hộ dân?"
                    r = q.post(f"/{kind}", json={"question": question, "top_k": 5})
                    if r.status_code != 200:
                        errors.append(f"{kind}: {r.status_code} {r.text[:200]}")
                        continue
                    body = r.json()
                    items = body["passages"] if kind == "search" else body["citations"]
                    seen.append((kind, r.headers[GENERATION_HEADER], {p["doc_id"] for p in items}))

        threads = [threading.Thread(target=write)] + [
            threading.Thread(target=query, args=(kind,)) for kind in ("search", "ask")
        ]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        elapsed = time.monotonic() - t0

        assert not errors, errors[:5]
        assert len(generations) == BATCHES + 1 and len(generations[max(generations)]) == len(seeds) + 500
        assert len(seen) >= 20
        # Names sort in creation order. Generations the background embedding wrote hold the same
        # documents as the upload's generation just before them.
        order = sorted(set(generations) | {gen for _, gen, _ in seen})
        docs_of: dict[str, set[str]] = {}
        for gen in order:
            docs_of[gen] = generations.get(gen) or docs_of[order[order.index(gen) - 1]]
        last: dict[str, int] = {}
        for kind, gen, doc_ids in seen:
            assert doc_ids <= docs_of[gen], f"{kind} mixed documents from outside {gen}"
            assert order.index(gen) >= last.get(kind, 0), "a later query saw an older generation"
            last[kind] = order.index(gen)
        assert order[0] == first.headers[GENERATION_HEADER]
        print(f"{len(seen)} queries during {elapsed:.1f} s of ingest, {len(order)} generations seen")
        assert len({gen for _, gen, _ in seen}) >= 3  # the queries really spanned the ingest

        final = c.post("/ask", json={"question": "Năm 2025 thôn Thử Nghiệm số 437 có bao nhiêu hộ dân?"})
        assert "537" in final.json()["answer"]
