"""The document admin API over HTTP: upload real formats, answer from them, delete, refuse bad input
without changing anything."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.config import Settings
from app.serve.server import running_app

KEY = "test-admin-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, seed_index: Settings) -> Iterator[httpx.Client]:
    root = tmp_path_factory.mktemp("admin")
    shutil.copytree(seed_index.INDEX_DIR, root / "index")
    settings = seed_index.model_copy(
        update={"INDEX_DIR": root / "index", "ADMIN_API_KEY": SecretStr(KEY), "MAX_UPLOAD_MB": 0.5}
    )
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def doc_ids(client: httpx.Client) -> list[str]:
    r = client.get("/documents", headers=AUTH, params={"limit": 500})
    assert r.status_code == 200, r.text
    return [d["doc_id"] for d in r.json()["documents"]]


def answer(client: httpx.Client, question: str) -> dict:
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200
    return r.json()


def upload(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return client.post("/documents", headers=AUTH, files={"files": (name, data)})


def _pdf(text: str) -> bytes:
    fpdf = pytest.importorskip("fpdf")
    if not FONT.exists():
        pytest.skip(f"{FONT} missing")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=12)
    for para in text.split("\n\n"):
        pdf.multi_cell(0, 8, para)
        pdf.ln(4)
    return bytes(pdf.output())


def _docx(text: str) -> bytes:
    import docx

    d = docx.Document()
    for para in text.split("\n\n"):
        d.add_paragraph(para)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _html(text: str) -> bytes:
    title, body = text.split("\n\n", 1)
    return (
        "<html><head><title>x</title></head><body><nav><a href='/'>Trang chủ</a> | <a>Tin tức</a></nav>"
        f"<article><h1>{title}</h1><p>{body}</p></article><footer>Bản quyền thuộc Cổng thông tin</footer>"
        "</body></html>"
    ).encode()


@pytest.mark.parametrize(
    ("name", "maker", "ward", "figure"),
    [
        ("bao_cao_an_binh.txt", lambda t: t.encode(), "An Bình", "41,7 tỷ đồng"),
        ("bao_cao_binh_minh.pdf", _pdf, "Bình Minh", "52,3 tỷ đồng"),
        ("bao_cao_hoa_lac.docx", _docx, "Hòa Lạc", "63,9 tỷ đồng"),
        ("bao_cao_tan_phu.html", _html, "Tân Phú", "74,1 tỷ đồng"),
    ],
)
def test_upload_answer_delete(client: httpx.Client, name: str, maker, ward: str, figure: str) -> None:  # type: ignore[no-untyped-def]
    text = (
        f"Phường {ward} tổng kết năm 2025\n\n"
        f"Năm 2025, tổng thu ngân sách phường {ward} đạt {figure}, vượt dự toán. "
        f"Phường {ward} có 3 tổ dân phố mới."
    )
    question = f"Tổng thu ngân sách phường {ward} năm 2025 là bao nhiêu?"
    assert answer(client, question)["abstained"]
    r = upload(client, name, maker(text))
    assert r.status_code == 201, r.text
    (entry,) = r.json()["documents"]
    assert entry["change"] == "new" and entry["chunks"] >= 1
    doc_id = entry["doc_id"]
    body = answer(client, question)
    assert not body["abstained"] and figure in body["answer"], body["answer"]
    assert [c["doc_id"] for c in body["citations"]] == [doc_id]
    again = upload(client, name, maker(text))
    assert again.json()["documents"][0]["change"] == "unchanged"
    got = client.get(f"/documents/{doc_id}", headers=AUTH).json()
    assert figure in got["text"] and got["title"].startswith(f"Phường {ward}")
    assert "Trang chủ" not in got["text"] and "Bản quyền" not in got["text"]
    assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 200
    assert doc_id not in doc_ids(client)
    assert answer(client, question)["abstained"]


def test_json_upload(client: httpx.Client) -> None:
    r = client.post(
        "/documents",
        headers={**AUTH, "Content-Type": "application/json"},
        json={
            "doc_id": "json_doc",
            "title": "Xã Suối Tiên",
            "date": "2025-06-01",
            "text": "Năm 2025, xã Suối Tiên có 1.205 hộ dân.",
        },
    )
    assert r.status_code == 201, r.text
    got = client.get("/documents/json_doc", headers=AUTH).json()
    assert got["date"] == "2025-06-01" and got["title"] == "Xã Suối Tiên"
    assert client.delete("/documents/json_doc", headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("name", "data", "status", "says"),
    [
        ("hong.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50, 422, "hong.pdf"),
        ("rong.txt", b"", 422, "empty"),
        ("virus.pdf", b"MZ\x90\x00" + b"\x00" * 200, 422, "virus.pdf"),
        ("chuong_trinh.exe", b"MZ\x90\x00", 415, "unsupported"),
        ("qua_lon.txt", b"a" * (600 * 1024), 413, "MAX_UPLOAD_MB"),
        ("latin1.txt", "Tổng thu".encode("cp1258", errors="replace") + b"\xff\xfe", 422, "UTF-8"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(
    client: httpx.Client, name: str, data: bytes, status: int, says: str
) -> None:
    before = doc_ids(client)
    r = upload(client, name, data)
    assert r.status_code == status, r.text
    assert says.lower() in r.json()["error"].lower()
    assert doc_ids(client) == before
    assert (
        "348,5 tỷ đồng"
        in answer(client, "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?")["answer"]
    )


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"X-API-Key": "wrong"}, 401),
        ({"X-API-Key": KEY}, 200),
    ],
)
def test_keys(client: httpx.Client, headers: dict, status: int) -> None:
    # `default` is public: its list needs no key, but a wrong key is refused everywhere.
    assert client.get("/documents", headers=headers).status_code == (200 if not headers else status)
    before = doc_ids(client)
    r = client.post("/documents", headers=headers, files={"files": ("x.txt", b"Tieu de\n\nNoi dung.")})
    if status == 401:
        assert r.status_code == 401 and "API key" in r.json()["error"]
        assert doc_ids(client) == before
    else:
        assert r.status_code == 201 and doc_ids(client) == sorted([*before, "x"])
        assert client.delete("/documents/x", headers=AUTH).status_code == 200


def test_unknown_document_is_404(client: httpx.Client) -> None:
    assert client.get("/documents/khong_co", headers=AUTH).status_code == 404
    assert client.delete("/documents/khong_co", headers=AUTH).status_code == 404


def test_admin_disabled_without_a_key(seed_index: Settings) -> None:
    with running_app(seed_index) as base, httpx.Client(base_url=base, timeout=30) as c:
        assert c.get("/documents").status_code == 200  # the public `default` reads with no key
        r = c.post("/documents", json={"text": "Một văn bản."})
        assert r.status_code == 403 and "ADMIN_API_KEY" in r.json()["error"]
        assert c.get("/documents", headers=AUTH).status_code == 401  # no root key: any key is unknown


def test_upload_answers_before_its_vectors_and_they_follow(client: httpx.Client) -> None:
    text = "Xã Ân Tường Đông tổng kết năm 2025\n\nNăm 2025, xã Ân Tường Đông trồng mới 415 ha rừng."
    r = upload(client, "an_tuong_dong.txt", text.encode())
    assert r.status_code == 201 and r.json()["embedding_pending"] >= 1, r.text
    body = answer(client, "Năm 2025 xã Ân Tường Đông trồng mới bao nhiêu ha rừng?")
    assert not body["abstained"] and "415 ha" in body["answer"]  # answerable already, lexically
    deadline = time.monotonic() + 60
    while client.get("/readyz").json()["pending_vectors"]:
        assert time.monotonic() < deadline, "the background embedding never finished"
        time.sleep(0.1)
    search = client.post("/search", json={"question": "trồng rừng xã Ân Tường Đông 2025", "top_k": 3}).json()
    assert search["passages"][0]["doc_id"] == "an_tuong_dong"
    assert client.delete("/documents/an_tuong_dong", headers=AUTH).status_code == 200


def test_removed_lines_and_original_file(client: httpx.Client) -> None:
    """What cleaning dropped is listed with its reason, and the uploaded file comes back byte for byte."""
    text = "Phường Tân An tổng kết năm 2025\n\nNăm 2025, phường Tân An có 2.140 hộ kinh doanh."
    data = _html(text)
    r = upload(client, "tan_an.html", data)
    assert r.status_code == 201, r.text
    entry = r.json()["documents"][0]
    assert entry["format"] == "html" and entry["removed"]["site menu (<nav>)"] >= 1
    got = client.get("/documents/tan_an", headers=AUTH).json()
    removed = {x["text"]: x["reason"] for x in got["removed"]}
    assert removed["Bản quyền thuộc Cổng thông tin"] == "page footer (<footer>)"
    assert got["removed_counts"]["page footer (<footer>)"] == 1 and "spans" not in got
    spans = client.get("/documents/tan_an", headers=AUTH, params={"spans": True}).json()["spans"]
    assert {s["kind"] for s in spans} >= {"heading", "para"}
    original = client.get("/documents/tan_an/original", headers=AUTH)
    assert original.status_code == 200 and original.content == data
    assert original.headers["content-type"].startswith("text/html")
    assert "tan_an.html" in original.headers["content-disposition"]
    assert client.get("/documents/tan_an/original", headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.delete("/documents/tan_an", headers=AUTH).status_code == 200
    assert client.get("/documents/tan_an/original", headers=AUTH).status_code == 404


def test_json_text_has_no_original(client: httpx.Client) -> None:
    r = client.post(
        "/documents",
        headers={**AUTH, "Content-Type": "application/json"},
        json={"doc_id": "json_only", "text": "Xã Bình An có 950 hộ dân."},
    )
    assert r.status_code == 201, r.text
    got = client.get("/documents/json_only/original", headers=AUTH)
    assert got.status_code == 404 and "JSON" in got.json()["error"]
    assert client.delete("/documents/json_only", headers=AUTH).status_code == 200
