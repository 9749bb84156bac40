"""The tantivy lexical index: exact over folded, pairs, incremental writes, snapshots, filters inside
the search, doc_freq, and a failed or killed write leaving the last commit whole."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.index import lexical, terms
from app.index.lexical import (
    FOLDED,
    LexicalFilter,
    LexicalIndexError,
    LexicalRecord,
    TantivyLexicalIndex,
    make_lexical_index,
)
from app.index.terms import tokens

ROOT = Path(__file__).resolve().parents[2]

# A regulation article, a contract clause, an encyclopedia sentence and report sentences.
ARTICLE = (
    "Điều 12. Thời hạn giải quyết hồ sơ\nHồ sơ đề nghị cấp giấy phép xây dựng được giải quyết trong "
    "thời hạn 15 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ."
)
CONTRACT = (
    "Điều 4. Giá trị hợp đồng và phương thức thanh toán\nBên A thanh toán cho Bên B bằng chuyển khoản "
    "thành hai đợt, mỗi đợt 50% giá trị hợp đồng."
)
ENCYCLOPEDIA = (
    "Quy Nhơn\nQuy Nhơn là thành phố ven biển ở miền Trung Việt Nam, nổi tiếng với bãi biển dài "
    "và các món hải sản."
)
YEAR = "Sản lượng lúa\nSản lượng lúa năm 2024 của huyện đạt 52 nghìn tấn."
SOUTH = "Sản lượng lúa\nSản lượng lúa miền Nam 2024 của vùng đạt 52 nghìn tấn."
BUDGET = "Ngân sách\nTổng thu ngân sách nhà nước trên địa bàn đạt 1.250 tỷ đồng, vượt dự toán."
WARD = "Phường Quy Nhơn Nam\nPhường Quy Nhơn Nam hoàn thành 20/21 chỉ tiêu."
TWO_WARDS = "Hai phường\nPhường Quy Nhơn và phường Nam Hải cùng hoàn thành chỉ tiêu."


def rec(key: int, doc_id: str, text: str, date: str | None = None) -> LexicalRecord:
    return LexicalRecord(key=key, doc_id=doc_id, date=date, text=text)


CORPUS = [
    rec(1, "regulation", ARTICLE, "2024-03-01"),
    rec(2, "contract", CONTRACT, "2025-06-30"),
    rec(3, "encyclopedia", ENCYCLOPEDIA),
    rec(4, "report-a", YEAR, "2025-01-15"),
    rec(5, "report-b", SOUTH, "2025-01-15"),
    rec(6, "report-a", BUDGET, "2025-01-15"),
    rec(7, "report-c", WARD, "2025-12-31"),
    rec(8, "report-d", TWO_WARDS),
]


@pytest.fixture
def index(tmp_path: Path) -> TantivyLexicalIndex:
    ix = TantivyLexicalIndex(tmp_path / "lexical")
    ix.write(CORPUS, (), marker=1)
    return ix


def keys(hits: list[tuple[int, float]]) -> list[int]:
    return [key for key, _ in hits]


def test_exact_diacritics_outrank_folded_matches(index: TantivyLexicalIndex) -> None:
    snap = index.snapshot()
    assert keys(snap.search("sản lượng lúa năm 2024", written=True, k=2)) == [4, 5]
    folded = snap.search("tong thu ngan sach", written=False, k=3)
    assert folded[0][0] == 6
    assert all(score > 0 for _, score in folded)


def test_written_score_is_exact_plus_a_quarter_of_folded(index: TantivyLexicalIndex) -> None:
    """ "Nam" matches "năm" only once folded, so it scores exactly 0.25 x its folded score."""
    snap = index.snapshot()
    folded = dict(snap.search("năm", written=False, k=10))
    written = dict(snap.search("năm", written=True, k=10))
    assert written[5] == pytest.approx(0.25 * folded[5], rel=1e-5)
    assert written[4] > folded[4]


def test_the_syllable_sequence_ranks_first(index: TantivyLexicalIndex) -> None:
    # The encyclopedia chunk and the two-ward chunk hold "Quy", "Nhơn" and "Nam", not in a row.
    hits = index.snapshot().search("Quy Nhơn Nam", written=True, k=3)
    assert hits[0][0] == 7 and {3, 8} <= set(keys(hits))


def test_query_terms_count_once_and_no_tokens_match_nothing(index: TantivyLexicalIndex) -> None:
    snap = index.snapshot()
    assert snap.search("hợp đồng hợp đồng", True, 5) == snap.search("hợp đồng", True, 5)
    assert snap.search("?! …", True, 5) == [] and snap.search("", False, 5) == []
    assert snap.search("hợp đồng", True, 0) == []
    assert snap.search("xyzzy plugh", True, 5) == []


def test_an_empty_index(tmp_path: Path) -> None:
    ix = make_lexical_index(tmp_path / "new")
    snap = ix.snapshot()
    assert ix.marker() == 0 and snap.marker == 0 and len(snap) == 0
    assert snap.search("ngân sách", True, 5) == [] and snap.doc_freq("ngan") == 0


def test_replace_remove_and_reopen(index: TantivyLexicalIndex, tmp_path: Path) -> None:
    # report-a (keys 4, 6) becomes one new chunk; the contract goes.
    index.write(
        [rec(40, "report-a", "Thu ngân sách\nThu ngân sách năm 2025 giảm.", "2025-02-01")], ["report-a"], 2
    )
    index.write([], ["contract"], 3)
    snap = index.snapshot()
    assert len(snap) == len(CORPUS) - 3 + 1
    assert keys(snap.search("ngân sách", True, 10)) == [40]
    assert snap.search("lúa năm 2024", True, 10)[0][0] == 5  # 4 is gone
    assert snap.search("chuyển khoản", True, 10) == []
    assert index.marker() == 3 and snap.marker == 3

    reopened = TantivyLexicalIndex(tmp_path / "lexical")
    assert reopened.marker() == 3
    assert reopened.snapshot().search("ngân sách", True, 10) == snap.search("ngân sách", True, 10)


def test_clear_drops_everything_and_the_marker(index: TantivyLexicalIndex) -> None:
    index.clear()
    assert index.marker() == 0 and len(index.snapshot()) == 0
    index.write(CORPUS[:2], (), 9)
    assert index.marker() == 9 and len(index.snapshot()) == 2


def test_a_snapshot_does_not_see_later_writes(index: TantivyLexicalIndex) -> None:
    before = index.snapshot()
    hits = before.search("ngân sách", True, 5)
    index.write([rec(50, "new", "Kế hoạch ngân sách năm sau.")], ["report-a"], 2)
    assert len(before) == len(CORPUS) and before.marker == 1
    assert before.search("ngân sách", True, 5) == hits and before.doc_freq("ke_hoach") == 0
    after = index.snapshot()
    assert keys(after.search("ngân sách", True, 5)) == [50] and after.doc_freq("ke_hoach") == 1


def test_filters_are_applied_inside_the_search(index: TantivyLexicalIndex) -> None:
    snap = index.snapshot()
    unfiltered = dict(snap.search("năm", True, 10))
    assert keys(snap.search("năm", True, 1)) == [4]
    # k=1: the allowed document's chunk comes back even though others score higher, with its own score.
    only = snap.search("năm", True, 1, LexicalFilter(doc_ids=("encyclopedia",)))
    assert keys(only) == [3] and only[0][1] == pytest.approx(unfiltered[3])
    assert snap.search("năm", True, 5, LexicalFilter(doc_ids=())) == []
    assert snap.search("năm", True, 5, LexicalFilter(doc_ids=("no-such-doc",))) == []


def test_date_bounds_are_inclusive_and_exclude_undated(index: TantivyLexicalIndex) -> None:
    snap = index.snapshot()
    question = "hoàn thành giá trị hồ sơ Quy Nhơn"

    def dated(date_from: str | None, date_to: str | None, k: int = 10) -> list[int]:
        return keys(snap.search(question, True, k, LexicalFilter(None, date_from, date_to)))

    assert set(dated(None, None)) == {1, 2, 3, 7, 8} and dated(None, None)[0] != 1
    assert set(dated("2025-06-30", "2025-12-31")) == {2, 7}  # both bounds inclusive; 3 and 8 have no date
    assert dated(None, "2024-12-31", k=1) == [1]  # not first unfiltered, first within the dates
    assert dated("2025-07-01", None) == [7]
    hits = snap.search(
        "năm", True, 10, LexicalFilter(doc_ids=("report-a", "report-b"), date_from="2025-01-01")
    )
    assert set(keys(hits)) == {4, 5}


def test_doc_freq_counts_chunks_by_folded_term_and_len_skips_the_marker(index: TantivyLexicalIndex) -> None:
    snap = index.snapshot()
    assert len(snap) == len(CORPUS)
    assert snap.doc_freq("nam") == 5  # năm (4) and Nam (3, 5, 7, 8), however often in a chunk
    assert snap.doc_freq("quy_nhon") == 3 and snap.doc_freq("nhon_nam") == 1
    assert snap.doc_freq("năm") == 0  # the folded field holds no diacritics
    index.write([], ["report-c", "report-d"], 2)  # len drops at once; doc_freq once segments merge
    assert index.snapshot().doc_freq("quy_nhon") <= 3 and len(index.snapshot()) == len(CORPUS) - 2


def test_index_tokens_are_the_query_tokens() -> None:
    """The index tokenises in one pass; it must stay what `tokens` gives the query."""
    for text in (ARTICLE, CONTRACT, ENCYCLOPEDIA, WARD, "Ủy ban nhân dân TP. Hồ Chí Minh: 348,5 tỷ"):
        assert terms.forms(text) == (tokens(text, False), tokens(text, True))


def test_a_snapshot_searches_from_many_threads(index: TantivyLexicalIndex) -> None:
    snap = index.snapshot()
    queries = [("năm", True), ("quy nhon nam", False), ("hợp đồng", True), ("ngan sach", False)] * 50
    expected = [snap.search(q, w, 5) for q, w in queries]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda qw: snap.search(qw[0], qw[1], 5), queries))
    assert got == expected


def test_a_write_failing_midway_leaves_the_last_commit(
    index: TantivyLexicalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = lexical._document
    calls = 0

    def failing(record: LexicalRecord, day: int | None) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk gone")
        return real(record, day)

    monkeypatch.setattr(lexical, "_document", failing)
    before = index.snapshot().search("ngân sách", True, 5)
    with pytest.raises(OSError, match="disk gone"):
        index.write([rec(60, "new", "Ngân sách mới"), rec(61, "new", "Ngân sách")], ["report-a"], 2)
    assert index.marker() == 1
    snap = index.snapshot()
    assert len(snap) == len(CORPUS) and snap.search("ngân sách", True, 5) == before
    monkeypatch.setattr(lexical, "_document", real)
    index.write([rec(60, "new", "Ngân sách mới")], ["report-a"], 2)  # the writer's lock was released
    assert index.marker() == 2 and 60 in keys(index.snapshot().search("ngân sách", True, 5))


def test_a_process_killed_before_its_commit_leaves_the_last_commit(
    index: TantivyLexicalIndex, tmp_path: Path
) -> None:
    """A real crash: no rollback runs and the dead process held the writer's lock."""
    child = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from app.index import lexical
        real = lexical._document
        def dying(record, day):
            if record.key == 72:  # the first record is in the writer already
                os._exit(9)
            return real(record, day)
        lexical._document = dying
        ix = lexical.TantivyLexicalIndex(Path({str(tmp_path / "lexical")!r}))
        records = [lexical.LexicalRecord(k, "new", None, "Ngân sách " * 50) for k in range(71, 80)]
        ix.write(records, ["report-a"], 5)
        """
    )
    run = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 9, run.stderr
    reopened = TantivyLexicalIndex(tmp_path / "lexical")
    assert reopened.marker() == 1 and len(reopened.snapshot()) == len(CORPUS)
    assert 6 in keys(reopened.snapshot().search("ngân sách", True, 5))
    reopened.write([rec(80, "new", "Ngân sách")], (), 6)
    assert reopened.marker() == 6


def test_a_bad_date_fails_before_anything_is_written(index: TantivyLexicalIndex) -> None:
    with pytest.raises(ValueError):
        index.write([rec(90, "x", "Ngân sách", "31/01/2025")], ["report-a"], 2)
    assert index.marker() == 1 and len(index.snapshot()) == len(CORPUS)


def test_a_damaged_folder_fails_to_open_as_a_value_error(index: TantivyLexicalIndex, tmp_path: Path) -> None:
    (tmp_path / "lexical" / "meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LexicalIndexError) as raised:
        TantivyLexicalIndex(tmp_path / "lexical")
    assert isinstance(raised.value, ValueError)  # what the index loader catches to suggest a rebuild


def test_past_a_size_terms_most_chunks_hold_are_not_scored(tmp_path: Path) -> None:
    """Pruning common terms keeps the passage the rarer words point to, and a question made only of
    common words still finds something (its rarest terms are kept)."""
    common = [
        rec(100 + i, f"filler-{i}", f"Năm 2025 phường có báo cáo số {i} về công tác chung.")
        for i in range(20)
    ]
    target = rec(200, "target", "Năm 2025 phường trồng 321 cây sao đen trên tuyến đường ven biển.")
    pruned = TantivyLexicalIndex(tmp_path / "pruned", prune=(1, 0.5))
    full = TantivyLexicalIndex(tmp_path / "full")
    for ix in (pruned, full):
        ix.write([*common, target], (), marker=1)
    question = "Năm 2025 phường trồng bao nhiêu cây sao đen?"
    assert (
        keys(pruned.snapshot().search(question, True, 1))
        == keys(full.snapshot().search(question, True, 1))
        == [200]
    )
    assert pruned.snapshot()._uncommon(FOLDED, ["nam", "phuong", "sao", "den"]) == ["sao", "den"]
    assert pruned.snapshot().search("năm 2025 phường", True, 3)  # only common words: rarest kept
