#!/usr/bin/env python3
"""Validate an eval set kept as a folder (evals/figures, evals/heldout): standard library only.

    python3 evals/validate_folder.py evals/heldout

Checks: every line of questions.jsonl and questions.sealed.jsonl (whichever the folder has; a set
sealed whole has only the second) parses with
exactly the expected keys; ids unique across both files; gold_doc_ids exist
in docs/; every gold_figures / gold_contains item is a substring (after NFC)
of each named gold document; answerable questions have >= 1 gold item and
>= 1 gold doc; unanswerable ones (category absent_source) have no gold at
all; every text file in this folder is UTF-8 NFC; documents are 40-120 lines.
Prints only counts, never question, answer or document text.
"""
import json
import sys
import unicodedata
from collections import Counter
from pathlib import Path

KEYS = {"id", "question", "category", "genre", "answerable", "gold_doc_ids",
        "gold_figures", "gold_contains", "notes"}


def nfc(s):
    return unicodedata.normalize("NFC", s)


def main(argv):
    if len(argv) != 1:
        print("usage: validate_folder.py FOLDER")
        return 2
    HERE = Path(argv[0]).resolve()
    DOCS = HERE / "docs"
    QFILES = [f for f in (HERE / "questions.jsonl", HERE / "questions.sealed.jsonl") if f.exists()]
    if not DOCS.is_dir():
        print(f"FAILED: {DOCS} is not a folder")
        return 1
    errors = [] if QFILES else ["no questions.jsonl or questions.sealed.jsonl"]
    for p in sorted(HERE.rglob("*")):
        if p.is_file() and p.suffix in {".md", ".txt", ".jsonl", ".py"}:
            try:
                t = p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                errors.append(f"{p.relative_to(HERE)}: not UTF-8")
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
    for qfile in QFILES:
        cats = Counter()
        n_ans = n_unans = 0
        for ln, line in enumerate(qfile.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{qfile.name}:{ln}"
            if not line.strip():
                errors.append(f"{where}: blank line")
                continue
            try:
                q = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: JSON error at col {e.colno}")
                continue
            if not isinstance(q, dict) or set(q) != KEYS:
                errors.append(f"{where}: keys differ from schema")
                continue
            qid = q["id"]
            if qid in ids:
                errors.append(f"{where}: duplicate id {qid}")
            ids.add(qid)
            if not isinstance(q["category"], str) or not q["category"]:
                errors.append(f"{qid}: no category")
            if not isinstance(q["answerable"], bool):
                errors.append(f"{qid}: answerable not boolean")
            for k in ("gold_doc_ids", "gold_figures", "gold_contains"):
                if not isinstance(q[k], list):
                    errors.append(f"{qid}: {k} not a list")
            cats[q["category"]] += 1
            gold = list(q["gold_figures"]) + list(q["gold_contains"])
            if q["answerable"]:
                n_ans += 1
                if q["category"] == "absent_source":
                    errors.append(f"{qid}: absent_source but answerable")
                if not gold:
                    errors.append(f"{qid}: answerable without gold items")
                if not q["gold_doc_ids"]:
                    errors.append(f"{qid}: answerable without gold_doc_ids")
                for d in q["gold_doc_ids"]:
                    if d not in docs:
                        errors.append(f"{qid}: unknown doc")
                        continue
                    for item in gold:
                        if not item or nfc(item) not in docs[d]:
                            errors.append(f"{qid}: a gold item is not a substring of its gold doc")
            else:
                n_unans += 1
                if q["category"] != "absent_source":
                    errors.append(f"{qid}: unanswerable but category not absent_source")
                if gold or q["gold_doc_ids"]:
                    errors.append(f"{qid}: unanswerable question has gold data")
        print(f"{qfile.name}: {n_ans + n_unans} questions "
              f"({n_ans} answerable, {n_unans} unanswerable)")
        for c, n in sorted(cats.items()):
            print(f"  {c}: {n}")

    print(f"documents: {len(docs)}")
    print(f"ids across the files: {len(ids)}")
    if errors:
        print(f"FAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  " + e)
        return 1
    print("OK: validation passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
