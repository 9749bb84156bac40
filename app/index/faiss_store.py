"""`FaissStore`, the embedded index's `VectorStore`: a FAISS base less the keys removed since, plus a
delta searched exactly; immutable, so a change or a merge makes the next store and shares what it
does not change. Here: searching it, reading its vectors out and tracking changes over the base; the
bases themselves are made in `app.index.faiss_build`, read and written in `app.index.faiss_files`
(the design and its measurements: `app.index.vectors`)."""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from app.config import Settings
from app.index.faiss_build import base_layout, flat_base, ivf_base, ivf_base_copied
from app.index.faiss_files import read_base, write_base
from app.index.faiss_parts import (
    BATCH,
    TRAIN_SAMPLE,
    KeySet,
    VectorParams,
    as_keys,
    cell_count,
    frozen,
    in_sorted,
    knn,
    omp_threads,
)
from app.index.faiss_read import flat_batches, ivf_batches, ivf_vectors_at

# Reading one vector of an approximate base where it is costs about as much as scanning 600 in a cell
# (bench/vectors.py): a filter of fewer keys than that is scored key by key, no cell scanned.
EXACT_FILTER_COST = 600


Kind = Literal["flat", "ivf"]


class FaissStore:
    """Base (FAISS index by key) - removed + delta (exact, in numpy arrays). Immutable."""

    def __init__(
        self,
        dim: int,
        params: VectorParams,
        base: faiss.Index,
        base_keys: np.ndarray,
        base_where: np.ndarray | None,
        removed: np.ndarray,
        delta_keys: np.ndarray,
        delta_vectors: np.ndarray,
    ) -> None:
        """Internal: use `empty`, `build` or `load_base`. `base_keys` and `removed` (a subset of them)
        ascending; `base_where`: for an inverted file, where each of `base_keys` is (cell << 32 |
        offset); `delta_keys` disjoint from the live base keys; all arrays are made read-only."""
        self.dim = dim
        self._p = params
        self._base = base
        self._kind: Kind = "ivf" if isinstance(base, faiss.IndexIVF) else "flat"
        self._base_keys = frozen(base_keys)
        self._base_where = None if base_where is None else frozen(base_where)
        self._removed = frozen(removed)
        self._delta_keys = frozen(delta_keys)
        self._delta = frozen(delta_vectors)
        self._base_live = len(base_keys) - len(removed)
        # Excludes the removed keys inside base searches; the inner selector must outlive the outer.
        self._removed_set = KeySet(removed) if len(removed) else None
        self._not_removed = faiss.IDSelectorNot(self._removed_set.selector) if self._removed_set else None

    # -- making one

    @classmethod
    def empty(cls, dim: int, settings: Settings) -> FaissStore:
        index = flat_base(dim, np.empty(0, np.int64), np.empty((0, dim), np.float32))
        return cls._of_base(dim, VectorParams.of(settings), index)

    @classmethod
    def build(cls, keys: np.ndarray, vectors: np.ndarray, settings: Settings) -> FaissStore:
        """Every vector in the base: exact below VECTOR_ANN_MIN_VECTORS, approximate from there on.
        O(N): ~32 s at 1M on one thread (training on 100k vectors, then adding all)."""
        keys = as_keys(keys)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(keys):
            raise ValueError(f"{len(keys)} keys for vectors of shape {vectors.shape}")
        if len(np.unique(keys)) != len(keys):
            raise ValueError("a key appears twice")
        params = VectorParams.of(settings)
        dim = int(vectors.shape[1])
        if len(keys) < params.ann_min:
            return cls._of_base(dim, params, flat_base(dim, keys, vectors))

        def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            for i in range(0, len(keys), BATCH):
                yield keys[i : i + BATCH], vectors[i : i + BATCH]

        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(len(keys), size=min(len(keys), TRAIN_SAMPLE), replace=False)]
        index = ivf_base(dim, len(keys), sample, batches, params.build_threads)
        return cls._of_base(dim, params, index)

    @classmethod
    def load_base(cls, path: Path, settings: Settings) -> FaissStore:
        """A base saved by `save_base`, or a vectors.faiss of before (`read_base`)."""
        index = read_base(path)
        store = cls._of_base(int(index.d), VectorParams.of(settings), index)
        keys = store._base_keys
        if len(keys) > 1 and (keys[1:] == keys[:-1]).any():
            raise ValueError(f"{path}: a key appears twice")
        return store

    @classmethod
    def _of_base(cls, dim: int, params: VectorParams, index: faiss.Index) -> FaissStore:
        """A store of this base alone: its keys (and, for an inverted file, where each one is) read
        from the index: O(N) over ids only."""
        keys, where = base_layout(index)
        empty = np.empty(0, np.int64)
        return cls(dim, params, index, keys, where, empty, empty, np.empty((0, dim), np.float32))

    # -- reading

    def __len__(self) -> int:
        return self._base_live + len(self._delta_keys)

    @property
    def kind(self) -> Kind:
        """The base's kind: "flat" (exact) or "ivf" (approximate)."""
        return self._kind

    @property
    def cells(self) -> int | None:
        """The IVF base's cell count (what a bench reports); None for an exact base."""
        return int(self._base.nlist) if self._kind == "ivf" else None

    def searched_with(self, **params: int) -> FaissStore:
        """The same store (its base shared, not copied) searched with other parameters ("nprobe",
        "search_threads"): how a bench compares settings without building twice."""
        other = copy.copy(self)
        other._p = dataclasses.replace(self._p, **params)
        return other

    def search(
        self, query: np.ndarray, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """(key, inner product) of the k best live vectors, best first. With `allowed`, only those
        keys count, inside the search (never fetching more and dropping): in the base through a FAISS
        ID selector (a bitmap or hash set of the keys), in the delta through a mask. An approximate
        base probes VECTOR_NPROBE / sqrt(share allowed) cells, and all of them if that comes back
        short of k (allowed keys far from the query); a filter of fewer keys than those cells hold /
        EXACT_FILTER_COST (~1,000 at 1M vectors) is scored key by key, no cell scanned. For large
        filters a numpy int64 array is the cheapest `allowed` to pass (a Python set of 500k keys
        costs ~10 ms to read). Scores from an approximate base are float16 inner products (within
        ~1e-3), the rest exact."""
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if q.shape[1] != self.dim:
            raise ValueError(f"a query of {q.shape[1]} dimensions for a store of {self.dim}")
        if k <= 0 or not len(self):
            return []
        allow = None
        if allowed is not None:
            allow = KeySet(as_keys(allowed))
            if not allow.count:
                return []
        with omp_threads(self._p.search_threads):
            delta_hits, delta_allowed = self._search_delta(q, k, allow)
            base_hits = self._search_base(q, k, allow, delta_allowed) if self._base_live else []
        hits = base_hits + delta_hits
        hits.sort(key=lambda h: (-h[1], h[0]))
        return hits[:k]

    def _search_base(
        self, q: np.ndarray, k: int, allow: KeySet | None, delta_allowed: int
    ) -> list[tuple[int, float]]:
        sel = self._not_removed
        allowed_here = self._base_live
        if allow is not None:
            # At most this many allowed keys are in the live base (the delta's are not).
            allowed_here = min(self._base_live, allow.count - delta_allowed)
            if allowed_here <= 0:
                return []
            sel = allow.selector if sel is None else faiss.IDSelectorAnd(allow.selector, sel)
        k = min(k, allowed_here)
        if self._kind == "ivf":
            # The top k of a filter's share s of the vectors are about the top k/s of all: more cells,
            # by 1/sqrt(s) (measured at 1M: recall stays at or above the unfiltered one).
            share = allowed_here / self._base_live
            nlist = int(self._base.nlist)
            nprobe = min(nlist, math.ceil(self._p.nprobe / math.sqrt(share)))
            if allow is not None and allowed_here * EXACT_FILTER_COST <= self._base_live * nprobe / nlist:
                return self._search_exactly(q, k, np.unique(allow.keys))
            hits = self._search_cells(q, k, sel, nprobe)
            if len(hits) < k and nprobe < nlist:
                # The allowed keys lie outside the probed cells (a filter's documents far from the
                # question): scan every cell, scoring only allowed keys, rather than come back short.
                hits = self._search_cells(q, k, sel, nlist)
            return hits
        scores, ids = self._base.search(q, k, params=faiss.SearchParameters(sel=sel))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _search_cells(
        self, q: np.ndarray, k: int, sel: faiss.IDSelector | None, nprobe: int
    ) -> list[tuple[int, float]]:
        params = faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
        scores, ids = self._base.search(q, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _search_exactly(self, q: np.ndarray, k: int, keys: np.ndarray) -> list[tuple[int, float]]:
        """The approximate base's k best among a few keys, each scored (no cell is scanned)."""
        keys, vectors = self._base_gather(keys)
        return knn(q, keys, vectors, k)

    def _search_delta(
        self, q: np.ndarray, k: int, allow: KeySet | None
    ) -> tuple[list[tuple[int, float]], int]:
        """Exact search of the delta: hits, and how many allowed keys it holds."""
        n = len(self._delta_keys)
        if not n:
            return [], 0
        sel = None
        candidates = n
        if allow is not None:
            mask = allow.contains(self._delta_keys)
            candidates = int(np.count_nonzero(mask))
            if not candidates:
                return [], 0
            if candidates < n:
                packed = np.packbits(mask, bitorder="little")
                sel = faiss.IDSelectorBitmap(packed)  # over rows of the delta
        return knn(q, self._delta_keys, self._delta, min(k, candidates), sel), candidates

    def keys(self) -> np.ndarray:
        base = self._base_keys
        if len(self._removed):
            base = base[~in_sorted(self._removed, base)]
        return np.sort(np.concatenate([base, self._delta_keys]))

    def vectors(self, keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(keys, float32 vectors) of the live vectors among `keys` in the order given (all of them by
        ascending key when None: ~6 s and 1.5 GB at 1M); absent keys are left out. An approximate
        base gives its vectors back from float16, so approximate (within ~1e-3 of what was added;
        exactly what it searches); an inverted file finds given keys where they are, O(len(keys)).
        For migrations, merges and tests, not for request paths."""
        out_keys = self.keys()
        if keys is not None:
            wanted = as_keys(keys)
            out_keys = np.unique(wanted[in_sorted(out_keys, wanted)])
        out = np.empty((len(out_keys), self.dim), dtype=np.float32)
        for k, v in self._live_batches(None if keys is None else out_keys):
            out[np.searchsorted(out_keys, k)] = v
        if keys is None:
            return out_keys, out
        wanted = wanted[in_sorted(out_keys, wanted)]
        return wanted, out[np.searchsorted(out_keys, wanted)]

    def _live_batches(self, only: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(keys, vectors) of every live vector (or of those among `only`), in batches: base, then
        delta."""
        only_sorted = np.unique(only) if only is not None else None

        def keep(keys: np.ndarray) -> np.ndarray:
            mask = np.ones(len(keys), dtype=bool)
            if len(self._removed):
                mask &= ~in_sorted(self._removed, keys)
            if only_sorted is not None:
                mask &= in_sorted(only_sorted, keys)
            return mask

        if self._kind == "flat":
            yield from flat_batches(self._base, keep)
        elif only_sorted is not None:  # found by where they are, no scan
            for i in range(0, len(only_sorted), BATCH):
                yield self._base_gather(only_sorted[i : i + BATCH])
        else:
            yield from ivf_batches(self._base, keep)
        if len(self._delta_keys):
            m = in_sorted(only_sorted, self._delta_keys) if only_sorted is not None else slice(None)
            yield self._delta_keys[m], self._delta[m].copy()

    def _base_gather(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(keys, vectors) of the live vectors of an approximate base among `keys` (ascending,
        unique), read where each one is: O(len(keys) + cells touched)."""
        assert self._base_where is not None
        found = in_sorted(self._base_keys, keys)
        if len(self._removed):
            found &= ~in_sorted(self._removed, keys)
        keys = keys[found]
        if not len(keys):
            return keys, np.empty((0, self.dim), np.float32)
        where = self._base_where[np.searchsorted(self._base_keys, keys)]
        return keys, ivf_vectors_at(self._base, where)

    # -- changing

    def changed(
        self, add_keys: np.ndarray, add_vectors: np.ndarray, remove_keys: Collection[int]
    ) -> FaissStore:
        """A new store: this one minus `remove_keys` (absent ones ignored), then plus `add_vectors`
        under `add_keys` (replacing any stored under the same key; a key in both ends up added).
        O(change + delta + removed): the base is shared, never copied; `self` is untouched."""
        add_keys = as_keys(add_keys)
        add_vectors = np.asarray(add_vectors, dtype=np.float32)
        if not len(add_keys) and add_vectors.size == 0:
            add_vectors = np.empty((0, self.dim), np.float32)
        if add_vectors.ndim != 2 or add_vectors.shape != (len(add_keys), self.dim):
            raise ValueError(
                f"{len(add_keys)} keys for vectors of shape {add_vectors.shape} (dim {self.dim})"
            )
        if len(np.unique(add_keys)) != len(add_keys):
            raise ValueError("a key is added twice")
        drop = np.union1d(as_keys(remove_keys), add_keys)  # ascending, unique
        removed = self._removed
        from_base = drop[in_sorted(self._base_keys, drop)]
        if len(from_base):
            removed = np.union1d(removed, from_base)
        delta_keys, delta = self._delta_keys, self._delta
        if len(delta_keys) and len(drop):
            stay = ~in_sorted(drop, delta_keys)
            if not stay.all():
                delta_keys, delta = delta_keys[stay], delta[stay]
        if len(add_keys):
            delta_keys = np.concatenate([delta_keys, add_keys])
            delta = np.concatenate([delta, add_vectors])
        return FaissStore(
            self.dim,
            self._p,
            self._base,
            self._base_keys,
            self._base_where,
            removed,
            delta_keys,
            np.ascontiguousarray(delta),
        )

    @property
    def needs_merge(self) -> bool:
        """Delta + removed past VECTOR_DELTA_MAX, or a base of the wrong kind or cell count for the
        number of live vectors (exact past VECTOR_ANN_MIN_VECTORS, and so on). `merged()` clears it."""
        if len(self._delta_keys) + len(self._removed) > self._p.delta_max:
            return True
        return not self._base_fits(len(self))

    def _base_fits(self, live: int) -> bool:
        if self._kind == "flat":
            return live < self._p.ann_min
        ideal = cell_count(live)
        return live >= self._p.ann_min // 2 and ideal / 2 <= int(self._base.nlist) <= 2 * ideal

    def merged(self) -> FaissStore:
        """A new store, the same vectors all in a new base (delta and removed folded in). O(N): run it
        off the request path. An approximate base whose cells still suit the count is copied without
        its removed keys and the delta added (~1 s at 1M); otherwise the base is rebuilt (an
        approximate one trained again on a sample of its float16 vectors: ~40 s at 1M, one thread).
        Peak memory: the old base and the new one side by side (~1.6 GB at 1M)."""
        live = len(self)
        if self._base_fits(live) and self._kind == "ivf":
            threads = self._p.build_threads
            index = ivf_base_copied(self._base, self._removed, self._delta_keys, self._delta, threads)
            return FaissStore._of_base(self.dim, self._p, index)
        if live < self._p.ann_min:
            keys, vectors = self.vectors()
            return FaissStore._of_base(self.dim, self._p, flat_base(self.dim, keys, vectors))
        rng = np.random.default_rng(0)
        share = min(1.0, TRAIN_SAMPLE / live)
        sample = np.concatenate(
            [v[rng.random(len(v)) < share] for _, v in self._live_batches()]
            or [np.empty((0, self.dim), np.float32)]
        )
        index = ivf_base(self.dim, live, sample, self._live_batches, self._p.build_threads)
        return FaissStore._of_base(self.dim, self._p, index)

    def save_base(self, path: Path) -> None:
        """Write the base (not delta nor removed: `merged().save_base(p)` saves everything) to `path`
        atomically (`write_base`)."""
        write_base(self._base, path)
