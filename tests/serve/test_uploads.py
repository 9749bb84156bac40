"""Uploads go through the queue, off the event loop: 202 and a status to watch, files that fail alone
and are named, a queue that outlives a restart, and `ready` that means the next question finds it."""

from __future__ import annotations

import io
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw, ImageFont
from pydantic import SecretStr

from app.config import Settings
from app.ingest.jobs import UploadJobs
from app.ingest.ocr import tesseract_available
from app.serve.server import running_app

KEY = "uploads-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FINAL = ("ready", "failed")

needs_tesseract = pytest.mark.skipif(
    not tesseract_available("vie") or not FONT.exists(), reason="needs tesseract-ocr-vie and DejaVu"
)


def _settings(root: Path, seed_index: Settings, **overrides: object) -> Settings:
    if not (root / "index").exists():
        shutil.copytree(seed_index.INDEX_DIR, root / "index")
    return seed_index.model_copy(
        update={"INDEX_DIR": root / "index", "ADMIN_API_KEY": SecretStr(KEY), **overrides}
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, seed_index: Settings) -> Iterator[httpx.Client]:
    settings = _settings(tmp_path_factory.mktemp("uploads"), seed_index)
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=120) as c:
        yield c


def status(client: httpx.Client, doc_id: str) -> dict:
    r = client.get(f"/documents/{doc_id}", headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


def watch(client: httpx.Client, doc_id: str, timeout_s: float = 180) -> list[str]:
    """Every status seen until a final one, polled quickly."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while True:
        s = status(client, doc_id)["status"]
        if not seen or seen[-1] != s:
            seen.append(s)
        if s in FINAL:
            return seen
        assert time.monotonic() < deadline, f"{doc_id} stuck at {seen}"
        time.sleep(0.05)


def ask(client: httpx.Client, question: str) -> dict:
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200, r.text
    return r.json()


def _scan(pages: list[list[str]], size: int = 30) -> bytes:
    """An image-only PDF: each page rendered text, as a scanner would give it."""
    font = ImageFont.truetype(str(FONT), size)
    images = []
    for lines in pages:
        image = Image.new("L", (size * 36, round(size * 1.5) * len(lines) + 4 * size), 255)
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(lines):
            draw.text((2 * size, 2 * size + i * round(size * 1.5)), line, font=font, fill=0)
        images.append(image)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=200.0)
    return buf.getvalue()


# Documents of several genres, each answerable by one figure that no seed document holds.
FRESH = [
    (
        "bien_ban_thon_suoi_da.txt",
        "Biên bản họp thôn Suối Đá\n\nNgày 14/3/2026, thôn Suối Đá họp bàn làm đường bê tông; "
        "các hộ thống nhất góp 186 triệu đồng.",
        "Thôn Suối Đá thống nhất góp bao nhiêu tiền làm đường?",
        "186 triệu đồng",
    ),
    (
        "quy_che_thu_vien_lam_ha.md",
        "# Quy chế thư viện trường Lâm Hà\n\n## Điều 4. Mượn sách\n\nMỗi học sinh được mượn tối đa "
        "3 cuốn sách trong 14 ngày.",
        "Học sinh trường Lâm Hà được mượn tối đa mấy cuốn sách?",
        "3 cuốn",
    ),
    (
        "hop_dong_thue_kho_ben_lac.txt",
        "Hợp đồng thuê kho Bến Lạc\n\nĐiều 3. Giá thuê kho Bến Lạc là 27 triệu đồng mỗi tháng, "
        "thanh toán trước ngày 5 hằng tháng.",
        "Giá thuê kho Bến Lạc mỗi tháng là bao nhiêu?",
        "27 triệu đồng",
    ),
    (
        "tin_hoi_thi_dua_ghe_vinh_thuan.html",
        "<html><body><article><h1>Hội thi đua ghe xã Vĩnh Thuận</h1><p>Hội thi đua ghe xã Vĩnh Thuận "
        "năm 2026 có 42 đội tham gia.</p></article></body></html>",
        "Hội thi đua ghe xã Vĩnh Thuận năm 2026 có bao nhiêu đội tham gia?",
        "42 đội",
    ),
]


@pytest.mark.parametrize(("name", "body", "question", "figure"), FRESH)
def test_ready_means_the_next_question_finds_it(
    client: httpx.Client, name: str, body: str, question: str, figure: str
) -> None:
    r = client.post("/documents", headers=AUTH, params={"wait": 0}, files={"files": (name, body.encode())})
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert accepted["status_url"] == f"/uploads/{accepted['job']}" and r.headers["Location"]
    (doc,) = accepted["documents"]
    assert doc["status"] in ("queued", "parsing", "embedding", "ready") and doc["file"] == name
    seen = watch(client, doc["doc_id"])
    assert seen[-1] == "ready", seen
    got = ask(client, question)
    assert not got["abstained"] and figure in got["answer"], got
    assert got["citations"][0]["doc_id"] == doc["doc_id"]
    job = client.get(accepted["status_url"], headers=AUTH).json()
    assert job["done"] and job["documents"][0]["status"] == "ready"


def test_embedding_chunks_are_answered_with_the_similarity_they_will_have(
    client: httpx.Client,
) -> None:
    """While its vectors are pending a document is answered from its lexical hit, and the answer is
    the one given once it is `ready` (its similarity is measured, not guessed)."""
    text = (
        "Báo cáo của Hợp tác xã Tân Thành\n\nNăm 2026, hợp tác xã Tân Thành thu mua 318 tấn "
        "cà phê của xã viên."
    )
    question = "Năm 2026 hợp tác xã Tân Thành thu mua bao nhiêu tấn cà phê?"
    r = client.post("/documents", headers=AUTH, files={"files": ("htx_tan_thanh.txt", text.encode())})
    assert r.status_code == 201, r.text
    (doc,) = r.json()["documents"]
    early = ask(client, question)
    state = doc["status"]
    watch(client, "htx_tan_thanh")
    late = ask(client, question)
    assert not late["abstained"] and "318 tấn" in late["answer"]
    if state == "embedding":  # asked before its vectors: the same answer
        assert early["answer"] == late["answer"] and not early["abstained"]


def test_a_bad_file_fails_alone_and_is_named(client: httpx.Client) -> None:
    good = "Thông báo xã Hòa Mỹ\n\nXã Hòa Mỹ tiêm vắc xin sởi cho 960 trẻ em trong tháng 4/2026."
    r = client.post(
        "/documents",
        headers=AUTH,
        files=[
            ("files", ("thong_bao_hoa_my.txt", good.encode())),
            ("files", ("hong.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50)),
        ],
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert [d["doc_id"] for d in body["documents"]] == ["thong_bao_hoa_my"]
    (failed,) = body["failed"]
    assert failed["file"] == "hong.pdf" and "hong.pdf" in failed["reason"]
    bad = status(client, "hong")
    assert bad["status"] == "failed" and "hong.pdf" in bad["reason"]
    assert "text" not in bad  # never stored
    listed = client.get("/documents", headers=AUTH, params={"limit": 500}).json()["documents"]
    assert "hong" not in {d["doc_id"] for d in listed}
    watch(client, "thong_bao_hoa_my")
    assert "960 trẻ em" in ask(client, "Xã Hòa Mỹ tiêm vắc xin sởi cho bao nhiêu trẻ em?")["answer"]


def test_status_needs_the_key_and_unknown_is_404(client: httpx.Client) -> None:
    assert client.get("/documents/khong_co_dau", headers=AUTH).status_code == 404
    assert client.get("/uploads/khong_co_dau", headers=AUTH).status_code == 404
    assert client.get("/uploads/anything").status_code == 401


@needs_tesseract
def test_a_scan_is_read_while_the_service_keeps_answering(client: httpx.Client) -> None:
    """A four-page scan goes through `ocr` page by page while /healthz and /ask keep answering: the
    reading runs in other processes (this checks that they answer at all meanwhile, not how fast;
    bench/upload_while_asking.py measures that)."""
    filler = ["Ủy ban nhân dân xã Phước Sơn báo cáo kết quả thực hiện", "nhiệm vụ phát triển kinh tế."]
    pages = [filler * 4 for _ in range(3)] + [
        ["Năm 2026, xã Phước Sơn xây mới 23 phòng học", "cho các trường tiểu học trong xã."]
    ]
    r = client.post(
        "/documents", headers=AUTH, params={"wait": 0}, files={"files": ("scan_phuoc_son.pdf", _scan(pages))}
    )
    assert r.status_code == 202, r.text
    answered_meanwhile = 0
    stop = threading.Event()

    def keep_asking() -> None:
        nonlocal answered_meanwhile
        with httpx.Client(base_url=str(client.base_url), timeout=30) as other:
            while not stop.is_set():
                if other.get("/healthz").status_code == 200:
                    answered_meanwhile += 1

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        seen = watch(client, "scan_phuoc_son")
    finally:
        stop.set()
        asker.join()
    assert "ocr" in seen and seen[-1] == "ready", seen
    assert answered_meanwhile > len(seen)
    job = client.get(r.json()["status_url"], headers=AUTH).json()
    assert job["documents"][0]["pages"] == 4 and job["documents"][0]["pages_done"] == 4
    got = ask(client, "Năm 2026 xã Phước Sơn xây mới bao nhiêu phòng học?")
    assert not got["abstained"] and "23 phòng học" in got["answer"], got


def test_queued_uploads_survive_a_restart(tmp_path: Path, seed_index: Settings) -> None:
    """Files a stopped server had queued (or was reading) are read when it starts again."""
    settings = _settings(tmp_path, seed_index)
    jobs = UploadJobs(settings.INDEX_DIR / "uploads.sqlite")  # where an embedded index keeps its queue
    text = "Kế hoạch xã Đồng Tâm\n\nNăm 2026, xã Đồng Tâm nạo vét 12 km kênh mương nội đồng."
    jobs.enqueue([("ke_hoach_dong_tam", "ke_hoach_dong_tam.txt", text.encode())])
    _, (reading,) = jobs.enqueue(
        [
            (
                "huong_dan_an_lac",
                "huong_dan_an_lac.txt",
                "Hướng dẫn An Lạc\n\nPhí đăng ký hộ kinh doanh tại xã An Lạc là 100 nghìn đồng.".encode(),
            )
        ]
    )
    jobs.set_state(reading.id, "parsing")  # the server was killed while reading it
    jobs.close()
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=120) as c:
        assert watch(c, "ke_hoach_dong_tam")[-1] == "ready"
        assert watch(c, "huong_dan_an_lac")[-1] == "ready"
        assert "12 km" in ask(c, "Năm 2026 xã Đồng Tâm nạo vét bao nhiêu km kênh mương?")["answer"]
        original = c.get("/documents/ke_hoach_dong_tam/original", headers=AUTH)
        assert original.status_code == 200 and original.content == text.encode()


def test_a_queued_file_waits_out_another_writer(tmp_path: Path, seed_index: Settings) -> None:
    """While a CLI ingest holds the writer lock, a file upload is not refused: it answers 202 and is
    written when the lock is free."""
    from app.index.store import writer_lock

    settings = _settings(tmp_path, seed_index, WRITER_WAIT_S=0.2, UPLOAD_WAIT_S=2)
    text = "Thông báo xã Tân Hội\n\nNăm 2026, xã Tân Hội sửa chữa 14 cây cầu dân sinh."
    with running_app(settings) as base, httpx.Client(base_url=base, timeout=120) as c:
        with writer_lock(settings.INDEX_DIR):
            r = c.post("/documents", headers=AUTH, files={"files": ("tan_hoi.txt", text.encode())})
            assert r.status_code == 202, r.text
            assert status(c, "tan_hoi")["status"] in ("queued", "parsing", "embedding")
        assert watch(c, "tan_hoi")[-1] == "ready"
        assert "14 cây cầu" in ask(c, "Năm 2026 xã Tân Hội sửa chữa bao nhiêu cây cầu?")["answer"]


def test_a_failed_new_version_says_the_old_one_is_still_served(client: httpx.Client) -> None:
    good = "Kế hoạch xã Mỹ Lộc\n\nNăm 2026, xã Mỹ Lộc làm mới 8 km đường giao thông nông thôn."
    r = client.post("/documents", headers=AUTH, files={"files": ("ke_hoach_my_loc.txt", good.encode())})
    assert r.status_code == 201, r.text
    bad = client.post("/documents", headers=AUTH, files={"files": ("ke_hoach_my_loc.txt", b"")})
    assert bad.status_code == 422 and "empty" in bad.json()["error"]
    now = status(client, "ke_hoach_my_loc")
    assert now["status"] == "failed" and "still served" in now["reason"]
    assert "8 km" in now["text"]
