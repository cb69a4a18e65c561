"""The same build on DuckDB and on local Spark gives identical tables."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from conftest import make_settings
from talentatlas.pipeline import build
from talentatlas.sources.simulated import simulate
from talentatlas.sources.simulated_openalex import (
    orcid_id,
    write_education,
    write_section,
    write_snapshot,
)
from talentatlas.store import open_warehouse
from test_pay_build import write_pay_files

pytestmark = [pytest.mark.spark, pytest.mark.slow]

TABLES = [
    "works", "authorships", "affiliations", "persons", "person_keys", "quarantine",
    "affiliation_resolution", "authorship_facts", "scoped_facts", "observed_country",
    "observed_institution", "observed_sector", "padded_country", "padded_institution",
    "padded_sector", "person_years", "moves", "stock", "migration", "flows", "institutions",
    "institution_names", "institution_relations", "affiliations_resolved",
    "authorship_affiliation", "person_links", "observed_hq_country", "padded_hq_country",
    "stock_share", "stock_share_hq", "migration_hq", "flows_hq", "pathways", "sector_summary",
    "sector_flows", "indicator_meta",
    "org_headcount", "org_flows", "coverage_by_year", "key_conflicts", "graduate_summary",
    "withdrawn_works", "work_sources", "education", "employment", "orcid_entries",
    "person_stages", "person_index", "pay_filings", "pay_offers", "pay_occupation_wages",
    "pay_prevailing_wages", "pay_employers", "pay_occupations", "files",
]  # fmt: skip


def _canon(t: pa.Table) -> list[tuple]:
    cols = sorted(t.column_names)
    rows = []
    for r in t.select(cols).to_pylist():
        rows.append(tuple(
            round(v, 6) if isinstance(v, float) and not math.isnan(v) else v for v in r.values()
        ))  # fmt: skip
    return sorted(rows, key=repr)


def test_duckdb_and_spark_build_the_same_tables(tmp_path) -> None:
    # students with stated positions from 2015 (graduates on both kinds of evidence)
    world = simulate(seed=11, n_people=150, noise=0.3, students=0.3, roles_from=2015)
    # every other paper in the paper lists, every paper in an OpenAlex snapshot: copies
    # withdrawn, the rest linked to the listed persons by name
    listed = type(world)(**{**world.__dict__, "papers": world.papers[::2]})
    listed.write(tmp_path / "data")  # keyless linking on Spark: tests/test_people.py
    orcids = {p.pid: orcid_id(i + 1) for i, p in enumerate(world.people)}
    write_snapshot(world, tmp_path / "data" / "openalex" / "snapshot", part_bytes=100_000,
                   orcids=orcids)  # fmt: skip
    # ORCID records: education (pathways) and employment (beside the careers)
    for i, p in enumerate(world.people[:60]):
        inst = world.institutions[p.stints[0][1]]
        write_education(tmp_path / "data", orcids[p.pid], [("BSc", "U", inst.country, 2000)])
        write_section(tmp_path / "data", orcids[p.pid], "employment", [
            ("Researcher", inst.name, inst.country, p.first_year, p.first_year + i % 4,
             inst.ror_id),
            ("Scientist", "Elsewhere", "NZ", p.first_year + 1, None, None),
        ])  # fmt: skip
    write_pay_files(tmp_path / "data")  # and pay
    duck = make_settings(tmp_path, "duckdb")
    spark = make_settings(tmp_path, "spark")
    # a landing cache of its own: Spark's executors parse every file themselves
    spark.warehouse = tmp_path / "whs" / "atlas.duckdb"
    build(duck)
    # the Spark build through the command line, as the README shows it
    from typer.testing import CliRunner

    from talentatlas.cli import app

    env = {"TALENTATLAS_DATA_DIR": str(spark.data_dir), "TALENTATLAS_WORKERS": "1",
           "TALENTATLAS_WAREHOUSE": str(spark.warehouse)}  # fmt: skip
    r = CliRunner().invoke(app, ["build", "--engine", "spark", "--force"], env=env)
    assert r.exit_code == 0, (r.output, r.exception)
    assert " parsed, 0 cached" in r.output
    a = open_warehouse(duck.resolved_warehouse())
    b = open_warehouse(spark.resolved_warehouse())
    assert spark.resolved_warehouse().is_dir()
    for name in TABLES:
        ta = a.table(name).to_pyarrow()
        tb = b.table(name).to_pyarrow()
        assert sorted(ta.column_names) == sorted(tb.column_names), name
        assert ta.num_rows == tb.num_rows, name
        assert _canon(ta) == _canon(tb), name
    assert a.table("moves").count().to_pyarrow().as_py() > 0
    for name in ("education", "employment"):
        assert a.table(name).count().to_pyarrow().as_py() >= 60, name
    evidence = set(a.table("employment").to_pyarrow()["evidence"].to_pylist())
    assert {"agrees", "differs"} <= evidence
    n_oa = a.table("works").filter(lambda t: t.source == "openalex").count().to_pyarrow().as_py()
    assert n_oa == len(world.papers) - len(listed.papers)
    evidence = set(a.table("graduate_summary").to_pyarrow()["evidence"].to_pylist())
    assert evidence == {"stated", "heuristic", "all"}
    from talentatlas.api import Atlas

    with Atlas(a, duck.warehouse) as da, Atlas(b, spark.resolved_warehouse()) as sa:
        assert da.counts() == sa.counts()
        assert da.coverage() == sa.coverage()
        assert da.build_info()["fingerprint"] != sa.build_info()["fingerprint"]
