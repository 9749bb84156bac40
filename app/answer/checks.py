"""The checks both answerers apply, bound to one index generation.

The extractive answerer uses them to rule candidates out; the LLM answerer uses the same ones to
find what is wrong with a model's answer. Each check is a unit of `app.ground`; this object holds
what they need from the corpus (its places, its numbered documents, analysed sentences), built once
per generation.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

from app.answer.evidence import Sentence, analyse_chunk
from app.answer.question import Question, analyse, name_runs
from app.ground.parts import in_part, structured
from app.ground.period import NO_TIME, TimeMarks, in_period
from app.ground.places import Places
from app.index.view import IndexView
from app.ingest.localities import find_localities, places, split_locality
from app.models import Document, Passage
from app.profiles import active
from app.retrieve import Query
from app.text import fold, match_words
from app.text.numbers import Quantity, figure_in_text

_MIN_ACRONYM = 3  # "HTX"; two letters ("CT") are the initials of some pair of words in any long text
_CACHED = 20_000  # analysed chunks (and documents' word spreads) kept per generation


class KnownPlaces(Mapping[str, str]):
    """The corpus's places, looked up one name at a time (the index keeps running counts of them).
    Only lookups: nothing iterates every place on a request's path."""

    def __init__(self, generation: IndexView) -> None:
        self._view = generation
        self._cache: dict[str, str | None] = {}

    def __getitem__(self, folded: str) -> str:
        if folded not in self._cache:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache.update(dict.fromkeys([folded]) | self._view.places([folded]))
        found = self._cache[folded]
        if found is None:
            raise KeyError(folded)
        return found

    def prefetch(self, names: Iterable[str]) -> None:
        """Look up every name not yet known in one call (a question's word runs, before it is
        analysed), so a shared index is asked once, not once a name."""
        todo = [n for n in dict.fromkeys(names) if n not in self._cache]
        if todo:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache.update(dict.fromkeys(todo) | self._view.places(todo))

    def __iter__(self) -> Iterator[str]:
        return iter(k for k, v in self._cache.items() if v is not None)

    def __len__(self) -> int:
        return sum(v is not None for v in self._cache.values())


class Checks:
    def __init__(self, generation: IndexView) -> None:
        self.generation = generation
        self.known = KnownPlaces(generation)
        self.places = Places(self.known, generation.documents)
        self._sentences: dict[str, tuple[Sentence, ...]] = {}  # chunk_id -> analysed once
        self._spread: dict[str, tuple[int, Counter[str]]] = {}  # doc_id -> paragraphs, word counts
        self._initials: dict[str, str] = {}  # doc_id -> its words' first letters, by paragraph
        self._title_time: dict[str, TimeMarks] = {}
        self._numbered: dict[str, bool] = {}
        self._body: dict[str, int] = {}

    def analyse(self, query: Query) -> Question:
        self.known.prefetch(name_runs(query.text) | name_runs(query.restored))
        return analyse(query, self.places.known)

    def numbered(self, doc_id: str) -> bool:
        """The document numbers its parts (Phần, Chương, Mục, Điều); worked out when first asked."""
        found = self._numbered.get(doc_id)
        if found is None:
            doc = self.generation.documents.get(doc_id)
            found = self._numbered[doc_id] = bool(doc) and structured([s.path for s in doc.spans])
        return found

    def front_matter(self, doc_id: str, offset: int) -> bool:
        """The sentence at `offset` sits before the document's body: it names the document (issuer,
        number, title) rather than saying anything in it. Where the body starts: its first paragraph
        inside a numbered part if it numbers them, else under its first heading."""
        body = self._body.get(doc_id)
        if body is None:
            doc = self.generation.documents.get(doc_id)
            body = self._body[doc_id] = _body_start(doc, self.numbered(doc_id)) if doc else 0
        return offset < body

    def title_time(self, doc: Document) -> TimeMarks:
        marks = self._title_time.get(doc.doc_id)
        if marks is None:
            marks = self._title_time[doc.doc_id] = TimeMarks.of(doc.title)
        return marks

    def specificity(self, doc_id: str, word: str) -> float:
        """How well a folded word tells one paragraph of this document from another, 0 to 1: what a
        document is about ("Lương Khắc Tuân" in his biography, the school a regulation governs) is in
        its title and most of its paragraphs, so it cannot say which of them answers."""
        n, counts = self._spread_of(doc_id)
        return math.log((n + 1) / (min(counts.get(word, 0), n) + 0.5)) / math.log((n + 1) / 0.5)

    def in_document(self, doc_id: str, word: str, acronym: bool = False) -> bool:
        """The folded word is anywhere in the document (its title included). An acronym the question
        writes ("HTX", "THCS") is there too when the document spells it out: consecutive words of one
        paragraph whose first letters it is ("Hợp tác xã", "trung học cơ sở")."""
        if word in self._spread_of(doc_id)[1]:
            return True
        return acronym and len(word) >= _MIN_ACRONYM and word in self._initials_of(doc_id)

    def missing_names(self, question: Question, doc_ids: Iterable[str]) -> list[str]:
        """The names the question says (`Question.names`) that none of these documents holds."""
        ids = list(doc_ids)
        return [
            n
            for n in question.names
            if not any(self.in_document(d, fold(n), fold(n) in question.acronyms) for d in ids)
        ]

    def _initials_of(self, doc_id: str) -> str:
        """The first letters of the document's words, folded, one run per paragraph ("|" between, so
        no acronym spans two): one character a word, worked out the first time an acronym is looked
        for."""
        found = self._initials.get(doc_id)
        if found is None:
            doc = self.generation.documents[doc_id]
            texts = [doc.title, *(doc.text[s.start : s.end] for s in doc.spans)]
            found = "|".join("".join(w[0] for w in match_words(t, True)) for t in texts)
            if len(self._initials) >= _CACHED:
                self._initials.clear()
            self._initials[doc_id] = found
        return found

    def _spread_of(self, doc_id: str) -> tuple[int, Counter[str]]:
        """The document's paragraph count and, per folded word, how many paragraphs hold it; counted
        the first time the document is retrieved."""
        spread = self._spread.get(doc_id)
        if spread is None:
            doc = self.generation.documents[doc_id]
            counts: Counter[str] = Counter()
            for span in doc.spans:
                counts.update(set(match_words(doc.text[span.start : span.end], True)))
            n = max(len(doc.spans), 1)
            for w in set(match_words(doc.title, True)):
                counts[w] = n  # the title speaks for every paragraph
            if len(self._spread) >= _CACHED:
                self._spread.clear()
            spread = self._spread[doc_id] = (n, counts)
        return spread

    def sentences(self, passage: Passage) -> tuple[Sentence, ...]:
        sentences = self._sentences.get(passage.chunk.chunk_id)
        if sentences is None:
            doc = self.generation.documents[passage.chunk.doc_id]
            if len(self._sentences) >= _CACHED:  # a long-lived server on a big corpus: stay bounded
                self._sentences.clear()
            sentences = self._sentences[passage.chunk.chunk_id] = analyse_chunk(passage.chunk, doc)
        return sentences

    def about_elsewhere(self, question: Question, passage: Passage) -> bool:
        """The question names a place and this passage's document is about another one."""
        return self.places.about_elsewhere(
            question.localities, question.unknown_localities, passage.chunk.doc_id
        )

    def about_other_places(self, question: Question, sentence: Sentence, doc_id: str) -> bool:
        """The question asks a figure of a place ("huyện Tường Vân"), and the sentence names another
        place and not it: in a report covering several districts or communes ("Huyện Khê Lâm: nước
        sản xuất 2.105.300 m3", "xã Bình Lâm có 1.205 hộ") each one's figures are its own. In a
        document about the asked place, a larger place it names is the authority above it, no rival
        ("theo dự toán của tỉnh Hải Đông, xã xây dựng ..."; the profile lists kinds from the
        smallest). "ở đâu?" is answered by an address: only figures are held to the place."""
        if question.kind not in ("figure", "money", "percent"):
            return False
        asked = self.asked_places(question)
        if not asked or not sentence.places:
            return False
        names = {name for _, name in asked}
        if any(n in names for _, n in sentence.places):
            return False
        if not names & self.places.primary(doc_id):
            return True  # a document of several places: every other place is another's figure
        order = {kind: i for i, kind in enumerate(places().kinds)}
        largest = max(order.get(kind, -1) for kind, _ in asked)
        return any(order.get(k, len(order)) <= largest for k, _ in sentence.places)

    @staticmethod
    def asked_places(question: Question) -> frozenset[tuple[str, str]]:
        """The places the question names with their kind: ("huyện", "tuong van"). A bare name
        ("Lam Giang") is not one: the province and its city often share it."""
        return _places_named(question.query.restored, active().digest)

    def period_ok(self, question: Question, sentence: Sentence, doc: Document) -> bool:
        if not question.years and not question.ranges:
            return True
        own = NO_TIME if question.kind == "when" else sentence.time
        return in_period(
            question.years, question.ranges, own, sentence.time_before, self.title_time(doc), doc.date
        )

    def out_of_period(self, question: Question, passage: Passage, figure: Quantity) -> bool:
        """The question names a year or term, and no sentence of the passage that holds this figure is
        about it."""
        if not question.years and not question.ranges:
            return False
        doc = self.generation.documents[passage.chunk.doc_id]
        holding = [s for s in self.sentences(passage) if figure_in_text(figure, s.text)]
        return bool(holding) and not any(self.period_ok(question, s, doc) for s in holding)

    def in_named_part(self, question: Question, passage: Passage) -> bool:
        """The passage holds a paragraph inside every part the question names ("khoản 2 Điều 9")."""
        if not question.parts:
            return True
        chunk = passage.chunk
        doc = self.generation.documents[chunk.doc_id]
        numbered = self.numbered(doc.doc_id)
        first, last = doc.span_index(chunk.start), doc.span_index(chunk.end - 1)
        if first is None or last is None:  # a document stored before spans
            return in_part(question.parts, (), chunk.text, numbered)
        return any(
            in_part(question.parts, s.path, doc.text[s.start : s.end], numbered)
            for s in doc.spans[first : last + 1]
        )


_PARTS = ("Phần ", "Chương ", "Mục ", "Điều ")


def _body_start(doc: Document, numbered: bool) -> int:
    for span in doc.spans:
        if (span.kind != "heading" and any(label.startswith(_PARTS) for label in span.path)) or (
            not numbered and span.path
        ):
            return span.start
    return 0


@functools.lru_cache(maxsize=1024)
def _places_named(text: str, profile: str) -> frozenset[tuple[str, str]]:
    """Asked once per sentence weighed: read once per question (and profile, whose kinds it reads)."""
    return frozenset((kind, fold(name)) for kind, name in map(split_locality, find_localities(text)))
