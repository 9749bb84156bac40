"""A question about one ward or commune is not answered from a document about another.

Active only where the corpus and the question call for it: the places are those the documents name
with an administrative kind ("phường X", "xã Y"); a document is about the places it names most or in
its title, not those it mentions in passing. A corpus of contracts or articles names none of these,
and the check then never fires.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from app.ingest.localities import count_localities, find_localities, split_locality
from app.models import Document
from app.text import fold


class Places:
    """`known`: folded name (without its kind) -> written name of every place the corpus names (a
    running count in the catalog); what a document is about is worked out when it is first asked."""

    def __init__(self, known: Mapping[str, str], documents: Mapping[str, Document]) -> None:
        self.known = known
        self._documents = documents
        self._primary: dict[str, frozenset[str]] = {}
        self._named: dict[str, frozenset[str]] = {}

    def primary(self, doc_id: str) -> frozenset[str]:
        """The places the document is about: those it names most (folded), and those in its title."""
        found = self._primary.get(doc_id)
        if found is None:
            doc = self._documents.get(doc_id)
            names: Counter[str] = Counter()
            if doc is not None:
                for locality, count in count_localities(doc.text).items():
                    names[fold(split_locality(locality)[1])] += count
            self._named[doc_id] = frozenset(names)
            top = max(names.values(), default=0)
            primary = {k for k, v in names.items() if v >= max(2, top / 3)}
            if doc is not None:
                primary |= {fold(split_locality(n)[1]) for n in find_localities(doc.title)}
            found = self._primary[doc_id] = frozenset(primary)
        return found

    def about_elsewhere(self, asked: tuple[str, ...], unknown: tuple[str, ...], doc_id: str) -> bool:
        """The question names places (`asked`, folded) and the document is about none of them, or it
        names a place the corpus has never heard of (`unknown`)."""
        if unknown:
            return True
        if not asked:
            return False
        primary = self.primary(doc_id)
        if set(asked) & primary:
            return False
        # A document about no one place (a company's report, each district named once in its own
        # row) is about every place it names: its sentences are then held to the place one by one.
        return bool(primary) or not set(asked) & self._named.get(doc_id, frozenset())
