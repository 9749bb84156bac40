"""Question -> ranked passages."""

from app.retrieve.retriever import Retriever

__all__ = ["Retriever"]
