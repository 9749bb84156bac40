"""Question -> ranked passages from one index generation."""

from __future__ import annotations

from app.embed import Embedder, embed_query
from app.index import Generation
from app.models import Passage
from app.text import canonical


class Retriever:
    def __init__(self, generation: Generation, embedder: Embedder) -> None:
        self.generation = generation
        self.embedder = embedder

    def dense(self, question: str, k: int) -> list[Passage]:
        gen = self.generation
        hits = gen.vectors.search(embed_query(self.embedder, canonical(question)), k)
        out = []
        for rank, (row, score) in enumerate(hits, start=1):
            chunk = gen.chunks[row]
            doc = gen.documents[chunk.doc_id]
            out.append(
                Passage(chunk=chunk, score=score, title=doc.title, date=doc.date, ranks={"dense": rank})
            )
        return out

    def search(self, question: str, k: int = 5) -> list[Passage]:
        return self.dense(question, k)
