"""The evaluation package stays outside the runtime: `app/` (its CLI included) imports nothing from
it, and it runs as its own command."""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
from pathlib import Path

from app.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> list[str]:
    """Every absolute module name a file imports, at any depth (lazy imports inside functions too)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_app_imports_nothing_from_evaluation() -> None:
    files = sorted((ROOT / "app").rglob("*.py"))
    assert len(files) > 50
    offending = {
        str(p.relative_to(ROOT)): name
        for p in files
        for name in _imports(p)
        if name == "evaluation" or name.startswith("evaluation.")
    }
    assert offending == {}


def test_the_service_cli_has_no_eval_commands() -> None:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert {"ingest", "serve", "ask"} <= set(sub.choices)
    assert not {"eval", "calibrate"} & set(sub.choices)


def test_evaluation_runs_as_its_own_command() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "evaluation", "--help"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert all(command in done.stdout for command in ("run", "calibrate", "genre-docs"))
    done = subprocess.run(
        [sys.executable, "-m", "evaluation", "run", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and all(flag in done.stdout for flag in ("--set", "--url", "--sample"))
