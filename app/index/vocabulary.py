"""Syllable and syllable-pair counts of the corpus: the language model that puts diacritics back on a
question typed without them (`app.retrieve.diacritics`).

Why running counts: the restorer used to recount every document at each index change (1.5 s at 11k
chunks, Counters growing with the corpus). Counts are additive, so adding or removing a document
changes only its own syllables' rows. `SqliteVocabulary.update` applies that change inside the index
write's own transaction, and a question reads only the few counts it needs (indexed point lookups).

What is counted, exactly as the restorer always counted it: the syllables of each text as
`app.text.words` gives them, every numeral as one class `NUM` ("năm 2025" also teaches "năm 2027"),
and each pair of consecutive syllables within one text (never across two texts).
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Protocol, TypeVar

from app.text import fold, words

NUM = "<num>"
MAX_VARIANTS = 4
_NUMBER = re.compile(r"\d")
_CHUNK = 400  # keys per read in `update` (2 parameters per pair: well under SQLite's variable limit)

K = TypeVar("K", bound=Hashable)


def lm_key(word: str) -> str:
    """Numbers share one class, so "năm 2025" also teaches "năm 2027"."""
    return NUM if _NUMBER.match(word) else word


def count(texts: Iterable[str]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Syllable and pair counts of `texts`; keys in order of first appearance (ties keep that order)."""
    unigrams: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    for text in texts:
        ws = [lm_key(w) for w in words(text)]
        unigrams.update(ws)
        bigrams.update(itertools.pairwise(ws))
    return unigrams, bigrams


def change(add: Iterable[str], remove: Iterable[str]) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """The net change in counts when `remove` texts go and `add` texts come; zero changes left out.
    Keys new to a vocabulary come in order of first appearance in `add`."""
    unigrams, bigrams = count(add)
    gone_u, gone_b = count(remove)
    unigrams.subtract(gone_u)
    bigrams.subtract(gone_b)
    return {k: d for k, d in unigrams.items() if d}, {k: d for k, d in bigrams.items() if d}


def _folded(word: str) -> str:
    """The folded-syllable key of a stored word; the number class has none (it is never a variant)."""
    return "" if word == NUM else fold(word)


class Vocabulary(Protocol):
    """The counts the diacritic restorer reads. A word is a syllable as `app.text.words` gives it;
    numerals count as `NUM` (either may be passed)."""

    def unigram(self, word: str) -> int:
        """How often the word occurs (0 if never)."""
        ...

    def bigram(self, a: str, b: str) -> int:
        """How often `b` directly follows `a` within a text."""
        ...

    def variants(self, folded: str) -> list[str]:
        """The written forms of a folded syllable, most frequent first (ties: first seen first), at
        most `MAX_VARIANTS`: the restorer's candidates."""
        ...

    def forms(self, folded: str) -> list[str]:
        """Every written form of a folded syllable, first seen first. The restorer adds its question
        phrases' counts on top of the vocabulary's; this lets it re-rank exactly where they touch."""
        ...

    def total(self) -> int:
        """Sum of all word counts."""
        ...

    def distinct(self) -> int:
        """Number of distinct words (the number class included)."""
        ...


class CountedVocabulary:
    """In memory: the reference the SQLite store must agree with, and the vocabulary for tests and
    tools (counting a few texts costs less than a database)."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self._words, self._pairs = count(texts)
        self._total = sum(self._words.values())
        self._by_fold: dict[str, list[str]] | None = None

    def update(self, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        """Same semantics as `SqliteVocabulary.update`: the net change applied, words at 0 dropped (a
        word that comes back later counts as first seen then)."""
        words_delta, pairs_delta = change(add, remove)
        _check(self._words, words_delta)
        _check(self._pairs, pairs_delta)
        _apply(self._words, words_delta)
        _apply(self._pairs, pairs_delta)
        self._total += sum(words_delta.values())
        self._by_fold = None

    def unigram(self, word: str) -> int:
        return self._words.get(lm_key(word), 0)

    def bigram(self, a: str, b: str) -> int:
        return self._pairs.get((lm_key(a), lm_key(b)), 0)

    def forms(self, folded: str) -> list[str]:
        if self._by_fold is None:
            self._by_fold = {}
            for w in self._words:  # insertion order = first seen
                if w != NUM:
                    self._by_fold.setdefault(fold(w), []).append(w)
        return list(self._by_fold.get(folded, ()))

    def variants(self, folded: str) -> list[str]:
        # A stable sort by count, as Counter.most_common does: ties keep first-seen order.
        return sorted(self.forms(folded), key=self._words.__getitem__, reverse=True)[:MAX_VARIANTS]

    def total(self) -> int:
        return self._total

    def distinct(self) -> int:
        return len(self._words)


def _check(counts: Counter[K], delta: dict[K, int]) -> None:
    below = [k for k, d in delta.items() if d < 0 and counts.get(k, 0) + d < 0]
    if below:
        raise ValueError(f"removing text that was never counted: {below[:5]}")


def _apply(counts: Counter[K], delta: dict[K, int]) -> None:
    for k, d in delta.items():
        n = counts.get(k, 0) + d
        if n:
            counts[k] = n  # a new key goes last: first seen now
        else:
            del counts[k]


SCHEMA = (
    # seq: when the word was first counted (ties between variants go to the earlier one, as in memory).
    "CREATE TABLE IF NOT EXISTS vocab_words("
    "word TEXT PRIMARY KEY, folded TEXT NOT NULL, n INTEGER NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS vocab_words_by_folded ON vocab_words(folded)",
    "CREATE TABLE IF NOT EXISTS vocab_pairs("
    "a TEXT NOT NULL, b TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(a, b)) WITHOUT ROWID",
    # One row: the sum and number of word counts kept running (a SUM over millions of rows per
    # question is too slow), and the next first-seen number.
    "CREATE TABLE IF NOT EXISTS vocab_totals("
    "id INTEGER PRIMARY KEY CHECK (id = 1), total INTEGER NOT NULL, distinct_words INTEGER NOT NULL, "
    "next_seq INTEGER NOT NULL)",
)


class SqliteVocabulary:
    """Running counts in the index's SQLite file (tables `vocab_words`, `vocab_pairs`,
    `vocab_totals`, created if missing).

    `update` writes inside the caller's transaction and never commits, rolls back or begins: the
    counts change atomically with the rest of an index write. Reads see whatever the connection sees
    (the last commit, or the caller's own uncommitted writes). No cache is kept across calls, so an
    instance never goes stale; the restorer memoises per question only. One question of ~12 words
    costs a few hundred primary-key lookups. The connection may be shared between threads if the
    caller serialises its use (sqlite3 with check_same_thread=False), or be one per thread.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._db = conn
        for statement in SCHEMA:  # no-ops when the tables exist; never executescript (it commits)
            conn.execute(statement)

    # -- reads --------------------------------------------------------------------------------

    def unigram(self, word: str) -> int:
        row = self._db.execute("SELECT n FROM vocab_words WHERE word = ?", (lm_key(word),)).fetchone()
        return row[0] if row else 0

    def bigram(self, a: str, b: str) -> int:
        row = self._db.execute(
            "SELECT n FROM vocab_pairs WHERE a = ? AND b = ?", (lm_key(a), lm_key(b))
        ).fetchone()
        return row[0] if row else 0

    def variants(self, folded: str) -> list[str]:
        if not folded:
            return []
        rows = self._db.execute(
            "SELECT word FROM vocab_words WHERE folded = ? ORDER BY n DESC, seq LIMIT ?",
            (folded, MAX_VARIANTS),
        )
        return [w for (w,) in rows]

    def forms(self, folded: str) -> list[str]:
        if not folded:
            return []
        rows = self._db.execute("SELECT word FROM vocab_words WHERE folded = ? ORDER BY seq", (folded,))
        return [w for (w,) in rows]

    def total(self) -> int:
        row = self._db.execute("SELECT total FROM vocab_totals WHERE id = 1").fetchone()
        return row[0] if row else 0

    def distinct(self) -> int:
        row = self._db.execute("SELECT distinct_words FROM vocab_totals WHERE id = 1").fetchone()
        return row[0] if row else 0

    # -- writes -------------------------------------------------------------------------------

    def update(self, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        """Add the counts of the `add` texts and subtract those of the `remove` texts (a replaced
        document: its old text removed, its new one added); rows that reach 0 are deleted.

        Runs in the caller's transaction, which it must commit or roll back. The first statement is
        a write, so the counts read next cannot change under it. Removing text that was never
        counted raises ValueError before any count is written.
        """
        words_delta, pairs_delta = change(add, remove)
        if not words_delta and not pairs_delta:
            return
        db = self._db
        db.execute(
            "INSERT OR IGNORE INTO vocab_totals(id, total, distinct_words, next_seq) VALUES (1, 0, 0, 0)"
        )
        seq = db.execute("SELECT next_seq FROM vocab_totals WHERE id = 1").fetchone()[0]
        old_words = self._stored_words(list(words_delta))
        old_pairs = self._stored_pairs(list(pairs_delta))
        below = [k for k, d in words_delta.items() if old_words.get(k, 0) + d < 0]
        below += [k for k, d in pairs_delta.items() if old_pairs.get(k, 0) + d < 0]
        if below:
            raise ValueError(f"removing text that was never counted: {below[:5]}")

        new_words, changed, gone = [], [], []
        for w, d in words_delta.items():
            if w not in old_words:
                new_words.append((w, _folded(w), d, seq))
                seq += 1
            elif old_words[w] + d:
                changed.append((d, w))
            else:
                gone.append((w,))
        db.executemany("INSERT INTO vocab_words(word, folded, n, seq) VALUES (?, ?, ?, ?)", new_words)
        db.executemany("UPDATE vocab_words SET n = n + ? WHERE word = ?", changed)
        db.executemany("DELETE FROM vocab_words WHERE word = ?", gone)

        new_pairs, changed_pairs, gone_pairs = [], [], []
        for (a, b), d in pairs_delta.items():
            if (a, b) not in old_pairs:
                new_pairs.append((a, b, d))
            elif old_pairs[(a, b)] + d:
                changed_pairs.append((d, a, b))
            else:
                gone_pairs.append((a, b))
        db.executemany("INSERT INTO vocab_pairs(a, b, n) VALUES (?, ?, ?)", new_pairs)
        db.executemany("UPDATE vocab_pairs SET n = n + ? WHERE a = ? AND b = ?", changed_pairs)
        db.executemany("DELETE FROM vocab_pairs WHERE a = ? AND b = ?", gone_pairs)

        db.execute(
            "UPDATE vocab_totals SET total = total + ?, distinct_words = distinct_words + ?, next_seq = ? "
            "WHERE id = 1",
            (sum(words_delta.values()), len(new_words) - len(gone), seq),
        )

    def _stored_words(self, keys: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in range(0, len(keys), _CHUNK):
            part = keys[i : i + _CHUNK]
            marks = ",".join("?" * len(part))
            out.update(self._db.execute(f"SELECT word, n FROM vocab_words WHERE word IN ({marks})", part))
        return out

    def _stored_pairs(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for i in range(0, len(keys), _CHUNK):
            part = keys[i : i + _CHUNK]
            values = ",".join(["(?, ?)"] * len(part))
            # A join from the VALUES list: one primary-key lookup per pair ("(a, b) IN (VALUES ..)" scans).
            rows = self._db.execute(
                f"SELECT p.a, p.b, p.n FROM (VALUES {values}) AS v "
                "CROSS JOIN vocab_pairs AS p ON p.a = v.column1 AND p.b = v.column2",
                [x for pair in part for x in pair],
            )
            out.update(((a, b), n) for a, b, n in rows)
        return out
