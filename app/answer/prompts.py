"""The LLM prompts, read from files in prompts/ so they can be read and changed without code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.models import Passage

_TAG = "tai_lieu"


def _read(folder: Path, name: str) -> str:
    path = folder / name
    if not path.exists():
        raise FileNotFoundError(f"prompt file {path} is missing (PROMPTS_DIR={folder})")
    return path.read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class Prompts:
    system: str
    user: str
    passage: str
    repair: str

    @classmethod
    def load(cls, folder: Path) -> Prompts:
        names = ("system.vi.md", "user.vi.md", "passage.vi.md", "repair.vi.md")
        return cls(*(_read(folder, n) for n in names))

    def render_user(self, question: str, passages: list[Passage]) -> str:
        blocks = "\n\n".join(
            self.passage.format(**_heading(i, p), text=_data(p.chunk.text))
            for i, p in enumerate(passages, start=1)
        )
        return self.user.format(passages=blocks, question=_data(question))

    def render_repair(self, problems: list[str]) -> str:
        return self.repair.format(problems="; ".join(problems))


def _heading(n: int, p: Passage) -> dict[str, object]:
    """What both prompt sets say of passage n before its text: its number, title, date and place."""
    return {"n": n, "title": _attr(p.title or ""), "date": p.date or "không rõ", "where": _where(p)}


@dataclass(frozen=True)
class SentencePrompts:
    """The sentence protocol's prompts (`app.answer.sentences`): passages as numbered sentences."""

    system: str
    user: str
    passage: str

    @classmethod
    def load(cls, folder: Path) -> SentencePrompts:
        names = ("sentences_system.vi.md", "sentences_user.vi.md", "sentences_passage.vi.md")
        return cls(*(_read(folder, n) for n in names))

    def render_user(
        self,
        question: str,
        passages: list[Passage],
        sentences: list[list[str]],
        shown: set[tuple[int, int]] | None = None,
    ) -> str:
        """`sentences[i]` are passage i+1's sentences; each is shown with its id "(n.k)". With `shown`,
        only those ids are (their passage's ids kept), and a passage with none is left out."""
        blocks = "\n\n".join(
            self.passage.format(
                **_heading(i, p),
                sentences="\n".join(
                    f"({i}.{k}) {_data(t)}"
                    for k, t in enumerate(said, start=1)
                    if shown is None or (i, k) in shown
                ),
            )
            for i, (p, said) in enumerate(zip(passages, sentences, strict=True), start=1)
            if shown is None or any(n == i for n, _ in shown)
        )
        return self.user.format(passages=blocks, question=_data(question))


def _where(p: Passage) -> str:
    """Where the passage sits in its original, as a first line of the block (empty when nothing to say):
    the heading path, the table, and whether it was read by OCR from a scanned page. Only numbers the
    passage header holds (a model may repeat them, and every number it states is checked)."""
    c = p.chunk
    parts = [c.path] if c.path else []
    if c.table is not None:
        parts.append(f"bảng {c.table}")
    if c.ocr is not None:
        parts.append("trang quét, đọc bằng OCR")
    return f"[Vị trí: {_data('; '.join(parts))}]\n" if parts else ""


def _data(text: str) -> str:
    """A document cannot close its own data block (or open a fake one) to smuggle in instructions."""
    return text.replace(f"<{_TAG}", f"‹{_TAG}").replace(f"</{_TAG}", f"‹/{_TAG}")


def _attr(text: str) -> str:
    return _data(text).replace('"', "”")
