"""A FAISS vector base on disk: read back (checking it is a base `FaissStore` searches, and turning
a flat file of before into one) and written atomically, so a crash leaves the old file or the new one,
never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import faiss
import numpy as np

from app.index.documents import fsync_dir
from app.index.faiss_build import flat_base


def read_base(path: Path) -> faiss.Index:
    """The base in `path` (or a vectors.faiss of before: IndexIDMap2 over a flat index, or a flat
    index whose rows are its keys, given back under those keys); ValueError when it is none of the
    kinds a store searches. Read into memory: ~0.6 s for 1M vectors (755 MB). IO_FLAG_MMAP was
    measured: it opens in ~5 ms, but the first searches pay the page faults (p50 4.7 vs 2.6 ms, worst
    50 ms) and RSS reaches the same ~850 MB once the cells have been searched; the plain read is well
    inside a start-up's budget."""
    index = faiss.read_index(str(path))
    dim = int(index.d)
    if isinstance(index, faiss.IndexFlat):  # written before keys: its rows are its keys
        rows = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.empty((0, dim), np.float32)
        return flat_base(dim, np.arange(index.ntotal, dtype=np.int64), rows)
    flat = isinstance(index, faiss.IndexIDMap | faiss.IndexIDMap2) and isinstance(
        faiss.downcast_index(index.index), faiss.IndexFlat
    )
    ivf = isinstance(index, faiss.IndexIVFScalarQuantizer) and not index.by_residual
    if not (flat or ivf) or int(index.metric_type) != faiss.METRIC_INNER_PRODUCT:
        raise ValueError(f"{path}: not a vector base this store reads ({type(index).__name__})")
    return index


def write_base(index: faiss.Index, path: Path) -> None:
    """Write `index` to `path` atomically: a temporary file in the same folder, fsync, rename, fsync
    of the folder."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        faiss.write_index(index, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
