"""Named points in a write where the crash-safety tests stop the writer, so a SIGKILL lands exactly there.

With `APP_PAUSE_AT=<point>` in the environment (tests only; not a setting a deployment would use),
the writer creates `INDEX_DIR/.paused-<point>` and sleeps until it is killed. Unset, a checkpoint
costs one environment lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = (
    "documents-written",  # journal and documents fsynced, the catalog not yet written
    "catalog-written",  # catalog committed (generation G+1), the lexical index not yet
    "lexical-written",  # lexical index committed, CURRENT not yet moved
    "current-written",  # CURRENT moved, the change not yet acknowledged
)


def checkpoint(point: str, index_dir: Path) -> None:
    if os.environ.get("APP_PAUSE_AT") != point:
        return
    (index_dir / f".paused-{point}").write_text(str(os.getpid()), encoding="utf-8")
    while True:
        time.sleep(3600)
