"""The command line, in-process, on a simulated world; and a minimal install in a virtual
environment of its own."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from talentatlas.cli import app
from talentatlas.sources.simulated import simulate

runner = CliRunner()


def test_build_status_stock_migration(tmp_path: Path, monkeypatch) -> None:
    world = simulate(seed=4, n_people=200)
    world.write(tmp_path / "data")
    monkeypatch.setenv("TALENTATLAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TALENTATLAS_WAREHOUSE", str(tmp_path / "wh" / "atlas.duckdb"))
    monkeypatch.setenv("TALENTATLAS_WORKERS", "1")
    r = runner.invoke(app, ["build"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["build"])
    assert "unchanged" in r.output
    r = runner.invoke(app, ["status"])
    assert r.exit_code == 0, r.output
    assert "Coverage" in r.output and "paperlists" in r.output
    r = runner.invoke(app, ["migration", "--country", "KR", "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    exp = world.expected("country").migration()
    assert {
        int(x["year"]): (int(x["inflow"]), int(x["outflow"]), int(x["stock"])) for x in rows
    } == {y: v for (c, y), v in exp.items() if c == "KR"}
    out = tmp_path / "stock.parquet"
    r = runner.invoke(
        app, ["stock", "--by", "sector", "--year", "2015", "-f", "parquet", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    t = pq.read_table(out).to_pylist()
    assert {x["sector"] for x in t} <= {"academia", "industry", "government"} and t
    r = runner.invoke(app, ["stock", "--by", "country", "--year", "2015", "-f", "json"])
    data = json.loads(r.stdout)
    assert sum(x["stock"] for x in data) == sum(
        1 for (_, y) in world.expected("country").padded if y == 2015
    )
    r = runner.invoke(app, ["summary"])
    assert r.exit_code == 0 and "Largest AI-researcher populations" in r.output

    # a person's timeline is the planted career, on matched institution ids
    padded = world.expected("institution").padded
    person = max(world.people, key=lambda p: sum(1 for (q, _y) in padded if q == p.pid))
    r = runner.invoke(app, ["person", f"or:{person.openreview_id}", "-f", "json"])
    assert r.exit_code == 0, r.output
    profile = json.loads(r.stdout)
    assert profile["summary"]["person_id"] == f"or:{person.openreview_id}"
    assert {x["year"]: x["institution_id"] for x in profile["timeline"]} == {
        y: v for (q, y), v in padded.items() if q == person.pid
    }
    r = runner.invoke(app, ["person", person.name])
    assert r.exit_code == 0 and person.name in r.output
    # --plot draws the career on a map (its countries: tests/test_web.py)
    html = tmp_path / "career.html"
    r = runner.invoke(app, ["person", f"or:{person.openreview_id}", "--plot", str(html)])
    assert r.exit_code == 0, r.output
    assert f"Career of {person.name}" in html.read_text()
    r = runner.invoke(app, ["person", "Nobody Atall"])
    assert r.exit_code == 1 and "no person named" in r.output

    # an organisation's headcount is the planted stock of that institution
    inst = world.institutions[0]
    r = runner.invoke(app, ["org", inst.name, "-f", "json"])
    assert r.exit_code == 0, r.output
    want: dict[int, int] = {}
    for (_q, y), v in padded.items():
        if v == inst.ror_id:
            want[y] = want.get(y, 0) + 1
    assert {x["year"]: x["headcount"] for x in json.loads(r.stdout)} == want
    r = runner.invoke(app, ["org", inst.ror_id])
    assert r.exit_code == 0 and inst.name in r.output
    r = runner.invoke(app, ["stock", "--by", "planet"])
    assert r.exit_code == 2 and "must be one of" in r.output
    r = runner.invoke(app, ["migration", "-f", "parquet"])
    assert r.exit_code == 2 and "needs --output" in r.output


def test_status_without_warehouse_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TALENTATLAS_WAREHOUSE", str(tmp_path / "none.duckdb"))
    r = runner.invoke(app, ["status"])
    assert r.exit_code == 2 and "talentatlas build" in r.output


@pytest.mark.slow
def test_minimal_install_imports_and_runs_without_test_extras(tmp_path: Path) -> None:
    """A plain install (no extras: no PySpark, pytest, hypothesis) in a virtual
    environment of its own imports, answers --help and builds a small world on DuckDB."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    root = Path(__file__).parents[1]
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(root)], capture_output=True, text=True
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    py = str(venv / "bin" / "python")
    probe = (
        "import importlib.util, talentatlas.api, talentatlas.cli, talentatlas.pipeline;"
        "assert importlib.util.find_spec('pyspark') is None;"
        "assert importlib.util.find_spec('pytest') is None"
    )
    r = subprocess.run([py, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(venv / "bin" / "talentatlas"), "--help"], capture_output=True,
                       text=True, cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0 and "migration" in r.stdout
    world = simulate(seed=3, n_people=60)
    world.write(tmp_path / "data")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "TALENTATLAS_DATA_DIR": str(tmp_path / "data"),
           "TALENTATLAS_WAREHOUSE": str(tmp_path / "wh" / "atlas.duckdb")}  # fmt: skip
    for args in (["build"], ["migration", "--country", "US", "-f", "csv"]):
        r = subprocess.run([str(venv / "bin" / "talentatlas"), *args], capture_output=True,
                           text=True, cwd=tmp_path, env=env)  # fmt: skip
        assert r.returncode == 0, (args, r.stderr[-2000:])
    assert r.stdout.startswith('"country","year","stock"')


def test_indicator_commands_on_planted_world(sim_build, tmp_path: Path) -> None:
    """flows, pathways, sectors and org --flows --retention print what the API computes,
    and the API's figures are the planted ones (tests/test_indicators.py)."""
    world, atlas, s = sim_build
    wh = ["--warehouse", str(s.warehouse)]

    r = runner.invoke(app, ["flows", "--country", "KR", "-f", "json", *wh])
    assert r.exit_code == 0, r.output
    got = {x["partner"]: (x["to_partner"], x["from_partner"]) for x in json.loads(r.stdout)}
    moves = world.expected("country").moves
    want: dict[str, list[int]] = {}
    for _p, _y, o, d in moves:
        if o == "KR":
            want.setdefault(d, [0, 0])[0] += 1
        elif d == "KR":
            want.setdefault(o, [0, 0])[1] += 1
    assert got == {k: tuple(v) for k, v in want.items()}
    assert "coverage of" in r.stderr

    venue = world.venues[1]
    r = runner.invoke(app, ["pathways", "--venue", venue, "--year", "2016", "-f", "csv", *wh])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    api = atlas.pathways(venue, 2016)["shares"].to_pylist()
    assert [(x["tier"], x["stage"], x["country"], int(x["persons"])) for x in rows] == [
        (x["tier"], x["stage"], x["country"], x["persons"]) for x in api
    ]
    r = runner.invoke(app, ["pathways", "--venue", venue, "--year", "2016", *wh])
    assert r.exit_code == 0 and "working outside their origin" in r.stdout

    r = runner.invoke(app, ["sectors", "-f", "json", *wh])
    assert r.exit_code == 0, r.output
    # the CLI adds the thin-coverage flag of each year (all years are complete here)
    got = json.loads(r.stdout)
    assert not any(x.pop("thin_coverage") for x in got)
    assert got == atlas.sectors()["summary"].to_pylist()
    r = runner.invoke(app, ["sectors", "--country", "Korea", "-f", "json", *wh])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert not any(x.pop("thin_coverage") for x in got)
    assert got == atlas.sectors(country="KR")["summary"].to_pylist()
    r = runner.invoke(app, ["sectors", "--country", "Narnia", *wh])
    assert r.exit_code == 2 and "unknown country" in r.output

    inst = world.institutions[0]
    r = runner.invoke(app, ["org", inst.ror_id, "--flows", "-f", "json", *wh])
    assert r.exit_code == 0, r.output
    want_flows = atlas.org_flows(inst.ror_id).to_pylist()
    assert json.loads(r.stdout) == want_flows and want_flows
    r = runner.invoke(app, ["org", inst.ror_id, "--retention", "-f", "json", *wh])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == atlas.retention(inst.ror_id).to_pylist()
    r = runner.invoke(app, ["org", inst.ror_id, "--retention", "--flows", *wh])
    assert r.exit_code == 0 and "retention" in r.stdout and "attrition" in r.stdout

    r = runner.invoke(app, ["migration", "--stage", "junior", *wh])
    assert r.exit_code == 2 and "stage must be one of" in r.output
    r = runner.invoke(app, ["validate", "--data-dir", str(tmp_path), *wh])
    assert r.exit_code == 2 and "mpidr" in r.output.lower()


def test_map_pools_moves_and_stocks_over_years(sim_build) -> None:
    from talentatlas.indicators.countries import MIN_STOCK, pooled_rates

    world, atlas, _ = sim_build
    exp = world.expected("country").migration()
    got = {r["country"]: r for r in pooled_rates(atlas.migration(), 2014, 2016).to_pylist()}
    for c in {c for c, _ in exp}:
        rows = [exp.get((c, y), (0, 0, 0)) for y in (2014, 2015, 2016)]
        stock = sum(r[2] for r in rows)
        if stock / 3 < MIN_STOCK:
            assert c not in got
            continue
        net = sum(r[0] - r[1] for r in rows)
        assert got[c]["net"] == net
        assert got[c]["net_rate"] == pytest.approx(net / stock * 1e4, abs=0.01)


def test_unknown_query_values_are_errors_that_say_what_exists(sim_build) -> None:
    _world, _atlas, s = sim_build
    env = {"TALENTATLAS_WAREHOUSE": str(s.warehouse)}
    for args, says in (
        (["migration", "--country", "XX"], "unknown country 'XX'"),
        (["migration", "--country", "Atlantis"], "unknown country"),
        (["flows", "--country", "BR"], "no researchers are placed in Brazil (BR)"),
        (["pathways", "--venue", "nips", "--year", "2015"], "unknown venue 'nips'"),
        (["pathways", "--venue", "icm", "--year", "2015"], "did you mean icml"),
        (["stock", "--year", "1850"], "no data for 1850: this warehouse covers 2010"),
        (["migration", "--since", "1900"], "no data for 1900"),
    ):
        r = runner.invoke(app, args, env=env)
        assert r.exit_code == 2, (args, r.output)
        assert says in r.output.replace("\n", " "), (args, r.output)
    # a country's name is accepted for its code
    by_name = runner.invoke(app, ["migration", "--country", "South Korea", "-f", "json"], env=env)
    by_code = runner.invoke(app, ["migration", "--country", "kr", "-f", "json"], env=env)
    assert by_name.exit_code == 0 and json.loads(by_name.stdout) == json.loads(by_code.stdout)


def test_institution_stock_names_and_thin_years_marked(sim_build) -> None:
    _world, atlas, s = sim_build
    env = {"TALENTATLAS_WAREHOUSE": str(s.warehouse)}
    r = runner.invoke(app, ["stock", "--by", "institution", "--year", "2015", "-f", "json"],
                      env=env)  # fmt: skip
    rows = json.loads(r.stdout)
    names = {
        i["institution_id"]: i["name"] for i in atlas.table("institutions").to_pyarrow().to_pylist()
    }
    assert rows and all(x["name"] == names[x["institution"]] for x in rows)


def test_thin_years_are_flagged_against_the_series_median() -> None:
    import pyarrow as pa

    from talentatlas.indicators.result import mark_thin, thin_note

    cov = [0.83, 0.81, 0.71, 0.67, 0.40, 0.66, 0.46, 0.65, 0.36, 0.12]  # median 0.655
    flagged = mark_thin(pa.table({"year": list(range(2016, 2026)), "coverage": cov}))
    assert [c < 0.75 * 0.655 for c in cov] == flagged["thin_coverage"].to_pylist()
    assert "2020, 2022, 2024, 2025" in thin_note(flagged)
    assert mark_thin(pa.table({"year": [2020], "stock": [3]})).column_names == ["year", "stock"]


def test_run_fetches_builds_and_summarises_from_a_mirror(tmp_path: Path) -> None:
    """`talentatlas run` (the README's first command) and `fetch`, on a planted world laid
    out as a mirror."""
    world = simulate(seed=6, n_people=120)
    world.write(tmp_path / "mirror")
    env = {
        "TALENTATLAS_MIRROR": str(tmp_path / "mirror"),
        "TALENTATLAS_DATA_DIR": str(tmp_path / "data"),
        "TALENTATLAS_WAREHOUSE": str(tmp_path / "wh" / "atlas.duckdb"),
        "TALENTATLAS_WORKERS": "1",
    }
    r = runner.invoke(app, ["run"], env=env)
    assert r.exit_code == 0, r.output
    assert "Largest AI-researcher populations" in r.output
    n_files = len(list((tmp_path / "mirror").rglob("*.json*")))
    assert len(list((tmp_path / "data").rglob("*.json*"))) == n_files
    r = runner.invoke(app, ["fetch"], env=env)
    assert r.exit_code == 0 and f"0 files fetched, {n_files} already present" in r.output


def _json_rows(warehouse: Path, *args: str) -> list[dict]:
    """A command's JSON rows, without the CLI's thin-coverage flag (tested elsewhere)."""
    r = runner.invoke(app, [*args, "-f", "json", "--warehouse", str(warehouse)])
    assert r.exit_code == 0, (args, r.output)
    rows = json.loads(r.stdout)
    for x in rows:
        x.pop("thin_coverage", None)
    return rows


def test_filters_and_options_the_readme_shows(sim_build) -> None:
    """--since/--until, --area, the career stages, flows --by-year, pathways --country and
    org --versus print what the library computes under the same filters."""
    from talentatlas.indicators.frame import Filters

    world, atlas, s = sim_build
    wh = ["--warehouse", str(s.warehouse)]

    def js(*args: str) -> list[dict]:
        return _json_rows(s.warehouse, *args)

    rows = js("migration", "--country", "US", "--since", "2013", "--until", "2016")
    assert {x["year"] for x in rows} <= set(range(2013, 2017)) and rows
    exp = world.expected("country").migration()
    for x in rows:  # the years inside the window keep their planted counts
        assert (x["inflow"], x["outflow"], x["stock"]) == exp[("US", x["year"])]
    area = js("migration", "--area", "CV", "--country", "US")
    assert area == atlas.migration("US", filters=Filters(areas=("CV",))).to_pylist()
    assert area != atlas.migration("US").to_pylist()
    for stage in ("early", "mid", "senior"):
        got = js("migration", "--country", "US", "--stage", stage)
        assert got == atlas.migration("US", filters=Filters(stage=stage)).to_pylist()
    stocks = [sum(x["stock"] for x in js("migration", "--country", "US", "--stage", st))
              for st in ("early", "mid", "senior")]  # fmt: skip
    assert sum(stocks) == sum(x["stock"] for x in js("migration", "--country", "US"))
    by_year = js("flows", "--country", "KR", "--by-year")
    assert sum(x["moves"] for x in by_year) == sum(
        1 for _p, _y, o, d in world.expected("country").moves if "KR" in (o, d)
    )
    venue = world.venues[0]
    mix = runner.invoke(
        app, ["pathways", "--venue", venue, "--year", "2016", "--country", "US", *wh]
    )
    assert mix.exit_code == 0 and "origin of authors working in US" in mix.stdout
    # org --versus: the pair balance of two stand-alone institutions that people moved
    # between, against the planted moves
    alone = {i.ror_id for k, i in enumerate(world.institutions)
             if i.parent is None and all(j.parent != k for j in world.institutions)}  # fmt: skip
    pairs = Counter(
        (o, d) for _p, _y, o, d in world.expected("institution").moves if {o, d} <= alone
    )
    # the most lopsided pair, so that a balance read the wrong way round shows
    (a, b), _n = max(pairs.items(), key=lambda kv: (kv[1] - pairs[kv[0][::-1]], kv[0]))
    assert pairs[(a, b)] > pairs[(b, a)]
    bal = js("org", a, "--versus", b)
    assert sum(x["to_other"] for x in bal) == pairs[(a, b)]
    assert sum(x["from_other"] for x in bal) == pairs[(b, a)] and pairs[(a, b)] + pairs[(b, a)]


def test_the_remaining_options_the_readme_shows(sim_build, tmp_path: Path) -> None:
    """--basis headquarters, --level/--reps/--seed, sectors --early-years/--flows,
    org --own-only and build --keep-scratch, each against the library or the planted
    world."""

    world, atlas, s = sim_build
    wh = ["--warehouse", str(s.warehouse)]

    def js(*args: str) -> list[dict]:
        return _json_rows(s.warehouse, *args)

    hq = js("migration", "--basis", "headquarters")
    exp = world.expected("hq_country").migration()
    assert {(x["country"], x["year"]): (x["inflow"], x["outflow"], x["stock"]) for x in hq} == exp
    narrow = js("migration", "--country", "US", "--level", "0.5", "--reps", "50", "--seed", "3")
    assert narrow == atlas.migration("US", level=0.5, reps=50, seed=3).to_pylist()
    wide = js("migration", "--country", "US", "--level", "0.99", "--reps", "50", "--seed", "3")
    for a, b in zip(narrow, wide, strict=True):
        if a["net_rate_lo"] is not None:
            assert b["net_rate_lo"] <= a["net_rate_lo"] <= a["net_rate_hi"] <= b["net_rate_hi"]
    early = js("sectors", "--early-years", "1")
    assert early == atlas.sectors(early_years=1)["summary"].to_pylist()
    assert early != js("sectors", "--early-years", "5")
    r = runner.invoke(app, ["sectors", "--flows", *wh])
    assert r.exit_code == 0 and "academia" in r.stdout and "industry" in r.stdout
    top = next(k for k, i in enumerate(world.institutions)
               if any(j.parent == k for j in world.institutions))  # fmt: skip
    rid = world.institutions[top].ror_id
    own = js("org", rid, "--own-only")
    assert (
        own == atlas.headcount(rid, roll_up=False).to_pylist() != atlas.headcount(rid).to_pylist()
    )
    # --keep-scratch keeps the linker's working tables, which a build normally drops
    env = {"TALENTATLAS_DATA_DIR": str(s.data_dir), "TALENTATLAS_WORKERS": "1",
           "TALENTATLAS_WAREHOUSE": str(tmp_path / "kept" / "atlas.duckdb")}  # fmt: skip
    r = runner.invoke(app, ["build", "--keep-scratch"], env=env)
    assert r.exit_code == 0, r.output
    from talentatlas.api import Atlas

    with Atlas.open(tmp_path / "kept" / "atlas.duckdb") as kept:
        extra = set(kept.tables()) - set(atlas.tables())
    assert "people_mentions" in extra and "people_scored" in extra
