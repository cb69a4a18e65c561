"""Pay over HTTP and in the dashboard: a real uvicorn server over a warehouse built from
a simulated world with planted pay files (``test_pay_build.write_pay_files``): the same
answers as the Python API with the planted figures, JSON and CSV, each answer naming
its kind of figure; clear 4xx errors; and the pay page and an organisation's pay in a
real headless Chromium, asking only what the server warms."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import httpx
import pyarrow.csv as pacsv
import pytest

from talentatlas.api import Atlas
from talentatlas.pay.views import KINDS, PayQuery
from talentatlas.web.server import serving
from test_pay_build import build_pay_world

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def pay_site(tmp_path_factory: pytest.TempPathFactory):
    s = build_pay_world(tmp_path_factory.mktemp("paysite"))
    with (
        Atlas.open(s.warehouse) as atlas,
        serving(s.warehouse) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        yield atlas, base, client


def test_pay_answers_equal_the_python_api_with_the_planted_figures(pay_site) -> None:
    atlas, _base, client = pay_site
    r = client.get("/api/pay", params={"family": "research-scientist"})
    assert r.status_code == 200
    body = r.json()
    want = atlas.pay_summary(PayQuery(family="research-scientist")).to_pylist()
    assert body["rows"] == want
    row = body["rows"][0]
    assert (row["records"], row["p10"], row["median"], row["p90"]) == (5, 104000, 120000, 136000)
    assert body["meta"]["kind"] == KINDS["dol_lca"] and body["meta"]["currency"] == "USD"
    assert "family research-scientist" in body["meta"]["filters"]
    csv = client.get("/api/pay", params={"family": "research-scientist", "format": "csv"})
    assert pacsv.read_csv(io.BytesIO(csv.content)).to_pylist() == want
    # grouped, another currency, the offers
    by = client.get("/api/pay", params={"by": "employer"}).json()["rows"]
    assert [(x["employer"], x["records"]) for x in by] == [
        ("Meta (United States)", 5), ("IBM (United States)", 2), ("fair isaac", 1)
    ]  # fmt: skip
    krw = client.get("/api/pay", params={"family": "research-scientist", "currency": "KRW"})
    assert (
        krw.json()["rows"][0]["median"]
        == atlas.pay_summary(PayQuery(family="research-scientist"), currency="KRW")["median"][
            0
        ].as_py()
        > 120000 * 1000
    )
    assert krw.json()["meta"]["currency"] == "KRW"
    off = client.get("/api/pay", params={"source": "offers", "by": "employer"}).json()
    assert off["meta"]["kind"] == KINDS["offers"]
    assert {x["employer"]: x["median"] for x in off["rows"]}["Meta (United States)"] == 300000
    # an employer by name and an institution by id (with its labs) find the same filings
    named = client.get("/api/pay", params={"employer": "Meta"}).json()["rows"]
    by_id = client.get("/api/pay", params={"institution": "local:meta"}).json()
    assert named == by_id["rows"] and named[0]["records"] == 5
    assert "Meta (United States)" in by_id["meta"]["filters"]


def test_occupations_levels_compare_and_an_organisations_pay(pay_site) -> None:
    atlas, _base, client = pay_site
    sj = client.get("/api/pay/occupations", params={"occupation": "15-1221", "area": "San Jose"})
    row = sj.json()["rows"][0]
    assert (row["employment"], row["median"], row["p90"]) == (15000, 150000, 190000)
    assert sj.json()["meta"]["kind"] == KINDS["bls_oews"]
    lv = client.get("/api/pay/levels", params={"occupation": "15-1221", "area": "Santa Clara, CA"})
    assert (lv.json()["rows"][0]["level_1"], lv.json()["rows"][0]["level_4"]) == (104000, 166400)
    assert lv.json()["meta"]["kind"] == KINDS["dol_oflc"]
    params = {"family": "research-scientist", "area": ["San Jose", "CA"]}
    cmp = client.get("/api/pay/compare", params=params).json()["rows"]
    assert cmp == atlas.pay_compare("research-scientist", ["San Jose", "CA"]).to_pylist()
    assert [(x["source"], x["count"]) for x in cmp] == [
        ("bls_oews", 15000), ("dol_lca", 0), ("bls_oews", 12000), ("dol_lca", 5)
    ]  # fmt: skip
    org = client.get("/api/organisations/local:meta/pay").json()["rows"]
    assert [(x["family"], x["records"], x["median"]) for x in org] == [
        ("research-scientist", 5, 120000)
    ]
    fig = client.get("/api/charts/pay", params={"institution": "local:meta"}).json()
    assert "Meta (United States)" in fig["layout"]["title"]["text"]
    assert any(t.get("text") == ["120,000"] for t in fig["data"])  # the median's label
    fig = client.get("/api/charts/pay/compare", params=params).json()
    assert {t["name"] for t in fig["data"] if t.get("showlegend")} == {"bls_oews", "dol_lca"}


@pytest.mark.parametrize(
    ("path", "params", "status", "says"),
    [
        ("/api/pay", {"family": "astronaut"}, 400, "families: research-scientist"),
        ("/api/pay", {"currency": "XYZ"}, 400, "unknown currency 'XYZ'"),
        ("/api/pay", {"currency": "PPP$"}, 400, "PPP table"),
        ("/api/pay", {"by": "planet"}, 422, "employer"),
        ("/api/pay", {"area": "Atlantis"}, 400, "no OEWS area matches 'Atlantis'"),
        ("/api/pay", {"institution": "nowhere"}, 404, "no organisation 'nowhere'"),
        ("/api/organisations/nowhere/pay", {}, 404, "no organisation 'nowhere'"),
        ("/api/pay/levels", {"occupation": "15-1221", "area": "Santa Clara"}, 400, "County, ST"),
        ("/api/pay/compare", {"family": "research-scientist"}, 422, "area"),
        ("/api/charts/pay", {"institution": "local:ibm", "family": "research-scientist"}, 400,
         "no LCA filings with an amount match"),
        ("/api/pay", {"area": " . "}, 400, "no OEWS area in"),
        ("/api/pay/compare", {"family": "software-engineer", "area": " "}, 400, "no OEWS area"),
        ("/api/pay", {"employer": "*"}, 400, "no employer name in '*'"),
        ("/api/pay", {"employer": "IBM", "institution": "local:meta"}, 400, "not both"),
    ],
)  # fmt: skip
def test_bad_pay_questions_get_clear_errors(pay_site, path, params, status, says) -> None:
    _atlas, _base, client = pay_site
    r = client.get(path, params=params)
    assert r.status_code == status and says in r.text, r.text


def test_a_warehouse_with_filings_but_no_oews_answers_the_nation(pay_site, tmp_path) -> None:
    """Pay records without an OEWS release: the nation still holds every worksite."""
    import duckdb

    atlas, _base, _client = pay_site
    wh = tmp_path / "w" / "atlas.duckdb"
    wh.parent.mkdir()
    shutil.copy(atlas.path, wh)
    with duckdb.connect(str(wh)) as con:
        con.execute("DELETE FROM pay_occupation_wages")
    with serving(wh, warm=False) as base, httpx.Client(base_url=base, timeout=60) as client:
        r = client.get("/api/pay", params={"area": "national"})
        assert r.status_code == 200 and r.json()["rows"][0]["records"] == 8
        cmp = client.get("/api/pay/compare", params={"family": "software-engineer", "area": "us"})
        assert [x["source"] for x in cmp.json()["rows"]] == ["dol_lca"]
        occ = client.get("/api/pay/occupations", params={"occupation": "15-1221", "area": "US"})
        assert occ.status_code == 200 and occ.json()["rows"] == []
        assert client.get("/api/pay", params={"area": "CA"}).status_code == 400


def test_a_warehouse_without_pay_says_so(sim_build) -> None:
    _world, _atlas, s = sim_build
    with serving(s.warehouse) as base, httpx.Client(base_url=base, timeout=60) as client:
        assert client.get("/api/build").json()["pay"] is False
        r = client.get("/api/pay")
        assert r.status_code == 404 and "no pay records" in r.text


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")
def test_the_pay_page_and_an_organisations_pay_in_chromium(pay_site, tmp_path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    from talentatlas.web.service import key_of
    from talentatlas.web.warm import organisation_paths, pay_paths, warm_paths

    _atlas, base, client = pay_site
    assert client.get("/api/build").json()["pay"] is True
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/pay?family=software-engineer&area=San%20Jose&area=national")
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        assert errors == [] and page.locator(".error").count() == 0
        assert page.locator("#compare-chart[data-rendered='1'] .main-svg").count() >= 1
        assert page.locator("#employers-chart[data-rendered='1'] .main-svg").count() >= 1
        cmp = page.locator("#compare tbody tr").all_inner_texts()
        assert len(cmp) == 2 and all("160,000" in r for r in cmp)  # IBM's two filings
        assert "offered base wage" in page.locator("#employers .kind").inner_text()
        # another role from the form: the URL keeps the question
        page.select_option("#family", "research-scientist")
        page.fill("#areas", "CA")
        page.click("form#f button")
        page.wait_for_url("**/pay?family=research-scientist*")
        page.wait_for_selector("body[data-ready='1']")
        assert "120,000" in page.locator("#compare tbody").inner_text()
        page.screenshot(path=str(tmp_path / "pay.png"), full_page=True)
        page.close()
        # the pay page as first opened asks only what the server warms
        asked: list[str] = []
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: asked.append(r.url) if "/api/" in r.url else None)
        page.goto(f"{base}/pay")
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        warmed = {key_of(*x.partition("?")[::2]) for x in pay_paths()}
        assert len(asked) > len(warmed)
        for url in asked:
            rest = url.removeprefix(base)
            if rest != "/api/build":
                assert key_of(*rest.partition("?")[::2]) in warmed, rest
        page.close()
        # an organisation's page: pay beside headcount, asking only what is warmed
        asked = []
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: asked.append(r.url) if "/api/" in r.url else None)
        page.goto(f"{base}/organisation/local:meta")
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        assert page.locator("#pay-chart[data-rendered='1'] .main-svg").count() >= 1
        row = page.locator("#pay tbody tr").inner_text()
        assert "research-scientist" in row and "120,000" in row
        # (and the server's list holds the pay page and organisations' pay answers)
        every = warm_paths(_atlas)
        assert set(pay_paths()) <= set(every)
        assert any(p.startswith("/api/organisations/") and p.endswith("/pay") for p in every)
        warmed = {key_of(*x.partition("?")[::2]) for x in organisation_paths("local:meta", True)}
        for url in asked:
            rest = url.removeprefix(base)
            if rest != "/api/build":
                assert key_of(*rest.partition("?")[::2]) in warmed, rest
        page.close()
        browser.close()


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_in_the_pay_endpoints(pay_site, tmp_path) -> None:
    """The pay operations, over a warehouse with pay records, with values generated from
    the schema: never a 5xx."""
    import subprocess
    import sys

    _atlas, base, _client = pay_site
    st = Path(sys.executable).with_name("schemathesis")
    out = subprocess.run(
        [str(st), "run", f"{base}/openapi.json", "--include-path-regex", "pay",
         "--checks", "not_a_server_error", "--phases", "coverage,fuzzing", "-n", "20",
         "--seed", "1", "--request-timeout", "60", "--no-color"],
        capture_output=True, text=True, cwd=tmp_path, timeout=1200,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and "failed" not in out.stdout.split("SUMMARY")[-1]
    assert "Selected: 7/" in out.stdout, out.stdout[-2000:]  # the seven pay operations
