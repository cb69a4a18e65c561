"""ORCID public records: where a person studied and worked, read from the registry's
own formats.

ORCID API v3.0 serves a record (``/v3.0/{id}/record``), its sections
(``/v3.0/{id}/educations``, ``employments``, ``qualifications``: affiliation groups of
summaries) and single entries (``/v3.0/{id}/education/{put-code}``), each as XML or
JSON; the annual public data file holds one XML record per ORCID iD in a tar.gz. All of
them are read here into the same rows (:data:`ORCID_AFFILIATIONS_SCHEMA`), one per
education, employment or qualification entry:

- ``degree`` (education and qualification entries): ``bachelor``, ``master`` or
  ``doctorate`` where the role title says so (:func:`degree_of`), else null;
- ``country``: the organisation's ISO 3166 alpha-2 code (null when not a valid code);
- ``org_id``: the organisation's ROR id (short form, as the warehouse's institutions
  carry it) when ORCID disambiguates it by ROR; other identifiers (GRID, Ringgold,
  FundRef) are kept as given in ``org_id_raw`` with their ``org_id_source``;
- dates: year and month where given (ORCID dates are often year-only).

A document that is not well-formed, or an entry whose fields cannot be read (a year
that is not a number), is quarantined with the reason; the other entries are kept.
XML is parsed with defusedxml: the documents come from the network.
"""

from __future__ import annotations

import re
import tarfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.etree.ElementTree import Element

import pyarrow as pa
import pycountry
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from talentatlas.fetch import Downloader
from talentatlas.files import write_atomic
from talentatlas.resolve.roles import role_kind
from talentatlas.sources.base import QUARANTINE_SCHEMA
from talentatlas.sources.reading import loads
from talentatlas.sources.ror import short_id

ORCID_AFFILIATIONS_SCHEMA = pa.schema(
    [
        ("orcid", pa.string()),
        ("section", pa.string()),  # education | employment | qualification
        ("put_code", pa.int64()),
        ("role_title", pa.string()),
        ("degree", pa.string()),  # bachelor | master | doctorate
        ("department", pa.string()),
        ("organisation", pa.string()),
        ("city", pa.string()),
        ("region", pa.string()),
        ("country", pa.string()),
        ("org_id", pa.string()),
        ("org_id_source", pa.string()),
        ("org_id_raw", pa.string()),
        ("start_year", pa.int32()),
        ("start_month", pa.int32()),
        ("end_year", pa.int32()),
        ("end_month", pa.int32()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)

#: the record sections read, and the entry kinds they hold
SECTIONS = ("educations", "employments", "qualifications")
_KINDS = {"education", "employment", "qualification"}
ORCID_ID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")

#: the levels of the stated positions' student kinds (``resolve.roles``)
_LEVEL_OF_KIND = {"undergraduate": "bachelor", "masters": "master", "doctoral": "doctorate"}
#: degree names that titles of studies use and stated positions rarely do, highest first
#: (a postdoctoral title is no degree)
_DEGREE_NAMES = (
    ("doctorate", re.compile(
        r"(?<!post)(?<!post-)(?<!post )\bdoctor(?:ate|al| of)|\bdoktor|\bdoctorado|\bdoutorado"
        r"|\bdottorato|\bdr\.?[ -]?(?:rer|sc|ing|phil)\b|\bsc\.?\s?d\b|\beng\.?\s?d\b",
        re.IGNORECASE,
    )),
    ("master", re.compile(
        r"\bdiplom|\bmagist|\bmba\b|\bmaestr[ií]a|\bmestrado|\bm\.\s?a\.", re.IGNORECASE
    )),
    ("bachelor", re.compile(
        r"\bb\.\s?a\.|\blicenciatura|\blicence\b|\blaurea triennale", re.IGNORECASE
    )),
)  # fmt: skip


def degree_of(role_title: str | None) -> str | None:
    """``doctorate``, ``master`` or ``bachelor`` when the role title names the degree:
    read as a stated position is (:func:`talentatlas.resolve.roles.role_kind`: "PhD",
    "M.Sc.", "B.Tech", "Undergraduate"), else by the names of degrees ("Doctor of
    Philosophy", "Diplom", "Licenciatura").

    >>> degree_of("PhD in Computer Science"), degree_of("Doctor of Philosophy")
    ('doctorate', 'doctorate')
    >>> degree_of("M.Sc. Informatics"), degree_of("B.Tech"), degree_of("Postdoctoral fellow")
    ('master', 'bachelor', None)
    """
    if not role_title:
        return None
    level = _LEVEL_OF_KIND.get(role_kind(role_title) or "")
    if level is not None:
        return level
    return next((lv for lv, pattern in _DEGREE_NAMES if pattern.search(role_title)), None)


@dataclass
class OrcidResult:
    """Entries read from ORCID documents, and what could not be read."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, file: str, record: int, reason: str, raw: str = "") -> None:
        self.quarantine.append(
            {"source": "orcid", "file": file, "record": record, "reason": reason, "raw": raw}
        )

    def tables(self) -> dict[str, pa.Table]:
        cols = {n: [r.get(n) for r in self.rows] for n in ORCID_AFFILIATIONS_SCHEMA.names}
        q = {n: [r.get(n) for r in self.quarantine] for n in QUARANTINE_SCHEMA.names}
        return {
            "orcid_affiliations": pa.Table.from_pydict(cols, schema=ORCID_AFFILIATIONS_SCHEMA),
            "quarantine": pa.Table.from_pydict(q, schema=QUARANTINE_SCHEMA),
        }


def _year_month(value: Any, what: str) -> tuple[int | None, int | None]:
    """(year, month) of an ORCID date's parts (strings, or ``{"value": ...}`` in JSON)."""
    if not value:
        return None, None
    out = []
    for part in ("year", "month"):
        v = value.get(part)
        v = v.get("value") if isinstance(v, dict) else v
        if v is None or str(v).strip() == "":
            out.append(None)
            continue
        try:
            out.append(int(str(v).strip()))
        except ValueError as e:
            raise ValueError(f"{what} {part} {v!r} is not a number") from e
    return out[0], out[1]


def _country(code: Any) -> str | None:
    c = str(code).strip().upper() if code else ""
    return c if len(c) == 2 and pycountry.countries.get(alpha_2=c) else None


def _row(entry: dict[str, Any], kind: str, orcid: str | None, file: str, index: int) -> dict:
    """One output row from an entry's fields (already in the JSON shape)."""
    org = entry.get("organization") or {}
    address = org.get("address") or {}
    dis = org.get("disambiguated-organization") or {}
    source = (dis.get("disambiguation-source") or "").strip().upper() or None
    raw_id = (dis.get("disambiguated-organization-identifier") or "").strip() or None
    start = _year_month(entry.get("start-date"), "start")
    end = _year_month(entry.get("end-date"), "end")
    title = _text(entry.get("role-title"))
    put = entry.get("put-code")
    return {
        "orcid": orcid,
        "section": kind,
        "put_code": int(put) if put not in (None, "") else None,
        "role_title": title,
        "degree": degree_of(title) if kind != "employment" else None,
        "department": _text(entry.get("department-name")),
        "organisation": _text(org.get("name")),
        "city": _text(address.get("city")),
        "region": _text(address.get("region")),
        "country": _country(address.get("country")),
        "org_id": short_id(raw_id) if source == "ROR" and raw_id else None,
        "org_id_source": source,
        "org_id_raw": raw_id,
        "start_year": start[0],
        "start_month": start[1],
        "end_year": end[0],
        "end_month": end[1],
        "file": file,
        "record": index,
    }


def _text(v: Any) -> str | None:
    v = v.get("value") if isinstance(v, dict) else v
    s = str(v).strip() if v is not None else ""
    return s or None


def _orcid_in(path: Any) -> str | None:
    m = ORCID_ID.search(str(path or ""))
    return m.group(0) if m else None


# -- XML ---------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(e: Element, name: str) -> Element | None:
    return next((c for c in e if _local(c.tag) == name), None)


def _xml_entry(e: Element) -> dict[str, Any]:
    """An XML entry's fields in the JSON shape."""

    def text(parent: Element | None, name: str) -> str | None:
        c = _child(parent, name) if parent is not None else None
        return c.text if c is not None else None

    def date(name: str) -> dict[str, Any] | None:
        d = _child(e, name)
        return {"year": text(d, "year"), "month": text(d, "month")} if d is not None else None

    org = _child(e, "organization")
    address = _child(org, "address") if org is not None else None
    dis = _child(org, "disambiguated-organization") if org is not None else None
    return {
        "put-code": e.get("put-code"),
        "path": e.get("path"),
        "role-title": text(e, "role-title"),
        "department-name": text(e, "department-name"),
        "start-date": date("start-date"),
        "end-date": date("end-date"),
        "organization": {
            "name": text(org, "name"),
            "address": {k: text(address, k) for k in ("city", "region", "country")},
            "disambiguated-organization": {
                k: text(dis, k)
                for k in ("disambiguated-organization-identifier", "disambiguation-source")
            },
        },
    }


def read_xml(data: bytes, file: str, orcid: str | None = None) -> OrcidResult:
    """Entries of an XML record, section or single entry (``orcid``: the iD the document
    was asked for; else the one its ``path`` names)."""
    out = OrcidResult()
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException) as e:
        out.reject(file, -1, f"not well-formed XML ({e})", data[:2000].decode("utf-8", "replace"))
        return out
    owner = orcid or _orcid_in(root.get("path"))
    if owner is None:  # a record names its iD in <orcid-identifier><path>
        ident = next((e for e in root.iter() if _local(e.tag) == "orcid-identifier"), None)
        path = _child(ident, "path") if ident is not None else None
        owner = _orcid_in(path.text if path is not None else None)
    index = 0
    for e in root.iter():
        kind = _local(e.tag).removesuffix("-summary")
        if kind not in _KINDS or _child(e, "organization") is None:
            continue
        try:
            entry = _xml_entry(e)
            out.rows.append(_row(entry, kind, owner or _orcid_in(entry["path"]), file, index))
        except (ValueError, TypeError) as err:
            out.reject(file, index, f"{kind} entry: {err}")
        index += 1
    return out


# -- JSON --------------------------------------------------------------------------------


def _json_entries(doc: Any, kind: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(kind, entry)`` for every entry of a JSON document: ``<kind>-summary`` objects
    of a record or section, or the document itself when it is one entry of ``kind``."""
    if isinstance(doc, dict):
        if kind in _KINDS and "organization" in doc:
            yield kind, doc
            return
        for k, v in doc.items():
            inner = k.removesuffix("-summary")
            yield from _json_entries(v, inner if inner in _KINDS else None)
    elif isinstance(doc, list):
        for v in doc:
            yield from _json_entries(v, kind)


def read_json(
    data: bytes, file: str, orcid: str | None = None, kind: str | None = None
) -> OrcidResult:
    """Entries of a JSON record, section or single entry (``kind``: the entry kind of a
    single entry, which its JSON does not name)."""
    out = OrcidResult()
    try:
        doc = loads(data.decode("utf-8", "replace"))
    except ValueError as e:
        out.reject(file, -1, f"malformed JSON ({e})", data[:2000].decode("utf-8", "replace"))
        return out
    owner = orcid
    if owner is None and isinstance(doc, dict):
        ident = doc.get("orcid-identifier") or {}
        owner = _orcid_in(ident.get("path") if isinstance(ident, dict) else None)
        owner = owner or _orcid_in(doc.get("path"))
    for index, (k, entry) in enumerate(_json_entries(doc, kind)):
        try:
            out.rows.append(_row(entry, k, owner or _orcid_in(entry.get("path")), file, index))
        except (ValueError, TypeError, AttributeError) as err:
            out.reject(file, index, f"{k} entry: {err}")
    return out


def read_document(
    data: bytes, file: str, orcid: str | None = None, kind: str | None = None
) -> OrcidResult:
    """XML or JSON, told apart by the first character."""
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return read_json(data, file, orcid, kind)
    return read_xml(data, file, orcid)


# -- the annual public data file ---------------------------------------------------------


def public_members(
    fileobj: IO[bytes], name: str, orcids: Iterable[str] | None, problems: list[str]
) -> Iterator[tuple[str, str, bytes]]:
    """``(iD, member path, bytes)`` of the XML or JSON members of an ORCID public data
    file (a tar.gz, read as a stream; the iD is in each member's path); with ``orcids``,
    only those records. An archive cut short ends the members there, with a note in
    ``problems``."""
    wanted = set(orcids) if orcids is not None else None
    try:
        with tarfile.open(fileobj=fileobj, mode="r|gz") as tar:
            for member in tar:
                if not member.isfile() or not member.name.endswith((".xml", ".json")):
                    continue
                owner = _orcid_in(member.name)
                if owner is None or (wanted is not None and owner not in wanted):
                    continue
                f = tar.extractfile(member)
                if f is not None:
                    yield owner, member.name, f.read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        problems.append(f"{name}: archive cut short or unreadable ({e}); kept what came before")


def read_public_data_file(path: Path, orcids: Iterable[str] | None = None) -> OrcidResult:
    """Entries of the records in an ORCID public data file (:func:`public_members`),
    streamed member by member; with ``orcids``, only those records. A truncated archive
    keeps what came before the cut and notes it."""
    out = OrcidResult()
    problems: list[str] = []
    with path.open("rb") as f:
        for owner, member, data in public_members(f, path.name, orcids, problems):
            part = read_document(data, f"{path.name}:{member}", owner)
            out.rows.extend(part.rows)
            out.quarantine.extend(part.quarantine)
    for p in problems:
        out.reject(path.name, -1, p)
    return out


def extract_public_data_file(
    fileobj: IO[bytes], name: str, orcids: Iterable[str], data_dir: Path
) -> dict[str, Any]:
    """Copy the members of the records of ``orcids`` from a public data file into
    :func:`record_dir` (``<iD>/public-<member file name>``), where a build reads them
    like fetched sections; each is written whole (a temporary name, then renamed), and
    one already there is kept. Returns the iDs found, the members written and kept, and
    the problems (an archive cut short)."""
    out: dict[str, Any] = {"orcids": set(), "written": 0, "present": 0, "problems": []}
    for owner, member, data in public_members(fileobj, name, orcids, out["problems"]):
        out["orcids"].add(owner)
        dest = record_dir(data_dir) / owner / f"public-{PurePosixPath(member).name}"
        if dest.exists() and dest.stat().st_size == len(data):
            out["present"] += 1
            continue
        write_atomic(dest, data)
        out["written"] += 1
    return out


# -- the public API ----------------------------------------------------------------------

#: ORCID's public API (no token needed for public data; a token raises the rate limit)
PUBLIC_API = "https://pub.orcid.org/v3.0"
#: ORCID's documented limit for the public API: 24 requests a second
REQUESTS_PER_SECOND = 24.0
_MEDIA = {"xml": "application/vnd.orcid+xml", "json": "application/vnd.orcid+json"}


class OrcidClient:
    """Sections of public ORCID records, by iD, at most :data:`REQUESTS_PER_SECOND`,
    with the downloader's retries (connection errors, 5xx, 429 and its Retry-After)."""

    def __init__(
        self,
        base_url: str = PUBLIC_API,
        *,
        token: str | None = None,
        fmt: str = "xml",
        downloader: Downloader | None = None,
        per_second: float = REQUESTS_PER_SECOND,
    ) -> None:
        if fmt not in _MEDIA:
            raise ValueError(f"format {fmt!r}: xml or json")
        self.base_url = base_url.rstrip("/")
        self.fmt = fmt
        self.headers = {"Accept": _MEDIA[fmt]}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.downloader = downloader or Downloader()
        self._interval = 1.0 / per_second
        self._last = 0.0

    def section(self, orcid: str, section: str) -> bytes | None:
        """One section of a record (``educations``, ...); None when the iD is unknown."""
        if not ORCID_ID.fullmatch(orcid):
            raise ValueError(f"{orcid!r} is not an ORCID iD (0000-0000-0000-000X)")
        wait = self._last + self._interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        return self.downloader.get_bytes(f"{self.base_url}/{orcid}/{section}", self.headers)


def record_dir(data_dir: Path) -> Path:
    """Where fetched ORCID sections are kept: ``orcid/records/<iD>/<section>.<xml|json>``."""
    return data_dir / "orcid" / "records"


def fetch_records(
    client: OrcidClient,
    orcids: Iterable[str],
    data_dir: Path,
    sections: Iterable[str] = SECTIONS,
    on_record: Callable[[str], None] | None = None,
) -> dict[str, list[str]]:
    """Fetch the sections of each record into :func:`record_dir`; sections already there
    are kept (an interrupted fetch continues where it stopped), each written whole
    (to a temporary name, then renamed). Returns ``fetched``, ``present`` and ``missing``
    (iDs ORCID does not know)."""
    out: dict[str, list[str]] = {"fetched": [], "present": [], "missing": []}
    for orcid in orcids:
        for section in sections:
            dest = record_dir(data_dir) / orcid / f"{section}.{client.fmt}"
            if dest.exists():
                out["present"].append(f"{orcid}/{section}")
                continue
            body = client.section(orcid, section)
            if body is None:
                out["missing"].append(orcid)
                break
            write_atomic(dest, body)
            out["fetched"].append(f"{orcid}/{section}")
        if on_record:
            on_record(orcid)
    return out


def record_files(data_dir: Path) -> list[Path]:
    """The fetched sections under :func:`record_dir`."""
    root = record_dir(data_dir)
    return sorted(root.glob("*/*.xml")) + sorted(root.glob("*/*.json")) if root.is_dir() else []


def read_records(data_dir: Path) -> OrcidResult:
    """Every record file under :func:`record_dir` (fetched sections and members of a
    public data file), read, the iD from the folder. An entry read from two files (a
    section and the public data file's copy of it: same iD, section and put-code)
    counts once."""
    out = OrcidResult()
    seen: set[tuple] = set()  # of the files before
    for p in record_files(data_dir):
        part = read_document(p.read_bytes(), p.relative_to(data_dir).as_posix(), p.parent.name)
        keys = [(r["orcid"], r["section"], r["put_code"]) for r in part.rows]
        out.rows.extend(r for r, k in zip(part.rows, keys, strict=True) if k not in seen)
        seen.update(k for k in keys if k[2] is not None)
        out.quarantine.extend(part.quarantine)
    return out
