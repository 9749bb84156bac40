"""The eval sets on disk: question files in, lists of question dicts out.

Four sets: `seeds` (evals/questions.jsonl, over the seed corpus), `genres`
(evals/genres/questions.jsonl, over evals/genres/docs) and `figures` (evals/figures: paragraphs of
competing figures), each with a sealed part held out from tuning, and `heldout` (evals/heldout:
documents and questions written apart from the tuning, sealed whole).
Every other module reads the sets through here, so where they live and what "sealed" means is said
once.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVALS = ROOT / "evals"
GENRES = EVALS / "genres"
HELDOUT = EVALS / "heldout"
FIGURES = EVALS / "figures"
SETS = ("seeds", "genres", "figures", "heldout")
# Sets over documents of their own (each folder has docs/), ingested into a temporary index.
FOLDERS = {"genres": GENRES, "figures": FIGURES, "heldout": HELDOUT}
QUESTION_FILES = {
    "seeds": EVALS / "questions.jsonl",
    "genres": GENRES / "questions.jsonl",
    "figures": FIGURES / "questions.jsonl",
}
# Held out: never read while tuning. Their outcomes are reported as figures only, never as text.
# `heldout` is sealed whole: documents and questions written apart from the checks' tuning.
SEALED_FILES = {
    "seeds": EVALS / "questions.sealed.jsonl",
    "genres": GENRES / "questions.sealed.jsonl",
    "figures": FIGURES / "questions.sealed.jsonl",
    "heldout": HELDOUT / "questions.sealed.jsonl",
}
# Questions that need more than one passage: a computed figure, or documents compared. They have
# their own floors; `overall` stays the questions one passage answers, comparable across rounds.
REASONING = frozenset({"computed", "cross_document"})


def load_questions(path: Path = QUESTION_FILES["seeds"]) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_set(name: str, sealed_only: bool = False) -> list[dict]:
    """A set's open questions, then its sealed ones (marked `sealed`) when the set has them; only
    the sealed ones with `sealed_only` (a slow endpoint measured on the held-out part)."""
    questions = [] if sealed_only or name not in QUESTION_FILES else load_questions(QUESTION_FILES[name])
    if SEALED_FILES[name].exists():
        questions += [{**q, "sealed": True} for q in load_questions(SEALED_FILES[name])]
    return questions


def load_sources(folder: Path = GENRES / "sources") -> dict[str, dict]:
    """evals/genres/sources/*.json by document file name."""
    out = {}
    for p in sorted(folder.glob("*.json")):
        record = json.loads(p.read_text(encoding="utf-8"))
        out[record["file"]] = record
    return out


def sample(questions: list[dict], n: int | None) -> list[dict]:
    """Every k-th question, so a slow endpoint (a CPU-bound local model) can be evaluated on a spread."""
    if not n or n >= len(questions):
        return questions
    step = len(questions) / n
    return [questions[int(i * step)] for i in range(n)]


def single_passage(questions: list[dict]) -> list[dict]:
    """The open questions one passage answers: what the extractive scorer's curve is drawn over."""
    return [q for q in questions if not q.get("sealed") and q["category"] not in REASONING]
