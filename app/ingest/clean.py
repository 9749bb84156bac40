"""Extracted blocks -> content only, with the document's date and title, and every removal named.

Cleaning removes only what it can name, and which rules apply depends on the source: a plain text
that looks like a scraped news page (a crawler date header, "Ngày đăng ... | View count", photo
credits, a weather widget, an agency byline) loses that page's chrome, captions and byline, by the
rules of the profile's `news` part (`app/profiles/vi/news.toml`); a regulation, a contract, a DOCX or
a PDF loses nothing here (PDF page headers and footers are named by the PDF reader, which knows the
pages). Each removed line goes to `removed` with its reason, so a user can see what was dropped.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cache

from app.ingest.blocks import Block, Extracted, Removed
from app.profiles import Profile, active
from app.text import sanitize

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-Ỹ\"“])")
_TITLE_MAX = 200
_NUMBERED = re.compile(r"^(?:\d{1,3}|[IVXLC]{1,6})[.)]\s")
# Sources a news scrape can arrive as; a PDF, DOCX, XLSX or scan is never cleaned as a web page.
_NEWS_SOURCES = {"text", "markdown", "html", "api"}


@dataclass(frozen=True)
class Cleaned:
    blocks: list[Block]
    title: str
    date: str | None
    removed: list[Removed]
    profile: str | None  # the profile part whose chrome was removed ("news"), None when none was


@dataclass(frozen=True)
class _Rule:
    name: str
    action: str
    reason: str
    pattern: re.Pattern[str] | None
    marker: bool
    options: dict


@cache
def _rules(profile: Profile) -> tuple[_Rule, ...]:
    raw = profile.part("news")
    rules = []
    for name, spec in raw.items():
        pattern = spec.get("pattern")
        flags = 0 if spec.get("case_sensitive") else re.IGNORECASE
        rules.append(
            _Rule(
                name=name,
                action=spec["action"],
                reason=spec["reason"],
                pattern=re.compile(pattern, flags) if pattern else None,
                marker=bool(spec.get("marker")),
                options=spec,
            )
        )
    return tuple(rules)


def _first_sentence(paragraph: str) -> str:
    first = _SENTENCE_END.split(paragraph, maxsplit=1)[0].strip()
    if len(first) <= _TITLE_MAX:
        return first
    return first[:_TITLE_MAX].rsplit(" ", 1)[0] + "…"


def _iso(m: re.Match[str]) -> str:
    return f"{m['y']}-{int(m['m']):02d}-{int(m['d']):02d}"


def looks_like_news(extracted: Extracted) -> bool:
    """A scraped news page shows at least one of the profile's markers; any other text is left whole."""
    if extracted.source not in _NEWS_SOURCES:
        return False
    markers = [r for r in _rules(active()) if r.marker and r.pattern is not None]
    return any(r.pattern.search(b.text) for b in extracted.blocks for r in markers)  # type: ignore[union-attr]


class _NewsCleaner:
    """Applies one news profile's rules to a block list, recording each removal."""

    def __init__(self, marked_headings: bool = False) -> None:
        self.rules = {r.name: r for r in _rules(active())}
        # A heading the author marked up (<h2>, "## ", a Word heading style) is content; only one
        # guessed from a short line of plain text may be a photo label.
        self.label_kinds = ("para",) if marked_headings else ("para", "heading")
        self.by_action: dict[str, list[_Rule]] = {}
        for r in self.rules.values():
            self.by_action.setdefault(r.action, []).append(r)
        self.removed: list[Removed] = []
        self.date: str | None = None

    def _drop(self, block: Block, reason: str) -> None:
        self.removed.append(Removed(block.text, reason))

    def run(self, blocks: list[Block]) -> tuple[list[Block], int | None]:
        """The kept blocks, and the index (in them) of the title when the page names it."""
        items: list[Block | None] = list(blocks)
        # A crawler header on the first line: strip it, keep the rest of the line.
        for rule in self.by_action.get("strip_prefix", []):
            if items and items[0] is not None and (m := rule.pattern.match(items[0].text)):  # type: ignore[union-attr]
                self.date = self.date or _iso(m)
                self.removed.append(Removed(m[0].strip(), rule.reason))
                rest = items[0].text[m.end() :].strip()
                items[0] = dataclasses.replace(items[0], text=rest) if rest else None
        # "Ngày đăng": the line before it is the title, everything above that is site chrome.
        title_at: int | None = None
        for rule in self.by_action.get("article_start", []):
            for i, b in enumerate(items):
                if b is None or not (m := rule.pattern.match(b.text)):  # type: ignore[union-attr]
                    continue
                self.date = self.date or _iso(m)
                self._drop(b, rule.reason)
                items[i] = None
                above = [j for j in range(i) if items[j] is not None]
                if above:
                    title_at = above[-1]
                    for j in above[:-1]:
                        self._drop(items[j], rule.options.get("above_reason", rule.reason))  # type: ignore[arg-type]
                        items[j] = None
                break
        kept: list[Block] = []
        kept_title: int | None = None
        in_widget: _Rule | None = None
        for i, b in enumerate(items):
            if b is None:
                continue
            is_title = i == title_at or (title_at is None and not kept)
            if in_widget is not None:
                short = len(b.text.split()) <= in_widget.options.get("follower_max_words", 4)
                if short and not b.text.endswith("."):
                    self._drop(b, in_widget.reason)
                    continue
                in_widget = None
            reason = None if is_title else self._line_reason(b)
            if reason == "widget":
                in_widget = next(
                    r for r in self.by_action["drop_with_short_followers"] if r.pattern.search(b.text)
                )  # type: ignore[union-attr]
                self._drop(b, in_widget.reason)
                continue
            if reason:
                self._drop(b, reason)
                continue
            if is_title:
                kept_title = len(kept)
            kept.append(b)
        self._trailing_bylines(kept)
        return kept, kept_title

    def _line_reason(self, b: Block) -> str | None:
        if b.kind == "caption" and b.table is None:  # <figcaption>
            return "photo caption"
        for rule in self.by_action.get("drop", []) + self.by_action.get("byline", []):
            if rule.pattern.search(b.text):  # type: ignore[union-attr]
                return rule.reason
        for rule in self.by_action.get("drop_with_short_followers", []):
            if rule.pattern.search(b.text):  # type: ignore[union-attr]
                return "widget"
        for rule in self.by_action.get("short_label", []):
            short = len(b.text.split()) <= rule.options["max_words"]
            if b.kind in self.label_kinds and short and not re.search(r"\d", b.text):
                return rule.reason
        return None

    def _trailing_bylines(self, kept: list[Block]) -> None:
        for rule in self.by_action.get("trailing_byline", []):
            while len(kept) > 1 and _is_byline(kept[-1].text, rule.options["max_words"]):
                self._drop(kept.pop(), rule.reason)


def _is_byline(line: str, max_words: int) -> bool:
    words = line.replace("(", " ").split()
    if not 1 <= len(words) <= max_words or re.search(r"[\d.!?:;]", line.rstrip(".")):
        return False
    return all(w[0].isupper() for w in words)


def _official() -> dict | None:
    return _official_rules(active())


@cache
def _official_rules(profile: Profile) -> dict | None:
    """The profile's `official` part compiled; None when the profile has none (no letterhead rules)."""
    raw = profile.part("official")
    if not raw:
        return None
    return {
        "motto": [re.compile(p) for p in raw["motto"]],
        "not_subject": [re.compile(p) for p in raw["not_subject"]],
        "letter_subject": re.compile(raw["letter_subject"]),
        "dated": re.compile(raw["dated"]),
        "issuer": re.compile(raw["issuer"]),
        "place_words": tuple(raw["place_words"]),
        "max_lines": int(raw["max_lines"]),
    }


def _issuer(lines: list[str]) -> str | None:
    """The issuing body in running case: "Ủy ban nhân dân phường An Thịnh"."""
    rules = _official()
    if rules is None:
        return None
    for i, line in enumerate(lines[:3]):
        if not (_caps(line) and rules["issuer"].match(line)):
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _caps(nxt) and nxt.startswith(rules["place_words"]):  # "ỦY BAN NHÂN DÂN" / "PHƯỜNG AN THỊNH"
            line = f"{line} {nxt}"
        head, name = line, ""
        for word in rules["place_words"]:
            if (at := line.find(f" {word} ")) >= 0:
                head, name = line[: at + len(word) + 1], line[at + len(word) + 2 :]
                break
        return f"{head.capitalize()} {' '.join(w.capitalize() for w in name.split())}".strip()
    return None


def official_date(blocks: list[Block]) -> str | None:
    """The date an administrative document gives under its motto ("An Thịnh, ngày 05 tháng 12 năm 2025")."""
    rules = _official()
    if rules is None:
        return None
    for b in blocks[: rules["max_lines"]]:
        if m := rules["dated"].search(b.text):
            month, day = int(m["m"]), int(m["d"])
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{m['y']}-{month:02d}-{day:02d}"
    return None


def _caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters) and not re.search(r"\d", text)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def official_title(blocks: list[Block]) -> str | None:
    """An administrative document's title: its type line and subject ("BÁO CÁO" + "Tình hình thực hiện
    ..." -> "Báo cáo tình hình thực hiện ..."), or a letter's "V/v ..." line; None for anything else."""
    rules = _official()
    if rules is None:
        return None
    lines = [b.text for b in blocks[: rules["max_lines"]] if b.table is None]
    for motto in rules["motto"]:
        lines = [motto.sub(" ", ln) for ln in lines]
    lines = [" ".join(ln.split()) for ln in lines if ln.strip()]
    for i, line in enumerate(lines[:-1]):
        nxt = lines[i + 1]
        if not _caps(line) or len(line.split()) > 6 or _caps(nxt) or _NUMBERED.match(line):
            continue
        if any(p.search(nxt) for p in rules["not_subject"]) or len(nxt) > 300:
            continue
        title = f"{line.capitalize()} {_lower_first(nxt.rstrip('.'))}"
        break
    else:
        title = next((m[1].strip() for ln in lines if (m := rules["letter_subject"].search(ln))), "")
    if not title:
        return None
    issuer = _issuer(lines)
    return f"{title} ({issuer})" if issuer and issuer.lower() not in title.lower() else title


def clean(extracted: Extracted) -> Cleaned:
    blocks = [dataclasses.replace(b, text=sanitize(b.text).strip()) for b in extracted.blocks]
    blocks = [b for b in blocks if b.text]
    removed = list(extracted.removed)
    date: str | None = None
    title_at: int | None = None
    applied: str | None = None
    if looks_like_news(dataclasses.replace(extracted, blocks=blocks)):
        cleaner = _NewsCleaner(marked_headings=extracted.source in ("html", "markdown", "docx"))
        blocks, title_at = cleaner.run(blocks)
        removed.extend(cleaner.removed)
        date, applied = cleaner.date, "news"
    if applied is None:
        date = official_date(blocks)
    if applied is None and (official := official_title(blocks)):
        title = official
    elif extracted.title:
        title = extracted.title
    elif title_at is not None:
        title = _first_sentence(blocks[title_at].text)
    else:
        first = next((b for b in blocks if b.kind == "heading"), blocks[0] if blocks else None)
        title = _first_sentence(first.text) if first else ""
    return Cleaned(blocks=blocks, title=title, date=date, removed=removed, profile=applied)
