"""A question about one ward or commune is not answered from a document about another.

Active only where the corpus and the question call for it: the places are those the documents name
with an administrative kind ("phường X", "xã Y"); a document is about the places it names most or in
its title, not those it mentions in passing. A corpus of contracts or articles names none of these,
and the check then never fires.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from app.ingest.localities import count_localities, find_localities, split_locality
from app.models import Document
from app.text import fold


class Places:
    def __init__(self, documents: Iterable[Document]) -> None:
        self.known: dict[str, str] = {}  # folded name (without its kind) -> written name
        self._primary: dict[str, set[str]] = {}
        for doc in documents:
            names: Counter[str] = Counter()
            for locality, count in count_localities(doc.text).items():
                name = split_locality(locality)[1]
                self.known[fold(name)] = name
                names[fold(name)] += count
            top = max(names.values(), default=0)
            primary = {k for k, v in names.items() if v >= max(2, top / 3)}
            primary |= {fold(split_locality(n)[1]) for n in find_localities(doc.title)}
            self._primary[doc.doc_id] = primary

    def about_elsewhere(self, asked: tuple[str, ...], unknown: tuple[str, ...], doc_id: str) -> bool:
        """The question names places (`asked`, folded) and the document is about none of them, or it
        names a place the corpus has never heard of (`unknown`)."""
        if unknown:
            return True
        return bool(asked) and not set(asked) & self._primary.get(doc_id, set())
