"""Profiles: genre knowledge as data chosen by PROFILE, and part of the index's identity."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings
from app.embed import Embedder
from app.ingest import document_from_text, facets_of
from app.profiles import ProfileError, active, load_profile, use_profile
from app.text import match_words
from app.text.numbers import extract_quantities

ROOT = Path(__file__).resolve().parent.parent
NEWS = (
    " date 2025-03-02 (ABC)- Hợp tác xã Nông nghiệp Tân Lập chia lãi 1,2 tỷ đồng cho 4.985 xã viên.\n"
    "Sáng 2-3, Ủy ban nhân dân xã Tân Lập tổ chức hội nghị tổng kết.\n"
    "Quang cảnh hội nghị, Ảnh: Minh Hà\n"
    "Doanh thu năm 2024 đạt 12,5 tỷ đồng, tăng 8,3% so với năm trước."
)


@pytest.fixture
def plain() -> Iterator[None]:
    previous = use_profile(load_profile("plain"))
    yield
    use_profile(previous)


def _profile(folder: Path, head: str, **parts: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "profile.toml").write_text(head, encoding="utf-8")
    for name, text in parts.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


def test_built_in_profiles() -> None:
    vi, plain = load_profile("vi"), load_profile("plain")
    assert active() == vi  # the default
    assert set(vi.parts) == {"abbreviations", "places", "units", "official", "news", "html_chrome"}
    assert set(plain.parts) == {"units", "html_chrome"}
    assert vi.identity.startswith("vi:") and vi.digest != plain.digest
    assert plain.part("places") == {}  # a part left out is off


def test_a_profile_of_ones_own_extends_another_part_by_part(tmp_path: Path) -> None:
    own = _profile(
        tmp_path / "coop",
        'extends = "vi"\ndescription = "hợp tác xã"\n',
        abbreviations='"hop tac xa" = "htx"\n',
    )
    profile = load_profile(str(own))
    assert profile.part("abbreviations") == {"hop tac xa": "htx"}  # replaced whole
    assert profile.part("places") == load_profile("vi").part("places")  # inherited
    previous = use_profile(profile)
    try:
        assert match_words("Hợp tác xã Tân Lập", False)[0] == "htx" == match_words("HTX Tân Lập", False)[0]
        assert match_words("Ủy ban nhân dân xã", False)[:3] == ["ủy", "ban", "nhân"]  # vi's UBND is gone
    finally:
        use_profile(previous)
    assert match_words("Hợp tác xã", False) == ["hợp", "tác", "xã"]
    assert match_words("Ủy ban nhân dân xã", False) == ["ubnd", "xã"]


def test_the_digest_follows_content_not_comments(tmp_path: Path) -> None:
    a = _profile(tmp_path / "a", "", units='[units]\n"kg" = []\n')
    b = _profile(tmp_path / "b", "# a comment\n", units='# comment\n[units]\n"kg" = []  # kilo\n')
    c = _profile(tmp_path / "c", "", units='[units]\n"kg" = ["ki-lô"]\n')
    assert load_profile(str(a)).digest == load_profile(str(b)).digest != load_profile(str(c)).digest


def test_a_bad_profile_says_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"neither a built-in profile \(plain, vi\)"):
        load_profile(str(tmp_path / "missing"))
    stray = _profile(tmp_path / "stray", "", place='kinds = ["xã"]\n')
    with pytest.raises(ProfileError, match=r"place\.toml: not a profile part.*places\.toml"):
        load_profile(str(stray))
    broken = _profile(tmp_path / "broken", "", units="[units\n")
    with pytest.raises(ProfileError, match=r"broken/units\.toml"):
        load_profile(str(broken))
    loop = tmp_path / "loop"
    _profile(loop, f'extends = "{loop}"\n')
    with pytest.raises(ProfileError, match="circle"):
        load_profile(str(loop))


def test_the_default_profile_knows_vietnamese_administrative_documents() -> None:
    doc = document_from_text("coop", NEWS)
    assert doc.facets == {"places": ("xã Tân Lập",)}
    assert any(r.reason == "photo caption" for r in doc.removed) and "Ảnh:" not in doc.text
    assert doc.date == "2025-03-02"
    members = extract_quantities("4.985 xã viên, 1.200 đảng viên")
    assert [q.unit for q in members] == ["xã viên", "đảng viên"]
    assert match_words("Ủy ban nhân dân xã Tân Lập", False)[0] == "ubnd"


@pytest.mark.usefixtures("plain")
def test_the_plain_profile_turns_the_genre_rules_off() -> None:
    doc = document_from_text("coop", NEWS)
    assert doc.facets == {} and facets_of("phường Quy Nhơn") == {}
    assert "Ảnh: Minh Hà" in doc.text and not doc.removed  # no news chrome known
    assert match_words("Ủy ban nhân dân xã", False) == ["ủy", "ban", "nhân", "dân", "xã"]
    assert [q.unit for q in extract_quantities("1.200 đảng viên, 12,5 tỷ đồng")] == [None, "đồng"]
    assert extract_quantities("12,5 tỷ đồng")[0].value == 12.5e9  # numbers stay Vietnamese


def test_an_index_refuses_another_profile_until_reindex(index_copy: Settings, embedder: Embedder) -> None:
    from app.index import ProfileMismatch, ingest_documents, load_generation, reindex

    before = load_generation(index_copy.INDEX_DIR, embedder.name)
    assert before.files.catalog.meta("profile") == load_profile("vi").identity
    assert any(d.facets for _, d in before.documents.items())
    previous = use_profile(load_profile("plain"))
    try:
        with pytest.raises(ProfileMismatch, match=r"profile vi:.*PROFILE='plain'.*python -m app reindex"):
            load_generation(index_copy.INDEX_DIR, embedder.name)
        with pytest.raises(ProfileMismatch):  # nothing is written under the other rules either
            ingest_documents(index_copy, embedder, [document_from_text("x", "Một văn bản mới.")])
        report = reindex(index_copy, embedder)
        gen = load_generation(index_copy.INDEX_DIR, embedder.name)
        assert report.documents == 5 and gen.files.catalog.meta("profile") == load_profile("plain").identity
        assert not any(d.facets for _, d in gen.documents.items())  # no places under plain
        assert gen.places(["quy nhon"]) == {}
    finally:
        use_profile(previous)
    with pytest.raises(ProfileMismatch, match="profile plain:"):
        load_generation(index_copy.INDEX_DIR, embedder.name)


def test_an_index_from_before_profiles_is_the_default_profiles(
    index_copy: Settings, embedder: Embedder
) -> None:
    from app.index import ProfileMismatch, load_generation

    with sqlite3.connect(index_copy.INDEX_DIR / "catalog.sqlite") as db:
        db.execute("DELETE FROM meta WHERE key = 'profile'")
    assert load_generation(index_copy.INDEX_DIR, embedder.name).documents
    previous = use_profile(load_profile("plain"))
    try:
        with pytest.raises(ProfileMismatch, match="before profiles were recorded"):
            load_generation(index_copy.INDEX_DIR, embedder.name)
    finally:
        use_profile(previous)


def _cli(args: list[str], index_dir: Path, profile: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INDEX_DIR": str(index_dir), "OMP_NUM_THREADS": "2"}
    env.pop("PROFILE", None)
    if profile:
        env["PROFILE"] = profile
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_cli_reads_profile_from_the_environment(tmp_path: Path) -> None:
    source = tmp_path / "coop.txt"
    source.write_text(NEWS, encoding="utf-8")
    index = tmp_path / "index"
    assert _cli(["ingest", str(source)], index).returncode == 0
    refused = _cli(["search", "doanh thu hợp tác xã"], index, "plain")
    assert refused.returncode == 1 and "python -m app reindex" in refused.stderr
    unknown = _cli(["search", "doanh thu"], index, str(tmp_path / "nowhere"))
    assert unknown.returncode == 1 and "neither a built-in profile" in unknown.stderr
    redone = _cli(["reindex"], index, "plain")
    assert redone.returncode == 0, redone.stderr
    found = _cli(["search", "doanh thu hợp tác xã", "--top-k", "1"], index, "plain")
    assert found.returncode == 0 and "coop#" in found.stdout, found.stderr
