"""Command line: `python -m app ingest|search ...`. Thin: each command calls the stage it names."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from app.config import Settings
from app.index.collection import DEFAULT, collection_settings

_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:]+\]|[\w.-]+):\d{1,5}$")


def ray_target(value: str | None, paths: list[str]) -> tuple[str | None, list[str]]:
    """`--ray [ADDRESS]` -> (the cluster's address, None for a local Ray; the paths). `--ray docs/`
    is a path given after `--ray`, not an address: only "local", "auto", a URL or host:port are."""
    if value is None or value == "local":
        return None, paths
    if value == "auto" or "://" in value or _HOST_PORT.match(value):
        return value, paths
    return None, [value, *paths]


def _cmd_ingest(settings: Settings, args: argparse.Namespace) -> int:
    from app.embed import make_embedder
    from app.index.backend import make_index_backend
    from app.index.bulk import ingest_bulk
    from app.ingest import SUPPORTED, find_sources, load_document

    address, given = ray_target(args.ray, args.paths)
    if args.workers is not None and (args.ray is None or args.workers < 1):
        print("--workers N (N >= 1) goes with --ray", file=sys.stderr)
        return 2
    if args.ray is not None:
        if args.rebuild:
            print(
                "--rebuild re-embeds the stored documents in this process: run it without --ray",
                file=sys.stderr,
            )
            return 2
        try:
            from app.distributed_ingest import ingest_on_ray
        except ModuleNotFoundError as exc:
            if exc.name != "ray":
                raise
            print("--ray needs Ray: pip install '.[ray]'", file=sys.stderr)
            return 2
    paths = [Path(p) for p in given] or [settings.SEEDS_DIR]
    sources = find_sources(paths)
    if not sources:
        print(
            f"no supported files ({' '.join(SUPPORTED)}) under {', '.join(map(str, paths))}",
            file=sys.stderr,
        )
        return 2
    failed: list[str] = []
    if args.ray is not None:
        embedder = make_embedder(settings)
        report, failed = ingest_on_ray(
            settings, sources, address, workers=args.workers, progress=True, embedder=embedder
        )
    else:
        documents = [load_document(p) for p in sources]
        originals = {d.doc_id: p.read_bytes() for d, p in zip(documents, sources, strict=True)}
        embedder = make_embedder(settings)
        if args.rebuild:
            backend = make_index_backend(settings, embedder)
            try:
                report = backend.write(documents, rebuild=True, progress=True, originals=originals)
            finally:
                backend.close()
        else:  # in groups, each embedded while the one before it is written
            report = ingest_bulk(settings, embedder, documents, originals=originals, progress=True)
    print(f"{len(sources)} files: {report.summary()}")
    for message in failed:
        print(f"not read: {message}", file=sys.stderr)
    backend = make_index_backend(settings, embedder)
    try:
        if backend.compact():
            print("vectors merged into a new base for a fast start")
    finally:
        backend.close()
    return 1 if failed else 0


def _cmd_reindex(settings: Settings, args: argparse.Namespace) -> int:
    from app.embed import make_embedder
    from app.index.backend import BackendUnsupported, make_index_backend

    backend = make_index_backend(settings, make_embedder(settings))
    try:
        report = backend.reindex(progress=True)
        print(f"reindexed from the stored documents: {report.summary()}")
        backend.compact()
    except BackendUnsupported as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        backend.close()
    return 0


def _cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from app.index import migrate

    if not settings.MILVUS_URI:
        print(
            "set MILVUS_URI (and MILVUS_COLLECTION) to the shared index to copy to or from", file=sys.stderr
        )
        return 2
    if args.to == "milvus":
        report = migrate.to_milvus(settings, progress=True)
        print(f"copied {settings.INDEX_DIR} to Milvus ({settings.MILVUS_COLLECTION}): {report.summary()}")
    else:
        from app.embed import make_embedder

        report = migrate.to_faiss(settings, make_embedder(settings), progress=True)
        print(f"copied Milvus ({settings.MILVUS_COLLECTION}) to {settings.INDEX_DIR}: {report.summary()}")
    return 0


def _cmd_delete(settings: Settings, args: argparse.Namespace) -> int:
    from app.embed import make_embedder
    from app.index.backend import make_index_backend

    backend = make_index_backend(settings, make_embedder(settings))
    try:
        report = backend.delete(args.doc_ids)
    finally:
        backend.close()
    missing = sorted(set(args.doc_ids) - set(report.removed))
    if missing:
        print(f"not stored: {', '.join(missing)}", file=sys.stderr)
    print(report.summary())
    return 1 if missing else 0


def _cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    from app.embed import make_embedder
    from app.index.backend import make_index_backend
    from app.retrieve import Retriever

    embedder = make_embedder(settings)
    retriever = Retriever(make_index_backend(settings, embedder).open(), embedder)
    for i, p in enumerate(retriever.search(args.question, args.top_k), start=1):
        snippet = " ".join(p.chunk.text.split())[:240]
        print(f"[{i}] {p.chunk.chunk_id}  score={p.score:.3f}  date={p.date or '-'}\n    {snippet}")
    return 0


def _cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    from app.pipeline import Pipeline

    result = Pipeline.open(settings).ask_sync(args.question, args.top_k)
    a = result.answer
    print(a.text)
    for f in a.figures:
        print(f"  {'✓' if f.verified else '✗'} {f.text}  [{f.citation}]")
    for c in a.citations:
        p = c.passage
        print(f"[{c.id}] {p.chunk.chunk_id}  {p.title or ''}  ({p.date or 'không rõ ngày'})")
    print(f"  mode: {a.mode}" + (f"; LLM not used: {a.fallback_reason}" if a.fallback_reason else ""))
    if a.abstained and result.reason:
        print(f"  ({result.reason})")
    return 0


def _cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from app.serve.server import serve

    serve(settings, args.host, args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    parser.add_argument(
        "--collection",
        default="default",
        metavar="NAME",
        help="the collection to work on (made with POST /collections or the console); default: default",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="clean, chunk, embed and index files (default: SEEDS_DIR)")
    p.add_argument("paths", nargs="*", help=".txt/.md files or folders")
    p.add_argument(
        "--rebuild", action="store_true", help="re-embed every stored document (ignore stored vectors)"
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="read and embed on Ray: a cluster's address (auto, host:6379, ray://host:10001), "
        "or none for a Ray on this machine",
    )
    p.add_argument(
        "--workers", type=int, metavar="N", help="--ray: embedders side by side (default: the cluster's CPUs)"
    )
    p.set_defaults(func=_cmd_ingest)
    p = sub.add_parser("search", help="top passages for a question")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=5)
    p.set_defaults(func=_cmd_search)
    p = sub.add_parser(
        "reindex", help="rebuild chunks and vectors from the stored documents (e.g. new embedder)"
    )
    p.set_defaults(func=_cmd_reindex)
    p = sub.add_parser("delete", help="remove documents from the index by doc_id")
    p.add_argument("doc_ids", nargs="+")
    p.set_defaults(func=_cmd_delete)
    p = sub.add_parser(
        "migrate",
        help="copy the index, vectors included, from INDEX_DIR to Milvus (--to milvus) or back (--to faiss)",
    )
    p.add_argument("--to", choices=["milvus", "faiss"], required=True)
    p.set_defaults(func=_cmd_migrate)
    p = sub.add_parser("ask", help="answer a question, with its figures and sources")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=5)
    p.set_defaults(func=_cmd_ask)
    p = sub.add_parser("serve", help="run the HTTP service (uvicorn, TCP_NODELAY for prompt streaming)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=_cmd_serve)
    return parser


def _collection(settings: Settings, name: str) -> Settings:
    """A collection's own index; it must exist (an index nobody can reach is not made by a typo)."""
    from app.serve.access import AccessStore, check_name

    check_name(name)
    access = AccessStore(settings.ACCESS_DB or settings.INDEX_DIR / "access.sqlite")
    try:
        if access.collection(name) is None:
            raise ValueError(f"no collection {name!r}: make it first (POST /collections, or the console)")
    finally:
        access.close()
    return collection_settings(settings, name)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from app import profiles
    from app.index import IndexLoadError
    from app.ingest import ocr

    try:
        settings = Settings()
        ocr.configure(settings)
        profiles.configure(settings)
        if args.collection != DEFAULT:
            settings = _collection(settings, args.collection)
        return int(args.func(settings, args))
    except (IndexLoadError, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
