"""The restorer's vocabulary on disk: running counts that answer exactly like counting the texts in
memory, change only inside the caller's transaction, and restore questions as the old restorer did."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from app.index.vocabulary import NUM, CountedVocabulary, SqliteVocabulary, count
from app.retrieve.diacritics import DiacriticRestorer
from app.text import fold

TEXTS = [
    # a regulation article
    "Điều 5. Quy định về thời gian làm việc\n"
    "1. Thời gian làm việc bình thường không quá 8 giờ trong một ngày và không quá 48 giờ trong một tuần.\n"
    "2. Người sử dụng lao động có quyền quy định thời giờ làm việc theo ngày hoặc theo tuần nhưng phải "
    "thông báo cho người lao động biết.\n"
    "Điều 6. Nghỉ hằng năm\n"
    "Người lao động làm việc đủ 12 tháng cho một người sử dụng lao động thì được nghỉ hằng năm 12 ngày "
    "làm việc, hưởng nguyên lương.",
    # a contract clause
    "Điều 3. Giá trị hợp đồng và phương thức thanh toán\n"
    "Tổng giá trị hợp đồng là 1.250.000.000 đồng (bằng chữ: một tỷ hai trăm năm mươi triệu đồng), đã bao "
    "gồm thuế giá trị gia tăng. Bên A thanh toán cho Bên B bằng chuyển khoản trong vòng 30 ngày kể từ ngày "
    "nhận đủ hồ sơ hợp lệ. Nếu Bên B chậm bàn giao, Bên B chịu phạt 0,5% giá trị hợp đồng cho mỗi ngày chậm.",
    # an encyclopedia sentence
    "Quy Nhơn là thành phố ven biển thuộc tỉnh Gia Lai, nằm ở phía nam của vùng duyên hải Nam Trung Bộ "
    "Việt Nam. Thành phố có bãi biển dài, nhiều đảo nhỏ; khí hậu nóng ẩm, mùa mưa kéo dài từ tháng 9 đến "
    "tháng 12 hằng năm.",
    # a report with figures
    "Năm 2025, tổng thu ngân sách trên địa bàn phường Quy Nhơn Nam đạt 348,5 tỷ đồng, bằng 112,4% dự toán; "
    "tổng chi ngân sách là 201,7 tỷ đồng. Toàn phường có 4.985 đảng viên, tỷ lệ hộ gia đình văn hóa đạt "
    "94,54%. Năm 2026, phường Quy Nhơn Nam phấn đấu thu ngân sách tăng 10% so với năm 2025.",
    # a news item
    "Đoàn công tác của Bộ Y tế đã làm việc với Sở Y tế tỉnh về phòng chống dịch bệnh trong mùa mưa bão. "
    "Bộ trưởng yêu cầu các bệnh viện tuyến tỉnh bảo đảm đủ thuốc, vật tư y tế và nhân lực trực 24/24 giờ.",
]

# restore() of the restorer before the vocabulary existed (DiacriticRestorer(TEXTS), recorded then).
OLD_RESTORED = [
    ("tong thu ngan sach nam 2025", "tổng thu ngân sách năm 2025"),
    ("quy nhon nam", "quy nhơn nam"),
    ("dieu 5 quy dinh gi", "điều 5 quy định gì"),
    ("Tong gia tri hop dong la bao nhieu?", "Tổng giá trị hợp đồng là bao nhiêu?"),
    ("ben a thanh toan trong bao nhieu ngay", "bên a thanh toán trong bao nhiêu ngày"),
    ("quy nhon thuoc tinh nao", "quy nhơn thuộc tỉnh nào"),
    ("phuong quy nhon nam co bao nhieu dang vien", "phường quy nhơn nam có bao nhiêu đảng viên"),
    ("ty le ho gia dinh van hoa nam 2025", "tỷ lệ hộ gia đình văn hóa năm 2025"),
    ("nguoi lao dong duoc nghi hang nam bao nhieu ngay", "người lao động được nghỉ hằng năm bao nhiêu ngày"),
    ("mua mua keo dai tu thang may den thang may", "mùa mưa kéo dài từ tháng mấy đến tháng mấy"),
    ("TONG CHI NGAN SACH la bao nhieu", "TỔNG CHI NGÂN SÁCH là bao nhiêu"),
    ("bo y te yeu cau gi", "bộ y tế yêu cầu gì"),
    ("phat cham ban giao 0,5% la bao nhieu", "phạt chậm bàn giao 0,5% là bao nhiêu"),
    ("xyz 123", "xyz 123"),
]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(tmp_path / "vocab.sqlite", isolation_level=None, check_same_thread=False)
    yield conn
    conn.close()


def written(db: sqlite3.Connection, add: Sequence[str] = (), remove: Sequence[str] = ()) -> SqliteVocabulary:
    """An update committed as the index writer does it: BEGIN IMMEDIATE .. COMMIT around it."""
    vocab = SqliteVocabulary(db)
    db.execute("BEGIN IMMEDIATE")
    vocab.update(add=add, remove=remove)
    db.execute("COMMIT")
    return vocab


def assert_same(a: CountedVocabulary | SqliteVocabulary, b: CountedVocabulary | SqliteVocabulary) -> None:
    """Every read of the restorer answers alike, over every word, pair and fold of the texts (and some
    that are in none of them)."""
    unigrams, bigrams = count(TEXTS)
    probes = [*unigrams, "không có", "xyz", "2031", NUM]
    for w in probes:
        assert a.unigram(w) == b.unigram(w), w
    for x, y in [*bigrams, ("quy", "nhơn"), ("nhơn", "quy"), ("năm", "2031"), ("xyz", "năm")]:
        assert a.bigram(x, y) == b.bigram(x, y), (x, y)
    for f in {fold(w) for w in probes} | {"", "nam"}:
        assert a.variants(f) == b.variants(f), f
        assert a.forms(f) == b.forms(f), f
    assert (a.total(), a.distinct()) == (b.total(), b.distinct())


def stored_rows(db: sqlite3.Connection) -> tuple[int, int, int]:
    words, zero_w = db.execute("SELECT count(*), count(*) FILTER (WHERE n <= 0) FROM vocab_words").fetchone()
    pairs, zero_p = db.execute("SELECT count(*), count(*) FILTER (WHERE n <= 0) FROM vocab_pairs").fetchone()
    return words, pairs, zero_w + zero_p


def test_sqlite_answers_like_counting_in_memory(db: sqlite3.Connection) -> None:
    reference = CountedVocabulary(TEXTS)
    vocab = written(db, add=TEXTS)
    assert_same(vocab, reference)
    assert vocab.unigram("năm") == 7 and vocab.unigram("2025") == vocab.unigram(NUM) > 10
    assert vocab.variants("nam") == ["năm", "nam", "nằm"]
    assert vocab.bigram("quy", "nhơn") == 3
    words, pairs, _ = stored_rows(db)
    assert (words, pairs) == (vocab.distinct(), len(count(TEXTS)[1]))


def test_ties_go_to_the_first_seen_form(db: sqlite3.Connection) -> None:
    texts = ["mưa mua mùa", "mùa mưa mua"]
    vocab = written(db, add=texts)
    assert vocab.variants("mua") == CountedVocabulary(texts).variants("mua") == ["mưa", "mua", "mùa"]
    written(db, add=["mùa"])
    assert vocab.variants("mua") == ["mùa", "mưa", "mua"]


def test_removing_a_text_leaves_the_counts_of_the_rest(db: sqlite3.Connection) -> None:
    vocab = written(db, add=TEXTS)
    written(db, remove=[TEXTS[1]])
    rest = [t for i, t in enumerate(TEXTS) if i != 1]
    assert_same(vocab, CountedVocabulary([*TEXTS[:1], *TEXTS[2:]]))  # here: the same first-seen order
    reference = CountedVocabulary(TEXTS)
    reference.update(remove=[TEXTS[1]])
    assert_same(vocab, reference)
    assert vocab.unigram("hợp") == vocab.unigram("chuyển") == vocab.bigram("bên", "b") == 0
    assert vocab.variants("phat") == []
    words, pairs, at_zero = stored_rows(db)
    assert at_zero == 0 and (words, pairs) == (vocab.distinct(), len(count(rest)[1]))
    written(db, remove=rest)
    assert stored_rows(db) == (0, 0, 0) and (vocab.total(), vocab.distinct()) == (0, 0)


def test_a_replaced_text(db: sqlite3.Connection) -> None:
    old, new = TEXTS[3], TEXTS[3].replace("348,5 tỷ đồng", "350 tỷ đồng").replace("đảng viên", "hội viên")
    vocab = written(db, add=TEXTS)
    written(db, add=[new], remove=[old])
    reference = CountedVocabulary(TEXTS)
    reference.update(add=[new], remove=[old])
    assert_same(vocab, reference)
    others = CountedVocabulary([*TEXTS[:3], new, TEXTS[4]])
    assert (vocab.unigram("đảng"), vocab.unigram("hội"), vocab.bigram("hội", "viên")) == (0, 1, 1)
    for w in count([*TEXTS, new])[0]:
        assert vocab.unigram(w) == others.unigram(w), w
    assert (vocab.total(), vocab.distinct()) == (others.total(), others.distinct())
    assert stored_rows(db)[2] == 0


def test_counts_survive_closing_the_file(tmp_path: Path) -> None:
    path = tmp_path / "vocab.sqlite"
    conn = sqlite3.connect(path)  # the default (implicit transactions) mode: the caller commits
    SqliteVocabulary(conn).update(add=TEXTS)
    conn.commit()
    conn.close()
    conn = sqlite3.connect(path)
    try:
        assert_same(SqliteVocabulary(conn), CountedVocabulary(TEXTS))
    finally:
        conn.close()


@pytest.mark.parametrize("isolation", [None, ""], ids=["explicit-begin", "implicit-begin"])
def test_update_never_commits_by_itself(tmp_path: Path, isolation: str | None) -> None:
    path = tmp_path / "vocab.sqlite"
    conn = sqlite3.connect(path, isolation_level=isolation)
    other = sqlite3.connect(path)
    try:
        vocab = SqliteVocabulary(conn)
        if isolation is None:
            conn.execute("BEGIN IMMEDIATE")
        vocab.update(add=TEXTS[:2])
        conn.commit()
        before = (vocab.total(), vocab.distinct(), vocab.unigram("đồng"), vocab.variants("nam"))
        if isolation is None:
            conn.execute("BEGIN IMMEDIATE")
        vocab.update(add=TEXTS[2:], remove=TEXTS[:1])
        assert conn.in_transaction
        assert vocab.unigram("đồng") > before[2]  # the writer sees its own change ...
        assert SqliteVocabulary(other).unigram("đồng") == before[2]  # ... nobody else does yet
        conn.rollback()
        assert (vocab.total(), vocab.distinct(), vocab.unigram("đồng"), vocab.variants("nam")) == before
        assert_same(vocab, CountedVocabulary(TEXTS[:2]))
    finally:
        other.close()
        conn.close()


def test_removing_what_was_never_added_changes_nothing(db: sqlite3.Connection) -> None:
    vocab = written(db, add=TEXTS[:2])
    db.execute("BEGIN IMMEDIATE")
    with pytest.raises(ValueError, match="never counted"):
        # every word is counted, but "đồng lao" never followed each other
        vocab.update(add=TEXTS[2:], remove=["Hợp đồng lao động"])
    db.execute("COMMIT")
    assert_same(vocab, CountedVocabulary(TEXTS[:2]))
    with pytest.raises(ValueError):
        CountedVocabulary(TEXTS[:2]).update(remove=["xyz"])


def test_restore_is_what_it_was(db: sqlite3.Connection) -> None:
    """The same output over both vocabularies, and the same as the restorer that counted the texts
    itself (the question phrases added on top, ties to the first seen form)."""
    on_disk = DiacriticRestorer(written(db, add=TEXTS))
    in_memory = DiacriticRestorer.from_texts(TEXTS)
    for question, old in OLD_RESTORED:
        assert in_memory.restore(question) == old, question
        assert on_disk.restore(question) == old, question


@pytest.mark.parametrize(("times", "restored"), [(14, "nào"), (15, "não"), (16, "não")])
def test_question_phrases_count_on_top(db: sqlite3.Connection, times: int, restored: str) -> None:
    """ "nào" is seen 15 times in the question phrases: a corpus form seen as often wins the tie (texts
    come first), as before."""
    texts = ["não " * times]
    assert DiacriticRestorer(written(db, add=texts)).restore("nao") == restored
    assert DiacriticRestorer.from_texts(texts).restore("nao") == restored


def test_an_empty_vocabulary_restores_from_the_question_phrases(db: sqlite3.Connection) -> None:
    for vocab in (SqliteVocabulary(db), CountedVocabulary()):
        r = DiacriticRestorer(vocab)
        assert r.restore("tong thu ngan sach nam 2025") == "tong thu ngan sach năm 2025"
        assert r.restore("la bao nhieu") == "là bao nhiêu"
        assert r.restore("") == ""
