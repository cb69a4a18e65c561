"""Builds: incremental landing, bad input quarantined, killed builds re-run identically."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_settings
from talentatlas.api import Atlas
from talentatlas.pipeline import build
from talentatlas.sources.simulated import simulate
from talentatlas.store import building_path, open_warehouse
from test_parity import TABLES, _canon


def test_no_change_rebuild_parses_nothing_and_one_new_file_parses_one(tmp_path: Path) -> None:
    world = simulate(seed=5, n_people=120)
    world.write(tmp_path / "data")
    s = make_settings(tmp_path)
    first = build(s)
    assert not first.skipped and first.parsed == first.files
    again = build(s)
    assert again.skipped and again.parsed == 0
    extra = tmp_path / "data" / "paperlists" / "icml" / "icml2031.json"
    extra.write_text(json.dumps([{"id": "x1", "title": "New", "status": "Poster",
                                  "author": "Ann Lee;Bo Chen", "authorids": "~Ann_Lee1;~Bo_Chen1",
                                  "aff": "University of Oslo;Google", "aff_domain": "uio.no;google.com"}]))  # fmt: skip
    third = build(s)
    assert not third.skipped and third.parsed == 1
    atlas = Atlas.open(s.warehouse)
    works = atlas.table("works")
    assert works.filter(works.work_id == "icml:2031:x1").count().to_pyarrow().as_py() == 1
    atlas.close()
    extra.unlink()
    fourth = build(s)
    assert fourth.parsed == 0 and not fourth.skipped
    with Atlas.open(s.warehouse) as atlas:
        works = atlas.table("works")
        assert works.filter(works.year == 2031).count().to_pyarrow().as_py() == 0


def _write_openreview(data: Path, records: list[tuple[str, str, str, str]]) -> None:
    """OpenReview author records of ICML 2031 (no titles), each ``(id, authors, aff,
    position)`` with ``;`` between authors; every author gets the id ``~First_Last1``."""
    path = data / "openreview" / "authors" / "icml" / "icml2031.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(
        json.dumps({"id": fid, "author": names, "aff": aff, "aff_domain": "", "position": pos,
                    "authorids": ";".join("~" + n.replace(" ", "_") + "1"
                                          for n in names.split(";"))}) + "\n"
        for fid, names, aff, pos in records
    ))  # fmt: skip


def test_a_profile_history_places_the_author_at_the_later_step_and_side_by_side_keeps_the_first(
    tmp_path: Path,
) -> None:
    """OpenReview lists a profile's positions in no fixed order: "PhD student+Assistant
    Professor" at two universities is a doctorate of years ago and a post now."""
    world = simulate(seed=5, n_people=60)
    world.write(tmp_path / "data")
    unis = {i.country: i for i in world.institutions if i.name.startswith("University")}
    us, kr, jp = unis["US"], unis["KR"], unis["JP"]
    records = [
        ("p1", "Ann Lee", "PhD student+Assistant Professor", (us, kr)),  # history: KR now
        ("p2", "Bo Chen", "PhD student+Researcher", (jp, us)),  # side by side: JP
        ("p3", "Cy Park", "Research Team Lead+Associate Professor", (kr, jp)),  # KR
        ("p4", "Di Wu", "PhD student+Lecturer", (us, jp)),  # studying on leave: US
    ]
    _write_openreview(
        tmp_path / "data",
        [(pid, name, "+".join(i.name for i in insts), role) for pid, name, role, insts in records],
    )
    s = make_settings(tmp_path)
    build(s)
    with Atlas.open(s.warehouse) as atlas:
        t = atlas.table("authorship_affiliation")
        rows = t.filter(t.work_id.startswith("icml:2031:")).to_pyarrow().to_pylist()
    placed = {r["work_id"].split(":")[-1]: (r["institution"], r["country"]) for r in rows}
    assert placed == {
        "p1": (kr.ror_id, "KR"), "p2": (jp.ror_id, "JP"), "p3": (kr.ror_id, "KR"),
        "p4": (us.ror_id, "US"),
    }  # fmt: skip


def test_openreview_records_of_a_site_scraped_list_join_its_papers_by_their_authors(
    tmp_path: Path,
) -> None:
    """A paper list scraped from the conference site (ids of its own, names only) and
    OpenReview's author records of the same papers (no titles, other ids, authors in
    another order, names written differently) are one paper each: the list's status, the
    records' ids, affiliations and positions. Ambiguous author lists stay apart."""
    world = simulate(seed=5, n_people=60)
    data = tmp_path / "data"
    world.write(data)
    us, kr = world.institutions[0], world.institutions[2]
    site = [
        {"id": "site_1", "title": "One", "status": "Poster", "author": "Ann Lee, Bo Chen"},
        {"id": "site_2", "title": "Two", "status": "Oral",
         "author": "Cy Park, Dan Müller-Lang, Eve Ito"},  # names as the site writes them
        {"id": "site_3", "title": "Three", "status": "Poster", "author": "Fay Wu, Gil Ro"},
        {"id": "site_4", "title": "Four", "status": "Poster", "author": "Fay Wu, Gil Ro"},
    ]  # fmt: skip
    records = [
        ("F1", "Bo Chen;Ann Lee", f"{kr.name};{us.name}", "PhD student;Professor"),
        ("F2", "Eve Ito;Cy Park;Daniel Muller-Lang", f"{us.name};{kr.name};{us.name}",
         "Researcher;PhD student;Professor"),
        ("F3", "Fay Wu;Gil Ro", f"{us.name};{us.name}", "Professor;PhD student"),  # 2 papers alike
        ("F9", "Hal Ng;Ida Su", f"{kr.name};{kr.name}", "Professor;Professor"),  # rejected
    ]  # fmt: skip
    (data / "paperlists" / "icml").mkdir(parents=True, exist_ok=True)
    (data / "paperlists" / "icml" / "icml2031.json").write_text(json.dumps(site))
    _write_openreview(data, records)
    s = make_settings(tmp_path)
    build(s)
    with Atlas.open(s.warehouse) as atlas:
        w = atlas.table("works")
        works = {r["work_id"]: r for r in w.filter(w.year == 2031).to_pyarrow().to_pylist()}
        a = atlas.table("authorship_facts")
        facts = a.filter(a.work_id.startswith("icml:2031:")).to_pyarrow().to_pylist()
        au = atlas.table("authorships")
        ids = au.filter(au.work_id.startswith("icml:2031:")).to_pyarrow().to_pylist()
    # F1 and F2 are site_1 and site_2 (F2 by surnames); F3 fits two papers; F9 none
    assert set(works) == {"icml:2031:site_1", "icml:2031:site_2", "icml:2031:site_3",
                          "icml:2031:site_4", "icml:2031:F3", "icml:2031:F9"}  # fmt: skip
    assert works["icml:2031:site_2"]["tier"] == "oral" and works["icml:2031:site_2"]["accepted"]
    assert not works["icml:2031:F3"]["accepted"] and not works["icml:2031:F9"]["accepted"]
    placed = {(f["work_id"], f["position"]): f["country"] for f in facts}
    assert placed[("icml:2031:site_1", 0)] == kr.country  # Bo Chen, first on OpenReview
    assert placed[("icml:2031:site_1", 1)] == us.country
    assert [placed[("icml:2031:site_2", i)] for i in range(3)] == [us.country, kr.country,
                                                                  us.country]  # fmt: skip
    roles = {(r["work_id"], r["name"]): (r["openreview_id"], r["role"]) for r in ids}
    assert roles[("icml:2031:site_2", "Cy Park")] == ("~Cy_Park1", "PhD student")
    assert ("icml:2031:site_3", "Fay Wu") in roles  # the list's own authors, no ids
    assert roles[("icml:2031:site_3", "Fay Wu")][0] is None


def _tables(s, names: list[str]) -> dict[str, list[tuple]]:
    with Atlas.open(s.resolved_warehouse()) as atlas:
        return {n: _canon(atlas.table(n).to_pyarrow()) for n in names}


def test_remembered_affiliation_resolutions_build_the_same_warehouse(tmp_path: Path) -> None:
    """A rebuild resolves only the affiliation strings it has not seen; the warehouse is
    the one a build from nothing gives, and an unreadable memo only costs time."""
    world = simulate(seed=5, n_people=120)
    data = tmp_path / "data"
    world.write(data)
    s = make_settings(tmp_path)
    said: list[str] = []
    build(s, report=said.append)
    first = next(m for m in said if m.startswith("resolve: ") and "remembered" in m)
    assert first.endswith(" 0 remembered") and not first.startswith("resolve: 0 ")
    extra = data / "paperlists" / "icml" / "icml2031.json"
    extra.write_text(json.dumps([{"id": "x1", "title": "New", "status": "Poster",
                                  "author": "Ann Lee;Bo Chen", "authorids": "~Ann_Lee1;~Bo_Chen1",
                                  "aff": f"University of Oslo;{world.institutions[0].name}",
                                  "aff_domain": "uio.no;"}]))  # fmt: skip
    said.clear()
    build(s, report=said.append)
    second = next(m for m in said if m.startswith("resolve: ") and "remembered" in m)
    new, kept = (int(x.split()[0].replace(",", "")) for x in second[9:].split(", "))
    assert 1 <= new <= 2 and kept > 10  # only the paper's new strings
    cold = make_settings(tmp_path / "cold").model_copy(update={"data_dir": data})
    build(cold)
    names = ["affiliation_resolution", "affiliations_resolved", "authorship_facts", "moves",
             "migration", "person_index"]  # fmt: skip
    warm_tables = _tables(s, names)
    assert warm_tables == _tables(cold, names)
    memo = next((s.landing_dir / "resolution").glob("*.parquet"))
    memo.write_bytes(b"not parquet")
    said.clear()
    build(s, force=True, report=said.append)
    assert any("unreadable" in m for m in said)
    assert _tables(s, names) == warm_tables


BAD_FILES = {
    "paperlists/icml/icml2015.json": '[{"id": "a", "title": "Good", "author": "Ann Lee", '
    '"aff": "MIT", "status": "Poster"}, {"id": "b", "title": "Broken" "author": "x"}, '
    '{"id": "c", "title": "After the break", "author": "Bo Chen", "aff": "KAIST", '
    '"status": "Oral", "brand_new_field": 1}]',
    "paperlists/icml/icml2016.json": "",
    "paperlists/icml/icml2017.json": '[{"id": "w", "title": "Wrong type", "author": ["A", "B"]}, '
    '{"id": "y", "title": 5, "author": "Cy Doe", "aff": "ETH Zurich", "status": "Poster"}]',
    "openreview/authors/icml/icml2018.jsonl": '{"id": "o1", "author": "Di Ng", "authorids": '
    '"~Di_Ng1", "aff": "NUS", "aff_domain": "nus.edu.sg"}\n{not json}\n'
    '{"id": "o2", "author": "Ed Fu", "authorids": "~Ed_Fu1", "aff": "", "aff_domain": ""}\n[1, 2]\n',
}


def _write_bad(root: Path) -> None:
    for rel, text in BAD_FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    good = json.dumps([{"id": f"g{i}", "title": f"T{i}", "author": "Fay Wu", "aff": "Tsinghua University",
                        "status": "Poster"} for i in range(200)]).encode()  # fmt: skip
    gz = gzip.compress(good)
    trunc = root / "paperlists" / "icml" / "icml2019.json.gz"
    trunc.write_bytes(gz[: len(gz) // 2])


def test_bad_input_is_quarantined_and_the_rest_is_built(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write_bad(data)
    s = make_settings(tmp_path)
    build(s)
    atlas = Atlas.open(s.warehouse)
    q = atlas.table("quarantine").to_pyarrow().to_pylist()
    reasons = {(r["file"], r["record"]): r["reason"] for r in q}
    assert any(
        "malformed JSON" in v for (f, _), v in reasons.items() if f.endswith("icml2015.json")
    )
    assert any(
        "should be text" in v for (f, _), v in reasons.items() if f.endswith("icml2017.json")
    )
    assert any("line 2" in v for (f, _), v in reasons.items() if f.endswith("icml2018.jsonl"))
    assert any(
        "not an object" in v for (f, _), v in reasons.items() if f.endswith("icml2018.jsonl")
    )
    assert any(
        "truncated gzip" in v for (f, _), v in reasons.items() if f.endswith("icml2019.json.gz")
    )
    broken = [r for r in q if r["file"].endswith("icml2015.json") and "malformed" in r["reason"]]
    assert broken and '"Broken"' in broken[0]["raw"]  # the unreadable text is kept
    ids = set(atlas.table("works").to_pyarrow().column("work_id").to_pylist())
    assert {"icml:2015:a", "icml:2015:c", "icml:2017:y", "icml:2018:o1", "icml:2018:o2"} <= ids
    assert "icml:2017:w" not in ids
    salvaged = [i for i in ids if i.startswith("icml:2019:")]
    assert 0 < len(salvaged) < 200  # what the truncated stream still held
    files = {r["file"]: r for r in atlas.table("files").to_pyarrow().to_pylist()}
    assert "brand_new_field" in files["paperlists/icml/icml2015.json"]["unknown_fields"]
    assert "empty file" in files["paperlists/icml/icml2016.json"]["problems"]


def _run_build(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "talentatlas.cli", "build"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["landing", "engine"])
def test_killed_build_rerun_equals_uninterrupted_build(tmp_path: Path, kill_at: str) -> None:
    world = simulate(
        seed=9, n_people=3000, years=(2000, 2020), venues=("icml", "cvpr", "acl", "aaai")
    )
    world.write(tmp_path / "data")
    ref = make_settings(tmp_path / "ref")
    ref = ref.model_copy(update={"data_dir": tmp_path / "data"})
    build(ref)

    s = make_settings(tmp_path / "killed")
    env = {**os.environ, "TALENTATLAS_DATA_DIR": str(tmp_path / "data"),
           "TALENTATLAS_WAREHOUSE": str(s.warehouse), "TALENTATLAS_WORKERS": "1"}  # fmt: skip
    proc = _run_build(env)
    landing = s.landing_dir
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if kill_at == "landing" and landing.exists() and len(list(landing.rglob("*.json"))) >= 3:
            break
        if kill_at == "engine" and building_path(s.warehouse).exists():
            time.sleep(0.3)
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the build finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not s.warehouse.exists()  # nothing half-written in place
    rerun = subprocess.run(
        [sys.executable, "-m", "talentatlas.cli", "build"], env=env, capture_output=True
    )
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    a = open_warehouse(ref.warehouse)
    b = open_warehouse(s.warehouse)
    for name in TABLES:
        assert _canon(a.table(name).to_pyarrow()) == _canon(b.table(name).to_pyarrow()), name


def test_every_planted_authorship_lands(sim_build) -> None:
    """Landed authorships equal the planted ones, paper by paper (two namesakes on one
    paper are two authors, not a doubled list)."""
    world, atlas, _s = sim_build
    planted = {
        f"{v}:{y}:{rec['id']}": len(rec["authorids"].split(";")) for v, y, rec in world.papers
    }
    a = atlas.table("authorships")
    landed = {
        r["work_id"]: r["n"]
        for r in a.group_by("work_id").agg(n=a.count()).to_pyarrow().to_pylist()
    }
    assert landed == planted
    ids = a.filter(a.openreview_id.notnull()).openreview_id.nunique().to_pyarrow().as_py()
    assert ids == len({i for _v, _y, rec in world.papers for i in rec["authorids"].split(";")})


def test_a_multinationals_bare_name_takes_the_persons_place_that_year() -> None:
    import ibis

    from talentatlas.facts import seat_located

    rows = [  # (work, person, year, country, evidence)
        ("w1", "p1", 2024, "GB", "seat"),  # "Google DeepMind" ...
        ("w2", "p1", 2024, "FR", "institution"),  # ... and Inria the same year: France
        ("w3", "p1", 2024, "FR", "text"),
        ("w4", "p2", 2024, "GB", "seat"),  # nothing else that year: the seat
        ("w5", "p2", 2023, "US", "institution"),  # another year is not used
        ("w6", "p3", 2024, "US", "seat"),
        ("w7", "p3", 2024, None, None),
        ("w8", "p4", 2024, "CA", "institution"),  # not a seat: unchanged
    ]
    facts = ibis.memtable(
        {
            "work_id": [r[0] for r in rows],
            "position": [0] * len(rows),
            "person_id": [r[1] for r in rows],
            "year": [r[2] for r in rows],
            "country": [r[3] for r in rows],
            "country_evidence": [r[4] for r in rows],
        }
    )
    out = ibis.duckdb.connect().execute(seat_located(facts)).set_index("work_id")
    got = {w: (out.loc[w, "country"], out.loc[w, "country_evidence"]) for w in out.index}
    assert got["w1"] == ("FR", "person-year")
    assert got["w4"] == ("GB", "seat") and got["w6"] == ("US", "seat")
    assert got["w8"] == ("CA", "institution") and got["w2"] == ("FR", "institution")
    assert list(out.columns) == ["position", "person_id", "year", "country", "country_evidence"]


def test_build_profile_says_where_the_time_went(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from talentatlas.cli import app

    world = simulate(seed=2, n_people=60)
    world.write(tmp_path / "data")
    env = {"TALENTATLAS_DATA_DIR": str(tmp_path / "data"), "TALENTATLAS_WORKERS": "1",
           "TALENTATLAS_WAREHOUSE": str(tmp_path / "wh" / "atlas.duckdb")}  # fmt: skip
    r = CliRunner().invoke(app, ["build", "--profile"], env=env)
    assert r.exit_code == 0, r.output
    assert "Where the build's time went" in r.output
    for stage in ("landing", "canonical", "people", "careers", "evidence", "indicators"):
        assert stage in r.output
    assert "person_years" in r.output and "graduate_summary (computed and written)" in r.output
    s = make_settings(tmp_path)
    res = build(s, force=True)
    prof = res.profile().to_pylist()
    totals = {p["stage"]: p["seconds"] for p in prof if p["step"] == "(stage total)"}
    assert set(totals) == set(res.timings)
    for stage, total in totals.items():
        parts = [p["seconds"] for p in prof if p["stage"] == stage and p["step"] != "(stage total)"]
        assert sum(parts) == pytest.approx(total, abs=0.1) or not parts


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_pause_restores_the_collector_as_found(enabled: bool) -> None:
    import gc

    from talentatlas.workers import collector_paused

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(KeyError), collector_paused():
            raise KeyError("a builder failed")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
