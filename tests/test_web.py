"""The REST API, served by a real uvicorn server on 127.0.0.1 over a warehouse built from
a simulated world (planted truth): the same answers as the Python API, in JSON and CSV,
a page at a time; clear 4xx errors; ETags per build and a rebuild picked up; and a
schemathesis run against the API's own OpenAPI schema with no server error."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import httpx
import pyarrow.csv as pacsv
import pycountry
import pytest

from talentatlas.api import Atlas
from talentatlas.web.server import serving


def _same(a: object, b: object) -> bool:
    """Equal, with NaN equal to null (JSON has no NaN)."""
    if isinstance(a, float) and math.isnan(a):
        a = None
    if isinstance(b, float) and math.isnan(b):
        b = None
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def _rows_equal(got: list[dict], want: list[dict]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.keys() == w.keys()
        assert all(_same(g[k], w[k]) for k in g), (g, w)


@pytest.fixture(scope="module")
def api(sim_build, tmp_path_factory: pytest.TempPathFactory):
    """The server over a copy of the simulated world's warehouse (tests replace it)."""
    world, atlas, s = sim_build
    wh = tmp_path_factory.mktemp("web") / "atlas.duckdb"
    shutil.copy(s.warehouse, wh)
    with serving(wh) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield world, atlas, client, wh


def _busiest_country(atlas: Atlas) -> str:
    t = atlas.stock(by="country").to_pylist()
    return Counter({r["country"]: r["stock"] for r in t}).most_common(1)[0][0]


def test_tables_equal_the_python_api_in_json_and_csv(api):
    _world, atlas, client, _wh = api
    country = _busiest_country(atlas)
    want = atlas.migration(country).to_pylist()
    r = client.get("/api/migration", params={"country": country})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["total"] == len(want) > 0
    _rows_equal(body["rows"], want)
    assert body["meta"]["coverage"]["authorships"] > 0  # the table's coverage travels along
    csv = client.get("/api/migration", params={"country": country, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    _rows_equal(pacsv.read_csv(io.BytesIO(csv.content)).to_pylist(), body["rows"])
    # world shares, flows and sectors too
    for path, rows in (
        ("/api/countries", atlas.world_share().to_pylist()),
        ("/api/flows", atlas.flows().to_pylist()),
        ("/api/sectors", atlas.sectors()["summary"].to_pylist()),
    ):
        _rows_equal(client.get(path, params={"limit": 1000}).json()["rows"], rows[:1000])


def test_pages_add_up_to_the_whole_table(api):
    _world, atlas, client, _wh = api
    whole = client.get("/api/flows", params={"limit": 1000}).json()
    assert whole["total"] == atlas.flows().num_rows > 7
    pages, offset = [], 0
    while offset < whole["total"]:
        page = client.get("/api/flows", params={"limit": 7, "offset": offset}).json()
        assert page["total"] == whole["total"] and len(page["rows"]) <= 7
        pages.extend(page["rows"])
        offset += 7
    assert pages == whole["rows"]
    past = client.get("/api/flows", params={"offset": whole["total"] + 5}).json()
    assert past["rows"] == [] and past["total"] == whole["total"]


def test_filters_reach_the_indicators(api):
    _world, atlas, client, _wh = api
    from talentatlas.indicators.frame import Filters

    year = atlas.years[1] - 3
    f = Filters(year_min=year - 4, year_max=year, basis="headquarters", sector="academia")
    want = atlas.migration(filters=f).to_pylist()
    got = client.get(
        "/api/migration",
        params={"year_min": year - 4, "year_max": year, "basis": "headquarters",
                "sector": "academia", "limit": 1000},
    ).json()  # fmt: skip
    _rows_equal(got["rows"], want[:1000])
    assert "headquarters" in got["meta"]["filters"] and "academia" in got["meta"]["filters"]


def test_people_search_finds_a_planted_person_and_opens_the_profile(api):
    world, atlas, client, _wh = api
    person = max(world.people, key=lambda p: p.last_year - p.first_year)
    found = client.get("/api/people", params={"q": person.name, "limit": 5}).json()
    ids = [r["person_id"] for r in found["rows"]]
    pid = "or:" + person.openreview_id
    assert pid in ids
    profile = client.get(f"/api/people/{pid}")
    assert profile.status_code == 200
    p = profile.json()
    want = atlas.profile(pid)
    assert p["summary"]["person_id"] == pid and p["summary"]["name"] == person.name
    assert len(p["works"]) == want["works"].num_rows > 0
    assert [r["year"] for r in p["timeline"]] == want["timeline"]["year"].to_pylist()


def test_organisation_pages_equal_the_python_api(api):
    world, atlas, client, _wh = api
    name = world.institutions[0].name
    hits = client.get("/api/organisations", params={"q": name}).json()["rows"]
    assert hits and hits[0]["name"] == name
    oid = hits[0]["institution_id"]
    _rows_equal(
        client.get(f"/api/organisations/{oid}/headcount").json()["rows"],
        atlas.headcount(oid).to_pylist(),
    )
    _rows_equal(
        client.get(f"/api/organisations/{oid}/flows").json()["rows"],
        atlas.org_flows(oid).to_pylist(),
    )
    _rows_equal(
        client.get(f"/api/organisations/{oid}/retention").json()["rows"],
        atlas.retention(oid).to_pylist(),
    )


def test_a_countrys_sectors_and_the_charts_equal_the_python_api(api):
    world, atlas, client, _wh = api
    country = _busiest_country(atlas)
    for path, key in (("/api/sectors", "summary"), ("/api/sectors/flows", "flows")):
        got = client.get(path, params={"country": country}).json()["rows"]
        _rows_equal(got, atlas.sectors(country=country)[key].to_pylist())
    assert client.get("/api/sectors", params={"country": "Narnia"}).status_code == 400
    chart = client.get("/api/charts/sectors", params={"country": country}).json()
    assert [len(t["x"]) for t in chart["data"] if t.get("mode") == "lines"]
    oid = world.institutions[0].ror_id
    out = client.get(f"/api/charts/organisation/{oid}/output").json()
    works = {r["year"]: r["works"] for r in atlas.headcount(oid).to_pylist()}
    line = next(t for t in out["data"] if t.get("mode", "").startswith("lines"))
    assert dict(zip(line["x"], line["y"], strict=True)) == works
    cov = client.get("/api/charts/coverage").json()
    assert len([t for t in cov["data"] if t.get("mode", "").startswith("lines")]) == 4


def test_a_persons_career_map_is_the_planted_career(api):
    """The map colours the countries of the planted career in the order reached and
    draws one stop per country spell."""
    world, _atlas, client, _wh = api
    cpad = world.expected("country").padded
    for person in sorted(world.people, key=lambda p: -(p.last_year - p.first_year))[:5]:
        years = sorted((y, v) for (q, y), v in cpad.items() if q == person.pid)
        stops = [v for i, (_y, v) in enumerate(years) if i == 0 or years[i - 1][1] != v]
        fig = client.get(f"/api/charts/person/or:{person.openreview_id}").json()
        visited = fig["data"][1]["locations"] if len(fig["data"]) > 1 else []
        want = [pycountry.countries.get(alpha_2=c).alpha_3 for c in dict.fromkeys(stops)]
        assert visited == want, person.pid
        if stops:
            assert len(fig["data"][2]["lon"]) == len(stops)
        # the map's table: the career year by year, as JSON and CSV
        pid = f"or:{person.openreview_id}"
        got = client.get(f"/api/people/{pid}/timeline").json()["rows"]
        _rows_equal(got, _atlas.timeline(pid).to_pylist())
        assert [r["country"] for r in got if r["country"]] == [v for _y, v in years]
        csv = client.get(f"/api/people/{pid}/timeline", params={"format": "csv"})
        assert len(pacsv.read_csv(io.BytesIO(csv.content))) == len(got)
    assert client.get("/api/people/or:~Nobody_Here1/timeline").status_code == 404
    assert client.get("/api/charts/person/or:~Nobody_Here1").status_code == 404


def test_the_methodology_page_is_the_documents_every_section(api):
    _world, _atlas, client, _wh = api
    doc = client.get("/api/methodology").json()
    text = (Path(__file__).parents[1] / "docs" / "methodology.md").read_text()
    headings = [ln.lstrip("#").strip().replace("`", "") for ln in text.splitlines()
                if ln.startswith("## ") or ln.startswith("### ")]  # fmt: skip
    assert [x["title"] for x in doc["sections"]] == headings
    assert all(f'id="{x["id"]}"' in doc["html"] for x in doc["sections"])
    assert "<script" not in doc["html"]


def test_a_build_is_warmed_before_anyone_asks(sim_build, tmp_path, monkeypatch):
    """On opening a build the server answers the dashboard's first questions itself:
    every one is kept when it is done, and equals the answer made on demand."""
    from talentatlas.web import warm
    from talentatlas.web.app import create_app
    from talentatlas.web.server import serving_app
    from talentatlas.web.service import key_of

    _world, atlas, s = sim_build
    wh_file = tmp_path / "atlas.duckdb"
    shutil.copy(s.warehouse, wh_file)
    monkeypatch.setattr(warm, "POLL", 0.1)
    paths = warm.warm_paths(atlas)
    assert any(p.startswith("/api/charts/country/") for p in paths)
    assert any(p.startswith("/api/organisations/") for p in paths)
    app = create_app(wh_file)
    with serving_app(app):
        wh = app.state.warehouse
        deadline = time.monotonic() + 300
        while not wh.warmed:
            assert time.monotonic() < deadline, "the build was not warmed"
            time.sleep(0.2)
        assert wh.warmed == len(paths)
        # kept: every answer (4xx are not kept: an organisation without entry cohorts
        # has no retention chart); the same as a server that was not warmed answers
        with serving(wh_file, warm=False) as cold, httpx.Client(base_url=cold, timeout=60) as fresh:  # fmt: skip
            status = Counter()
            for p in paths:
                want = fresh.get(p)
                status[want.status_code // 100] += 1
                path, _, query = p.partition("?")
                kept = wh.kept(key_of(path, query))
                assert (kept is not None) == (want.status_code == 200), p
                if kept is not None:
                    assert kept.body == want.content, p
            assert status[2] > 0.9 * len(paths) and status[5] == 0, status


@pytest.mark.parametrize(
    ("path", "params", "status", "says"),
    [
        ("/api/migration", {"country": "Narnia"}, 400, "unknown country"),
        ("/api/countries", {"year": 1850}, 422, "greater than or equal"),
        ("/api/countries", {"year": "soon"}, 422, "integer"),
        ("/api/countries", {"format": "xml"}, 422, "json"),
        ("/api/flows", {"limit": 0}, 422, "greater than or equal"),
        ("/api/migration", {"venue": "nosuchconf"}, 400, "venue"),
        ("/api/people", {"area": "astrology"}, 400, "unknown area"),
        ("/api/people/or:~Nobody_Here1", {}, 404, "no person"),
        ("/api/organisations/0nosuch00/headcount", {}, 404, "no organisation"),
        ("/api/moves", {}, 400, "institution or a country"),
        ("/api/nowhere", {}, 404, "Not Found"),
    ],
)
def test_bad_requests_get_clear_errors(api, path, params, status, says):
    _world, _atlas, client, _wh = api
    r = client.get(path, params=params)
    assert r.status_code == status
    assert says in r.text


def test_etag_per_build_and_a_rebuild_is_picked_up(api, tmp_path):
    _world, _atlas, client, wh = api
    first = client.get("/api/build")
    etag = first.headers["etag"]
    assert first.json()["build_id"] in etag
    assert client.get("/api/build", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/flows", headers={"If-None-Match": etag}).status_code == 304
    # a rebuild replaces the file by a rename; here, a copy whose build time differs
    new = tmp_path / "atlas.duckdb"
    shutil.copy(wh, new)
    con = duckdb.connect(str(new))
    con.execute("UPDATE build_info SET value = '2099-01-01T00:00:00Z' WHERE key = 'built_at'")
    con.close()
    new.replace(wh)
    second = client.get("/api/build", headers={"If-None-Match": etag})
    assert second.status_code == 200
    assert second.headers["etag"] != etag and second.json()["built_at"] == "2099-01-01T00:00:00Z"


def test_openapi_schema_lists_every_endpoint(api):
    _world, _atlas, client, _wh = api
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/countries", "/api/migration", "/api/flows", "/api/people",
              "/api/people/{person_id}", "/api/organisations/{institution_id}/headcount",
              "/api/rankings/{level}", "/api/pathways/{table}", "/api/graduates", "/api/pay",
              "/api/pay/compare", "/api/organisations/{institution_id}/pay"):  # fmt: skip
        assert p in paths, p


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(api, tmp_path):
    """Every operation, with values generated from the schema (boundaries, then random
    ones): never a 5xx."""
    _world, _atlas, client, _wh = api
    st = Path(sys.executable).with_name("schemathesis")
    out = subprocess.run(
        [str(st), "run", f"{client.base_url}/openapi.json", "--checks", "not_a_server_error",
         "--phases", "coverage,fuzzing", "-n", "8", "--seed", "1",
         "--request-timeout", "60", "--no-color"],
        capture_output=True, text=True, cwd=tmp_path, timeout=1200,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and "failed" not in out.stdout.split("SUMMARY")[-1]
