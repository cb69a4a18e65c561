"""Pay in a build: planted pay files beside a small simulated world; exact answers out
(percentiles, currencies, areas, employers, the files and quarantine tables)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import make_settings
from talentatlas.api import Atlas
from talentatlas.config import Settings
from talentatlas.pay.currency import Rates
from talentatlas.pay.views import PayQuery
from talentatlas.pipeline import build
from talentatlas.sources.simulated import simulate
from test_pay import oews_db

LCA_HEADER = ["CASE_NUMBER", "CASE_STATUS", "DECISION_DATE", "JOB_TITLE", "SOC_CODE",
              "FULL_TIME_POSITION", "EMPLOYER_NAME", "WORKSITE_CITY", "WORKSITE_STATE",
              "WAGE_RATE_OF_PAY_FROM", "WAGE_UNIT_OF_PAY", "PREVAILING_WAGE", "PW_UNIT_OF_PAY"]  # fmt: skip
#: research scientists at Meta in 2023: 100k .. 140k (one of them hourly)
META = [("Research Scientist", "100000", "Year"), ("Senior Research Scientist", "110000", "Year"),
        ("Research Scientist", "120000", "Year"), ("Staff Research Scientist", "62.5", "Hour"),
        ("Research Scientist", "140000", "Year")]  # fmt: skip


def _filings(path: Path) -> None:
    rows = []
    for i, (title, wage, unit) in enumerate(META):
        rows.append([f"M-{i}", "Certified", "2023-03-01", title, "15-1221.00", "Y",
                     "Meta Platforms, Inc.", "Menlo Park", "CA", wage, unit, "90000", "Year"])  # fmt: skip
    rows += [
        ["I-1", "Certified", "2022-05-01", "Software Engineer", "15-1252.00", "Y",
         "International Business Machines Corporation", "San Jose", "CA", "150000", "Year",
         "120000", "Year"],
        ["I-2", "Certified", "2022-05-01", "Software Engineer", "15-1252.00", "Y",
         "IBM Corp", "San Jose", "CA", "170000", "Year", "120000", "Year"],
        ["W-1", "Withdrawn", "2023-03-01", "Research Scientist", "15-1221.00", "Y",
         "Meta Platforms, Inc.", "Menlo Park", "CA", "900000", "Year", "90000", "Year"],
        ["P-1", "Certified", "2023-03-01", "Research Scientist", "15-1221.00", "N",
         "Meta Platforms, Inc.", "Menlo Park", "CA", "50", "Hour", "40", "Hour"],
        ["B-1", "Certified", "2023-03-01", "Research Scientist", "15-1221.00", "Y",
         "Acme", "Austin", "TX", "lots", "Year", "1", "Year"],
        # not Meta, though Meta's FAIR is an alias of it
        ["F-1", "Certified", "2023-03-01", "Analyst", "15-2051.00", "Y",
         "Fair Isaac Corporation", "San Jose", "CA", "100000", "Year", "90000", "Year"],
    ]  # fmt: skip
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(LCA_HEADER)
        w.writerows(rows)


def _oews(path: Path) -> None:
    """Research scientists in the nation, California and San Jose: medians 100k, 120k,
    150k, 10th-90th percentiles 40k below and above."""
    cells = []
    for area, base in (("N0000000", 100000), ("S0600000", 120000), ("M0041940", 150000)):
        v = [str(base // 10), "1", "50", str(base), "1", "40", "45", "50", "55", "60",
             str(base - 40000), str(base - 20000), str(base), str(base + 20000), str(base + 40000),
             "1", "1"]  # fmt: skip
        cells.append((f"OEU{area}000000151221", *v, *[None] * 17))
    oews_db(path, cells)


def write_pay_files(data: Path) -> None:
    """The planted pay files: LCA filings, an OEWS release, a prevailing-wage table and
    an offers file (with one bad row each among the filings and the offers)."""
    comp = data / "compensation"
    comp.mkdir(parents=True)
    _filings(comp / "LCA_Disclosure_Data_FY2023_Q2.csv")
    _oews(comp / "bls_oews_2025.sqlite")
    (comp / "oflc_prevailing_wage_levels_by_county.csv").write_text(
        "soc_code,soc_title,state,county,level_I_hourly,level_II_hourly,level_III_hourly,"
        "level_IV_hourly\n15-1221,x,CA,santa clara,50,60,70,80\n15-1221,x,CA,alameda,40,50,60,70\n"
    )
    (data / "offers").mkdir()
    (data / "offers" / "mine.csv").write_text(
        "company,title,base,bonus,equity,location,currency,year\n"
        'Naver,Research Scientist,100000000,20000000,,"Seongnam, KR",KRW,2023\n'
        'Meta,Research Scientist,200000,,100000,"Menlo Park, CA",USD,2024\n'
        "Nobody,Scientist,12x,,,Paris,EUR,2023\n"
    )


def build_pay_world(root: Path) -> Settings:
    """A small simulated world with the planted pay files under ``root``, built."""
    simulate(seed=3, n_people=40, noise=0.0).write(root / "data")
    write_pay_files(root / "data")
    s = make_settings(root)
    build(s)
    return s


@pytest.fixture(scope="module")
def pay_world(tmp_path_factory: pytest.TempPathFactory):
    s = build_pay_world(tmp_path_factory.mktemp("payworld"))
    with Atlas.open(s.warehouse) as atlas:
        yield atlas, s


def test_filings_summary_is_exact(pay_world) -> None:
    atlas, _s = pay_world
    t = atlas.pay_summary(PayQuery(family="research-scientist")).to_pylist()[0]
    # 100k, 110k, 120k, 130k (62.5 an hour), 140k: continuous percentiles
    assert t["records"] == 5 and t["employers"] == 1 and t["first_year"] == 2023
    assert (t["p10"], t["p25"], t["median"], t["p75"], t["p90"]) == (104000, 110000, 120000,
                                                                      130000, 136000)  # fmt: skip
    by = atlas.pay_summary(PayQuery(), by=("employer",)).to_pylist()
    assert [(r["employer"], r["records"]) for r in by] == [
        ("Meta (United States)", 5), ("IBM (United States)", 2), ("fair isaac", 1)
    ]  # fmt: skip
    sen = {r["seniority"]: r["records"] for r in
           atlas.pay_summary(PayQuery(family="research-scientist"), by=("seniority",)).to_pylist()}  # fmt: skip
    assert sen == {None: 3, "senior": 1, "staff": 1}
    krw = atlas.pay_summary(PayQuery(family="research-scientist"), currency="KRW").to_pylist()[0]
    assert krw["median"] == round(120000 * Rates().convert(1, "USD", "KRW", 2023))
    org = atlas.org_pay(atlas.descendants("local:meta")).to_pylist()
    assert [(r["family"], r["records"], r["median"]) for r in org] == [
        ("research-scientist", 5, 120000)
    ]


def test_offers_currencies_and_ppp(pay_world, tmp_path: Path) -> None:
    atlas, _s = pay_world
    off = atlas.pay_summary(PayQuery(), by=("employer",), source="offers").to_pylist()
    got = {r["employer"]: r["median"] for r in off}
    naver_usd = 120_000_000 * Rates().convert(1, "KRW", "USD", 2023)
    assert got["Meta (United States)"] == 300000 and got["Naver"] == round(naver_usd)
    ppp = tmp_path / "ppp.csv"
    ppp.write_text("country,year,ppp\nKR,2023,800\nUS,2023,1\nUS,2024,1\n")
    from talentatlas.pay.currency import read_ppp

    rates = Rates(ppp=read_ppp(ppp))
    off = atlas.pay_summary(PayQuery(), by=("employer",), source="offers", currency="PPP$",
                            rates=rates).to_pylist()  # fmt: skip
    got = {r["employer"]: r["median"] for r in off}
    assert got["Naver"] == 150000 and got["Meta (United States)"] == 300000
    # a year the table lacks takes its nearest year's factor (Meta's offer is of 2024)
    ppp.write_text("country,year,ppp\nKR,2023,800\nUS,2023,0.5\n")
    rates = Rates(ppp=read_ppp(ppp))
    off = atlas.pay_summary(PayQuery(), by=("employer",), source="offers", currency="PPP$",
                            rates=rates).to_pylist()  # fmt: skip
    assert {r["employer"]: r["median"] for r in off}["Meta (United States)"] == 600000
    from talentatlas.vocabulary import QueryError

    with pytest.raises(QueryError, match="PPP table"):
        atlas.pay_summary(PayQuery(), currency="PPP$")


def test_areas_compare_and_levels(pay_world) -> None:
    atlas, _s = pay_world
    sj = atlas.occupation_wages("15-1221", "San Jose").to_pylist()[0]
    assert (sj["employment"], sj["median"], sj["p90"]) == (15000, 150000, 190000)
    assert atlas.occupation_wages("research scientists", "CA").to_pylist()[0]["median"] == 120000
    cmp = atlas.pay_compare("software-engineer", ["San Jose", "national"]).to_pylist()
    lca = [r for r in cmp if r["source"] == "dol_lca"]
    assert [(r["count"], r["median"]) for r in lca] == [(2, 160000), (2, 160000)]
    rs = atlas.pay_compare("research-scientist", ["San Jose", "CA"]).to_pylist()
    assert [(r["source"], r["count"]) for r in rs] == [
        ("bls_oews", 15000), ("dol_lca", 0), ("bls_oews", 12000), ("dol_lca", 5)
    ]  # fmt: skip
    lv = atlas.prevailing_levels("15-1221", "Santa Clara, CA").to_pylist()[0]
    assert (lv["level_1"], lv["level_4"]) == (104000, 166400)
    st = atlas.prevailing_levels("15-1221", "CA").to_pylist()[0]
    assert st["counties"] == 2 and st["level_1_lowest"] == 83200


def test_pay_files_and_quarantine_in_the_build(pay_world) -> None:
    atlas, s = pay_world
    files = {f["file"]: f for f in atlas.table("files").to_pyarrow().to_pylist()}
    lca = files["compensation/LCA_Disclosure_Data_FY2023_Q2.csv"]
    assert lca["source"] == "dol_lca" and lca["records"] == 11 and lca["quarantined"] == 1
    assert files["offers/mine.csv"]["quarantined"] == 1
    q = [r for r in atlas.table("quarantine").to_pyarrow().to_pylist()
         if r["source"] in ("dol_lca", "offers")]  # fmt: skip
    assert sorted((r["file"], r["record"]) for r in q) == [
        ("compensation/LCA_Disclosure_Data_FY2023_Q2.csv", 10), ("offers/mine.csv", 3)
    ]  # fmt: skip
    emp = {r["employer"]: r for r in atlas.table("pay_employers").to_pyarrow().to_pylist()}
    assert emp["IBM Corp"]["institution_id"] == "local:ibm"
    assert emp["Fair Isaac Corporation"]["institution_id"] is None
    assert emp["Acme"]["institution_id"] is None if "Acme" in emp else True
    # unchanged inputs: nothing rebuilt; a changed offers file: rebuilt with it
    assert build(s).skipped
    p = s.data_dir / "offers" / "mine.csv"
    p.write_text(
        p.read_text() + 'Google,Research Scientist,210000,,,"Mountain View, CA",USD,2024\n'
    )
    assert not build(s).skipped
    # (another process: this one's DuckDB keeps the open warehouse's old instance)
    import subprocess
    import sys

    n = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; print(duckdb.connect(sys.argv[1], "
         "read_only=True).sql('SELECT count(*) FROM pay_offers').fetchone()[0])",
         str(s.warehouse)], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert int(n) == 3
