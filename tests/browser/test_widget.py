"""The widget in a real browser (Debian's Chromium driven by Playwright), embedded with one script tag
in a page served from another origin, against the real app on 127.0.0.1."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.embed import Embedder
from app.index import ingest_documents
from app.ingest import document_from_text
from app.serve.access import AccessStore
from app.serve.library import collection_settings
from app.serve.server import running_app

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"
QUESTION = "Tổng thu ngân sách phường Quy Nhơn năm 2025 là bao nhiêu?"
PRIVATE = {
    "text": "Kế hoạch nội bộ\n\nKế hoạch XK-7731 dành 913,7 tỷ đồng cho dự án Hồ Sen Tím.",
    "question": "Dự án Hồ Sen Tím được dành bao nhiêu tỷ đồng?",
    "key": "",
}


@pytest.fixture(scope="module")
def host_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A third-party site on another port (another origin); its pages are filled in by `host`.
    Started first, so the app can list its origin in CORS_ORIGINS."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", pages
    server.shutdown()


@pytest.fixture(scope="module")
def app_url(
    tmp_path_factory: pytest.TempPathFactory,
    seed_index: Settings,
    embedder: Embedder,
    host_server: tuple[str, dict[str, bytes]],
) -> Iterator[str]:
    """The seed index plus a document that carries markup, served by the real app, which lets the
    third-party site's pages call it (CORS_ORIGINS)."""
    root = tmp_path_factory.mktemp("widget")
    shutil.copytree(seed_index.INDEX_DIR, root / "index")
    settings = seed_index.model_copy(update={"INDEX_DIR": root / "index", "CORS_ORIGINS": host_server[0]})
    raw = f"Phường Thử Nghiệm\n\nBáo cáo phường Thử Nghiệm ghi {XSS} tổng số hộ dân là 1.234 hộ."
    ingest_documents(settings, embedder, [document_from_text("xss_doc", raw)])
    # A private collection, and an ask key for it that only the third-party site's pages may send.
    access = AccessStore(settings.INDEX_DIR / "access.sqlite")
    access.create_collection("noi-bo", public=False)
    _, PRIVATE["key"] = access.create_key("ask", ["noi-bo"], origins=[host_server[0]])
    access.close()
    private = collection_settings(settings, "noi-bo")
    ingest_documents(private, embedder, [document_from_text("mat", PRIVATE["text"])])
    with running_app(settings) as base:
        yield base


def _page_html(app: str, css: str = "", attrs: str = "") -> bytes:
    return (
        f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><style>{css}</style></head>"
        f"<body><h1>Trang của phường</h1><p>Nội dung trang.</p>"
        f"<script src='{app}/widget.js' defer {attrs}></script></body></html>"
    ).encode()


@pytest.fixture(scope="module")
def host(app_url: str, host_server: tuple[str, dict[str, bytes]]) -> str:
    """The third-party site's pages, each embedding the widget with one tag."""
    origin, pages = host_server
    pages.update(
        {
            "/plain": _page_html(app_url),
            "/hostile": _page_html(
                app_url, css="* { all: unset } div { display: inline; color: red; font-size: 40px }"
            ),
            "/dead": _page_html(app_url, attrs="data-api='http://127.0.0.1:9'"),
            "/internal": _page_html(app_url, attrs=f"data-collection='noi-bo' data-key='{PRIVATE['key']}'"),
            "/internal-no-key": _page_html(app_url, attrs="data-collection='noi-bo'"),
        }
    )
    return origin


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    yield pg
    context.close()


def ask(page: object, question: str) -> object:
    """Type a question, press Enter, and return the final bot message."""
    box = page.locator("#vn-docqa-widget textarea")  # type: ignore[attr-defined]
    box.fill(question)
    box.press("Enter")
    done = page.locator("#vn-docqa-widget .msg.bot:not([aria-busy])").last  # type: ignore[attr-defined]
    sync_api.expect(page.locator("#vn-docqa-widget [aria-busy]")).to_have_count(0, timeout=15000)  # type: ignore[attr-defined]
    return done


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))  # type: ignore[attr-defined]


def test_streamed_answer_with_figure_and_working_source(page: object, host: str) -> None:
    streamed: list[str] = []
    page.on("request", lambda r: streamed.append(r.url) if r.url.endswith("/ask/stream") else None)  # type: ignore[attr-defined]
    page.goto(f"{host}/plain")  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button.launcher").click()  # type: ignore[attr-defined]
    answer = ask(page, QUESTION)
    sync_api.expect(answer).to_contain_text("348,5 tỷ đồng")
    assert streamed, "the widget must use the SSE endpoint"
    sync_api.expect(answer.locator("mark", has_text="348,5 tỷ đồng")).to_have_count(1)
    cite = answer.locator("button.cite").first
    cite.click()
    source = answer.locator(".source")
    sync_api.expect(source).to_be_visible()
    sync_api.expect(source).to_contain_text("348,5 tỷ đồng")
    sync_api.expect(source).to_contain_text("2025-12-11")
    assert cite.get_attribute("aria-expanded") == "true"
    shot(page, "widget-desktop.png")


def test_abstention_is_shown_as_such(page: object, host: str) -> None:
    page.goto(f"{host}/plain")  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button.launcher").click()  # type: ignore[attr-defined]
    answer = ask(page, "Tổng thu ngân sách năm 2025 của phường Hạc Thành là bao nhiêu?")
    sync_api.expect(answer).to_have_class("msg bot abstain")
    sync_api.expect(answer).to_contain_text("Tài liệu hiện có không nêu thông tin này.")
    sync_api.expect(answer).not_to_have_attribute("role", "alert")


def test_document_markup_is_shown_not_run(page: object, host: str) -> None:
    page.goto(f"{host}/plain")  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button.launcher").click()  # type: ignore[attr-defined]
    answer = ask(page, "Phường Thử Nghiệm có tổng số bao nhiêu hộ dân?")
    sync_api.expect(answer).to_contain_text(XSS)
    answer.locator("button.cite").first.click()
    sync_api.expect(answer.locator(".source")).to_contain_text(XSS)
    assert page.locator("#vn-docqa-widget img").count() == 0  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_hostile_page_css_leaves_the_widget_usable(page: object, host: str) -> None:
    page.goto(f"{host}/hostile")  # type: ignore[attr-defined]
    launcher = page.locator("#vn-docqa-widget button.launcher")  # type: ignore[attr-defined]
    box = launcher.bounding_box()
    assert box and box["x"] > 1000 and box["y"] > 600, box  # still pinned bottom-right
    launcher.click()
    panel = page.locator("#vn-docqa-widget .panel")  # type: ignore[attr-defined]
    sync_api.expect(panel).to_be_visible()
    answer = ask(page, QUESTION)
    sync_api.expect(answer).to_contain_text("348,5 tỷ đồng")
    size = page.locator("#vn-docqa-widget .msg.user").evaluate("e => getComputedStyle(e).fontSize")  # type: ignore[attr-defined]
    assert size == "15px"


def test_keyboard_only(page: object, host: str) -> None:
    page.goto(f"{host}/plain")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    focused = page.evaluate("document.activeElement.shadowRoot?.activeElement?.getAttribute('aria-label')")  # type: ignore[attr-defined]
    assert focused == "Mở hỏi đáp"
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    active = "document.activeElement.shadowRoot.activeElement"
    assert page.evaluate(f"{active}.tagName") == "TEXTAREA"  # type: ignore[attr-defined]
    page.keyboard.type("Phường Quy Nhơn Nam")  # type: ignore[attr-defined]
    page.keyboard.press("Shift+Enter")  # type: ignore[attr-defined]
    assert page.evaluate(f"{active}.value") == "Phường Quy Nhơn Nam\n"  # type: ignore[attr-defined]
    page.keyboard.type("có bao nhiêu đảng viên?")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("#vn-docqa-widget [aria-busy]")).to_have_count(0, timeout=15000)  # type: ignore[attr-defined]
    sync_api.expect(page.locator("#vn-docqa-widget .msg.bot").last).to_contain_text("4.985 đảng viên")  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    sync_api.expect(page.locator("#vn-docqa-widget .panel")).to_be_hidden()  # type: ignore[attr-defined]
    assert page.evaluate(f"{active}.getAttribute('aria-label')") == "Mở hỏi đáp"  # type: ignore[attr-defined]


def test_narrow_viewport(browser: object, host: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.goto(f"{host}/plain")
    pg.locator("#vn-docqa-widget button.launcher").click()
    answer = ask(pg, QUESTION)
    sync_api.expect(answer).to_contain_text("348,5 tỷ đồng")
    box = pg.locator("#vn-docqa-widget .panel").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["y"] >= 0, box
    shot(pg, "widget-360px.png")
    context.close()


def test_conversation_survives_reload_and_can_be_cleared(page: object, host: str) -> None:
    page.goto(f"{host}/plain")  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button.launcher").click()  # type: ignore[attr-defined]
    ask(page, QUESTION)
    page.reload()  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button.launcher").click()  # type: ignore[attr-defined]
    restored = page.locator("#vn-docqa-widget .msg.bot").last  # type: ignore[attr-defined]
    sync_api.expect(restored).to_contain_text("348,5 tỷ đồng")
    sync_api.expect(page.locator("#vn-docqa-widget .msg.user")).to_have_text([QUESTION])  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button[aria-label='Xóa cuộc trò chuyện']").click()  # type: ignore[attr-defined]
    sync_api.expect(page.locator("#vn-docqa-widget .msg")).to_have_count(1)  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    sync_api.expect(page.locator("#vn-docqa-widget .msg")).to_have_count(1)  # type: ignore[attr-defined]


def test_network_error_offers_retry(page: object, host: str) -> None:
    page.goto(f"{host}/dead")  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button.launcher").click()  # type: ignore[attr-defined]
    box = page.locator("#vn-docqa-widget textarea")  # type: ignore[attr-defined]
    box.fill(QUESTION)
    box.press("Enter")
    error = page.locator("#vn-docqa-widget .msg.bot.error")  # type: ignore[attr-defined]
    sync_api.expect(error).to_contain_text("Không kết nối được máy chủ")
    sync_api.expect(error.locator("button.retry")).to_be_visible()
    error.locator("button.retry").click()
    sync_api.expect(page.locator("#vn-docqa-widget .msg.bot.error")).to_have_count(1)  # type: ignore[attr-defined]


def test_demo_page_embeds_the_widget(page: object, app_url: str) -> None:
    page.goto(f"{app_url}/")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Phường Quy Nhơn Nam có bao nhiêu đảng viên?").click()  # type: ignore[attr-defined]
    sync_api.expect(page.locator("#vn-docqa-widget [aria-busy]")).to_have_count(0, timeout=15000)  # type: ignore[attr-defined]
    sync_api.expect(page.locator("#vn-docqa-widget .msg.bot").last).to_contain_text("4.985 đảng viên")  # type: ignore[attr-defined]


def test_a_collection_and_its_key_on_the_page(page: object, host: str) -> None:
    page.goto(f"{host}/internal")  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button.launcher").click()  # type: ignore[attr-defined]
    answer = ask(page, PRIVATE["question"])
    sync_api.expect(answer).to_contain_text("913,7 tỷ đồng")


def test_a_private_collection_without_its_key_says_nothing_of_it(page: object, host: str) -> None:
    page.goto(f"{host}/internal-no-key")  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button.launcher").click()  # type: ignore[attr-defined]
    answer = ask(page, PRIVATE["question"])
    sync_api.expect(answer).not_to_contain_text("913,7")
    sync_api.expect(answer).to_contain_text(
        "noi-bo"
    )  # the server's 404: no collection readable without a key


def test_a_citation_opens_its_source_and_thumbs_land_in_the_log(
    page: object, host: str, app_url: str
) -> None:
    page.goto(f"{host}/plain")  # type: ignore[attr-defined]
    page.locator("#vn-docqa-widget button.launcher").click()  # type: ignore[attr-defined]
    answer = ask(page, QUESTION)
    answer.locator("button.cite").first.click()
    link = answer.locator(".source a.open")
    sync_api.expect(link).to_be_visible()
    source = httpx.get(link.get_attribute("href"))
    assert source.status_code == 200 and "text/html" in source.headers["content-type"]
    assert '<mark id="cited">' in source.text and "348,5 tỷ đồng" in source.text.split('<mark id="cited">')[1]
    answer.locator("button.thumb").first.click()
    sync_api.expect(answer.locator(".rate")).to_contain_text("Cảm ơn")
