"""Question -> ranked passages (dense + lexical, fused)."""

from app.retrieve.retriever import Filters, Query, Retriever

__all__ = ["Filters", "Query", "Retriever"]
