"""The admin console in a real browser (Debian's Chromium through Playwright) against the real app:
sign-in with a key for a session cookie, collections, documents, one document's page, keys with the
widget snippet, the question log, sign-out; and what it refuses (an ask key, a form without its
token)."""

from __future__ import annotations

import io
import json
import shutil
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

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)  # type: ignore[attr-defined]


ROOT_KEY = "console-root-key"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, seed_index: Settings) -> Iterator[str]:
    root = tmp_path_factory.mktemp("console")
    shutil.copytree(seed_index.INDEX_DIR, root / "index", ignore=FRESH)
    settings = seed_index.model_copy(
        update={"INDEX_DIR": root / "index", "ADMIN_API_KEY": SecretStr(ROOT_KEY)}
    )
    with running_app(settings) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="vi-VN")  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


def _sign_in(page: object, base: str, key: str) -> None:
    page.goto(f"{base}/admin")  # type: ignore[attr-defined]
    page.fill("input[name=key]", key)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]


def test_console_headers_and_sign_in_redirect(app_url: str) -> None:
    r = httpx.get(f"{app_url}/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    login = httpx.get(f"{app_url}/admin/login")
    assert login.status_code == 200 and "text/html" in login.headers["content-type"]
    assert login.headers["x-frame-options"] == "DENY" and login.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]


def test_sign_in_browse_make_a_key_and_sign_out(page: object, app_url: str) -> None:
    _sign_in(page, app_url, ROOT_KEY)
    sync_api.expect(page.locator("h1")).to_have_text("Bộ sưu tập")  # type: ignore[attr-defined]
    shot(page, "collections")
    cookie = next(c for c in page.context.cookies() if c["name"] == "console_session")  # type: ignore[attr-defined]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    page.click("text=default")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_contain_text("Tài liệu của default (5)")  # type: ignore[attr-defined]
    shot(page, "documents")
    page.fill("input[name=q]", "hac thanh")  # type: ignore[attr-defined]
    page.click("button:has-text('Lọc')")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("tbody tr")).to_have_count(1)  # type: ignore[attr-defined]
    page.goto(f"{app_url}/admin/c/default")  # type: ignore[attr-defined]
    page.click("text=000_ba4ab6dccccf8163")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_contain_text("Quy Nhơn")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("text=Đã bỏ khi làm sạch")).to_be_visible()  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h3", has_text="crawler date header")).to_be_visible()  # type: ignore[attr-defined]
    shot(page, "document")
    page.goto(f"{app_url}/admin/c/default/keys")  # type: ignore[attr-defined]
    page.select_option("select[name=role]", "ask")  # type: ignore[attr-defined]
    page.fill("input[name=origins]", "https://phuong.example.vn")  # type: ignore[attr-defined]
    page.click("button:has-text('Tạo khóa')")  # type: ignore[attr-defined]
    key = page.locator("#new-key").inner_text().strip()  # type: ignore[attr-defined]
    assert key.startswith("kq_")
    sync_api.expect(page.locator("#snippet")).to_contain_text(f'data-collection="default" data-key="{key}"')  # type: ignore[attr-defined]
    shot(page, "keys")
    ok = httpx.post(f"{app_url}/search", json={"question": "ngân sách"}, headers={"X-API-Key": key})
    assert ok.status_code == 200
    page.goto(f"{app_url}/admin/c/default/keys")  # type: ignore[attr-defined]
    page.click("text=Thu hồi")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("text=đã thu hồi")).to_be_visible()  # type: ignore[attr-defined]
    gone = httpx.post(f"{app_url}/search", json={"question": "ngân sách"}, headers={"X-API-Key": key})
    assert gone.status_code == 401
    httpx.post(f"{app_url}/ask", json={"question": "Lịch tiêm chủng của phường?"})
    page.goto(f"{app_url}/admin/c/default/questions")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("table").first).to_contain_text("Lịch tiêm chủng của phường?")  # type: ignore[attr-defined]
    shot(page, "questions")
    page.click("text=Đăng xuất")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_have_text("Đăng nhập")  # type: ignore[attr-defined]
    page.goto(f"{app_url}/admin")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_have_text("Đăng nhập")  # type: ignore[attr-defined]


def test_an_ask_key_and_a_wrong_key_cannot_sign_in(page: object, app_url: str) -> None:
    made = httpx.post(
        f"{app_url}/collections/default/keys", json={"role": "ask"}, headers={"X-API-Key": ROOT_KEY}
    ).json()
    _sign_in(page, app_url, made["key"])
    sync_api.expect(page.locator("[role=alert]")).to_contain_text("manage")  # type: ignore[attr-defined]
    _sign_in(page, app_url, "kq_00000000_wrong")
    sync_api.expect(page.locator("[role=alert]")).to_contain_text("Khóa không đúng")  # type: ignore[attr-defined]


def test_a_form_without_its_token_changes_nothing(app_url: str) -> None:
    with httpx.Client(base_url=app_url, follow_redirects=False) as c:
        login = c.get("/admin/login")
        token = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        assert c.post("/admin/login", data={"key": ROOT_KEY, "csrf": token}).status_code == 303
        r = c.post("/admin/collections", data={"name": "khong-token", "csrf": "forged"})
        assert r.status_code == 403
        assert "khong-token" not in c.get("/collections", headers={"X-API-Key": ROOT_KEY}).text
        fresh = httpx.post(f"{app_url}/admin/login", data={"key": ROOT_KEY, "csrf": token})
        assert fresh.status_code == 401  # no login cookie: the double-submit token does not match


def test_upload_several_files_follow_them_and_try_a_question(
    page: object, app_url: str, tmp_path: Path
) -> None:
    files = {
        "quy-che.md": "# Quy chế chi tiêu\n\n## Điều 3\n\nMức chi tiếp khách là 300.000 đồng một người.",
        "thong-bao.txt": "Thông báo\n\nLịch trực Tết của phường Hòa Lạc bắt đầu từ ngày 25 tháng 1.",
        "hong.pdf": "không phải PDF",
    }
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    _sign_in(page, app_url, ROOT_KEY)
    page.goto(f"{app_url}/admin/c/default")  # type: ignore[attr-defined]
    page.set_input_files("input[type=file]", paths)  # type: ignore[attr-defined]
    page.click("button:has-text('Tải lên')")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_contain_text("đã xong", timeout=60000)  # type: ignore[attr-defined]
    shot(page, "upload")
    statuses = {r.get_attribute("data-status") for r in page.locator("tr.file").all()}  # type: ignore[attr-defined]
    assert statuses <= {"ready", "embedding", "failed"} and "failed" in statuses
    sync_api.expect(page.locator("tr.file", has_text="hong.pdf")).to_contain_text("PDF")  # type: ignore[attr-defined]
    page.goto(f"{app_url}/admin/c/default/try")  # type: ignore[attr-defined]
    page.fill("input[name=q]", "Mức chi tiếp khách là bao nhiêu một người?")  # type: ignore[attr-defined]
    page.click("button:has-text('Hỏi')")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("#answer")).to_contain_text("300.000 đồng")  # type: ignore[attr-defined]
    shot(page, "try")
    assert page.locator("tr.passage").count() >= 1  # type: ignore[attr-defined]
    page.fill("input[name=q]", "Phường có bao nhiêu con voi?")  # type: ignore[attr-defined]
    page.click("button:has-text('Hỏi')")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h2").first).to_contain_text("không trả lời")  # type: ignore[attr-defined]


def test_markup_in_a_document_is_shown_as_text_everywhere(page: object, app_url: str) -> None:
    body = {
        "doc_id": "xss",
        "title": XSS,
        "text": f"Văn bản có {XSS} và <script>alert(2)</script>: thu 12,5 tỷ đồng.",
    }
    assert httpx.post(f"{app_url}/documents", json=body, headers={"X-API-Key": ROOT_KEY}).status_code == 201
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    _sign_in(page, app_url, ROOT_KEY)
    page.goto(f"{app_url}/admin/c/default/d/xss")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_have_text(XSS)  # type: ignore[attr-defined]
    # On a console page, where the session cookie's path applies: HttpOnly keeps it from scripts.
    assert "console_session" not in page.evaluate("document.cookie")  # type: ignore[attr-defined]
    answer = httpx.post(f"{app_url}/ask", json={"question": "Văn bản xss thu bao nhiêu tỷ đồng?"}).json()
    source = next(c["url"] for c in answer["citations"] if c["doc_id"] == "xss")
    page.goto(f"{app_url}{source}")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_have_text(XSS)  # type: ignore[attr-defined]
    sync_api.expect(page.locator("mark")).to_contain_text("<script>")  # type: ignore[attr-defined]
    assert not dialogs and page.locator("img").count() == 0  # type: ignore[attr-defined]


def test_the_original_through_the_console(page: object, app_url: str) -> None:
    files = {"files": ("bien-ban.txt", "Biên bản họp\n\nĐã thống nhất 3 nội dung.".encode())}
    assert httpx.post(f"{app_url}/documents", files=files, headers={"X-API-Key": ROOT_KEY}).status_code == 201
    _sign_in(page, app_url, ROOT_KEY)
    page.goto(f"{app_url}/admin/c/default/d/bien-ban")  # type: ignore[attr-defined]
    with page.expect_download() as got:  # type: ignore[attr-defined]
        page.click("text=Tải bản gốc")  # type: ignore[attr-defined]
    assert got.value.suggested_filename == "bien-ban.txt"


def test_keyboard_only_and_every_control_labelled(page: object, app_url: str) -> None:
    page.goto(f"{app_url}/admin/login")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # past the header link, into the key field  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.name") == "key"  # type: ignore[attr-defined]
    page.keyboard.type(ROOT_KEY)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_have_text("Bộ sưu tập")  # type: ignore[attr-defined]
    unlabelled = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"""
    for path in ("/admin", "/admin/c/default", "/admin/c/default/try", "/admin/c/default/keys"):
        page.goto(f"{app_url}{path}")  # type: ignore[attr-defined]
        assert page.evaluate(unlabelled) == [], path  # type: ignore[attr-defined]
        buttons = page.evaluate(
            "() => [...document.querySelectorAll('button')].filter(b => !b.innerText.trim()).length"
        )  # type: ignore[attr-defined]
        assert buttons == 0, path


def test_a_tables_rows_as_read(page: object, app_url: str) -> None:
    table = (
        "# Báo cáo thu chi\n\n| Khoản | Năm 2024 | Năm 2025 |\n|---|---|---|\n"
        "| Tổng thu | 310,2 tỷ đồng | 348,5 tỷ đồng |\n| Tổng chi | 280,0 tỷ đồng | 301,7 tỷ đồng |\n"
    )
    files = {"files": ("thu-chi.md", table.encode())}
    assert httpx.post(f"{app_url}/documents", files=files, headers={"X-API-Key": ROOT_KEY}).status_code == 201
    _sign_in(page, app_url, ROOT_KEY)
    page.goto(f"{app_url}/admin/c/default/d/thu-chi")  # type: ignore[attr-defined]
    rows = page.locator("ol.table-rows li")  # type: ignore[attr-defined]
    sync_api.expect(rows).to_have_count(2)  # type: ignore[attr-defined]
    sync_api.expect(rows.first).to_contain_text("Năm 2025: 348,5 tỷ đồng")  # type: ignore[attr-defined]
    assert page.locator("tr.chunk").count() >= 1  # type: ignore[attr-defined]
    sync_api.expect(page.locator("tr.chunk").first).to_contain_text("348,5 tỷ đồng")  # type: ignore[attr-defined]


def test_evals_in_the_console(page: object, app_url: str, tmp_path: Path) -> None:
    rows = [
        {
            "question": "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?",
            "expected": ["348,5 tỷ đồng"],
        },
        {"question": "Phường Quy Nhơn có bao nhiêu con voi?", "expected": []},
        {
            "question": "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?",
            "expected": ["999 tỷ đồng"],
        },
    ]
    path = tmp_path / "cau-hoi.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    bad = tmp_path / "hong.jsonl"
    bad.write_text('{"question": "a"}\nkhông phải JSON\n', encoding="utf-8")
    _sign_in(page, app_url, ROOT_KEY)
    page.goto(f"{app_url}/admin/c/default/evals")  # type: ignore[attr-defined]
    page.set_input_files("input[type=file]", str(bad))  # type: ignore[attr-defined]
    page.click("button:has-text('Chạy đánh giá')")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("[role=alert]")).to_contain_text("line 2: not JSON")  # type: ignore[attr-defined]
    for _ in range(2):
        page.goto(f"{app_url}/admin/c/default/evals")  # type: ignore[attr-defined]
        page.set_input_files("input[type=file]", str(path))  # type: ignore[attr-defined]
        page.click("button:has-text('Chạy đánh giá')")  # type: ignore[attr-defined]
        sync_api.expect(page.locator("tr.result")).to_have_count(3, timeout=60000)  # type: ignore[attr-defined]
    marks = [r.inner_text() for r in page.locator("tr.result td:last-child").all()]  # type: ignore[attr-defined]
    assert marks == ["đúng", "đúng", "sai"]
    sync_api.expect(page.locator("tr.run")).to_have_count(2)  # type: ignore[attr-defined]
    assert page.locator("#chart circle").count() == 2  # type: ignore[attr-defined]
    shot(page, "evals")


def _docx_with_table() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Báo cáo thu chi xã Hòa Lạc", level=1)
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([("Khoản", "Năm 2024", "Năm 2025"), ("Tổng thu", "58,1 tỷ đồng", "63,9 tỷ đồng"),
                             ("Tổng chi", "50,2 tỷ đồng", "55,0 tỷ đồng")]):  # fmt: skip
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _scanned_pdf(lines: list[str], size: int = 30, smudged: int | None = None) -> bytes:
    """`smudged`: the line whose second half is blurred and specked, as a stain on a scan."""
    import random

    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype(str(FONT), size)
    image = Image.new("L", (size * 36, round(size * 1.5) * len(lines) + 4 * size), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((2 * size, 2 * size + i * round(size * 1.5)), line, font=font, fill=0)
    if smudged is not None:
        top = 2 * size + smudged * round(size * 1.5)
        box = (2 * size + 300, top, 2 * size + 600, top + round(size * 1.5))
        image.paste(image.crop(box).filter(ImageFilter.GaussianBlur(2.2)), box)
        rng = random.Random(1)
        for _ in range(900):
            draw.point((rng.randint(box[0], box[2]), rng.randint(box[1], box[3])), fill=rng.randint(0, 255))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=200.0)
    return out.getvalue()


def test_a_docx_table_a_scan_and_a_text_reach_ready_and_one_is_deleted(
    page: object, app_url: str, tmp_path: Path
) -> None:
    if not FONT.exists() or shutil.which("tesseract") is None:
        pytest.skip("needs fonts-dejavu-core and tesseract-ocr-vie")
    files = {
        "thu-chi-hoa-lac.docx": _docx_with_table(),
        "cong-van-quet.pdf": _scanned_pdf(
            [
                "CÔNG VĂN",
                "Về việc trồng cây",
                "Xã trồng mới 415 ha rừng năm 2025.",
                "Kinh phí trồng rừng là 2.350 triệu đồng.",
            ],
            smudged=3,
        ),
        "ghi-chu.txt": "Ghi chú\n\nBuổi họp kết thúc lúc 11 giờ.".encode(),
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    _sign_in(page, app_url, ROOT_KEY)
    page.goto(f"{app_url}/admin/c/default")  # type: ignore[attr-defined]
    page.set_input_files("input[type=file]", paths)  # type: ignore[attr-defined]
    t0 = time.monotonic()
    page.click("button:has-text('Tải lên')")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_contain_text("đã xong", timeout=120000)  # type: ignore[attr-defined]
    print(f"upload to ready, three files: {time.monotonic() - t0:.1f} s")
    statuses = [r.get_attribute("data-status") for r in page.locator("tr.file").all()]  # type: ignore[attr-defined]
    assert statuses == ["ready", "ready", "ready"], statuses
    page.goto(f"{app_url}/admin/c/default/d/thu-chi-hoa-lac")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("ol.table-rows li").first).to_contain_text("Năm 2025: 63,9 tỷ đồng")  # type: ignore[attr-defined]
    page.goto(f"{app_url}/admin/c/default/d/cong-van-quet")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("body")).to_contain_text("415 ha")  # type: ignore[attr-defined]
    # The stain's words are marked one by one, each with its own confidence, and counted per page.
    marked = page.locator("td mark.doubt.bad")  # type: ignore[attr-defined]
    assert marked.count() >= 1
    assert "độ tin cậy" in (marked.first.get_attribute("title") or "")
    sync_api.expect(page.locator("table.ocr-pages")).to_be_visible()  # type: ignore[attr-defined]
    shot(page, "ocr")
    page.click("button:has-text('Đọc lại bản gốc')")  # read again: the same document comes back
    sync_api.expect(page.locator("body")).to_contain_text("415 ha")  # type: ignore[attr-defined]
    assert "/admin/c/default/d/cong-van-quet" in page.url  # type: ignore[attr-defined]
    page.click("button:has-text('Xóa tài liệu')")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("h1")).to_contain_text("Tài liệu của default")  # type: ignore[attr-defined]
    assert httpx.get(f"{app_url}/documents/cong-van-quet").status_code == 404
