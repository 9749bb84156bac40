"""What an index is made of besides its documents: the embedder that made its vectors and the profile
whose rules cleaned its text and found its terms and places. An index is only used under the same
ones; anything else is refused with what to run, never silently mixed or rebuilt."""

from __future__ import annotations

from pathlib import Path

from app import profiles

REBUILD_HINT = "rebuild it from the stored documents with: python -m app reindex"


class IndexLoadError(RuntimeError):
    """The index on disk is missing, corrupt or built by another embedder; the message says what to do."""


class NeedsReindex(IndexLoadError):
    """Built under another embedder or profile: not damage, so nothing rebuilds it behind the
    operator's back; the message says to run `reindex`."""


class EmbedderMismatch(NeedsReindex):
    """Built by another embedder: its vectors cannot be mixed with this one's."""


class ProfileMismatch(NeedsReindex):
    """Built under another profile: its text was cleaned, its terms and places found by other rules."""


REINDEX = "run: python -m app reindex (vectors of unchanged chunks are reused)"
# A shared index is rebuilt through the embedded one (`MilvusBackend.reindex` says so too).
MILVUS_REBUILD = (
    "use another MILVUS_COLLECTION, or rebuild this one: migrate --to faiss into an empty INDEX_DIR, "
    "reindex there, then migrate --to milvus"
)


def profile_problem(
    index_dir: Path | str, recorded: str | None, fix: str = REINDEX
) -> ProfileMismatch | None:
    """Why an index whose catalog records profile `recorded` ("name:digest") must not be used under
    the process's profile, or None. An index made before profiles were recorded was made by the
    default profile's rules."""
    current = profiles.active()
    if recorded is None:
        made_by = profiles.load_profile(profiles.DEFAULT)
        if made_by == current:
            return None
        recorded = f"{made_by.identity} (the rules before profiles were recorded)"
    elif recorded.rpartition(":")[2] == current.digest[: len(recorded.rpartition(":")[2])]:
        return None
    return ProfileMismatch(
        f"{index_dir} was built under profile {recorded} but PROFILE={current.name!r} ({current.identity}) "
        "is configured: its text was cleaned and its terms and places found by the other profile's "
        f"rules; {fix}"
    )
