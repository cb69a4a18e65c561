"""The MPIDR reference source and the validation checks.

Unit tests run on small hand-written tables (made up here, not cut from the data);
``realdata`` tests read the real MPIDR files in the shared data folder.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from talentatlas.config import Scope, Settings
from talentatlas.fetch import fetch
from talentatlas.sources import mpidr
from talentatlas.sources.mpidr import MpidrFormatError, MpidrTables
from talentatlas.validate import (
    Check,
    check_indicators,
    check_reference,
    checks_table,
    partners_side_by_side,
    side_by_side,
)

COUNTRY_HEADER = (
    "year,countrycode,padded_population_of_researchers,paddedpop,number_of_inmigrations,"
    "number_of_outmigrations,netmigration,outmigrationrate,inmigrationrate,netmigrationrate"
)
FLOWS_HEADER = "migrationfrom,migrationto,year,n_migrations,n_migrations_back,netmigrations"
#: a tiny consistent world: KR and US in 2020, censored 2022, entry and exit rows
COUNTRY_ROWS = [
    "2020.0,{KR},100,100,3,2,1,0.02,0.03,0.01",
    "2020.0,{US},1000,1000,2,3,-1,0.003,0.002,-0.001",
    "2022.0,{KR},0,0,1,0,1,,,",
    "2022.0,{US},0,0,0,1,-1,,,",
]
FLOW_ROWS = [
    "{US},{KR},2020.0,3,2,1",
    "{KR},{US},2020.0,2,3,-1",
    ",{KR},2020.0,5,0,5",
    "{US},,2020.0,7,0,7",
    "{US},{KR},2022.0,1,0,1",
]
CODES = {"openalex_2023": {"KR": "KR", "US": "US"}, "scopus_2024": {"KR": "KOR", "US": "USA"}}


def _write_mpidr(root: Path, country_extra: Sequence[str] = (), gz: bool = False) -> Path:
    folder = root / "mpidr"
    folder.mkdir(parents=True, exist_ok=True)
    for ds, codes in CODES.items():
        country = [COUNTRY_HEADER, *(r.format(**codes) for r in COUNTRY_ROWS), *country_extra]
        flows = [FLOWS_HEADER, *(r.format(**codes) for r in FLOW_ROWS)]
        for kind, lines in (("country", country), ("countryflows", flows)):
            text = "\n".join(lines) + "\n"
            path = folder / mpidr.file_name(ds, kind)
            if gz:
                (path.parent / (path.name + ".gz")).write_bytes(gzip.compress(text.encode()))
            else:
                path.write_text(text)
    (folder / mpidr.COUNTRIES_FILE).write_text(
        "iso3code,iso2Code,name\nKOR,KR,Korea\nUSA,US,United States\nNAM,NA,Namibia\n"
    )
    return root


def _by_name(checks: list[Check], dataset: str) -> dict[str, Check]:
    return {c.name: c for c in checks if c.dataset == dataset}


# -- reading -------------------------------------------------------------------------------
def test_load_normalises_both_datasets(tmp_path: Path) -> None:
    t = mpidr.load(_write_mpidr(tmp_path))
    assert t.country.schema == mpidr.COUNTRY_SCHEMA and t.flows.schema == mpidr.FLOWS_SCHEMA
    assert not t.problems
    scopus = t.country.filter(pc.equal(t.country["dataset"], "scopus_2024"))
    assert set(scopus["country"].to_pylist()) == {"KR", "US"}  # KOR -> KR
    assert t.country["year"].to_pylist()[:2] == [2020, 2020]
    censored = t.country.filter(pc.equal(t.country["year"], 2022))
    assert censored["population"].null_count == censored.num_rows
    assert censored["net_rate"].null_count == censored.num_rows
    entries = t.flows.filter(pc.is_null(t.flows["origin"]))
    assert entries.num_rows == 2 and set(entries["destination"].to_pylist()) == {"KR"}


def test_gzipped_files_are_read(tmp_path: Path) -> None:
    t = mpidr.load(_write_mpidr(tmp_path, gz=True))
    assert t.country.num_rows == 8 and t.flows.num_rows == 10


def test_missing_files_name_the_directory_and_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as e:
        mpidr.load(tmp_path)
    assert str(tmp_path / "mpidr") in str(e.value) and "talentatlas fetch" in str(e.value)


def test_malformed_rows_are_reported_with_file_and_line(tmp_path: Path) -> None:
    bad = ["2021.0,KR,100,100,x,2,1,0.02,0.03,0.01", "2021.5,US,1,1,0,0,0,0,0,0", "2021.0,KR,1"]
    root = _write_mpidr(tmp_path, country_extra=bad)
    with pytest.raises(MpidrFormatError) as e:
        mpidr.load(root)
    name = mpidr.file_name("openalex_2023", "country")
    msgs = e.value.problems
    assert any(name in m and ":6:" in m and "not an integer" in m for m in msgs)
    assert any(":7:" in m and "whole year" in m for m in msgs)
    assert any(":8:" in m and "3 fields" in m for m in msgs)
    lenient = mpidr.load(root, strict=False)
    assert lenient.country.num_rows == 8  # the good rows of both files are kept
    assert len(lenient.problems) == 6  # 3 bad rows x 2 datasets


def test_unknown_codes_are_kept_and_noted(tmp_path: Path) -> None:
    root = _write_mpidr(tmp_path, country_extra=["2021.0,QQ,10,10,0,0,0,0.0,0.0,0.0"])
    t = mpidr.load(root, datasets=("openalex_2023",))
    assert "QQ" in t.country["country"].to_pylist()
    assert any("'QQ'" in p and ":6:" in p for p in t.problems)


def test_fetch_copies_the_mpidr_tables_from_a_mirror(tmp_path: Path) -> None:
    mirror = _write_mpidr(tmp_path / "mirror")
    s = Settings(data_dir=tmp_path / "d", mirror=str(mirror), scope=Scope(areas=["Web/IR"]))
    r = fetch(s)
    assert {f for f in r.fetched if f.startswith("mpidr/")} == {
        f"mpidr/{p.name}" for p in (mirror / "mpidr").iterdir()
    }
    assert mpidr.load(tmp_path / "d").country.num_rows == 8


# -- checks on hand-written tables -----------------------------------------------------------
def test_reference_checks_pass_on_a_consistent_table(tmp_path: Path) -> None:
    checks = check_reference(mpidr.load(_write_mpidr(tmp_path)))
    assert len(checks) == 18 and all(c.passed for c in checks), checks_table(checks)


def test_reference_checks_catch_wrong_rates_and_reverse_flows(tmp_path: Path) -> None:
    t = mpidr.load(_write_mpidr(tmp_path))
    c = t.country
    per_mille = pc.multiply(c["net_rate"], 1000.0)  # the wrong unit
    f = t.flows
    back = pc.if_else(pc.equal(f["moves"], 2), 9, f["moves_back"])  # KR->US moves_back 3 -> 9
    bad = MpidrTables(
        c.set_column(c.schema.get_field_index("net_rate"), "net_rate", per_mille),
        f.set_column(f.schema.get_field_index("moves_back"), "moves_back", back),
    )
    got = _by_name(check_reference(bad), "openalex_2023")
    rate = got["net_rate = net / population"]
    assert not rate.passed and rate.n_failed == 2 and rate.worst.startswith("KR 2020: net_rate 10")
    rev = got["flows: moves_back = moves of the reverse pair"]
    assert not rev.passed and rev.worst.startswith("KR US 2020: moves_back 9, expected 3")
    assert not got["flows: net = moves - moves_back"].passed


def _ours(net_rate_kr_2013: float = 16.67, inflow_us_2014: int = 1) -> tuple[pa.Table, pa.Table]:
    migration = pa.table(
        {
            "country": ["KR", "US", "KR", "US", "DE"],
            "year": pa.array([2013, 2013, 2014, 2014, 2014], pa.int32()),
            "inflow": [3, 1, 0, inflow_us_2014, 0],
            "outflow": [1, 3, 1, 0, 0],
            "net": [2, -2, -1, inflow_us_2014, 0],
            "stock": [1200, 5000, 1300, 5100, 0],
            "net_rate": [net_rate_kr_2013, -4.0, -7.69, 1.96, None],
            "churn": [0.1, 0.2, 0.3, 0.4, 0.5],  # an unknown column: ignored
        }
    )
    flows = pa.table(
        {
            "origin": ["US", "KR", "KR"],
            "destination": ["KR", "US", "US"],
            "year": pa.array([2013, 2013, 2014], pa.int32()),
            "moves": [3, 1, 1],
        }
    )
    return migration, flows


def test_indicator_checks_pass_on_a_consistent_table() -> None:
    checks = check_indicators(*_ours())
    assert [c.passed for c in checks] == [True] * 5, checks_table(checks)


def test_a_wrong_net_rate_fails_and_names_the_row() -> None:
    got = _by_name(check_indicators(*_ours(net_rate_kr_2013=20.0)), "talentatlas")
    c = got["net_rate = net / stock x 10,000"]
    assert not c.passed and c.n_failed == 1 and c.n_checked == 5
    assert c.worst == "KR 2013: net_rate 20, expected 16.666667 (net 2, stock 1200)"


def test_flows_not_summing_to_inflow_fail() -> None:
    got = _by_name(check_indicators(*_ours(inflow_us_2014=4)), "talentatlas")
    c = got["sum of flows into country-year = inflow"]
    assert not c.passed and c.n_failed == 1 and c.worst.startswith("US 2014: inflow 4, expected 1")
    assert got["net = inflow - outflow"].passed


def test_checks_table_is_printable() -> None:
    t = checks_table(check_indicators(*_ours()))
    assert t.column_names == [
        "name", "dataset", "passed", "n_checked", "n_failed", "share_passed", "worst",
    ]  # fmt: skip
    assert t.num_rows == 5


def test_indicator_checks_pass_on_a_simulated_build(sim_build) -> None:
    _, atlas, _ = sim_build
    checks = check_indicators(atlas.migration(), atlas.flows())
    assert all(c.passed and c.n_checked for c in checks), checks_table(checks)


def test_side_by_side_converts_rates_to_per_10000(tmp_path: Path) -> None:
    ref = mpidr.load(_write_mpidr(tmp_path))
    ours = pa.table(
        {
            "country": ["KR"],
            "year": pa.array([2020], pa.int32()),
            "inflow": [1],
            "outflow": [0],
            "net": [1],
            "stock": [50],
            "net_rate": [200.0],
        }
    )
    t = side_by_side(ours, ref.country, "kr", range(2020, 2023)).to_pylist()
    assert [r["year"] for r in t] == [2020, 2021, 2022]
    assert t[0]["ai_net_rate"] == 200.0 and t[0]["openalex_2023_net_rate"] == 100.0
    assert t[0]["scopus_2024_population"] == 100 and t[1]["ai_stock"] is None
    assert t[2]["openalex_2023_population"] is None and t[2]["openalex_2023_in"] == 1


def test_partners_side_by_side_shares(tmp_path: Path) -> None:
    ref = mpidr.load(_write_mpidr(tmp_path))
    _, flows = _ours()
    t = partners_side_by_side(flows, ref.flows, "KR", years=range(2013, 2021))
    rows = {(r["direction"], r["partner"]): r for r in t.to_pylist()}
    assert set(rows) == {("out", "US"), ("in", "US")}
    out = rows["out", "US"]
    assert out["ai_moves"] == 2 and out["ai_share"] == 1.0 and out["openalex_2023_moves"] == 2
    assert rows["in", "US"]["scopus_2024_moves"] == 3  # entry rows are not partners


# -- the real MPIDR tables -----------------------------------------------------------------
@pytest.fixture(scope="module")
def real(shared_data: Path) -> MpidrTables:
    return mpidr.load(shared_data)


def _raw_row(shared: Path, dataset: str, code: str, year: str) -> dict[str, str]:
    path = shared / "mpidr" / mpidr.file_name(dataset, "country")
    with path.open(newline="") as f:
        return next(r for r in csv.DictReader(f) if r["countrycode"] == code and r["year"] == year)


def _row(t: pa.Table, dataset: str, country: str, year: int) -> dict:
    mask = pc.and_(
        pc.and_(pc.equal(t["dataset"], dataset), pc.equal(t["country"], country)),
        pc.equal(t["year"], year),
    )
    rows = t.filter(mask).to_pylist()
    assert len(rows) == 1
    return rows[0]


@pytest.mark.realdata
def test_real_tables_read_cleanly(real: MpidrTables) -> None:
    assert not real.problems
    assert real.country.num_rows == 5248 + 5675
    assert real.flows.num_rows == 157212 + 142825
    assert pc.min(real.country["year"]).as_py() == 1996
    assert pc.max(real.country["year"]).as_py() == 2023
    assert all(len(c) == 2 for c in pc.unique(real.country["country"]).to_pylist())
    assert real.country["country"].null_count == 0


@pytest.mark.realdata
def test_real_scopus_iso3_becomes_iso2(real: MpidrTables, shared_data: Path) -> None:
    raw = _raw_row(shared_data, "scopus_2024", "KOR", "2013.0")
    kr = _row(real.country, "scopus_2024", "KR", 2013)
    assert kr["population"] == int(raw["padded_population_of_researchers"])
    assert kr["inflow"] == int(raw["number_of_inmigrations"])
    scopus = real.country.filter(pc.equal(real.country["dataset"], "scopus_2024"))
    codes = set(scopus["country"].to_pylist())
    assert {"KR", "US", "TW", "EU"} <= codes  # TWN is not in the World Bank list; EUE -> EU
    assert not any(len(c) == 3 for c in codes)
    openalex = real.country.filter(pc.equal(real.country["dataset"], "openalex_2023"))
    assert {"NA", "XK", "ZZ"} <= set(openalex["country"].to_pylist())  # Namibia, Kosovo, nan


@pytest.mark.realdata
def test_real_censoring_is_visible(real: MpidrTables) -> None:
    c = real.country
    late = c.filter(pc.greater_equal(c["year"], 2022))
    early = c.filter(pc.less(c["year"], 2022))
    assert late.num_rows > 0 and late["population"].null_count == late.num_rows
    assert late["net_rate"].null_count == late.num_rows
    assert early["population"].null_count == 0 and early["net_rate"].null_count == 0
    assert pc.sum(late["inflow"]).as_py() > 0  # moves are still counted after 2021


@pytest.mark.realdata
def test_real_rates_are_per_researcher(real: MpidrTables) -> None:
    kr = _row(real.country, "openalex_2023", "KR", 2013)
    assert kr["net_rate"] == pytest.approx(kr["net"] / kr["population"], rel=1e-6)
    assert kr["out_rate"] == pytest.approx(kr["outflow"] / kr["population"], rel=1e-6)


@pytest.mark.realdata
def test_real_reference_checks_pass_at_documented_rates(real: MpidrTables) -> None:
    checks = check_reference(real)
    for ds in mpidr.DATASETS:
        got = _by_name(checks, ds)
        assert len(got) == 9
        coverage = got.pop("flow country-years present in country table")
        assert all(c.passed and c.n_checked > 5000 for c in got.values()), checks_table(checks)
        # MPIDR's country table lacks some small country-years and stops at 2022/2023,
        # while its flows run to 2024: ~9-10% of flow country-years have no country row.
        assert not coverage.passed and 0.89 < coverage.share_passed < 0.92


@pytest.mark.realdata
def test_real_flows_without_entry_exit_rows_sum_to_in_and_out(real: MpidrTables) -> None:
    f = real.flows.filter(pc.equal(real.flows["dataset"], "openalex_2023"))
    us_2010 = _row(real.country, "openalex_2023", "US", 2010)
    out = f.filter(pc.and_(pc.equal(f["origin"], "US"), pc.equal(f["year"], 2010)))
    between = pc.sum(out.filter(pc.is_valid(out["destination"]))["moves"]).as_py()
    assert between == us_2010["outflow"]
    assert pc.sum(out["moves"]).as_py() > between  # exits (null destination) are extra


@pytest.mark.realdata
def test_real_side_by_side_for_korea(real: MpidrTables) -> None:
    ours = pa.table(
        {
            "country": ["KR", "KR"],
            "year": pa.array([2013, 2014], pa.int32()),
            "inflow": [2, 3],
            "outflow": [1, 5],
            "net": [1, -2],
            "stock": [400, 420],
            "net_rate": [25.0, -47.62],
        }
    )
    t = side_by_side(ours, real.country, "KR", range(2013, 2015)).to_pylist()
    kr = _row(real.country, "openalex_2023", "KR", 2013)
    assert t[0]["openalex_2023_net_rate"] == round(kr["net_rate"] * 10_000, 2) == 45.51
    assert t[0]["ai_stock"] == 400 and t[0]["scopus_2024_population"] > 0
    partners = partners_side_by_side(
        pa.table({"origin": ["KR"], "destination": ["US"], "year": pa.array([2013], pa.int32()),
                  "moves": [1]}),
        real.flows, "KR", years=range(2013, 2022),
    )  # fmt: skip
    top_out = partners.filter(pc.equal(partners["direction"], "out")).to_pylist()[0]
    assert top_out["partner"] == "US" and top_out["ai_share"] == 1.0
    assert top_out["openalex_2023_rank"] == 1 and top_out["scopus_2024_rank"] == 1
    assert 0.3 < top_out["openalex_2023_share"] < 0.5
