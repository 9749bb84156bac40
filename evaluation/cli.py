"""Command line of the evaluation: `python -m evaluation run|calibrate|genre-docs`.

Thin: each command calls the job it names; `run` is the one place that puts the sets, the gate and
the report together."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app.config import Settings
from evaluation.sets import GENRES, SETS


def run_sets(
    settings: Settings,
    base_url: str | None = None,
    n: int | None = None,
    which: str = "all",
    sealed_only: bool = False,
) -> int:
    """Ask, judge, report and gate `which` set (or both); 1 when a floor is missed."""
    from evaluation.gate import check, load_thresholds, set_thresholds
    from evaluation.genres import run_genres
    from evaluation.report import write
    from evaluation.runner import run_seeds

    if which not in (*SETS, "all"):
        raise ValueError(f"--set {which!r}: choose {', '.join(SETS)} or all")
    names = SETS if which == "all" else (which,)
    thresholds = load_thresholds()
    reports, failures = [], {}
    for name in names:
        report = (
            run_seeds(settings, base_url, n, sealed_only)
            if name == "seeds"
            else run_genres(settings, n, sealed_only, name)
        )
        reports.append(report)
        failures[name] = check(report, set_thresholds(thresholds, name))
    print(write(reports, failures))
    return 1 if any(failures.values()) else 0


def _settings() -> Settings:
    from app.ingest import ocr

    settings = Settings()
    ocr.configure(settings)  # the genre set reads its scans in this process
    return settings


def _cmd_run(args: argparse.Namespace) -> int:
    # The pipeline logs why each LLM answer was not used, in words that name what was asked; the
    # report lists those of open questions and only counts the sealed ones'.
    logging.getLogger("app.pipeline").setLevel(logging.ERROR)
    return run_sets(_settings(), args.url, args.sample, args.which, args.sealed_only)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from evaluation.calibrate import run

    return run(_settings(), args)


def _cmd_genre_docs(args: argparse.Namespace) -> int:
    from evaluation.genre_docs.build import build

    written = build(args.out)
    print(f"wrote {len(written)} documents and their source records under {args.out}")
    return 0


def _calibrate_arguments(p: argparse.ArgumentParser) -> None:
    # Fitted on the development sets only: the held-out set is never fitted on.
    p.add_argument("--set", dest="which", default="all", choices=("seeds", "genres", "figures", "all"))
    p.add_argument(
        "--precision",
        type=float,
        help="choose the operating point whose answers are right at least this often "
        "(default: the one that maximises answer accuracy + abstention accuracy)",
    )
    p.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the logistic fit")
    p.add_argument("--folds", type=int, default=5, help="folds of the cross-validated figures")
    p.add_argument(
        "--index-dir", type=Path, help="keep the genre and figure sets' indexes under here (reused next time)"
    )
    p.add_argument("--write", action="store_true", help="write app/answer/calibration.json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "run", help="ask the eval sets through the HTTP API, report, gate on evals/thresholds.toml"
    )
    p.add_argument(
        "--set",
        dest="which",
        default="all",
        choices=(*SETS, "all"),
        help="seeds: evals/questions.jsonl over INDEX_DIR; genres, heldout: evals/<set>, a temporary index",
    )
    p.add_argument("--url", help="a running service for the seed set (default: start one on 127.0.0.1)")
    p.add_argument("--sample", type=int, help="only N questions of each set, spread over it (slow LLMs)")
    p.add_argument(
        "--sealed-only",
        action="store_true",
        help="only the sealed (held-out) questions, reported as figures; the floors are not meant for it",
    )
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("calibrate", help="fit the answer scorer and its operating point on the eval sets")
    _calibrate_arguments(p)
    p.set_defaults(func=_cmd_calibrate)
    p = sub.add_parser(
        "genre-docs", help="write the genre documents and source records from evals/genres/spec"
    )
    p.add_argument(
        "out",
        nargs="?",
        type=Path,
        default=GENRES,
        help="folder for docs/ and sources/ (default: evals/genres)",
    )
    p.set_defaults(func=_cmd_genre_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from app.index import IndexLoadError

    try:
        return int(args.func(args))
    except (IndexLoadError, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
