"""The corrections file: validation, and its overrides applied by every build."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_settings
from talentatlas.api import Atlas
from talentatlas.pipeline import build
from talentatlas.resolve.corrections import CorrectionsError, load
from talentatlas.sources.simulated import simulate


def test_no_file_means_no_corrections() -> None:
    c = load(None)
    assert c.forced() == {} and c.person_merges().num_rows == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = 2\n", "unsupported corrections version"),
        ("[[affiliation]]\ntext = 'x'\n", "give `institution`"),
        ("[[institution]]\nid = 'l:x'\nname = 'X'\nsector = 'charity'\n", "sector must be"),
        ("[[person_merge]]\npersons = ['a']\n", "at least 2"),
        ("[[affiliation]]\ntext = 'x'\ninstitution = 'y'\ncolour = 'red'\n", "colour"),
        ("[[affiliation]\n", "not valid TOML"),
    ],
)
def test_bad_files_are_refused_with_the_file_named(tmp_path: Path, text, message) -> None:
    p = tmp_path / "fix.toml"
    p.write_text(text)
    with pytest.raises(CorrectionsError) as e:
        load(p)
    assert str(p) in str(e.value) and message in str(e.value)


def test_merges_are_transitive(tmp_path: Path) -> None:
    p = tmp_path / "fix.toml"
    p.write_text("[[person_merge]]\npersons = ['a', 'b']\n[[person_merge]]\npersons = ['b', 'c']\n")
    rows = load(p).person_merges().to_pylist()
    assert {r["person_id"]: r["new_id"] for r in rows} == {"b": "a", "c": "a"}


@pytest.fixture(scope="module")
def world():
    return simulate(seed=11, n_people=120, n_institutions=12)


def _facts(atlas: Atlas) -> list[dict]:
    return atlas.table("authorship_facts").to_pyarrow().to_pylist()


def test_corrections_apply_on_build_and_edits_rebuild(tmp_path: Path, world) -> None:
    world.write(tmp_path / "data")
    fix = tmp_path / "corrections.toml"
    fix.write_text("version = 1\n")
    s = make_settings(tmp_path, corrections=fix)
    build(s)
    with Atlas.open(s.warehouse) as a:
        before = _facts(a)
        persons_before = a.counts()["persons"]
    inst0 = world.institutions[0]
    assert any(r["institution"] == inst0.ror_id for r in before)
    p0, p1 = world.people[0], world.people[1]
    id0, id1 = f"or:{p0.openreview_id}", f"or:{p1.openreview_id}"
    split_work = next(r["work_id"] for r in before if r["person_id"] == id0)
    fix.write_text(
        f"""version = 1
[[institution]]
id = "local:renamed"
name = "Renamed Lab"
country = "NZ"
sector = "nonprofit"

[[affiliation]]
text = "{inst0.name}"
institution = "local:renamed"

[[institution_override]]
id = "{world.institutions[1].ror_id}"
sector = "government"

[[person_merge]]
persons = ["{id1}", "{id0}"]

[[person_split]]
person = "{id0}"
works = ["{split_work}"]
new_id = "split:zero"
"""
    )
    r = build(s)
    assert not r.skipped  # an edited corrections file rebuilds
    with Atlas.open(s.warehouse) as a:
        after = _facts(a)
        assert a.counts()["persons"] == persons_before  # one merged away, one split off
        inst = {x["institution_id"]: x for x in a.table("institutions").to_pyarrow().to_pylist()}
    assert inst["local:renamed"]["sector"] == "nonprofit"
    assert inst[world.institutions[1].ror_id]["sector"] == "government"
    assert not any(x["institution"] == inst0.ror_id for x in after)
    moved = [x for x in after if x["institution"] == "local:renamed"]
    assert moved and all(x["country"] == "NZ" and x["sector"] == "nonprofit" for x in moved)
    by_key = {(x["work_id"], x["position"]): x["person_id"] for x in after}
    for x in before:
        got = by_key[(x["work_id"], x["position"])]
        if x["person_id"] == id0 and x["work_id"] == split_work:
            assert got == "split:zero"
        elif x["person_id"] in (id0, id1):
            assert got == id1
        else:
            assert got == x["person_id"]
