"""Where people studied, from ORCID records: a simulated world with planted education
histories (bachelor's and doctoral countries) recovers the planted undergraduate and
graduate-school shares of a cohort exactly, with the share of the cohort each reaches."""

from __future__ import annotations

import random
import shutil
import tarfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import make_settings
from talentatlas.api import Atlas
from talentatlas.cli import app
from talentatlas.indicators.result import describe
from talentatlas.pipeline import build
from talentatlas.sources.simulated import simulate
from talentatlas.sources.simulated_openalex import write_education, write_world

COUNTRIES = ["KR", "CN", "US", "IN", "DE"]


def _public_data_file(path: Path, records: Path) -> None:
    """The record files written under ``records`` as an ORCID public data file (one
    member per section, in the activities archive's layout), with a record of an iD the
    atlas does not know and a member that is no record."""
    files = sorted(records.glob("*/*.json"))
    with tarfile.open(path, "w:gz") as tar:
        for f in files:
            oid = f.parent.name
            tar.add(f, f"ORCID_2025_10_activities_0/{oid[-3:]}/{oid}/educations/{oid}_{f.name}")
        stranger = "0000-0002-1825-0097"
        tar.add(files[0], f"ORCID_2025_10_activities_0/097/{stranger}/educations/{stranger}_e.json")
        readme = path.with_name("README.txt")
        readme.write_text("not a record")
        tar.add(readme, "ORCID_2025_10_activities_0/README.txt")
    shutil.rmtree(records)


@pytest.mark.parametrize("via", ["fetched records", "public data file"])
def test_planted_undergraduate_origins_are_recovered(tmp_path: Path, via: str) -> None:
    """The records reach the build either fetched section by section or copied out of
    ORCID's public data file by ``fetch-orcid --public-file``."""
    world = simulate(seed=3, n_people=200)
    data = tmp_path / "data"
    orcids = write_world(world, data)
    rng = random.Random(4)
    bachelor: dict[str, str] = {}
    doctorate: dict[str, str] = {}
    for p in world.people:
        if rng.random() < 0.3:
            continue  # no ORCID education record
        entries = [("Visiting student", "Summer School", rng.choice(COUNTRIES), 1998)]
        bachelor[p.pid] = rng.choice(COUNTRIES)
        entries.append(("BSc in Computer Science", "First University", bachelor[p.pid], 2000))
        if rng.random() < 0.5:
            doctorate[p.pid] = rng.choice(COUNTRIES)
            entries.append(("PhD, Computer Science", "Graduate University", doctorate[p.pid], 2005))
        if rng.random() < 0.3:  # a later, second bachelor's does not replace the first
            entries.append(("Bachelor of Arts", "Other University", "FR", 2012))
        write_education(data, orcids[p.pid], entries)
    s = make_settings(tmp_path)
    if via == "public data file":  # the iDs come from a first build
        archive = tmp_path / "ORCID_2025_10_activities_0.tar.gz"
        _public_data_file(archive, data / "orcid" / "records")
        build(s)
        env = {"TALENTATLAS_DATA_DIR": str(s.data_dir), "TALENTATLAS_WAREHOUSE": str(s.warehouse)}
        r = CliRunner().invoke(app, ["fetch-orcid", "--public-file", str(archive)], env=env)
        assert r.exit_code == 0, r.output
        assert f"{len(bachelor):,} of " in r.output
        assert sorted(p.name for p in (data / "orcid" / "records").iterdir()) == sorted(
            orcids[pid] for pid in bachelor
        )
    build(s)

    con = duckdb.connect(str(s.warehouse), read_only=True)
    n_edu = con.sql("select count(distinct person_id) from education").fetchone()[0]
    con.close()
    assert n_edu == len(bachelor)

    # the cohort: every author of an ICML paper of the busiest year
    by_orid = {p.openreview_id: p.pid for p in world.people}
    years = Counter(y for v, y, _ in world.papers if v == "icml")
    year = years.most_common(1)[0][0]
    cohort = {
        by_orid[oid]
        for v, y, rec in world.papers
        if v == "icml" and y == year
        for oid in rec["authorids"].split(";")
    }
    with Atlas.open(s.warehouse) as atlas:
        shares = atlas.pathways("icml", year, reps=50)["shares"]
    meta = describe(shares)
    assert meta["cohort"] == len(cohort)
    for stage, planted in (("undergraduate", bachelor), ("graduate_school", doctorate)):
        known = [planted[p] for p in cohort if p in planted]
        want = {c: round(n / len(known), 4) for c, n in Counter(known).items()}
        rows = [r for r in shares.to_pylist() if r["tier"] == "all" and r["stage"] == stage]
        assert {r["country"]: r["share"] for r in rows} == want, stage
        assert {r["country"]: r["persons"] for r in rows} == Counter(known), stage
        assert meta["stage_coverage"][stage] == round(len(known) / len(cohort), 4), stage
    # the proxy reaches everyone placed, beside them
    assert meta["stage_coverage"]["origin"] > meta["stage_coverage"]["undergraduate"]
