#!/usr/bin/env python3
"""Validate the sealed held-out set (standard library only).

Checks: every JSONL line parses with exactly the expected keys; ids unique;
gold_doc_ids exist in docs/; every gold_figures / gold_contains item is a
substring (after NFC) of at least one named gold document (each item must be
found in every listed gold doc); answerable questions have >= 1 gold item;
unanswerable ones have no gold; every file in this folder is UTF-8 NFC;
documents are 40-120 lines.
Prints only counts, never question or answer text.
"""
import json
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
QFILE = HERE / "questions.sealed.jsonl"
KEYS = {"id", "question", "category", "genre", "answerable", "gold_doc_ids",
        "gold_figures", "gold_contains", "notes"}
CATS = {"figure", "table_figure", "when", "who", "clause", "contract",
        "encyclopedia", "no_diacritics", "absent_source"}


def nfc(s):
    return unicodedata.normalize("NFC", s)


def main():
    errors = []
    # NFC check on every text file in the folder
    for p in sorted(HERE.rglob("*")):
        if p.is_file() and p.suffix in {".md", ".txt", ".jsonl", ".py"}:
            try:
                t = p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                errors.append(f"{p.name}: not UTF-8")
                continue
            if t != nfc(t):
                errors.append(f"{p.relative_to(HERE)}: not NFC")

    docs = {}
    for p in sorted(DOCS.iterdir()):
        if p.suffix in {".md", ".txt"}:
            t = p.read_text(encoding="utf-8")
            docs[p.stem] = nfc(t)
            n = len(t.splitlines())
            if not 40 <= n <= 120:
                errors.append(f"doc {p.stem}: {n} lines (want 40-120)")

    ids = set()
    cats = Counter()
    per_doc = Counter()
    lines = QFILE.read_text(encoding="utf-8").splitlines()
    for ln, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {ln}: JSON error {e}")
            continue
        if set(q) != KEYS:
            errors.append(f"line {ln}: keys {sorted(set(q) ^ KEYS)} differ")
            continue
        qid = q["id"]
        if qid in ids:
            errors.append(f"line {ln}: duplicate id {qid}")
        ids.add(qid)
        if q["category"] not in CATS:
            errors.append(f"{qid}: unknown category")
        cats[q["category"]] += 1
        gold = q["gold_figures"] + q["gold_contains"]
        if q["answerable"]:
            if q["category"] == "absent_source":
                errors.append(f"{qid}: absent_source but answerable")
            if not gold:
                errors.append(f"{qid}: answerable without gold items")
            if not q["gold_doc_ids"]:
                errors.append(f"{qid}: answerable without gold_doc_ids")
            for d in q["gold_doc_ids"]:
                per_doc[d] += 1
                if d not in docs:
                    errors.append(f"{qid}: unknown doc {d}")
                    continue
                for item in gold:
                    if nfc(item) not in docs[d]:
                        errors.append(f"{qid}: a gold item is not a substring of {d}")
        else:
            if q["category"] != "absent_source":
                errors.append(f"{qid}: unanswerable but category {q['category']}")
            if gold or q["gold_doc_ids"]:
                errors.append(f"{qid}: unanswerable question has gold data")

    print(f"documents: {len(docs)}")
    print(f"questions: {len(ids)}")
    for c, n in sorted(cats.items()):
        print(f"  {c}: {n}")
    print("answerable questions per document:")
    for d, n in sorted(per_doc.items()):
        print(f"  {d}: {n}")
    if errors:
        print(f"FAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  " + e)
        return 1
    print("OK: validation passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
