"""ORCID records: the registry's official v3.0 samples (XML and JSON) read directly, from
a tar.gz laid out like the public data file, and fetched from an HTTP server on
127.0.0.1 that answers like the public API (rate limited, failing, dropping
connections); bad documents and entries are quarantined."""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import QuietHandler, serving
from talentatlas.fetch import Downloader
from talentatlas.sources import orcid

pytestmark = pytest.mark.realdata

SAMPLES = ["education-3.0.xml", "education-full-3.0.xml", "educations-3.0.xml",
           "employment-3.0.xml", "employment-full-3.0.xml", "employments-3.0.xml",
           "qualifications-3.0.xml", "record-3.0.xml", "record-full-3.0.json"]  # fmt: skip
ID = "8888-8888-8888-8880"


def _entries_in_text(text: str) -> int:
    """Entries counted in a sample's text, independently of the reader: XML elements
    (or JSON keys) named education, employment or qualification (or their summaries)
    that hold an organisation."""
    if text.lstrip().startswith("{"):
        return len(re.findall(r'"(?:education|employment|qualification)-summary"\s*:\s*\{', text))
    tags = re.findall(
        r"<(?:\w+:)?(education|employment|qualification)(?:-summary)?[\s>]"
        r"(.*?)</(?:\w+:)?\1(?:-summary)?>",
        text,
        re.S,
    )
    return sum("organization>" in body for _kind, body in tags)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_entry_of_the_official_samples_is_read(shared_data: Path, name: str) -> None:
    data = (shared_data / "orcid" / name).read_bytes()
    r = orcid.read_document(data, name)
    assert r.quarantine == []
    t = r.tables()["orcid_affiliations"]
    assert t.num_rows == _entries_in_text(data.decode()) > 0
    assert set(t["section"].to_pylist()) <= {"education", "employment", "qualification"}
    assert all(y is None or 1900 < y < 2100 for y in t["start_year"].to_pylist())


def test_an_entry_keeps_its_organisation_ror_id_country_and_dates(shared_data: Path) -> None:
    r = orcid.read_document((shared_data / "orcid" / "education-3.0.xml").read_bytes(), "e")
    [row] = r.rows
    assert row["section"] == "education"
    assert row["organisation"] == "common:name"
    assert (row["org_id"], row["org_id_source"]) == ("021nxhr62", "ROR")  # short, as ROR's
    assert row["org_id_raw"] == "https://ror.org/021nxhr62"
    assert (row["country"], row["city"]) == ("AF", "common:city")
    assert (row["start_year"], row["start_month"], row["end_year"]) == (1948, 2, 1948)
    assert row["department"] == "department-name"


def test_the_owner_is_the_record_s_id(shared_data: Path) -> None:
    xml = orcid.read_document((shared_data / "orcid" / "record-3.0.xml").read_bytes(), "r")
    assert {r["orcid"] for r in xml.rows} == {ID}
    js = orcid.read_document((shared_data / "orcid" / "record-full-3.0.json").read_bytes(), "j")
    doc = json.loads((shared_data / "orcid" / "record-full-3.0.json").read_text())
    assert {r["orcid"] for r in js.rows} == {doc["orcid-identifier"]["path"]}
    asked = orcid.read_document((shared_data / "orcid" / "education-3.0.xml").read_bytes(), "e",
                                orcid="0000-0002-1825-0097")  # fmt: skip
    assert asked.rows[0]["orcid"] == "0000-0002-1825-0097"


@pytest.mark.parametrize(
    ("title", "degree"),
    [
        ("PhD in Computer Science", "doctorate"), ("Ph.D. candidate", "doctorate"),
        ("DPhil", "doctorate"), ("Doctor of Philosophy", "doctorate"),
        ("Doctorado en Informática", "doctorate"), ("Dr. rer. nat.", "doctorate"),
        ("M.Sc. Informatics", "master"), ("Master's degree", "master"), ("MEng", "master"),
        ("MS in Statistics", "master"), ("Diplom-Informatiker", "master"), ("MBA", "master"),
        ("B.Tech", "bachelor"), ("Bachelor of Science", "bachelor"), ("BSc", "bachelor"),
        ("B.S. Mathematics", "bachelor"), ("Undergraduate student", "bachelor"),
        ("Postdoctoral fellow", None), ("Post-doctoral researcher", None),
        ("Visiting student", None), ("role-title", None), (None, None), ("", None),
    ],
)  # fmt: skip
def test_degree_level_from_the_role_title(title: str | None, degree: str | None) -> None:
    assert orcid.degree_of(title) == degree


def test_employment_entries_carry_no_degree(shared_data: Path) -> None:
    data = (shared_data / "orcid" / "employment-3.0.xml").read_bytes()
    data = data.replace(b"<common:role-title>role-title", b"<common:role-title>PhD student")
    [row] = orcid.read_document(data, "e").rows
    assert (row["role_title"], row["degree"]) == ("PhD student", None)


def test_bad_documents_and_entries_are_quarantined_and_the_rest_kept(shared_data: Path) -> None:
    good = (shared_data / "orcid" / "educations-3.0.xml").read_bytes()
    cut = orcid.read_document(good[: len(good) // 2], "cut.xml")
    assert cut.rows == [] and len(cut.quarantine) == 1
    assert "not well-formed XML" in cut.quarantine[0]["reason"]
    # the first of two entries has a year that is not a number
    bad_year = good.replace(
        b"<common:year>1948</common:year>", b"<common:year>19x8</common:year>", 1
    )
    r = orcid.read_document(bad_year, "year.xml")
    assert len(r.rows) == _entries_in_text(good.decode()) - 1
    [q] = r.quarantine
    assert q["record"] == 0 and "'19x8' is not a number" in q["reason"]
    js = orcid.read_document(b'{"orcid-identifier": {"path": ', "broken.json")
    assert js.rows == [] and "malformed JSON" in js.quarantine[0]["reason"]
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert "not well-formed XML" in orcid.read_document(bomb, "bomb.xml").quarantine[0]["reason"]
    tables = r.tables()
    assert tables["orcid_affiliations"].num_rows == len(r.rows)
    assert tables["quarantine"].column("file").to_pylist() == ["year.xml"]


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_the_public_data_file_is_streamed_for_the_ids_asked(
    shared_data: Path, tmp_path: Path
) -> None:
    record = (shared_data / "orcid" / "record-3.0.xml").read_bytes()
    other = "0000-0002-1825-0097"
    members = {
        f"ORCID_2024_10_summaries/880/{ID}.xml": record,
        f"ORCID_2024_10_summaries/097/{other}.xml": record.replace(ID.encode(), other.encode()),
        "ORCID_2024_10_summaries/README.txt": b"not a record",
    }
    path = tmp_path / "ORCID_2024_10_summaries.tar.gz"
    path.write_bytes(_tar(members))
    alone = orcid.read_document(record, "r")
    mine = orcid.read_public_data_file(path, orcids=[ID])
    assert [r["orcid"] for r in mine.rows] == [ID] * len(alone.rows)
    every = orcid.read_public_data_file(path)
    assert {r["orcid"] for r in every.rows} == {ID, other}
    assert len(every.rows) == 2 * len(alone.rows) and every.quarantine == []
    # a download cut short keeps the records before the cut and says so
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) * 3 // 4])
    cut = orcid.read_public_data_file(path)
    assert [r["orcid"] for r in cut.rows] == [ID] * len(alone.rows)
    assert "cut short" in cut.quarantine[-1]["reason"]


class OrcidApi(QuietHandler):
    """``GET /v3.0/<iD>/<section>``: the official sample of that section (XML, or the
    record JSON's section for ``application/vnd.orcid+json``); unknown iDs get 404. The
    first request of some paths is answered 429 with Retry-After, 503, or a connection
    dropped midway."""

    samples: Path
    known: set[str] = set()  # noqa: RUF012
    faults: dict[str, str] = {}  # noqa: RUF012  path -> fault, applied once
    log: list[tuple[str, int]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        m = re.fullmatch(r"/v3\.0/([\dX-]+)/(educations|employments|qualifications)", self.path)
        fault = self.faults.pop(self.path, None)
        if self.answer_fault(fault):
            return
        if m is None or m.group(1) not in self.known:
            self._send(404, b"not found")
            return
        section = m.group(2)
        if "json" in self.headers.get("Accept", ""):
            doc = json.loads((self.samples / "record-full-3.0.json").read_text())
            body = json.dumps(doc["activities-summary"][section]).encode()
        else:
            body = (self.samples / f"{section}-3.0.xml").read_bytes()
        if fault == "drop":
            self.log.append((self.path, -1))  # logged before the answer: the client
            self.drop(body)  # may ask again before this thread runs on
            return
        self._send(200, body)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.log.append((self.path, status))  # before the answer, as above
        self.reply(status, body, headers)


@contextmanager
def _serve_api(shared_data: Path) -> Iterator[type[OrcidApi]]:
    """An :class:`OrcidApi` server on 127.0.0.1; its handler class (``base``: the URL)."""
    handler = type(
        "Api", (OrcidApi,), {"samples": shared_data / "orcid", "known": set(), "faults": {},
                             "log": []},
    )  # fmt: skip
    with serving(handler) as base:
        handler.base = f"{base}/v3.0"  # type: ignore[attr-defined]
        yield handler


@pytest.fixture
def api(shared_data: Path) -> Iterator[type[OrcidApi]]:
    with _serve_api(shared_data) as handler:
        yield handler


def test_records_are_fetched_through_faults_and_read_as_the_samples(
    api: type[OrcidApi], shared_data: Path, tmp_path: Path
) -> None:
    ids = [ID, "0000-0002-1825-0097"]
    api.known.update(ids)
    api.faults.update({
        f"/v3.0/{ID}/educations": "429",
        f"/v3.0/{ID}/employments": "503",
        f"/v3.0/{ids[1]}/educations": "drop",
    })  # fmt: skip
    client = orcid.OrcidClient(api.base, per_second=1000)  # type: ignore[attr-defined]
    got = orcid.fetch_records(client, [*ids, "0000-0001-5109-3700"], tmp_path)
    assert got["missing"] == ["0000-0001-5109-3700"] and len(got["fetched"]) == 6
    assert (f"/v3.0/{ID}/educations", 429) in api.log and api.faults == {}
    read = orcid.read_records(tmp_path)
    assert read.quarantine == []
    for section in orcid.SECTIONS:
        sample = orcid.read_document(
            (shared_data / "orcid" / f"{section}-3.0.xml").read_bytes(), "s"
        )
        strip = [{k: v for k, v in r.items() if k not in ("file", "orcid")} for r in sample.rows]
        for who in ids:
            rows = [r for r in read.rows if r["orcid"] == who and r["section"] + "s" == section]
            assert [
                {k: v for k, v in r.items() if k not in ("file", "orcid")} for r in rows
            ] == strip


def test_an_interrupted_fetch_continues_where_it_stopped(
    api: type[OrcidApi], tmp_path: Path
) -> None:
    ids = [ID, "0000-0002-1825-0097", "0000-0003-1415-9269"]
    api.known.update(ids)
    client = orcid.OrcidClient(api.base, per_second=1000)  # type: ignore[attr-defined]

    def stop_after_first(_orcid: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        orcid.fetch_records(client, ids, tmp_path, on_record=stop_after_first)
    first = len(api.log)
    assert first == len(orcid.SECTIONS)
    again = orcid.fetch_records(client, ids, tmp_path)
    assert len(again["present"]) == len(orcid.SECTIONS)
    assert len(api.log) - first == 2 * len(orcid.SECTIONS)  # nothing asked twice
    fresh = tmp_path / "fresh"
    orcid.fetch_records(client, ids, fresh)
    for p in orcid.record_dir(fresh).rglob("*.xml"):
        rel = p.relative_to(orcid.record_dir(fresh))
        assert (orcid.record_dir(tmp_path) / rel).read_bytes() == p.read_bytes()
    assert not list(orcid.record_dir(tmp_path).rglob("*.tmp*"))


def test_json_sections_read_like_the_record_s(
    api: type[OrcidApi], shared_data: Path, tmp_path: Path
) -> None:
    api.known.add(ID)
    client = orcid.OrcidClient(api.base, fmt="json", per_second=1000)  # type: ignore[attr-defined]
    orcid.fetch_records(client, [ID], tmp_path)
    read = orcid.read_records(tmp_path)
    record = orcid.read_document((shared_data / "orcid" / "record-full-3.0.json").read_bytes(), "r")

    def key(r: dict) -> tuple:
        return (r["section"], r["put_code"], r["role_title"], r["org_id_raw"], r["start_year"])

    assert sorted(map(key, read.rows)) == sorted(map(key, record.rows))
    assert {r["orcid"] for r in read.rows} == {ID}


def test_the_client_refuses_what_is_not_an_orcid_id() -> None:
    client = orcid.OrcidClient("http://127.0.0.1:9", downloader=Downloader())
    with pytest.raises(ValueError, match="not an ORCID iD"):
        client.section("jane-doe", "educations")


@pytest.mark.parametrize(
    ("header", "wait"),
    [("7", 7.0), ("0.5", 0.5), ("3600", 60.0), (None, 2.0),
     ("Wed, 21 Oct 2026 07:28:00 GMT", 2.0), ("soon", 2.0)],
)  # fmt: skip
def test_a_server_s_retry_after_is_obeyed_up_to_a_minute(header: str | None, wait: float) -> None:
    import httpx

    from talentatlas.fetch import retry_after

    headers = {"Retry-After": header} if header is not None else {}
    assert retry_after(httpx.Response(429, headers=headers), 2.0) == wait
