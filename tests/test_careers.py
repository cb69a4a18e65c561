"""Careers and migration recover planted truth exactly when identities are given."""

from __future__ import annotations

from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from conftest import make_settings
from talentatlas import career_stage, careers
from talentatlas.api import Atlas
from talentatlas.pipeline import build
from talentatlas.sources.simulated import simulate
from talentatlas.store import DuckDBEngine


def _rows(t: pa.Table) -> list[dict]:
    return t.to_pylist()


def _person_map(world) -> dict[str, str]:
    return {f"or:{p.openreview_id}": p.pid for p in world.people}


@pytest.mark.parametrize("dim", careers.DIMENSIONS)
def test_person_years_match_planted_careers(sim_build, dim: str) -> None:
    world, atlas, _ = sim_build
    pm = _person_map(world)
    exp = world.expected(dim)
    got_obs = {
        (pm[r["person_id"]], r["year"]): r["value"]
        for r in _rows(atlas.table(f"observed_{dim}").to_pyarrow())
    }
    assert got_obs == exp.observed
    got_pad = {
        (pm[r["person_id"]], r["year"]): r["value"]
        for r in _rows(atlas.table(f"padded_{dim}").to_pyarrow())
    }
    assert got_pad == exp.padded
    mv = atlas.table("moves")
    got_moves = sorted(
        (pm[r["person_id"]], r["year"], r["origin"], r["destination"])
        for r in _rows(mv.filter(mv.dimension == dim).to_pyarrow())
    )
    assert got_moves == sorted(exp.moves)


def test_noise_free_careers_equal_planted_institutions(sim_build) -> None:
    """Affiliations are matched to the planted registry records, so careers run on ids."""
    world, atlas, _ = sim_build
    pm = _person_map(world)
    people = {p.pid: p for p in world.people}
    obs = atlas.table("observed_institution").to_pyarrow().to_pylist()
    assert obs
    for r in obs:
        p = people[pm[r["person_id"]]]
        assert r["value"] == world.institutions[p.institution_at(r["year"])].ror_id


def test_migration_counts_exact(sim_build) -> None:
    world, atlas, _ = sim_build
    exp = world.expected("country").migration()
    got = {
        (r["country"], r["year"]): (r["inflow"], r["outflow"], r["stock"])
        for r in atlas.migration().to_pylist()
    }
    assert got == exp
    for r in atlas.migration().to_pylist():
        if r["stock"]:
            assert r["net_rate"] == pytest.approx(
                (r["inflow"] - r["outflow"]) / r["stock"] * 1e4, abs=0.01
            )


def test_stock_sums_to_population(sim_build) -> None:
    world, atlas, _ = sim_build
    exp = world.expected("country")
    st = atlas.stock(by="country").to_pylist()
    by_year: dict[int, int] = {}
    for r in st:
        by_year[r["year"]] = by_year.get(r["year"], 0) + r["stock"]
    pop: dict[int, int] = {}
    for _, y in exp.padded:
        pop[y] = pop.get(y, 0) + 1
    assert by_year == pop


def test_noisy_world_follows_tie_break_rule(tmp_path) -> None:
    world = simulate(seed=3, n_people=250, noise=0.45, papers_per_year=2.5)
    world.write(tmp_path / "data")
    s = make_settings(tmp_path)
    build(s)
    atlas = Atlas.open(s.warehouse)
    pm = {f"or:{p.openreview_id}": p.pid for p in world.people}
    for dim in careers.DIMENSIONS:
        exp = world.expected(dim)
        got = {
            (pm[r["person_id"]], r["year"]): r["value"]
            for r in atlas.table(f"observed_{dim}").to_pyarrow().to_pylist()
        }
        assert got == exp.observed, dim


def _modal(rows: list[tuple[str, int, str | None]]) -> dict[tuple[str, int], str]:
    con = ibis.duckdb.connect()
    t = con.create_table(
        "f", pa.table({"person_id": [r[0] for r in rows], "year": [r[1] for r in rows],
                       "country": [r[2] for r in rows]})
    )  # fmt: skip
    out = careers.modal(t, "country").to_pyarrow().to_pylist()
    return {(r["person_id"], r["year"]): r["value"] for r in out}


def test_tie_goes_to_value_seen_in_nearest_year() -> None:
    rows = [("a", 2020, "US"), ("a", 2020, "KR"), ("a", 2019, "KR"), ("a", 2023, "US")]
    assert _modal(rows)[("a", 2020)] == "KR"
    rows = [("a", 2020, "US"), ("a", 2020, "KR"), ("a", 2018, "KR"), ("a", 2021, "US")]
    assert _modal(rows)[("a", 2020)] == "US"


def test_tie_without_other_years_is_alphabetical() -> None:
    assert _modal([("a", 2020, "US"), ("a", 2020, "KR")])[("a", 2020)] == "KR"


def test_majority_beats_nearest_year_and_nulls_are_ignored() -> None:
    rows = [("a", 2020, "US"), ("a", 2020, "US"), ("a", 2020, "KR"), ("a", 2020, None),
            ("a", 2020, None), ("a", 2020, None), ("a", 2019, "KR")]  # fmt: skip
    assert _modal(rows) == {("a", 2020): "US", ("a", 2019): "KR"}


def test_padding_and_moves_on_a_hand_made_career() -> None:
    con = ibis.duckdb.connect()
    obs = con.create_table(
        "o", pa.table({"person_id": ["a"] * 3, "year": [2010, 2013, 2014],
                       "value": ["US", "US", "KR"]})
    )  # fmt: skip
    pad = careers.padded(obs).order_by("year").to_pyarrow().to_pylist()
    assert [(r["year"], r["value"], r["observed"]) for r in pad] == [
        (2010, "US", True), (2011, "US", False), (2012, "US", False), (2013, "US", True),
        (2014, "KR", True),
    ]  # fmt: skip
    mv = careers.moves(obs).to_pyarrow().to_pylist()
    assert [(r["year"], r["from_year"], r["origin"], r["destination"]) for r in mv] == [
        (2014, 2013, "US", "KR")
    ]


def test_every_active_year_has_a_row_even_without_a_place() -> None:
    """A person whose last papers carry no affiliation keeps those years in the
    timeline (place unknown); the padded population, which stocks count, does not."""
    engine = DuckDBEngine(Path(":memory:"))
    none = pa.array([None] * 4, pa.string())
    facts = engine.from_arrow(
        "f",
        pa.table(
            {
                "person_id": ["a", "a", "a", "b"],
                "year": pa.array([2020, 2022, 2024, 2021], pa.int32()),
                "country": ["KR", "US", None, None],
                "institution": none, "sector": none, "hq_country": none,
            }
        ),
    )  # fmt: skip
    career_stage.run(engine.scratch("cells", careers.cells(facts)), engine)
    py = engine.table("person_years").to_pyarrow().to_pylist()
    pad = engine.table("padded_country")
    got = {(r["person_id"], r["year"]): r["country"] for r in py}
    assert got == {("a", 2020): "KR", ("a", 2021): "KR", ("a", 2022): "US",
                    ("a", 2024): None, ("b", 2021): None}  # fmt: skip
    assert {(r["person_id"], r["year"]) for r in pad.to_pyarrow().to_pylist()} == {
        ("a", 2020),
        ("a", 2021),
        ("a", 2022),
    }
