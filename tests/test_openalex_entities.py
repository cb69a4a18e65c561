"""OpenAlex authors, institutions and sources: the mapping on real OpenAlex records,
and, on a planted world, author profiles set beside the careers the works give."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from conftest import make_settings
from talentatlas.pipeline import build
from talentatlas.sources.base import RecordError
from talentatlas.sources.openalex_entities import map_entity
from talentatlas.sources.simulated import simulate
from talentatlas.sources.simulated_openalex import (
    SOURCE_NAMES,
    author_id,
    openalex_entities,
    write_entities,
    write_world,
)


def _fixture(shared_data: Path, name: str) -> dict:
    return json.loads((shared_data / "openalex" / "fixtures" / name).read_text())


def test_real_author_institution_and_source_records_map(shared_data: Path) -> None:
    author = _fixture(shared_data, "A5023888391.json")
    rows = map_entity("authors", author, 0, None)["author_years"]
    want = sorted(
        (a["institution"]["id"].rsplit("/", 1)[-1], y)
        for a in author["affiliations"]
        for y in set(a["years"])
    )
    assert sorted((r["inst_src_id"].removeprefix("openalex:"), r["year"]) for r in rows) == want
    first = author["affiliations"][0]["institution"]
    (r,) = [r for r in rows if r["inst_src_id"].endswith(first["id"].rsplit("/", 1)[-1])][:1]
    assert r["ror_src"] == first["ror"].rsplit("/", 1)[-1]
    assert r["country_src"] == first["country_code"] and r["author_id"] == "openalex:A5023888391"
    assert r["updated"] == author["updated_date"][:10]

    inst = _fixture(shared_data, "I27837315.json")
    (i,) = map_entity("institutions", inst, 0, None)["entities"]
    assert (i["kind"], i["entity_id"], i["ror_src"], i["country_src"], i["lineage"]) == (
        "institution", "openalex:I27837315", "00jmfr291", "US", None,
    )  # fmt: skip
    child = dict(
        inst, id="https://openalex.org/I9", lineage=["https://openalex.org/I9", inst["id"]]
    )
    assert map_entity("institutions", child, 0, None)["entities"][0]["lineage"] == (
        "openalex:I27837315"
    )

    source = _fixture(shared_data, "S137773608.json")
    (s,) = map_entity("sources", source, 0, None)["entities"]
    assert (s["name"], s["type"], s["issn_l"], s["venue"]) == (
        "Nature",
        "journal",
        "0028-0836",
        None,
    )
    assert s["lineage"] == ";".join(
        "openalex:" + x.rsplit("/", 1)[-1] for x in source["host_organization_lineage"]
    )
    neurips = dict(source, display_name="Neural Information Processing Systems")
    assert map_entity("sources", neurips, 0, None)["entities"][0]["venue"] == "neurips"


def test_bad_entity_records_are_refused(shared_data: Path) -> None:
    author = _fixture(shared_data, "A5023888391.json")
    with pytest.raises(RecordError, match="years"):
        map_entity(
            "authors", dict(author, affiliations=[{"institution": {}, "years": ["x"]}]), 0, None
        )
    with pytest.raises(RecordError, match="author id"):
        map_entity("authors", dict(author, id="https://openalex.org/W1"), 0, None)
    inst = _fixture(shared_data, "I27837315.json")
    with pytest.raises(RecordError, match="lineage"):
        map_entity("institutions", dict(inst, lineage="I1"), 0, None)


def test_author_profiles_sit_beside_the_careers_the_works_give(tmp_path: Path) -> None:
    """Every (institution, year) of a profile whose works name it is observed at that
    institution; planted profile years that the works contradict, or that no work
    covers, say so; the latest version of a profile and of an institution wins."""
    world = simulate(seed=5, n_people=120, noise=0.0)
    data = tmp_path / "data"
    snap = data / "openalex" / "snapshot"
    write_world(world, data)  # ORCIDs on the works keep every person whole
    records = openalex_entities(world)
    write_entities(records, snap)
    # a later version of one author: one planted year elsewhere in an observed year,
    # one in a year without papers; and of one institution, renamed
    a0 = records["authors"][0]
    first_year = min(y for aff in a0["affiliations"] for y in aff["years"])
    own = {aff["institution"]["id"] for aff in a0["affiliations"]}
    other = next(i for i in records["institutions"] if i["id"] not in own)
    newer = dict(a0, affiliations=[*a0["affiliations"],
                                   {"institution": other, "years": [first_year, 1950]}])  # fmt: skip
    renamed = dict(records["institutions"][0], display_name="Renamed Institute")
    write_entities({"authors": [newer], "institutions": [renamed]}, snap, updated="2026-02-01")
    s = make_settings(tmp_path)
    build(s)

    con = duckdb.connect(str(s.warehouse), read_only=True)
    rows = con.sql(
        "select author_id, year, institution_id, observed, same_country, same_institution "
        "from author_affiliations"
    ).fetchall()
    want_rows = sum(len(aff["years"]) for a in records["authors"] for aff in a["affiliations"]) + 2
    assert len(rows) == want_rows
    planted_id = "openalex:" + a0["id"].rsplit("/", 1)[-1]
    other_ror = other["ror"].rsplit("/", 1)[-1]
    planted = {(r[1], r[2]): r[3:] for r in rows if r[0] == planted_id and r[2] == other_ror}
    assert planted[(1950, other_ror)] == (False, None, None)
    assert planted[(first_year, other_ror)][0] is True
    assert planted[(first_year, other_ror)][2] is False
    # the rest: observed; at the year's institution and country where the works name
    # one most often (a year split between two places is compared with the modal one)
    truth: dict[tuple[str, int], Counter] = defaultdict(Counter)
    by_oid = {p.openreview_id: p.pid for p in world.people}
    for n, (_v, year, rec) in enumerate(world.papers):
        for oid, i in zip(rec["authorids"].split(";"), world.paper_insts[n], strict=True):
            truth[("openalex:" + author_id(by_oid[oid]), year)][i] += 1
    ror_of = {x.ror_id: k for k, x in enumerate(world.institutions)}
    checked = 0
    for aid, year, ror, observed, same_country, same_inst in rows:
        if aid == planted_id and ror == other_ror:
            continue
        counts = truth[(aid, year)].most_common()
        assert observed, (aid, year)
        if len(counts) == 1 or counts[0][1] > counts[1][1]:
            assert same_inst == (ror_of[ror] == counts[0][0]), (aid, year)
            checked += 1
        by_country: Counter = Counter()
        for i, k in counts:
            by_country[world.institutions[i].country] += k
        top = by_country.most_common()
        if len(top) == 1 or top[0][1] > top[1][1]:
            assert same_country == (world.institutions[ror_of[ror]].country == top[0][0])
    assert checked > 0.9 * len(rows)
    assert {r[0] for r in rows} == {"openalex:" + author_id(p.pid) for p in world.people
                                    if any(p.pid == q for q, _, _ in world.facts)}  # fmt: skip

    insts = con.sql(
        "select openalex_id, name, ror_id, parent_id from openalex_institutions"
    ).fetchall()
    assert len(insts) == len(world.institutions)
    got = {r[0]: r[1:] for r in insts}
    for i, x in enumerate(world.institutions):
        name = "Renamed Institute" if i == 0 else x.name
        parent = f"openalex:I{x.parent + 1}" if x.parent is not None else None
        assert got[f"openalex:I{i + 1}"] == (name, x.ror_id, parent)
    venues = dict(con.sql("select name, venue from openalex_sources").fetchall())
    con.close()
    assert venues == {SOURCE_NAMES.get(v, v): (v if v in SOURCE_NAMES else None)
                      for v in set(world.venues)}  # fmt: skip
