"""Where one collection's index lives. `default` is the index at INDEX_DIR itself (an index made
before collections is `default`, nothing re-embedded); another lives in INDEX_DIR/collections/<name>
and, with Milvus, in its own collections MILVUS_COLLECTION + "_c_" + name. Names are checked by the
access store (`app.serve.access`): lower-case ASCII letters, digits and inner hyphens, so a name is
a safe folder and, with "-" as "_", a Milvus name no other name maps to."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings

DEFAULT = "default"


def _beside(path: Path, name: str) -> Path:
    return path.with_name(f"{path.stem}.{name}{path.suffix}")


def collection_settings(settings: Settings, name: str) -> Settings:
    """The settings of one collection's index: its own folder, Milvus collections, queue, checkpoint."""
    if name == DEFAULT:
        return settings
    update: dict[str, object] = {
        "INDEX_DIR": settings.INDEX_DIR / "collections" / name,
        "MILVUS_COLLECTION": f"{settings.MILVUS_COLLECTION}_c_{name.replace('-', '_')}",
    }
    if settings.UPLOAD_QUEUE is not None:
        update["UPLOAD_QUEUE"] = _beside(settings.UPLOAD_QUEUE, name)
    if settings.EMBED_CHECKPOINT is not None:
        update["EMBED_CHECKPOINT"] = _beside(settings.EMBED_CHECKPOINT, name)
    return settings.model_copy(update=update)
