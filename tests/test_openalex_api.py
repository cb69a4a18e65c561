"""The OpenAlex API client against a local server on 127.0.0.1 that emulates ``/works``
with real OpenAlex records (``../shared/data/openalex/api_pages`` and the works of 2024
conferences), and ``/authors|institutions|sources`` with real and simulated entities:
cursor paging,
429 with Retry-After, a 5xx, a connection dropped mid-page, an unreadable page; a fetch
killed midway and resumed ends with the same files and tables as one that was not."""

from __future__ import annotations

import base64
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import QuietHandler, make_settings, serving
from talentatlas.cli import app
from talentatlas.pipeline import build
from talentatlas.sources.openalex_api import (
    OpenAlexClient,
    WorksQuery,
    fetch_works,
    list_calls,
    load_state,
)

pytestmark = pytest.mark.realdata

#: the emulator's page size (the client asks for 200; OpenAlex may send fewer)
PAGE = 40
QUERY = WorksQuery(subfields=("1702", "1707"), years=(2015, 2025))


class WorksApi(QuietHandler):
    """``GET /works``: the records, ``PAGE`` at a time, behind an opaque cursor. The
    first request for a page given in ``faults`` is answered with that fault; a page in
    ``hang`` is never answered (the client waits until it is killed)."""

    records: list[dict]
    faults: dict[int, str]
    hang: set[int]
    log: list[tuple[int, str]]
    params: list[dict[str, list[str]]]

    def do_GET(self) -> None:
        url = urlparse(self.path)
        q = parse_qs(url.query)
        self.params.append(q)
        if url.path != "/works":
            self._send(404, b"{}")
            return
        n = len(self.records)
        if q.get("per-page") == ["1"]:
            self._json({"meta": {"count": n, "per_page": 1, "next_cursor": None}, "results": []})
            return
        cursor = q.get("cursor", ["*"])[0]
        start = 0 if cursor == "*" else int(base64.b64decode(cursor))
        page = start // PAGE + 1
        if page in self.hang:
            time.sleep(60)
            return
        fault = self.faults.pop(page, None)
        self.log.append((page, fault or "ok"))
        if self.answer_fault(fault):
            return
        if fault == "garbled":
            self._send(200, b'{"meta": {"count": 17')
            return
        end = min(start + PAGE, n)
        nxt = base64.b64encode(str(end).encode()).decode() if end < n else None
        body = json.dumps({"meta": {"count": n, "per_page": PAGE, "next_cursor": nxt},
                           "results": self.records[start:end]}).encode()  # fmt: skip
        if fault == "drop":
            self.drop(body, 3)
            return
        self._send(200, body)

    def _json(self, doc: dict) -> None:
        self._send(200, json.dumps(doc).encode())

    def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.reply(code, body, {"Content-Type": "application/json", **(headers or {})})


@contextmanager
def serve(records: list[dict], faults: dict[int, str] | None = None,
          hang: set[int] | None = None) -> Iterator[type[WorksApi]]:  # fmt: skip
    handler = type("Api", (WorksApi,), {"records": records, "faults": dict(faults or {}),
                                        "hang": set(hang or ()), "log": [], "params": []})  # fmt: skip
    with serving(handler) as base:
        handler.base = base  # type: ignore[attr-defined]
        yield handler


@pytest.fixture(scope="module")
def records(openalex_records: list[dict], openalex_2024_works: list[dict]) -> list[dict]:
    """Real OpenAlex works: the API pages' 176 and the 512 of 2024 conferences."""
    return openalex_records + openalex_2024_works


def _pages(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "openalex" / "snapshot" / "works"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.gz"))}


def test_query_filter_and_calls() -> None:
    assert QUERY.filter() == "primary_topic.subfield.id:1702|1707,publication_year:2015-2025"
    q = WorksQuery(sources=("https://openalex.org/S4306420609",), countries=("KR",))
    assert q.filter() == (
        "primary_location.source.id:S4306420609,authorships.institutions.country_code:KR"
    )
    assert list_calls(0) == 1 and list_calls(200) == 1 and list_calls(201) == 2
    with pytest.raises(ValueError, match="at least one filter"):
        WorksQuery().filter()


def test_fetch_pages_through_faults(tmp_path: Path, records: list[dict]) -> None:
    """Every fault is retried; every record arrives once, in order, with the filter,
    cursor, page size, selected fields and contact sent."""
    faults = {2: "429", 3: "503", 4: "drop", 5: "garbled"}
    with serve(records, faults) as api:
        client = OpenAlexClient(api.base, mailto="a@b.org", per_second=1000)  # type: ignore[attr-defined]
        assert client.count(QUERY) == len(records)
        state = fetch_works(client, QUERY, tmp_path)
    assert state.done and state.works == len(records) and state.pages == -(-len(records) // PAGE)
    assert api.faults == {} and {f for _, f in api.log} == {"ok", "429", "503", "drop", "garbled"}
    listed = [q for q in api.params if q.get("per-page") == ["200"]]
    assert all(q["filter"] == [QUERY.filter()] and q["mailto"] == ["a@b.org"] for q in listed)
    assert all("authorships" in q["select"][0] for q in listed)
    got = []
    for blob in _pages(tmp_path).values():  # lines end at "\n" only (not at U+2028)
        got += [json.loads(line) for line in gzip.decompress(blob).decode().split("\n") if line]
    assert [r["id"] for r in got] == [r["id"] for r in records]
    assert load_state(tmp_path, QUERY).done


def test_killed_fetch_resumes_to_the_same_tables(tmp_path: Path, records: list[dict]) -> None:
    """A fetch killed while it waits for page 3 keeps pages 1-2 and its cursor; run again
    it fetches the rest, and its files and built tables equal an uninterrupted fetch's."""
    whole = tmp_path / "whole"
    with serve(records) as api:
        fetch_works(OpenAlexClient(api.base, per_second=1000), QUERY, whole / "data")  # type: ignore[attr-defined]
    cut = tmp_path / "cut"
    code = (
        "import sys, datetime as dt\n"
        "from pathlib import Path\n"
        "from talentatlas.sources.openalex_api import OpenAlexClient, WorksQuery, fetch_works\n"
        "q = WorksQuery(subfields=('1702', '1707'), years=(2015, 2025))\n"
        "fetch_works(OpenAlexClient(sys.argv[1], per_second=1000), q, Path(sys.argv[2]))\n"
    )
    with serve(records, hang={3}) as api:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
        proc = subprocess.Popen([sys.executable, "-c", code, api.base, str(cut / "data")], env=env)  # type: ignore[attr-defined]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            st = load_state(cut / "data", QUERY)
            if st and st.pages == 2:
                break
            time.sleep(0.05)
        time.sleep(0.3)  # it is now waiting for page 3
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    st = load_state(cut / "data", QUERY)
    assert st is not None and st.pages == 2 and not st.done
    with serve(records) as api:
        final = fetch_works(OpenAlexClient(api.base, per_second=1000), QUERY, cut / "data")  # type: ignore[attr-defined]
        assert next(p for p, _ in api.log) == 3  # it went on from the saved cursor
    assert final.done and final.works == len(records)
    assert _pages(cut / "data") == _pages(whole / "data")
    tables = []
    for root in (whole, cut):
        s = make_settings(root)
        build(s)
        con = duckdb.connect(str(s.warehouse), read_only=True)
        tables.append({t: con.sql(f"select * exclude (file) from {t} order by all").fetchall()
                       for t in ("works", "authorships", "affiliations")})  # fmt: skip
        con.close()
    assert tables[0] == tables[1] and len(tables[0]["works"]) == len(records)


def test_cli_estimates_then_asks(tmp_path: Path, records: list[dict]) -> None:
    """`talentatlas fetch openalex` states the works and list calls, fetches nothing
    unless confirmed, and with --yes fetches everything; run again, it says so."""
    runner = CliRunner()
    with serve(records) as api:
        env = {"TALENTATLAS_DATA_DIR": str(tmp_path / "data"),
               "TALENTATLAS_OPENALEX_API": api.base}  # type: ignore[attr-defined]  # fmt: skip
        args = ["fetch", "openalex", "--field", "ai", "--years", "2015-2025"]
        r = runner.invoke(app, args, env=env, input="n\n")
        said = " ".join(r.output.split())
        assert r.exit_code == 1, said
        assert f"{len(records):,} OpenAlex works where {QUERY.filter()}" in said
        assert f"about {list_calls(len(records))} list call(s)" in said
        assert "nothing fetched" in said and not _pages(tmp_path / "data")
        r = runner.invoke(app, [*args, "--yes"], env=env)
        said = " ".join(r.output.split())
        assert r.exit_code == 0, said
        assert f"{len(records):,} works in {-(-len(records) // PAGE)} pages" in said
        r = runner.invoke(app, [*args, "--yes"], env=env)
        assert r.exit_code == 0 and "already complete" in r.output
        r = runner.invoke(app, ["fetch", "openalex", "--years", "twenty"], env=env)
        assert r.exit_code == 2 and "--years" in r.output


def _snapshot_server_dir(root: Path, parts: dict[str, list[dict]], layout: str) -> None:
    """A bucket laid out like OpenAlex's: parts and their manifest."""
    entries = []
    for rel, recs in parts.items():
        path = root / "data" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            gzip.compress("".join(json.dumps(r) + "\n" for r in recs).encode(), mtime=0)
        )
        entries.append({"url": f"s3://openalex/data/{rel}",
                        "meta": {"content_length": path.stat().st_size,
                                 "record_count": len(recs)}})  # fmt: skip
    name = "jsonl/manifest.json" if layout == "jsonl" else "works/manifest"
    (root / "data" / name).parent.mkdir(parents=True, exist_ok=True)
    (root / "data" / name).write_text(json.dumps({"entries": entries}))


@contextmanager
def serve_dir(root: Path) -> Iterator[str]:
    from functools import partial
    from http.server import SimpleHTTPRequestHandler

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    with serving(partial(Quiet, directory=str(root))) as base:
        yield f"{base}/data"


@pytest.mark.parametrize("layout", ["jsonl", "legacy"])
def test_snapshot_sync_copies_only_new_partitions(
    tmp_path: Path, records: list[dict], layout: str
) -> None:
    """`fetch openalex-snapshot` copies the works parts the manifest lists; run again it
    copies nothing; after a new partition it copies that one only, and the build reads
    the later version of a changed work."""
    from talentatlas.sources.openalex_sync import http_base, sync_snapshot

    assert http_base("s3://openalex/data") == "https://openalex.s3.amazonaws.com/data"
    pre = "jsonl/" if layout == "jsonl" else ""
    bucket = tmp_path / "bucket"
    first = {f"{pre}works/updated_date=2026-05-21/part_0000.gz": records[:100],
             f"{pre}works/updated_date=2026-05-21/part_0001.gz": records[100:]}  # fmt: skip
    _snapshot_server_dir(bucket, first, layout)
    data = tmp_path / "data"
    runner = CliRunner()
    env = {"TALENTATLAS_DATA_DIR": str(data)}
    with serve_dir(bucket) as base:
        r = runner.invoke(app, ["fetch", "openalex-snapshot", "--from", base], env=env)
        assert r.exit_code == 0, r.output
        assert "2 parts copied" in " ".join(r.output.split())
        again = sync_snapshot(base, data)
        assert again.fetched == [] and len(again.present) == 2
        changed = dict(records[0], title="Changed", updated_date="2026-06-01T00:00:00")
        _snapshot_server_dir(
            bucket, {**first, f"{pre}works/updated_date=2026-06-01/part_0000.gz": [changed]},
            layout,
        )  # fmt: skip
        third = sync_snapshot(base, data)
        assert third.fetched == [f"{pre}works/updated_date=2026-06-01/part_0000.gz"]
        assert sync_snapshot(base, data, since="2026-06-01").skipped == sorted(first)
    # a local copy of the bucket gives the same files
    local = sync_snapshot(str(bucket / "data"), tmp_path / "copy")
    assert len(local.fetched) == 3
    for rel in local.fetched:
        snap = Path("openalex") / "snapshot" / rel
        assert (tmp_path / "copy" / snap).read_bytes() == (data / snap).read_bytes()
    s = make_settings(tmp_path)
    build(s)
    con = duckdb.connect(str(s.warehouse), read_only=True)
    titles = dict(con.sql("select work_id, title from works").fetchall())
    con.close()
    assert len(titles) == len(records)
    assert titles["openalex:" + records[0]["id"].rsplit("/", 1)[-1]] == "Changed"


def test_parquet_snapshot_with_authors_syncs_and_builds(
    tmp_path: Path, records: list[dict], shared_data: Path
) -> None:
    """The snapshot's Parquet copy (``parquet/manifest.json``), works and authors, is
    copied and read like its JSON Lines; JSON Lines parts are not asked for."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    keep = ("id", "title", "publication_year", "authorships", "primary_location",
            "updated_date", "primary_topic")  # fmt: skip
    author = json.loads((shared_data / "openalex" / "fixtures" / "A5023888391.json").read_text())
    parts = {
        "parquet/works/updated_date=2026-06-01/part_0000.parquet": pa.Table.from_pylist(
            [{k: r.get(k) for k in keep} for r in records]),
        "parquet/authors/updated_date=2026-06-01/part_0000.parquet": pa.Table.from_pylist(
            [{k: author[k] for k in ("id", "display_name", "affiliations", "updated_date")}]),
    }  # fmt: skip
    bucket = tmp_path / "bucket" / "data"
    entries = []
    for rel, table in parts.items():
        (bucket / rel).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, bucket / rel)
        entries.append({"url": f"s3://openalex/data/{rel}",
                        "meta": {"content_length": (bucket / rel).stat().st_size}})  # fmt: skip
    entries.append({"url": "s3://openalex/data/parquet/sources/updated_date=2026-06-01/p.parquet"})
    (bucket / "parquet" / "manifest.json").write_text(json.dumps({"entries": entries}))
    data = tmp_path / "data"
    with serve_dir(tmp_path / "bucket") as base:
        args = ["fetch", "openalex-snapshot", "--from", base, "--format", "parquet",
                "--entity", "works", "--entity", "authors"]  # fmt: skip
        r = CliRunner().invoke(app, args, env={"TALENTATLAS_DATA_DIR": str(data)})
        assert r.exit_code == 0, r.output
        assert "2 parts copied" in " ".join(r.output.split())
        bad = CliRunner().invoke(app, [*args[:4], "--format", "orc"],
                                 env={"TALENTATLAS_DATA_DIR": str(data)})  # fmt: skip
        assert bad.exit_code == 2 and "--format" in bad.output
    s = make_settings(tmp_path)
    build(s)
    con = duckdb.connect(str(s.warehouse), read_only=True)
    n = con.sql("select count(*) from works where source = 'openalex'").fetchone()[0]
    files = con.sql("select file, records from files where source = 'openalex'").fetchall()
    con.close()
    assert n == len(records)
    assert sorted(files) == sorted(
        (f"openalex/snapshot/{rel}", t.num_rows) for rel, t in parts.items()
    )


def test_snapshot_sync_without_a_manifest_says_so(tmp_path: Path) -> None:
    (tmp_path / "bucket" / "data").mkdir(parents=True)
    with serve_dir(tmp_path / "bucket") as base:
        r = CliRunner().invoke(app, ["fetch", "openalex-snapshot", "--from", base],
                               env={"TALENTATLAS_DATA_DIR": str(tmp_path / "d")})  # fmt: skip
    assert r.exit_code == 1 and "no snapshot manifest" in " ".join(r.output.split())


class EntitiesApi(QuietHandler):
    """``GET /authors|institutions|sources?filter=openalex:X|Y``: the records of those
    ids (at most 100 values, as OpenAlex allows); the first call is answered 503."""

    records: dict[str, dict[str, dict]]
    calls: list[tuple[str, int]]
    failed_once: bool = False

    def do_GET(self) -> None:
        url = urlparse(self.path)
        entity = url.path.strip("/")
        flt = parse_qs(url.query).get("filter", [""])[0]
        if entity not in self.records or not flt.startswith("openalex:"):
            self.reply(404, b"{}")
            return
        if not type(self).failed_once:
            type(self).failed_once = True
            self.reply(503, b"busy")
            return
        ids = flt.removeprefix("openalex:").split("|")
        if len(ids) > 100:
            self.reply(400, b'{"error": "too many values"}')
            return
        self.calls.append((entity, len(ids)))
        found = [self.records[entity][i] for i in ids if i in self.records[entity]]
        body = {"meta": {"count": len(found)}, "results": found}
        self.reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def test_authors_institutions_and_sources_the_warehouse_knows_are_fetched_by_id(
    tmp_path: Path,
) -> None:
    """After a build from OpenAlex works, `fetch openalex-authors` gets the profiles of
    every author the warehouse knows (100 ids a call, through a 503), the next build
    sets them beside the careers, and `fetch openalex-institutions` then gets the
    institutions those profiles name; a second fetch asks for nothing again, and an
    interrupted fetch continues with the same pages."""
    from talentatlas.sources.openalex_api import fetch_entities
    from talentatlas.sources.simulated import simulate
    from talentatlas.sources.simulated_openalex import openalex_entities, write_world

    world = simulate(seed=5, n_people=250, noise=0.0)
    data = tmp_path / "data"
    write_world(world, data)
    entities = openalex_entities(world)
    records = {e: {r["id"].rsplit("/", 1)[-1]: r for r in rs} for e, rs in entities.items()}
    s = make_settings(tmp_path)
    build(s)
    handler = type("Api", (EntitiesApi,), {"records": records, "calls": []})
    with serving(handler) as base:
        env = {"TALENTATLAS_DATA_DIR": str(s.data_dir), "TALENTATLAS_WAREHOUSE": str(s.warehouse),
               "TALENTATLAS_OPENALEX_API": base, "TALENTATLAS_WORKERS": "1"}  # fmt: skip
        r = CliRunner().invoke(app, ["fetch", "openalex-authors", "--yes"], env=env)
        assert r.exit_code == 0, r.output
        n_auth = len(entities["authors"])
        assert f"{n_auth:,} OpenAlex authors in the warehouse" in r.output
        assert [c for _, c in handler.calls] == [100] * (n_auth // 100) + [n_auth % 100]
        again = CliRunner().invoke(app, ["fetch", "openalex-authors", "--yes"], env=env)
        assert again.exit_code == 0 and len(handler.calls) == -(-n_auth // 100)
        build(s)
        r = CliRunner().invoke(app, ["fetch", "openalex-institutions", "--yes"], env=env)
        assert r.exit_code == 0, r.output
        build(s)
        con = duckdb.connect(str(s.warehouse), read_only=True)
        n_rows = con.sql("select count(*) from author_affiliations").fetchone()[0]
        observed = con.sql("select bool_and(observed) from author_affiliations").fetchone()[0]
        n_inst = con.sql("select count(*) from openalex_institutions").fetchone()[0]
        con.close()
        assert n_rows == sum(
            len(a["years"]) for x in entities["authors"] for a in x["affiliations"]
        )
        assert observed
        named = {a["institution"]["id"] for x in entities["authors"] for a in x["affiliations"]}
        assert n_inst == len(named)

        # killed after its first page, then run again: the pages of one uninterrupted run
        ids = sorted(records["authors"])
        client = OpenAlexClient(base, per_second=1000)

        def stop(state: object) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            fetch_entities(client, "authors", ids, tmp_path / "a", on_page=stop)
        fetch_entities(client, "authors", ids, tmp_path / "a")
        fetch_entities(client, "authors", ids, tmp_path / "b")

    def files(root: Path) -> dict[str, bytes]:
        base_dir = root / "openalex" / "snapshot" / "authors"
        return {p.name: p.read_bytes() for p in sorted(base_dir.rglob("*.gz"))}

    assert files(tmp_path / "a") == files(tmp_path / "b") and len(files(tmp_path / "a")) == 3


def test_real_entities_are_fetched_by_id_and_read(tmp_path: Path, shared_data: Path) -> None:
    """The real OpenAlex author, institution and source records, served by id, land in
    the snapshot layout and reach their tables (an unknown id is simply absent)."""
    from talentatlas.sources.openalex_api import fetch_entities

    fixtures = shared_data / "openalex" / "fixtures"
    real = {e: json.loads((fixtures / f"{i}.json").read_text())
            for e, i in (("authors", "A5023888391"), ("institutions", "I27837315"),
                         ("sources", "S137773608"))}  # fmt: skip
    records = {e: {r["id"].rsplit("/", 1)[-1]: r} for e, r in real.items()}
    handler = type("Api", (EntitiesApi,), {"records": records, "calls": []})
    data = tmp_path / "data"
    with serving(handler) as base:
        client = OpenAlexClient(base, per_second=1000)
        for entity, rec in real.items():
            short = rec["id"].rsplit("/", 1)[-1]
            st = fetch_entities(client, entity, [f"openalex:{short}", "X999"], data)
            assert st.records == 1 and sorted(st.fetched) == sorted([short, "X999"])
    s = make_settings(tmp_path)
    build(s)
    con = duckdb.connect(str(s.warehouse), read_only=True)
    inst = con.sql(
        "select openalex_id, name, country, ror_id from openalex_institutions"
    ).fetchall()
    src = con.sql("select openalex_id, name, type, issn_l from openalex_sources").fetchall()
    files = con.sql("select records, quarantined from files where source = 'openalex'").fetchall()
    con.close()
    assert inst == [("openalex:I27837315", "University of Michigan", "US", "00jmfr291")]
    assert src == [("openalex:S137773608", "Nature", "journal", "0028-0836")]
    assert sorted(files) == [(1, 0)] * 3
