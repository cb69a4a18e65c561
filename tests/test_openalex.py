"""OpenAlex: the work mapping and the snapshot reader, on the real OpenAlex records in
``../shared/data/openalex`` laid out like the snapshot (a truncated part, a malformed
line, an incremental update that changes, merges and deletes works)."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import make_settings
from talentatlas.pipeline import build
from talentatlas.sources.base import RecordError
from talentatlas.sources.openalex import (
    OpenAlexSnapshot,
    map_work,
    ror_id,
    short_id,
    venue_of,
)

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def records(openalex_records: list[dict]) -> list[dict]:
    return openalex_records


def _write_part(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as g:
        g.write("".join(line + "\n" for line in lines))


def _registry(shared_data: Path, ids: set[str], target: Path) -> None:
    """The real ROR records of these ids, as a registry file of the data directory."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        gzip.open(shared_data / "ror" / "ror_records_latest_v2schema.jsonl.gz", "rt") as f,
        target.open("w") as out,
    ):
        for line in f:
            if ror_id(json.loads(line)["id"]) in ids:
                out.write(line)


def test_ids_and_venues() -> None:
    assert short_id("https://openalex.org/W2741809807") == "W2741809807"
    assert short_id("W1") == "W1" and short_id("") is None and short_id(3) is None
    assert ror_id("https://ror.org/05x2bcf33") == "05x2bcf33"
    assert ror_id("https://ror.org/not-a-ror") is None
    cvpr = {"id": "https://openalex.org/S1", "display_name": "2022 IEEE/CVF Conference on "
            "Computer Vision and Pattern Recognition (CVPR)"}  # fmt: skip
    assert venue_of(cvpr) == "cvpr"
    workshop = dict(cvpr, display_name=cvpr["display_name"] + " Workshops")
    assert venue_of(workshop) == "openalex:S1"
    assert venue_of({"display_name": "Neural Information Processing Systems"}) == "neurips"
    assert venue_of(None) is None


def test_every_real_record_maps(records: list[dict]) -> None:
    """Each real work gives one work row, one authorship per listed author (with the
    ORCID and author id), and one affiliation row per institution carrying its ROR id."""
    assert len(records) == 176
    n_auth = n_inst = n_ror = 0
    for i, rec in enumerate(records):
        rows = map_work(rec, "f", i, None)
        (w,) = rows["works"]
        assert w["work_id"] == "openalex:" + short_id(rec["id"])
        assert w["year"] == rec["publication_year"] and w["n_authors"] == len(rec["authorships"])
        assert w["updated"] == rec["updated_date"][:10]
        assert w["citations"] == rec["cited_by_count"]
        assert w["doi"] == (
            rec["doi"].removeprefix("https://doi.org/").lower() if rec.get("doi") else None
        )
        assert [a["position"] for a in rows["authorships"]] == list(range(len(rec["authorships"])))
        for a, src in zip(rows["authorships"], rec["authorships"], strict=True):
            aid = short_id(src["author"].get("id"))
            assert a["source_author_id"] == (f"openalex:{aid}" if aid else None)
            orcid = src["author"].get("orcid")
            assert a["orcid"] == (orcid.rsplit("/", 1)[-1] if orcid else None)
            insts = src.get("institutions") or []
            got = [r for r in rows["affiliations"] if r["position"] == a["position"]]
            assert [r["ror_src"] for r in got[: len(insts)]] == [
                ror_id(x.get("ror")) for x in insts
            ]
            assert [r["country_src"] for r in got[: len(insts)]] == [
                x.get("country_code") for x in insts
            ]
            assert [(r["inst_src_id"], r["inst_type"]) for r in got[: len(insts)]] == [
                ("openalex:" + x["id"].rsplit("/", 1)[-1], x.get("type")) for x in insts
            ]
            n_inst += len(insts)
            n_ror += sum(1 for x in insts if x.get("ror"))
        n_auth += len(rows["authorships"])
    assert n_auth == sum(len(r["authorships"]) for r in records)
    assert n_inst > 100 and n_ror > 0.9 * n_inst


def test_bad_records_are_refused(records: list[dict]) -> None:
    rec = copy.deepcopy(records[0])
    rec["publication_year"] = "soon"
    with pytest.raises(RecordError, match="publication_year"):
        map_work(rec, "f", 0, None)
    with pytest.raises(RecordError, match="work id"):
        map_work({"id": "https://openalex.org/A1", "publication_year": 2020}, "f", 0, None)
    rec = copy.deepcopy(records[0])
    rec["cited_by_count"] = {"n": 3}  # a bad count is noted, and the work kept
    problems: list[str] = []
    assert map_work(rec, "f", 7, None, problems)["works"][0]["citations"] is None
    assert problems == ["record 7: field 'cited_by_count' should be a count, got dict; left empty"]
    rec = copy.deepcopy(records[0])
    rec["authorships"] = {"not": "a list"}
    with pytest.raises(RecordError, match="authorships"):
        map_work(rec, "f", 0, None)


def test_snapshot_part_with_bad_lines(tmp_path: Path, records: list[dict]) -> None:
    """A malformed line and a non-work record are quarantined with file and line; a
    truncated part keeps every whole line before the cut and says so."""
    root = tmp_path / "openalex" / "snapshot" / "works" / "updated_date=2025-05-02"
    lines = [json.dumps(r) for r in records[:20]]
    lines[5] = lines[5][:-40]  # malformed
    lines[9] = json.dumps({"id": "https://openalex.org/W9", "publication_year": None})
    _write_part(root / "part_000.gz", lines)
    whole = gzip.compress("".join(json.dumps(r) + "\n" for r in records[20:60]).encode())
    (root / "part_001.gz").write_bytes(whole[: len(whole) // 2])
    adapter = OpenAlexSnapshot()
    parts = adapter.discover(tmp_path)
    assert [p.name for p in parts] == ["part_000.gz", "part_001.gz"]
    first = adapter.parse(parts[0], "p0").tables()
    assert first["works"].num_rows == 18
    q = first["quarantine"].to_pylist()
    assert [(r["file"], r["record"]) for r in q] == [("p0", 5), ("p0", 9)]
    assert "malformed JSON" in q[0]["reason"] and "publication_year" in q[1]["reason"]
    cut = adapter.parse(parts[1], "p1")
    t = cut.tables()
    assert 0 < t["works"].num_rows < 40
    assert any("truncated gzip" in p for p in cut.problems)
    got = t["works"].column("work_id").to_pylist()
    assert got == ["openalex:" + short_id(r["id"]) for r in records[20 : 20 + len(got)]]


def test_snapshot_build_and_incremental_update(
    tmp_path: Path, shared_data: Path, records: list[dict]
) -> None:
    """A snapshot builds into the warehouse (institutions by their ROR ids); an update
    partition replaces a changed work, and merged and deleted ids leave the tables;
    only the new files are parsed, and the tables equal a fresh build of the whole."""
    data = tmp_path / "data"
    works_dir = data / "openalex" / "snapshot" / "works"
    last = max(r["updated_date"][:10] for r in records)
    _write_part(works_dir / f"updated_date={last}" / "part_000.gz",
                [json.dumps(r) for r in records])  # fmt: skip
    rors = {ror_id(i.get("ror")) for r in records for a in r["authorships"]
            for i in a.get("institutions") or []} - {None}  # fmt: skip
    _registry(shared_data, rors, data / "ror" / "ror_records_subset.jsonl")
    s = make_settings(tmp_path)
    first = build(s)
    assert first.parsed == 1
    con = duckdb.connect(str(s.warehouse), read_only=True)
    assert con.sql("select count(*) from works").fetchone()[0] == len(records)
    n_auth = sum(len(r["authorships"]) for r in records)
    assert con.sql("select count(*) from authorships").fetchone()[0] == n_auth
    # the works whose primary topic is in the field's subfields (AI 1702, CV 1707) count
    in_field = {
        "openalex:" + short_id(r["id"]): {"1702": "AI", "1707": "CV"}[sub]
        for r in records
        if (sub := short_id(((r.get("primary_topic") or {}).get("subfield") or {}).get("id")))
        in ("1702", "1707")
    }
    assert in_field
    scoped = dict(con.sql("select distinct work_id, area from scoped_facts").fetchall())
    assert scoped == in_field
    # every ROR id the registry knows is taken as it is; the others are matched by text
    known = {ror_id(json.loads(line)["id"]) for line in (data / "ror").glob("*.jsonl")
             .__next__().read_text().splitlines()}  # fmt: skip
    got = con.sql(
        "select ror_src, institution_id, match_evidence from affiliation_resolution "
        "where ror_src is not null"
    ).fetchall()
    con.close()
    taken = [(r, i, e) for r, i, e in got if r in known]
    assert len(taken) > 50
    assert all(i == r and e == "source-ror" for r, i, e in taken)

    # the update: a later version of one work, one merged into another, one deleted
    changed = copy.deepcopy(records[3])
    changed["title"] = "A corrected title"
    changed["authorships"] = changed["authorships"][:1]
    changed["updated_date"] = "2026-12-01T00:00:00"
    _write_part(works_dir / "updated_date=2026-12-01" / "part_000.gz", [json.dumps(changed)])
    merged, deleted = short_id(records[4]["id"]), short_id(records[5]["id"])
    ids = data / "openalex" / "snapshot" / "merged_ids" / "works" / "2026-12-01.csv.gz"
    ids.parent.mkdir(parents=True)
    ids.write_bytes(gzip.compress(
        f"merge_date,id,merge_into_id\n2026-12-01,{merged},{short_id(records[6]['id'])}\n"
        f"2026-12-01,{deleted},\n".encode()
    ))  # fmt: skip
    second = build(s)
    assert second.parsed == 2  # the new partition and the merged ids, nothing else
    con = duckdb.connect(str(s.warehouse), read_only=True)
    works = dict(con.sql("select work_id, title from works").fetchall())
    assert len(works) == len(records) - 2
    assert works["openalex:" + short_id(changed["id"])] == "A corrected title"
    assert not {"openalex:" + merged, "openalex:" + deleted} & works.keys()
    lost = len(records[3]["authorships"]) - 1 + sum(len(records[k]["authorships"]) for k in (4, 5))
    assert con.sql("select count(*) from authorships").fetchone()[0] == n_auth - lost
    retired = con.sql("select count(*) from authorships where work_id in "
                      f"('openalex:{merged}', 'openalex:{deleted}')").fetchone()[0]  # fmt: skip
    tables = {t: con.sql(f"select * from {t} order by all").fetchall()
              for t in ("works", "authorships", "affiliations_resolved")}  # fmt: skip
    con.close()
    assert retired == 0

    fresh = make_settings(tmp_path / "fresh")
    fresh.data_dir = data
    build(fresh)
    con = duckdb.connect(str(fresh.warehouse), read_only=True)
    for t, rows in tables.items():
        again = con.sql(f"select * from {t} order by all").fetchall()
        if t == "works":  # provenance names the same files
            assert len(again) == len(rows)
        assert again == rows, t
    con.close()


def _oa_work(wid: str, title: str, year: int, venue: str, authors: list[str]) -> dict:
    return {
        "id": f"https://openalex.org/{wid}",
        "title": title,
        "publication_year": year,
        "updated_date": "2026-01-01T00:00:00",
        "primary_location": {"source": {"id": "https://openalex.org/S9", "display_name": venue}},
        "authorships": [
            {"author_position": "middle", "author": {"id": f"https://openalex.org/A{i}{wid}",
             "display_name": name}, "institutions": [], "raw_affiliation_strings": []}
            for i, name in enumerate(authors)
        ],
    }  # fmt: skip


def test_merged_build_counts_shared_works_and_people_once(
    tmp_path: Path, shared_data: Path
) -> None:
    """COLT 2024's real paper list plus OpenAlex copies of 30 of its papers (title in
    other case and punctuation), 3 copies under another title and year that share the
    list's DOI, and 5 OpenAlex-only works by its authors: the copies are withdrawn into
    the listed works, nothing is counted twice, and the authors of the OpenAlex-only
    works are the same persons as in the list."""
    data = tmp_path / "data"
    src = shared_data / "paperlists" / "colt" / "colt2024.json.gz"
    (data / "paperlists" / "colt").mkdir(parents=True)
    papers = json.loads(gzip.decompress(src.read_bytes()))
    for i, p in enumerate(papers[50:53]):
        p["doi"] = f"https://doi.org/10.5555/COLT.{i}"
    (data / "paperlists" / "colt" / src.name).write_bytes(
        gzip.compress(json.dumps(papers).encode())
    )
    venue = "Proceedings of Thirty Seventh Conference on Learning Theory"
    copies = [
        _oa_work(f"W{100 + i}", p["title"].upper().replace(" ", "  ") + ".", 2024, venue,
                 [a.strip() for a in p["author"].split(";")])
        for i, p in enumerate(papers[:30])
    ]  # fmt: skip
    # each OpenAlex-only work by the first two authors of a listed paper
    own = [
        _oa_work(f"W{900 + i}", f"A further result number {i}", 2024, venue,
                 [a.strip() for a in p["author"].split(";")][:2])
        for i, p in enumerate(papers[40:45])
    ]  # fmt: skip
    for i, p in enumerate(own):
        p["cited_by_count"] = 10 + i
    by_doi = [
        _oa_work(f"W{700 + i}", f"Another title {i}", 2023, "arXiv",
                 [a.strip() for a in p["author"].split(";")]) | {"doi": f"10.5555/colt.{i}"}
        for i, p in enumerate(papers[50:53])
    ]  # fmt: skip
    _write_part(
        data / "openalex" / "snapshot" / "works" / "updated_date=2026-01-01" / "part_000.gz",
        [json.dumps(r) for r in copies + own + by_doi],
    )
    s = make_settings(tmp_path)
    build(s)
    con = duckdb.connect(str(s.warehouse), read_only=True)
    listed = con.sql("select count(*) from works where source = 'paperlists'").fetchone()[0]
    assert listed == len(papers)
    assert con.sql("select count(*) from works").fetchone()[0] == len(papers) + len(own)
    withdrawn = con.sql('select work_id, "into", why from withdrawn_works').fetchall()
    ids = {p["title"]: f"colt:2024:{p['id']}" for p in papers}
    assert sorted(withdrawn) == sorted(
        [(f"openalex:W{100 + i}", ids[p["title"]], "same-title") for i, p in enumerate(papers[:30])]
        + [
            (f"openalex:W{700 + i}", ids[p["title"]], "same-doi")
            for i, p in enumerate(papers[50:53])
        ]
    )
    cited = con.sql("select citations from works where source = 'openalex' order by 1").fetchall()
    assert cited == [(10 + i,) for i in range(len(own))]
    n_listed = con.sql("select count(*) from authorships where source = 'paperlists'").fetchone()[0]
    assert con.sql("select count(*) from authorships").fetchone()[0] == n_listed + 10
    # the OpenAlex-only works' authors are the persons of their listed papers
    pairs = con.sql(
        "select o.person_id, l.person_id from person_links o "
        "join authorships ao on o.work_id = ao.work_id and o.position = ao.position "
        "join authorships al on al.name = ao.name and al.source = 'paperlists' "
        "join person_links l on l.work_id = al.work_id and l.position = al.position "
        "where o.work_id like 'openalex:%'"
    ).fetchall()
    con.close()
    assert len(pairs) >= 10 and all(a == b for a, b in pairs)


def test_parts_land_in_batches(
    tmp_path: Path, records: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part landed a few records at a time (bounded memory) gives the same landing
    tables, in the same order, as the part read whole; the problems and quarantined
    lines of every batch are kept."""
    from talentatlas import landing
    from talentatlas.sources import openalex

    part = tmp_path / "openalex" / "snapshot" / "works" / "updated_date=2026-01-01" / "p.gz"
    lines = [json.dumps(r) for r in records[:50]]
    lines[17] = "{not json"
    _write_part(part, lines)
    (f,) = landing.discover(tmp_path, ["openalex"])
    whole = OpenAlexSnapshot().parse(f.path, f.rel).tables()
    monkeypatch.setattr(openalex, "BATCH", 7)
    assert len(list(OpenAlexSnapshot().parse_batches(f.path, f.rel))) == 8
    manifest = landing.land_one(f, tmp_path / "landing")
    assert manifest["records"] == 49 and manifest["counts"]["quarantine"] == 1
    for table, data in whole.items():
        path = f.table_path(tmp_path / "landing", table)
        # a table the part yields no rows for gets no file
        assert path.exists() == (data.num_rows > 0), table
        if not data.num_rows:
            continue
        got = pq.read_table(path)
        assert (
            got.equals(data.cast(got.schema))
            if table != "quarantine"
            else (got.column("record").to_pylist() == [17])
        ), table


def test_simulated_world_in_both_sources_is_counted_once(tmp_path: Path) -> None:
    """A planted world written twice, as paper lists (every other paper) and as an
    OpenAlex snapshot (every paper): each paper is one work, each author of it one
    authorship, and the OpenAlex copies of listed papers are withdrawn, exactly."""
    from talentatlas.sources.simulated import simulate
    from talentatlas.sources.simulated_openalex import write_snapshot

    world = simulate(seed=11, n_people=150)
    data = tmp_path / "data"
    listed = world.papers[::2]
    world_listed = type(world)(**{**world.__dict__, "papers": listed})
    world_listed.write(data)
    write_snapshot(world, data / "openalex" / "snapshot", part_bytes=200_000)
    s = make_settings(tmp_path)
    build(s)
    con = duckdb.connect(str(s.warehouse), read_only=True)
    by_source = dict(con.sql("select source, count(*) from works group by 1").fetchall())
    assert by_source == {"paperlists": len(listed), "openalex": len(world.papers) - len(listed)}
    n_auth = sum(len(rec["author"].split(";")) for _, _, rec in world.papers)
    assert con.sql("select count(*) from authorships").fetchone()[0] == n_auth
    why = con.sql("select why, source, count(*) from withdrawn_works group by all").fetchall()
    assert why == [("same-title", "openalex", len(listed))]
    con.close()
    # `status`: what each source read and what it contributes
    from talentatlas.api import Atlas

    with Atlas.open(s.warehouse) as atlas:
        got = {r["source"]: r for r in atlas.sources().to_pylist()}
    assert got["openalex"]["works"] == len(world.papers)
    assert got["openalex"]["works_kept"] == len(world.papers) - len(listed)
    assert got["openalex"]["withdrawn"] == len(listed)
    assert got["paperlists"]["works_kept"] == len(listed) and got["paperlists"]["withdrawn"] == 0


def test_a_failed_landing_leaves_no_files(
    tmp_path: Path, records: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader that fails after a first batch leaves neither landing files nor a
    manifest: the entry is simply redone by the next build."""
    from talentatlas import landing
    from talentatlas.sources import openalex

    part = tmp_path / "openalex" / "snapshot" / "works" / "updated_date=2026-01-01" / "p.gz"
    _write_part(part, [json.dumps(r) for r in records[:30]])
    (f,) = landing.discover(tmp_path, ["openalex"])
    whole = OpenAlexSnapshot.parse_batches

    def failing(self, path, rel, size=None):  # type: ignore[no-untyped-def]
        yield next(whole(self, path, rel, 7))
        raise OSError("disk gone")

    monkeypatch.setattr(openalex.OpenAlexSnapshot, "parse_batches", failing)
    with pytest.raises(OSError, match="disk gone"):
        landing.land_one(f, tmp_path / "landing")
    assert list((tmp_path / "landing").rglob("*")) == [tmp_path / "landing" / "openalex"]
    assert not landing.is_landed(f, tmp_path / "landing")


def test_a_parquet_part_reads_like_its_json_lines(tmp_path: Path, records: list[dict]) -> None:
    """The snapshot's Parquet copy (rows in the API's nested shape; ``updated_date`` as
    a timestamp) gives the same landing rows as the JSON Lines part of the same records;
    a column the adapter does not know is reported; a part cut short is quarantined."""
    import datetime as dt

    import pyarrow as pa

    keep = ("id", "doi", "title", "display_name", "publication_year", "type", "authorships",
            "primary_location", "updated_date", "is_retracted", "primary_topic",
            "cited_by_count")  # fmt: skip
    recs = [{k: r.get(k) for k in keep} for r in records]
    base = tmp_path / "openalex" / "snapshot"
    _write_part(base / "jsonl" / "works" / "updated_date=2026-01-01" / "part_0000.gz",
                [json.dumps(r) for r in recs])  # fmt: skip
    table = pa.Table.from_pylist(
        [r | {"updated_date": dt.datetime.fromisoformat(r["updated_date"]), "brand_new": 1}
         for r in recs]
    )  # fmt: skip
    pdir = base / "parquet" / "works" / "updated_date=2026-01-01"
    pdir.mkdir(parents=True)
    pq.write_table(table, pdir / "part_0000.parquet", row_group_size=50)
    js, pa_part = sorted(OpenAlexSnapshot().discover(tmp_path), key=lambda p: p.suffix)
    assert pa_part.suffix == ".parquet"
    from_json = OpenAlexSnapshot().parse(js, "f").tables()
    from_parquet = OpenAlexSnapshot().parse(pa_part, "f")
    assert from_parquet.unknown_fields == {"brand_new"} and from_parquet.records == len(recs)
    got = from_parquet.tables()
    for t in ("works", "authorships", "affiliations"):
        assert got[t].equals(from_json[t]), t
    # cut short: nothing half-read, and the file is named in the quarantine
    whole = (pdir / "part_0000.parquet").read_bytes()
    (pdir / "part_0000.parquet").write_bytes(whole[: len(whole) // 2])
    cut = OpenAlexSnapshot().parse(pa_part, "f")
    assert cut.tables()["works"].num_rows == 0
    assert "Parquet" in cut.rows["quarantine"][0]["reason"]
