"""The real corpus in ../shared/data: adapters' quirks, and a full build."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest

from talentatlas.charts import find_browser
from talentatlas.config import Settings
from talentatlas.pipeline import build
from talentatlas.sources.openreview import OpenReviewAuthors
from talentatlas.sources.paperlists import Paperlists
from talentatlas.sources.reading import read_text

pytestmark = pytest.mark.realdata


def _parse(shared: Path, rel: str):
    adapter = OpenReviewAuthors() if rel.startswith("openreview") else Paperlists()
    return adapter.parse(shared / rel, rel).tables()


def test_icra_doubled_author_lists_are_undoubled(shared_data: Path) -> None:
    t = _parse(shared_data, "paperlists/icra/icra2023.json.gz")
    works = {w["work_id"]: w for w in t["works"].to_pylist()}
    w = works["icra:2023:10160459"]
    names = [a["name"] for a in t["authorships"].to_pylist() if a["work_id"] == w["work_id"]]
    assert w["n_authors"] == 4 == len(names) == len(set(names))  # the file lists 8


def test_multi_affiliation_indices_and_countries(shared_data: Path) -> None:
    t = _parse(shared_data, "paperlists/aaai/aaai2022.json.gz")
    aff = [a for a in t["affiliations"].to_pylist() if a["work_id"] == "aaai:2022:00444"]
    assert aff  # a paper read; now the one with 0+1 indices
    rows = [a for a in t["affiliations"].to_pylist()
            if a["inst_src"] == "Deepwise AI Lab" and a["aff_pos"] == 1]  # fmt: skip
    assert rows and all(r["country_src"] is None for r in rows)
    hku = [a for a in t["affiliations"].to_pylist() if a["inst_src"] == "University of Hong Kong"]
    assert hku and all(a["country_src"] == "China" for a in hku)


def test_cvpr_unaligned_affiliations_stay_at_work_level(shared_data: Path) -> None:
    t = _parse(shared_data, "paperlists/cvpr/cvpr2023.json.gz")
    aff = t["affiliations"].to_pylist()
    assert any(a["position"] == -1 for a in aff)
    assert t["authorships"].num_rows > 10_000
    assert t["quarantine"].num_rows == 0


def test_comma_separated_author_lists(shared_data: Path) -> None:
    t = _parse(shared_data, "paperlists/nips/nips2024.json.gz")
    names = t["authorships"].column("name").to_pylist()
    assert names and not any("," in n for n in names)


def test_openreview_slots_align_and_keys_are_read(shared_data: Path) -> None:
    t = _parse(shared_data, "openreview/authors/nips/nips2021.jsonl.gz")
    a = [r for r in t["authorships"].to_pylist() if r["work_id"] == "neurips:2021:-16dlERMZkO"]
    assert [r["openreview_id"] for r in a] == [
        "~Janardhan_Kulkarni2",
        "~Yin_Tat_Lee1",
        "~Daogao_Liu1",
    ]
    assert a[2]["google_scholar"] == "auA3AaQAAAAJ" and a[2]["role"] == "PhD student"
    aff = {
        r["position"]: r for r in t["affiliations"].to_pylist() if r["work_id"] == a[0]["work_id"]
    }
    assert set(aff) == {0, 2} and aff[2]["domain"] == "uw.edu"
    assert not any(
        "@" in (r["email_key"] or "@x") and r["email_key"] for r in t["authorships"].to_pylist()
    )


@pytest.fixture(scope="module")
def real_build(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Settings:
    """One full build of the real corpus, shared by the tests below."""
    s = Settings(data_dir=shared_data, warehouse=tmp_path_factory.mktemp("real") / "atlas.duckdb")
    build(s)
    return s


@pytest.mark.slow
def test_full_real_build(real_build: Settings, tmp_path: Path, shared_data: Path) -> None:
    s = real_build
    from talentatlas.api import Atlas

    with Atlas.open(s.warehouse) as atlas:
        # pinned to the documented build (README, methodology) with a stated tolerance:
        # counts within 2%, shares within 1.5 points
        counts = atlas.counts()
        # (ICML 2025's OpenReview records joined to its site-scraped list: no longer
        # counted twice, and its accepted authorships placed and keyed)
        assert counts["authorships"] == pytest.approx(743_441, rel=0.02)
        assert counts["persons"] == pytest.approx(217_141, rel=0.02)
        cov, scoped = atlas.coverage(), atlas.coverage(scoped=True)
        assert cov.with_country == pytest.approx(0.677, abs=0.015)
        assert cov.text_resolved >= 0.93  # institution coverage of affiliation text
        assert scoped.with_country == pytest.approx(0.665, abs=0.015)
        assert scoped.with_reliable_key == pytest.approx(0.193, abs=0.015)
        kr = atlas.migration(country="KR").to_pylist()
        assert len(kr) >= 25 and all(r["stock"] >= 0 for r in kr)
        st = {r["country"]: r["stock"] for r in atlas.stock(by="country", year=2018).to_pylist()}
        assert st["US"] == pytest.approx(7580, rel=0.02) and st["KR"] == pytest.approx(
            618, rel=0.03
        )
        assert st["US"] > st["CN"] > st["KR"]
        # the warehouse holds its documented tables (docs/warehouse.md), nothing else
        doc = (Path(__file__).parents[1] / "docs" / "warehouse.md").read_text()
        first_cells = [line.split(" | ")[0] for line in doc.splitlines() if line.startswith("| `")]
        documented = {t for cell in first_cells for t in re.findall(r"`([a-z_]+)`", cell)}
        assert set(atlas.tables()) == documented
        a = atlas.table("authorships")
        keys = a.select("work_id", "position")
        assert keys.count().to_pyarrow().as_py() == keys.distinct().count().to_pyarrow().as_py()
    _indicator_commands_on_the_real_corpus(s.warehouse, shared_data, tmp_path)
    again = build(s)
    assert again.skipped


def _warehouse(s: Settings):
    import duckdb

    return duckdb.connect(str(s.warehouse), read_only=True)


@pytest.mark.slow
def test_every_file_that_names_authors_lands_authorships(
    real_build: Settings, shared_data: Path
) -> None:
    """Guard over every input file: records that name authors (under ``author`` or
    ``authors``) give authorships; NeurIPS 2022 and ICLR 2023 name them ``authors``."""
    with _warehouse(real_build) as con:
        landed = dict(con.sql("SELECT file, authorships FROM files").fetchall())
    empty = []
    for rel, n in landed.items():
        if n:
            continue
        text, _problems = read_text(shared_data / rel)
        if re.search(r'"authors?": "[^"]', text):
            empty.append(rel)
    assert not empty
    assert landed["paperlists/nips/nips2022.json.gz"] >= 13_000
    assert landed["paperlists/iclr/iclr2023.json.gz"] >= 7_500


@pytest.mark.slow
def test_every_status_in_the_corpus_has_a_tier(real_build: Settings) -> None:
    from talentatlas.sources.tiers import STATUS_TIERS

    with _warehouse(real_build) as con:
        statuses = {r[0] for r in con.sql("SELECT DISTINCT status FROM works").fetchall()}
        problems = con.sql("SELECT file, problems FROM files WHERE problems LIKE '%status%'")
        assert problems.fetchall() == []
        tiers = dict(
            con.sql(
                "SELECT status, any_value(tier) FROM works WHERE venue = 'neurips' AND year = 2022"
                " OR venue = 'iclr' AND year = 2023 GROUP BY status"
            ).fetchall()
        )
    unknown = {st for st in statuses if st is not None and st.strip().lower() not in STATUS_TIERS}
    assert not unknown
    assert tiers["Highlighted"] == tiers["Top-5%"] == "oral"
    assert tiers["Top-25%"] == "spotlight"


@pytest.mark.slow
def test_famous_researchers_are_one_person_under_their_own_id(real_build: Settings) -> None:
    """The people users look up first: each is one person, keyed by their own id, and
    no person keyed by another id carries their name."""
    famous = {
        "yoshua bengio": "~Yoshua_Bengio1", "sergey levine": "~Sergey_Levine1",
        "pieter abbeel": "~Pieter_Abbeel2", "luc van gool": "~Luc_Van_Gool1",
        "yejin choi": "~Yejin_Choi1", "li fei fei": "~Li_Fei-Fei1",
    }  # fmt: skip
    with _warehouse(real_build) as con:
        for name, oid in famous.items():
            rows = con.sql(
                "SELECT person_id, authorships FROM persons WHERE name_norm = ? ORDER BY 2 DESC",
                params=[name],
            ).fetchall()
            assert rows[0][0] == "or:" + oid, (name, rows[:3])
            assert rows[0][1] >= 140, (name, rows[0])
            assert sum(n for _p, n in rows[1:]) <= 2, (name, rows[:4])
        # persons keyed by an OpenReview id whose name shares no word with the id
        keyed = con.sql("SELECT person_id, name FROM persons WHERE person_id LIKE 'or:%'")
        odd = [
            (p, n) for p, n in keyed.fetchall()
            if not _words(n) & _words(re.sub(r"\d+$", "", p[4:]))
        ]  # fmt: skip
    assert len(odd) <= 30, odd[:30]
    # the timeline shows what a person stated they were: a professor in 2025, and
    # nothing before OpenReview recorded positions
    from talentatlas.api import Atlas

    atlas = Atlas.open(real_build.warehouse)
    t = atlas.timeline("or:~Sergey_Levine1").to_pydict()
    roles = dict(zip(t["year"], t["role"], strict=True))
    assert roles[2025].startswith("faculty") and roles[2015] is None, roles


def _words(name: str) -> set[str]:
    from talentatlas.resolve.names import normalise_name

    return {w for w in normalise_name(name).split() if len(w) >= 2}


@pytest.mark.slow
def test_taiwan_hong_kong_and_macao_are_their_own_codes(real_build: Settings) -> None:
    with _warehouse(real_build) as con:
        for pattern, code, mainland in (
            ("%national taiwan university%", "TW", None),
            ("%academia sinica%", "TW", None),
            ("%chinese university of hong kong%", "HK", False),  # the Hong Kong campus
            ("%chinese university of hong kong%", "CN", True),  # its Shenzhen campus
            ("%university of macau%", "MO", None),
        ):
            campus = {
                None: "",
                False: " AND a.raw NOT ILIKE '%shenzhen%' AND coalesce(a.domain, '') NOT LIKE '%.cn'",
                True: " AND (a.raw ILIKE '%shenzhen%' OR a.domain LIKE '%.cn')",
            }[mainland]
            got = dict(
                con.sql(
                    "SELECT country, count(*) FROM affiliations_resolved r"
                    " JOIN affiliations a USING (work_id, position, aff_pos)"
                    " WHERE a.raw ILIKE ?" + campus + " GROUP BY 1",
                    params=[pattern],
                ).fetchall()
            )
            assert got.get(code, 0) >= 0.97 * sum(got.values()), (pattern, got)
        # free-mail domains are no evidence of a country or a sector
        gm = con.sql(
            "SELECT count(*) FROM affiliations_resolved WHERE raw IS NULL"
            " AND domain = 'gmail.com' AND (country IS NOT NULL OR sector IS NOT NULL)"
        ).fetchone()
        assert gm == (0,)


@pytest.mark.slow
def test_oral_tier_of_renamed_statuses(real_build: Settings) -> None:
    from typer.testing import CliRunner

    from talentatlas.cli import app

    env = {"TALENTATLAS_WAREHOUSE": str(real_build.warehouse)}
    for venue, year in (("neurips", "2022"), ("iclr", "2023")):
        r = CliRunner().invoke(
            app, ["pathways", "--venue", venue, "--year", year, "-f", "json"], env=env
        )
        assert r.exit_code == 0, r.output
        shares = json.loads(r.stdout)
        n = {t: sum(x["persons"] for x in shares if x["tier"] == t and x["stage"] == "origin")
             for t in ("all", "oral")}  # fmt: skip
        assert n["all"] >= 4_500 and 100 <= n["oral"] < n["all"], (venue, n)


def _indicator_commands_on_the_real_corpus(wh: Path, data: Path, tmp: Path) -> None:
    """The issue's commands print real tables with coverage, and draw their charts."""
    from typer.testing import CliRunner

    from talentatlas.cli import app

    runner = CliRunner()
    env = {"TALENTATLAS_DATA_DIR": str(data), "TALENTATLAS_WAREHOUSE": str(wh)}

    def run(*args: str) -> str:
        r = runner.invoke(app, list(args), env=env)
        assert r.exit_code == 0, (args, r.output[-3000:])
        return r.output

    for args in (
        ["migration", "--country", "KR"],
        ["flows", "--country", "KR"],
        ["pathways", "--venue", "neurips", "--year", "2021"],
        ["sectors"],
        ["org", "Google", "--flows", "--retention"],
    ):
        out = run(*args)
        assert "coverage of" in out and "authorships" in out, args
    r = runner.invoke(app, ["migration", "--country", "KR", "-f", "json"], env=env)
    kr = json.loads(r.stdout)
    assert len(kr) >= 15
    for row in kr:
        if row["stock"] >= 100:
            assert row["net_rate_lo"] <= row["net_rate"] <= row["net_rate_hi"]
    r = runner.invoke(app, ["pathways", "--venue", "neurips", "--year", "2021", "-f", "json"],
                      env=env)  # fmt: skip
    shares = json.loads(r.stdout)
    work = [x for x in shares if x["tier"] == "all" and x["stage"] == "workplace"]
    assert work[0]["country"] == "US" and work[0]["share"] == pytest.approx(0.4635, abs=0.015)
    assert work[0]["lo"] < work[0]["share"] < work[0]["hi"] and work[1]["country"] == "CN"
    assert any(x["tier"] == "oral" for x in shares)
    r = runner.invoke(app, ["org", "Google", "--flows", "-f", "json"], env=env)
    assert sum(x["inflow"] for x in json.loads(r.stdout)) > 100
    charts = [
        (["migration"], "map.png"),
        (["pathways", "--venue", "neurips", "--year", "2021"], "sankey.png"),
        (["org", "Google", "--retention"], "retention.html"),
    ]
    if find_browser() is None:  # PNG export needs Chromium (scripts/test installs it)
        charts = [c for c in charts if c[1].endswith(".html")]
    for args, name in charts:
        run(*args, "--plot", str(tmp / name))
        head = (tmp / name).read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if name.endswith("png") else b"<html" in head
    out = run("status")  # inferred places and keys set aside are reported
    assert "Places inferred" in out and "author-map" in out
    assert "Keys not used for mentions whose names disagree" in out
    out = run("validate")
    assert "talentatlas" in out and "openalex_2023" in out and "scopus_2024" in out
    assert "Taulbee survey beside talentatlas" in out


@pytest.mark.slow
def test_identity_of_the_build_as_it_is(real_build: Settings, shared_data: Path) -> None:
    """The built persons scored against the OpenReview ids of records aligned with their
    names (benchmarks/eval_identity.py --warehouse): documented 0.9985 / 1.0000."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    import eval_identity

    out = eval_identity.score_build(real_build.warehouse, shared_data)
    assert float(out["build_bcubed_p"]) >= 0.997 and float(out["build_bcubed_r"]) >= 0.998
    assert out["build_scored"] >= 130_000
    assert out["top200_one_person"] == out["top200_name_matches_id"] == 200
    assert out["or_persons_name_not_id"] <= 30


@pytest.mark.slow
def test_graduates_on_the_real_corpus(real_build: Settings, shared_data: Path) -> None:
    """From PhD to first job on the real corpus (docs/methodology.md, Graduates): every
    year has graduates; the shift to industry shows; the heuristic is checked against
    stated positions (benchmarks/eval_graduates.py). Floors just under the documented
    figures."""
    from typer.testing import CliRunner

    from talentatlas.api import Atlas
    from talentatlas.cli import app

    env = {"TALENTATLAS_WAREHOUSE": str(real_build.warehouse)}
    args = ["graduates", "--since", "2015", "--country", "US", "--country", "CA"]
    r = CliRunner().invoke(app, [*args, "-f", "json"], env=env)
    assert r.exit_code == 0, r.output[-2000:]
    rows = json.loads(r.stdout)
    every = {x["year"]: x for x in rows if x["evidence"] == "all"}
    assert set(range(2015, 2024)) <= set(every)
    assert all(every[y]["graduates"] >= 100 and every[y]["known"] >= 30 for y in range(2015, 2024))
    stated = {x["year"]: x for x in rows if x["evidence"] == "stated"}
    assert stated[2022]["graduates"] >= 450 and stated[2023]["industry_share"] >= 0.55  # 0.595
    assert 0.40 <= stated[2022]["industry_share"] <= 0.55  # 0.474
    with Atlas.open(real_build.warehouse) as atlas:
        early = atlas.graduates(None, ["US", "CA"], reps=20)["summary"].to_pylist()
    h = {x["year"]: x["industry_share"] for x in early if x["evidence"] == "heuristic"}
    then = sum(h[y] for y in range(2008, 2014)) / 6
    now = sum(h[y] for y in range(2016, 2022)) / 6
    assert now - then >= 0.2, (then, now)  # documented 0.19 -> 0.45
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    import eval_graduates

    with Atlas.open(real_build.warehouse) as atlas:
        agree = eval_graduates.heuristic_agreement(atlas, ["US", "CA"])
    assert agree["heuristic_precision"] >= 0.82 and agree["heuristic_recall"] >= 0.22


def test_fetch_orcid_fetches_the_records_of_the_warehouse_s_orcids(
    real_build: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Path
) -> None:
    """`talentatlas fetch-orcid` against an HTTP server on 127.0.0.1 answering like the
    ORCID API: the first iDs the real warehouse carries, fetched, then read back."""
    from typer.testing import CliRunner

    from talentatlas.api import Atlas
    from talentatlas.cli import app
    from talentatlas.sources import orcid
    from test_orcid import _serve_api

    with Atlas.open(real_build.warehouse) as atlas:
        ids = atlas.orcids()
    assert len(ids) > 10_000 and all(orcid.ORCID_ID.fullmatch(i) for i in ids)
    with _serve_api(shared_data) as api:
        api.known.update(ids[:3])
        api.faults[f"/v3.0/{ids[0]}/employments"] = "429"
        monkeypatch.setenv("TALENTATLAS_ORCID_API", api.base)
        args = ["fetch-orcid", "--warehouse", str(real_build.warehouse),
                "--data-dir", str(tmp_path), "--limit", "4"]  # fmt: skip
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 0, r.output
        assert "9 sections fetched, 0 already present, 1 iDs unknown" in r.output
        again = CliRunner().invoke(app, args)
        assert "0 sections fetched, 9 already present" in again.output, again.output
    read = orcid.read_records(tmp_path)
    assert {r["orcid"] for r in read.rows} == set(ids[:3]) and read.quarantine == []


def test_openreview_records_pair_with_their_papers_by_authors_alone(shared_data: Path) -> None:
    """Where the answer is known (the list and the records share ids), the build's
    pairing by authors, with the records' ids and titles hidden, pairs no record with
    another paper and finds almost every paper (benchmarks/eval_pairing.py: precision
    1.0, recall 0.968 on ICML 2023, ICML 2024 and CoRL 2024)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from eval_pairing import CASES, check

    got = [check(shared_data, case) for case in CASES]
    assert sum(r["wrong"] for r in got) == 0
    recall = sum(r["right"] for r in got) / sum(r["with_record"] for r in got)
    assert recall >= 0.96


@pytest.mark.slow
def test_careers_of_the_real_build_equal_the_definitions(real_build: Settings) -> None:
    """The build's one-pass careers stage (career_stage.py) against the per-dimension
    definitions of careers.py, on the real corpus's own authorships: every row equal."""
    import ibis

    from talentatlas import careers
    from test_career_stage import _rows, reference

    con = ibis.duckdb.connect(str(real_build.warehouse), read_only=True)
    try:
        with careers.cells(con.table("scoped_facts")).cache() as cells:
            multi = cells.group_by(["person_id", "year"]).agg(k=cells.count())
            assert multi.filter(multi.k > 1).count().to_pyarrow().as_py() >= 1_000  # ties
            for name, rows in reference(cells).items():
                assert _rows(con.table(name)) == rows, name
    finally:
        con.disconnect()


@pytest.mark.slow
def test_employer_links_of_the_build_as_it_is(real_build: Settings) -> None:
    """The build's employer links against the hand-labelled employers
    (benchmarks/eval_employers.py --warehouse): documented precision 0.942 (0.995 of
    filings), recall 0.968 (0.969 of filings)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    import eval_employers

    labels = list(csv.DictReader(eval_employers.LABELS.open()))
    links = eval_employers.warehouse_links(real_build.warehouse)
    s = eval_employers.score(links, labels)
    assert s["labelled"] >= 300 and s["linked"] >= 200
    assert s["precision"] >= 0.93 and s["precision_filings"] >= 0.99
    assert s["recall"] >= 0.95 and s["recall_filings"] >= 0.95
    # abroad (the registry keeps these companies elsewhere), corroborated leading words,
    # a tie the corrections settle, a university's governing body; and not namesakes
    assert links["infosys"] == "Infosys (India)" and links["accenture"] == "Accenture (Germany)"
    assert links["dell marketing"] == links["dell"] == "Dell (Ireland)"
    assert links["facebook services"] == "Meta (United States)"
    assert links["university of pennsylvania"] == "University of Pennsylvania"
    assert links["total system services"] is None and links["sri technology solutions"] is None


@pytest.mark.slow
def test_pay_on_the_real_corpus(real_build: Settings, shared_data: Path, tmp_path: Path) -> None:
    """Pay beside headcount for an organisation; OEWS cells, employer links and area
    comparisons from the real pay files."""
    from typer.testing import CliRunner

    from talentatlas.api import Atlas
    from talentatlas.cli import app
    from talentatlas.pay.currency import Rates

    env = {
        "TALENTATLAS_DATA_DIR": str(shared_data),
        "TALENTATLAS_WAREHOUSE": str(real_build.warehouse),
    }
    runner = CliRunner()

    def run(*args: str) -> str:
        r = runner.invoke(app, list(args), env=env)
        assert r.exit_code == 0, (args, r.output[-3000:])
        return r.stdout

    out = run("org", "Google", "--pay")
    assert "headcount by year" in out and "pay (LCA filings" in out
    assert "software-engineer" in out and "without bonus or equity" in out
    rows = json.loads(run("org", "Google", "--pay", "-f", "json"))
    sw = next(r for r in rows if r["family"] == "software-engineer")
    assert sw["records"] >= 150 and 100_000 <= sw["median"] <= 160_000
    cell = json.loads(run("pay", "--occupation", "15-1221", "--area", "San Jose", "-f", "json"))
    assert [cell[0][k] for k in ("employment", "p10", "median", "p90")] == [2210, 133270, 218420,
                                                                           310190]  # fmt: skip
    cmp = json.loads(run("pay", "compare", "--family", "research-scientist", "--areas",
                         "San Francisco", "Seattle", "New York", "--currency", "KRW", "-f", "json"))  # fmt: skip
    assert len(cmp) == 6 and [r["source"] for r in cmp[:2]] == ["bls_oews", "dol_lca"]
    krw = Rates().convert(1, "USD", "KRW", 2025)
    sea = next(r for r in cmp if r["source"] == "bls_oews" and r["area"].startswith("Seattle"))
    assert sea["median"] == pytest.approx(211270 * krw, rel=1e-6)
    top = json.loads(run("pay", "--family", "software-engineer", "--by", "employer", "--top", "3",
                         "--source", "lca", "-f", "json"))  # fmt: skip
    assert top[0]["employer"] == "Microsoft (United States)" and top[0]["records"] >= 300
    run("pay", "compare", "--family", "software-engineer", "--areas", "San Jose", "Seattle",
        "--plot", str(tmp_path / "compare.html"))  # fmt: skip
    assert b"<html" in (tmp_path / "compare.html").read_bytes()[:200]
    with Atlas.open(real_build.warehouse) as atlas:
        emp = {r["employer"]: r for r in atlas.table("pay_employers").to_pyarrow().to_pylist()}
        assert emp["GOOGLE LLC" if "GOOGLE LLC" in emp else "Google Llc"]["institution"] == (
            "Google (United States)"
        )
        assert emp["Amazon.com Services Llc"]["institution"] == "Amazon (United States)"
        assert emp["Facebook, Inc."]["institution_id"] == "local:meta"
        assert emp["Fair Isaac Corporation"]["institution_id"] is None
        files = atlas.table("files").to_pyarrow().to_pylist()
        pay_files = {f["file"] for f in files if f["source"] in ("bls_oews", "dol_oflc", "dol_lca")}
        assert len(pay_files) == 4 and all(f["problems"] == "" for f in files
                                           if f["file"] in pay_files)  # fmt: skip
        n = atlas.table("pay_prevailing_wages").count().to_pyarrow().as_py()
        assert n == 2_736_684
