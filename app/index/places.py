"""The places a document names, as the index keeps them: folded name -> written name."""

from __future__ import annotations

from app.ingest.localities import count_localities, split_locality
from app.models import Document
from app.text import fold


def place_names(doc: Document) -> dict[str, str]:
    """folded -> written name of each place the document names with its kind ("phường X")."""
    out = {}
    for locality in count_localities(doc.text):
        name = split_locality(locality)[1]
        out[fold(name)] = name
    return out
