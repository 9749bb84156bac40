"""Genre knowledge as data: which places, offices, abbreviations, units and page chrome the readers
and the matcher know, kept out of the core's code.

A profile is a folder of TOML files, one per part (`PARTS`), plus `profile.toml` (a description and
an optional `extends = "<profile>"`, whose parts it inherits and may replace file by file). A part a
profile leaves out is off: its rules never fire. `PROFILE` names a built-in profile (a folder next
to this file: `vi`, the default, and `plain`) or any folder of one's own.

What a profile says changes what is indexed (the text cleaning keeps, the terms abbreviations
contract, the places a document names), so its content hash is part of the index's identity: an
index built under another profile is refused until `python -m app reindex`.

The profile is one per process: `use_profile` at start (the CLI, `create_app`, a Ray worker), and
every reader asks `active()`. The derived tables (regexes, lookup dicts) are cached per profile.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.config import Settings

BUILT_IN = Path(__file__).resolve().parent
DEFAULT = "vi"
# What each part holds, and who reads it.
PARTS: dict[str, str] = {
    "abbreviations": "full administrative names and their abbreviation, one word for matching (app.text)",
    "places": "kinds of places, offices and surnames: which places a text names (app.ingest.localities)",
    "units": "units a figure may carry and the denominators of rates (app.text.numbers)",
    "official": "the first lines of an official document: motto, issuer, date line (app.ingest.clean)",
    "news": "chrome of scraped news pages, each rule with its reason (app.ingest.clean)",
    "html_chrome": "class/id words that mark an HTML element as page chrome (app.ingest.formats.html)",
}


class ProfileError(ValueError):
    """A profile that cannot be read: says which file and what to fix."""


@dataclass(frozen=True, eq=False)
class Profile:
    name: str
    description: str
    parts: Mapping[str, Mapping[str, Any]]
    digest: str  # sha256 of the parts' content (not of comments or layout)

    @property
    def identity(self) -> str:
        """What an index records: the name for people, the digest for the check."""
        return f"{self.name}:{self.digest[:16]}"

    def part(self, name: str) -> Mapping[str, Any]:
        if name not in PARTS:
            raise KeyError(f"no profile part {name!r}; parts are {', '.join(PARTS)}")
        return self.parts.get(name, {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Profile) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)


def built_in() -> list[str]:
    return sorted(p.parent.name for p in BUILT_IN.glob("*/profile.toml"))


def _folder(spec: str) -> Path:
    for folder in (BUILT_IN / spec, Path(spec).expanduser()):
        if (folder / "profile.toml").is_file():
            return folder.resolve()
    raise ProfileError(
        f"PROFILE={spec!r} is neither a built-in profile ({', '.join(built_in())}) nor a folder "
        "holding a profile.toml"
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: {exc}") from exc


@cache
def load_profile(spec: str, _seen: tuple[Path, ...] = ()) -> Profile:
    folder = _folder(spec)
    if folder in _seen:
        raise ProfileError(f"{folder}/profile.toml: `extends` goes round in a circle")
    head = _read(folder / "profile.toml")
    parent = head.get("extends")
    parts: dict[str, Mapping[str, Any]] = {}
    if parent:
        parts.update(load_profile(str(parent), (*_seen, folder)).parts)
    for path in sorted(folder.glob("*.toml")):
        if path.name == "profile.toml":
            continue
        if path.stem not in PARTS:
            raise ProfileError(
                f"{path}: not a profile part; a profile's files are profile.toml and "
                + ", ".join(f"{p}.toml" for p in PARTS)
            )
        parts[path.stem] = _read(path)
    canon = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Profile(
        name=folder.name if folder.parent == BUILT_IN else str(folder),
        description=str(head.get("description", "")),
        parts=parts,
        digest=hashlib.sha256(canon.encode("utf-8")).hexdigest(),
    )


_active: Profile | None = None


def active() -> Profile:
    """The process's profile: the one `use_profile` chose, else the default."""
    return _active if _active is not None else load_profile(DEFAULT)


def configure(settings: Settings) -> Profile:
    """At a process's start: the readers and the matcher use `settings.PROFILE` from now on."""
    profile = load_profile(settings.PROFILE)
    use_profile(profile)
    return profile


def use_profile(profile: Profile) -> Profile:
    """Make `profile` the process's; returns the one it replaces (a test puts it back)."""
    global _active
    previous = active()
    _active = profile
    return previous
