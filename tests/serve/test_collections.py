"""Collections and scoped keys over HTTP: what each caller may read and change, and that nothing of
one collection reaches a caller of another, on every read path."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.config import Settings
from app.serve.server import running_app

# Other tests serve the session's seed index in place: leave its collections, keys and questions behind.
FRESH = shutil.ignore_patterns("access.sqlite*", "questions.sqlite*", "collections")

ROOT_KEY = "test-root-key"
ROOT = {"Authorization": f"Bearer {ROOT_KEY}"}
# What is unique to each private collection: its id, a title word, a code, a figure.
SECRETS = {
    "noi-bo": {
        "doc_id": "ke-hoach-mat",
        "title": "Kế hoạch Hồ Sen Tím",
        "text": "Kế hoạch XK-7731 dành 913,7 tỷ đồng cho dự án Hồ Sen Tím của phường An Khê Đông.",
        "question": "Dự án Hồ Sen Tím được dành bao nhiêu tỷ đồng?",
        "marks": ("ke-hoach-mat", "Sen Tím", "XK-7731", "913,7"),
    },
    "phong-b": {
        "doc_id": "bien-ban-b",
        "title": "Biên bản Cầu Vàng Lục",
        "text": "Biên bản BZ-5521: công trình Cầu Vàng Lục được duyệt 271,4 tỷ đồng năm 2026.",
        "question": "Công trình Cầu Vàng Lục được duyệt bao nhiêu tỷ đồng?",
        "marks": ("bien-ban-b", "Vàng Lục", "BZ-5521", "271,4"),
    },
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, seed_index: Settings) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("collections")
    shutil.copytree(seed_index.INDEX_DIR, root / "index", ignore=FRESH)  # an index made before collections
    settings = seed_index.model_copy(
        update={"INDEX_DIR": root / "index", "ADMIN_API_KEY": SecretStr(ROOT_KEY)}
    )
    with running_app(settings) as base:
        yield base, root / "index"


@pytest.fixture(scope="module")
def keys(service: tuple[str, Path]) -> dict[str, str]:
    """Two private collections, each with one document, and an ask and a manage key for each."""
    base, _ = service
    out = {}
    with httpx.Client(base_url=base, timeout=120) as c:
        for name, doc in SECRETS.items():
            r = c.post("/collections", json={"name": name, "public": False}, headers=ROOT)
            assert r.status_code == 201, r.text
            for role in ("ask", "manage"):
                r = c.post(f"/collections/{name}/keys", json={"role": role}, headers=ROOT)
                assert r.status_code == 201, r.text
                body = r.json()
                assert body["key"].startswith(body["prefix"]) and body["role"] == role
                out[f"{name}:{role}"] = body["key"]
            manage = {"X-API-Key": out[f"{name}:manage"]}
            text = {"doc_id": doc["doc_id"], "title": doc["title"], "text": doc["text"]}
            r = c.post(f"/collections/{name}/documents", json=text, headers=manage)
            assert r.status_code == 201, r.text
    return out


def _as(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _reads(
    c: httpx.Client, headers: dict[str, str], collection: str | None, question: str
) -> list[httpx.Response]:
    """Every read path, asked about `collection` (None: the caller's own)."""
    extra = {"collection": collection} if collection else {}
    chat = {
        "messages": [{"role": "user", "content": question}],
        **({"model": collection} if collection else {}),
    }
    where = f"/collections/{collection or 'default'}/documents"
    return [
        c.post("/ask", json={"question": question, **extra}, headers=headers),
        c.post("/ask/stream", json={"question": question, **extra}, headers=headers),
        c.post("/search", json={"question": question, **extra}, headers=headers),
        c.post("/v1/chat/completions", json=chat, headers=headers),
        c.post("/v1/chat/completions", json={**chat, "stream": True}, headers=headers),
        c.get("/v1/models", headers=headers),
        c.get("/collections", headers=headers),
        c.get(where, headers=headers),
        c.get(f"{where}/{SECRETS.get(collection or '', {}).get('doc_id', 'x')}", headers=headers),
        c.get(f"{where}/{SECRETS.get(collection or '', {}).get('doc_id', 'x')}/original", headers=headers),
        c.get(f"/collections/{collection or 'default'}", headers=headers),
        c.get("/metrics"),
    ]


def _leaks(responses: list[httpx.Response], others: list[str], asked: str | None) -> list[str]:
    """Marks of the other collections in any response; their names too, unless the caller typed it."""
    found = []
    for r in responses:
        assert r.status_code < 500, r.text
        for name in others:
            found += [f"{r.request.url.path}: {m}" for m in SECRETS[name]["marks"] if m in r.text]
            if name != asked and name in r.text:
                found.append(f"{r.request.url.path}: the name {name}")
    return found


def test_each_key_answers_from_its_own_collection(service: tuple[str, Path], keys: dict[str, str]) -> None:
    base, _ = service
    with httpx.Client(base_url=base, timeout=120) as c:
        for name, doc in SECRETS.items():
            body = c.post("/ask", json={"question": doc["question"]}, headers=_as(keys[f"{name}:ask"])).json()
            assert not body["abstained"] and doc["marks"][3] in body["answer"], body
            assert {x["doc_id"] for x in body["citations"]} == {doc["doc_id"]}
        seeds = c.post("/ask", json={"question": "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"})
        assert "348,5 tỷ đồng" in seeds.json()["answer"]  # the old index opened as `default`, public


def test_nothing_crosses_between_collections(service: tuple[str, Path], keys: dict[str, str]) -> None:
    base, _ = service
    callers = {
        "noi-bo": keys["noi-bo:ask"],
        "phong-b": keys["phong-b:manage"],
        None: None,
    }
    with httpx.Client(base_url=base, timeout=120) as c:
        for own, key in callers.items():
            others = [n for n in SECRETS if n != own]
            for target, doc in SECRETS.items():
                for collection in (None, target, *(n for n in SECRETS if n != target)):
                    responses = _reads(c, _as(key), collection, doc["question"])
                    leaks = _leaks(responses, others, collection)
                    assert not leaks, (own, collection, leaks)
            if own is not None:  # another collection, named: 404 on every path that names it
                other = others[0]
                chat = {"model": other, "messages": [{"role": "user", "content": "x"}]}
                for path, body in (
                    ("/ask", {"question": "x", "collection": other}),
                    ("/search", {"question": "x", "collection": other}),
                    ("/v1/chat/completions", chat),
                ):
                    assert c.post(path, json=body, headers=_as(key)).status_code == 404
                assert c.get(f"/collections/{other}/documents", headers=_as(key)).status_code == 404
                models = [m["id"] for m in c.get("/v1/models", headers=_as(key)).json()["data"]]
                assert models == sorted(["default", own])


def test_roles_and_wrong_keys(service: tuple[str, Path], keys: dict[str, str]) -> None:
    base, _ = service
    doc = {"doc_id": "ghi-chu", "text": "Ghi chú nội bộ."}
    with httpx.Client(base_url=base, timeout=120) as c:
        ask, manage = _as(keys["noi-bo:ask"]), _as(keys["phong-b:manage"])
        r = c.post("/collections/noi-bo/documents", json=doc, headers=ask)
        assert r.status_code == 403 and "manage" in r.json()["error"]
        assert c.post("/collections/noi-bo/documents", json=doc, headers=manage).status_code == 404
        assert c.post("/collections/default/documents", json=doc, headers=manage).status_code == 403
        assert c.post("/collections", json={"name": "x"}, headers=manage).status_code == 403
        assert c.post("/collections/noi-bo/keys", json={"role": "ask"}, headers=ask).status_code == 403
        assert c.get("/audit", headers=ask).status_code == 403
        for wrong in ("kq_00000000_nothing", "wrong", ROOT_KEY + "x"):
            r = c.post("/ask", json={"question": "x"}, headers=_as(wrong))
            assert r.status_code == 401 and "error" in r.json()
        assert c.post("/collections/noi-bo/documents", json=doc).status_code == 401


def test_hostile_names_are_refused(service: tuple[str, Path], keys: dict[str, str]) -> None:
    base, index = service
    before = sorted(p.name for p in (index / "collections").iterdir())
    with httpx.Client(base_url=base, timeout=120) as c:
        for name in (
            "../x",
            "..",
            "a/b",
            "a\x00b",
            "x" * 10_000,
            "Nội-bộ",
            "UPPER",
            "",
            "-a",
            "a_b",
            "a\u200bb",
        ):
            r = c.post("/collections", json={"name": name}, headers=ROOT)
            assert r.status_code == 422 and "error" in r.json(), (name, r.text)
            r = c.post("/ask", json={"question": "x", "collection": name}, headers=ROOT)
            assert r.status_code == 422, (name, r.text)
        assert c.get("/collections/..%2F..%2Fetc/documents", headers=ROOT).status_code in (404, 422)
        assert c.post("/collections", json={"name": "noi-bo"}, headers=ROOT).status_code == 409
    assert sorted(p.name for p in (index / "collections").iterdir()) == before


def test_keys_are_stored_hashed_and_the_audit_log_pages(
    service: tuple[str, Path], keys: dict[str, str]
) -> None:
    base, index = service
    raw = b"".join(p.read_bytes() for p in index.glob("access.sqlite*"))
    assert raw and not any(k.encode() in raw for k in keys.values())
    with httpx.Client(base_url=base, timeout=120) as c:
        first = c.get("/audit", params={"limit": 3}, headers=ROOT).json()
        assert len(first["entries"]) == 3 and first["next"]
        rest = c.get("/audit", params={"before": first["next"], "limit": 500}, headers=ROOT).json()
        entries = first["entries"] + rest["entries"]
        actions = {(e["action"], e["collection"]) for e in entries}
        assert {("create collection", "noi-bo"), ("upload", "noi-bo"), ("create key", "noi-bo")} <= actions
        assert all(e["key_id"] for e in entries) and not any(k in json.dumps(entries) for k in keys.values())
        listed = c.get("/collections/noi-bo/keys", headers=ROOT).json()
        assert {k["role"] for k in listed} == {"ask", "manage"} and all(k["key"] is None for k in listed)


def test_revoked_mid_stream_then_refused(service: tuple[str, Path]) -> None:
    base, _ = service
    with httpx.Client(base_url=base, timeout=120) as c:
        made = c.post("/collections/noi-bo/keys", json={"role": "ask"}, headers=ROOT).json()
        key = _as(made["key"])
        with c.stream(
            "POST", "/ask/stream", json={"question": SECRETS["noi-bo"]["question"]}, headers=key
        ) as s:
            lines = s.iter_lines()
            assert next(lines).startswith("event:")
            assert c.delete(f"/keys/{made['id']}", headers=ROOT).json()["revoked_at"]
            rest = "\n".join(lines)  # the answer already under way ends normally
            assert "event: final" in rest or "event: error" in rest
        r = c.post("/ask", json={"question": "x"}, headers=key)
        assert r.status_code == 401 and "revoked" in r.json()["error"]


def test_uploads_and_a_delete_while_questions_run(service: tuple[str, Path], keys: dict[str, str]) -> None:
    base, index = service
    statuses: list[int] = []
    stop = threading.Event()

    def ask() -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            while not stop.is_set():
                for key in (None, keys["noi-bo:ask"]):
                    statuses.append(
                        c.post("/ask", json={"question": "Tổng thu ngân sách?"}, headers=_as(key)).status_code
                    )

    def upload(name: str) -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            for i in range(4):
                body = {"doc_id": f"{name}-{i}", "text": f"Văn bản số {i} của {name}: thu 1{i},5 tỷ đồng."}
                statuses.append(c.post(f"/collections/{name}/documents", json=body, headers=ROOT).status_code)

    with httpx.Client(base_url=base, timeout=120) as c:
        assert c.post("/collections", json={"name": "tam-thoi"}, headers=ROOT).status_code == 201
        temp_key = c.post("/collections/tam-thoi/keys", json={"role": "manage"}, headers=ROOT).json()
        assert c.post("/collections/tam-thoi/documents", json={"doc_id": "t", "text": "Tạm."},
                      headers=_as(temp_key["key"])).status_code == 201  # fmt: skip
        threads = [
            threading.Thread(target=ask),
            *(threading.Thread(target=upload, args=(n,)) for n in SECRETS),
        ]
        for t in threads:
            t.start()
        time.sleep(1)
        gone = c.delete("/collections/tam-thoi", headers=ROOT)
        for t in threads[1:]:
            t.join(timeout=300)
        stop.set()
        threads[0].join(timeout=120)
        assert gone.status_code == 200, gone.text
        assert gone.json()["documents"] == 1 and gone.json()["keys_revoked"] == [temp_key["id"]]
        assert not (index / "collections" / "tam-thoi").exists()
        assert c.get("/collections/tam-thoi", headers=ROOT).status_code == 404
        assert statuses and all(s < 500 for s in statuses), sorted(set(statuses))
        for name in SECRETS:
            listed = c.get(f"/collections/{name}/documents", headers=ROOT).json()["documents"]
            assert {f"{name}-{i}" for i in range(4)} <= {d["doc_id"] for d in listed}


def test_a_thousand_collections(service: tuple[str, Path]) -> None:
    base, _ = service
    with httpx.Client(base_url=base, timeout=120) as c:
        for i in range(1000):
            assert c.post("/collections", json={"name": f"k-{i:04d}"}, headers=ROOT).status_code == 201
        listed = c.get("/collections", headers=ROOT).json()
        assert len([x for x in listed if x["name"].startswith("k-")]) == 1000
        assert not any(x["name"].startswith("k-") for x in c.get("/collections").json())  # private
        r = c.post("/ask", json={"question": "Tổng thu ngân sách?", "collection": "k-0999"}, headers=ROOT)
        assert r.status_code == 200 and r.json()["abstained"]  # empty, opened on first use


def test_a_key_keeps_its_own_rate_limit_and_origins(service: tuple[str, Path], keys: dict[str, str]) -> None:
    base, _ = service
    with httpx.Client(base_url=base, timeout=120) as c:
        body = {"role": "ask", "rate_limit": "3/minute", "origins": ["https://phuong.example.vn"]}
        key = _as(c.post("/collections/noi-bo/keys", json=body, headers=ROOT).json()["key"])
        ask = {"question": "x", "collection": "noi-bo"}
        assert [c.post("/search", json=ask, headers=key).status_code for _ in range(3)] == [200] * 3
        limited = c.post("/search", json=ask, headers=key)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
        other = c.post("/collections/noi-bo/keys", json={"role": "ask", "origins": ["https://a.example"]},
                       headers=ROOT).json()["key"]  # fmt: skip
        page = {"Origin": "https://b.example"}
        r = c.post("/search", json=ask, headers={**_as(other), **page})
        assert r.status_code == 403  # the origin guard or the key's own list: never answered
        bad = c.post("/collections/noi-bo/keys", json={"role": "ask", "rate_limit": "lots"}, headers=ROOT)
        assert bad.status_code == 422 and "120/minute" in bad.json()["error"]


def test_keys_and_revocations_reach_every_replica(tmp_path: Path, seed_index: Settings) -> None:
    """Two servers over one index and one ACCESS_DB: a key made through one works on the other, and
    revoked through one is refused by the other on its next request."""
    shutil.copytree(seed_index.INDEX_DIR, tmp_path / "index", ignore=FRESH)
    settings = seed_index.model_copy(
        update={"INDEX_DIR": tmp_path / "index", "ADMIN_API_KEY": SecretStr(ROOT_KEY)}
    )
    with running_app(settings) as a, running_app(settings) as b, httpx.Client(timeout=120) as c:
        made = c.post(f"{a}/collections/default/keys", json={"role": "ask"}, headers=ROOT).json()
        ask = {"question": "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"}
        assert c.post(f"{b}/search", json=ask, headers=_as(made["key"])).status_code == 200
        assert c.delete(f"{a}/keys/{made['id']}", headers=ROOT).status_code == 200
        refused = c.post(f"{b}/search", json=ask, headers=_as(made["key"]))
        assert refused.status_code == 401 and "revoked" in refused.json()["error"]


@pytest.mark.slow
def test_collections_on_the_shared_index(tmp_path: Path, milvus: object) -> None:
    """With Milvus, each collection is its own set of Milvus collections; deleting one drops them."""
    from pymilvus import MilvusClient

    settings = Settings(
        _env_file=None,
        INDEX_DIR=tmp_path / "replica",
        VECTOR_STORE="milvus",
        MILVUS_URI=milvus.uri,  # type: ignore[attr-defined]
        MILVUS_COLLECTION="coll",
        ACCESS_DB=tmp_path / "access.sqlite",
        ADMIN_API_KEY=SecretStr(ROOT_KEY),
        RATE_LIMIT_PER_IP="",
        RATE_LIMIT_PER_KEY="",
    )
    doc = SECRETS["noi-bo"]
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=120) as c:
        deadline = time.monotonic() + 120
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, c.get("/readyz").text
            time.sleep(0.5)
        assert c.post("/collections", json={"name": "noi-bo"}, headers=ROOT).status_code == 201
        body = {"doc_id": doc["doc_id"], "text": doc["text"]}
        assert c.post("/collections/noi-bo/documents", json=body, headers=ROOT).status_code == 201
        answer = c.post(
            "/ask", json={"question": doc["question"], "collection": "noi-bo"}, headers=ROOT
        ).json()
        assert doc["marks"][3] in answer["answer"]
        listed = c.get("/collections/noi-bo/documents", params={"q": "ke hoach"}, headers=ROOT).json()
        assert [d["doc_id"] for d in listed["documents"]] == [doc["doc_id"]]  # listed from the heads
        public = c.post("/ask", json={"question": doc["question"]}).json()  # `default`: never this text
        assert doc["marks"][3] not in json.dumps(public, ensure_ascii=False)
        names = MilvusClient(uri=milvus.uri).list_collections()  # type: ignore[attr-defined]
        assert any(n.startswith("coll_c_noi_bo") for n in names)
        gone = c.delete("/collections/noi-bo", headers=ROOT).json()
        assert gone["documents"] == 1
        assert not any(n.startswith("coll_c_noi_bo") for n in MilvusClient(uri=milvus.uri).list_collections())  # type: ignore[attr-defined]


def test_a_citations_signed_link_opens_its_source_without_a_key(
    service: tuple[str, Path], keys: dict[str, str]
) -> None:
    base, _ = service
    doc = SECRETS["noi-bo"]
    with httpx.Client(base_url=base, timeout=120) as c:
        body = c.post("/ask", json={"question": doc["question"]}, headers=_as(keys["noi-bo:ask"])).json()
        url = body["citations"][0]["url"]
        page = c.get(url)  # a browser following the link sends no key
        assert page.status_code == 200 and doc["marks"][3] in page.text.split('<mark id="cited">')[1]
        forged = url.replace("sig=", "sig=x")
        assert c.get(forged).status_code == 404  # no valid signature: a private collection is not there
        assert c.get(forged, headers=_as(keys["noi-bo:ask"])).status_code == 200  # its key still reads it
        public = c.post("/ask", json={"question": "Tổng thu ngân sách phường Quy Nhơn năm 2025?"}).json()
        assert c.get(public["citations"][0]["url"].replace("sig=", "sig=x")).status_code == 200  # public


def test_the_document_list_searches_and_sorts(service: tuple[str, Path], keys: dict[str, str]) -> None:
    base, _ = service
    with httpx.Client(base_url=base, timeout=120) as c:
        everything = c.get("/documents", params={"limit": 500}).json()
        assert everything["total"] == 5
        found = c.get("/documents", params={"q": "hac thanh"}).json()  # typed without diacritics
        assert [d["doc_id"] for d in found["documents"]] == ["002_65dc7c8ac4db1663"]
        both = c.get("/documents", params={"q": "Quy Nhơn", "order": "title"}).json()["documents"]
        assert [d["doc_id"] for d in both] == ["001_3f1230e1580dd915", "000_ba4ab6dccccf8163"]  # Đ < N
        newest = c.get("/documents", params={"order": "-date", "limit": 500}).json()["documents"]
        dates = [d["date"] for d in newest if d["date"]]
        assert dates == sorted(dates, reverse=True)
        assert c.get("/documents", params={"order": "nonsense"}).status_code == 422
