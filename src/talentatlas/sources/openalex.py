"""OpenAlex works, read from a snapshot laid out like OpenAlex's own (or pages saved
by the API client in the same layout), mapped to the canonical landing rows.

**Layout.** Under ``<data dir>/openalex/snapshot/`` (a copy of ``s3://openalex/data/``,
either the older ``works/`` or the newer ``jsonl/works/`` prefix)::

    [jsonl/]works/updated_date=YYYY-MM-DD/part_NNN.gz     JSON Lines, one work a line
    [jsonl/]works/manifest                               (read by the snapshot tools)
    merged_ids/works/YYYY-MM-DD.csv.gz                   merge_date,id,merge_into_id

Every file is one landing entry, keyed by its content hash, so a new partition is the
only thing an update parses. A work seen in several partitions keeps its latest
version (``updated_date``; ``canonical.works``). A merged id (``merge_into_id`` set)
and a deleted id (``merge_into_id`` empty) become rows of ``retired``, and the
canonical tables leave those works out.

**Mapping.** A work (``openalex:W…``): the venue is the primary location's source,
as the atlas's venue name where the source is one of its conferences
(:data:`~talentatlas.sources.openalex_entities.SOURCE_VENUES`, by name, workshops
excepted), else ``openalex:S…`` (which a user's field may list); year, title, DOI,
citation count (``cited_by_count``), ``paper_id`` (the W id), ``updated``. Authors,
institutions and sources in the same layout are mapped by
:mod:`~talentatlas.sources.openalex_entities`.
A published work counts as accepted, a retracted one not. Each authorship: position,
name (``display_name``, else the raw name), OpenAlex author id, ORCID. Each of its
institutions: a row of ``affiliations`` with the raw affiliation string that names it,
its name, country code and ROR id (which the affiliation resolver takes as it is
where the registry knows it); raw strings that name no institution become rows of
their own; an authorship with neither keeps OpenAlex's country codes.

Records are streamed line by line (:func:`~talentatlas.sources.reading.stream_lines`)
and landed in batches, so memory stays bounded whatever a part's size. Each line is
parsed with simdjson, and only the fields the mapping reads become Python objects;
fields the adapter does not know are reported from one record in :data:`KEYS_EVERY`
(a new field reaches every record of a snapshot). A
malformed line or a record that is not a work is quarantined; a truncated gzip part
keeps every line before the cut.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import simdjson

from talentatlas.resolve.names import normalise_name
from talentatlas.sources.base import (
    ParseResult,
    RecordError,
    count_or_note,
    doi_of,
    short_id,
)
from talentatlas.sources.openalex_entities import (
    ENTITIES,
    map_entity,
    openalex_ref,
    ror_id,
    text_value,
    venue_of,
)
from talentatlas.sources.openalex_entities import KNOWN_FIELDS as ENTITY_FIELDS
from talentatlas.sources.reading import stream_lines

__all__ = ["OpenAlexSnapshot", "map_work", "ror_id", "venue_of"]

SNAPSHOT_DIR = Path("openalex") / "snapshot"
#: records a landing batch holds (bounded memory for parts of any size)
BATCH = 20_000
#: the work fields the mapping reads; the others are never decoded into Python objects
_READ = ("id", "doi", "title", "display_name", "publication_year", "authorships",
         "updated_date", "is_retracted", "type", "cited_by_count")  # fmt: skip
#: the top-level fields of one record in this many are checked for unknown ones
KEYS_EVERY = 64

#: the work fields this adapter knows (read or deliberately ignored); others are
#: reported as unknown fields in the ``files`` table
KNOWN_FIELDS = frozenset({
    "id", "doi", "title", "display_name", "publication_year", "publication_date", "type",
    "type_crossref", "primary_location", "locations", "best_oa_location", "authorships",
    "cited_by_count", "updated_date", "created_date", "is_retracted", "is_paratext",
    "primary_topic", "topics", "keywords", "concepts", "ids", "language", "open_access",
    "biblio", "referenced_works", "referenced_works_count", "related_works",
    "counts_by_year", "abstract_inverted_index", "abstract_inverted_index_v3", "mesh",
    "grants", "funders", "awards", "apc_list", "apc_paid", "fwci", "has_fulltext",
    "fulltext_origin", "indexed_in", "institutions", "institutions_distinct_count",
    "countries_distinct_count", "corresponding_author_ids",
    "corresponding_institution_ids", "citation_normalized_percentile",
    "cited_by_percentile_year", "cited_by_api_url", "locations_count",
    "sustainable_development_goals", "datasets", "versions", "institution_assertions",
    "content_urls", "has_content", "is_xpac",
})  # fmt: skip

_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])")
_PARTITION = re.compile(r"updated_date=(\d{4}-\d{2}-\d{2})")


def _dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"{what} should be an object, got {type(value).__name__}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{what} should be a list, got {type(value).__name__}")
    return value


def map_work(
    rec: dict[str, Any],
    file: str,
    record: int,
    partition: str | None,
    problems: list[str] | None = None,
) -> dict:
    """One OpenAlex work as ``{"works": [...], "authorships": [...], "affiliations":
    [...]}`` rows (see the module doc; columns left out are null); raises
    :class:`RecordError` for a record that is not a readable work. An unreadable
    citation count is left empty and noted in ``problems``."""
    wid = short_id(rec.get("id"))
    if not wid or wid[0] not in "Ww":
        raise RecordError(f"not an OpenAlex work id: {rec.get('id')!r}")
    year = rec.get("publication_year")
    if type(year) is not int:
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year)
        else:
            raise RecordError(f"work {wid}: publication_year should be a year, got {year!r}")
    work_id = f"openalex:{wid}"
    loc = _dict(rec.get("primary_location"), "primary_location")
    venue = venue_of(_dict(loc.get("source"), "primary_location.source"))
    authorships = _list(rec.get("authorships"), "authorships")
    updated = text_value(rec, "updated_date")[:10] or partition
    topic = _dict(rec.get("primary_topic"), "primary_topic")
    subfield = short_id(_dict(topic.get("subfield"), "primary_topic.subfield").get("id"))
    retracted = rec.get("is_retracted") is True
    works = [
        {"work_id": work_id, "venue": venue, "year": year, "paper_id": wid,
         "title": text_value(rec, "title") or text_value(rec, "display_name"),
         "status": "retracted" if retracted else "published",
         "track": text_value(rec, "type") or None, "accepted": not retracted,
         "n_authors": len(authorships), "subfield": subfield, "doi": doi_of(rec.get("doi")),
         "citations": count_or_note(rec, "cited_by_count", record, problems), "updated": updated,
         "file": file, "record": record}
    ]  # fmt: skip
    auths: list[dict] = []
    affs: list[dict] = []
    for pos, a in enumerate(authorships):
        if type(a) is not dict:
            raise RecordError(f"authorships[{pos}] should be an object, got {type(a).__name__}")
        author = _dict(a.get("author"), f"authorships[{pos}].author")
        name = text_value(author, "display_name") or text_value(a, "raw_author_name")
        orcid = author.get("orcid")
        found = _ORCID.search(orcid) if type(orcid) is str and orcid else None
        aid = short_id(author.get("id"))
        auths.append(
            {"work_id": work_id, "position": pos, "name": name,
             "name_norm": normalise_name(name) if name else "",
             "source_author_id": f"openalex:{aid}" if aid else None,
             "orcid": found.group(1) if found else None, "file": file, "record": record}
        )  # fmt: skip
        _affiliations(a, work_id, pos, affs)
    return {"works": works, "authorships": auths, "affiliations": affs}


def _affiliations(a: dict[str, Any], work_id: str, pos: int, out: list[dict]) -> None:
    """An authorship's institutions, each with the raw string that names it; then the
    raw strings that name none; else the authorship's country codes (appended to
    ``out``)."""
    raw_of: dict[str, str] = {}
    raws: list[str] = []
    for i, aff in enumerate(_list(a.get("affiliations"), f"authorships[{pos}].affiliations")):
        aff = _dict(aff, f"authorships[{pos}].affiliations[{i}]")
        text = text_value(aff, "raw_affiliation_string").strip()
        if text and text not in raws:
            raws.append(text)
        if text:
            for iid in _list(aff.get("institution_ids"), "institution_ids"):
                if k := short_id(iid):
                    raw_of.setdefault(k, text)
    for text in _list(a.get("raw_affiliation_strings"), "raw_affiliation_strings"):
        if type(text) is str and (t := text.strip()) and t not in raws:
            raws.append(t)
    k = 0
    used: set[str] = set()
    for i, inst in enumerate(_list(a.get("institutions"), f"authorships[{pos}].institutions")):
        inst = _dict(inst, f"authorships[{pos}].institutions[{i}]")
        raw = raw_of.get(short_id(inst.get("id")) or "")
        if raw:
            used.add(raw)
        out.append(
            {"work_id": work_id, "position": pos, "aff_pos": k, "raw": raw,
             "inst_src": text_value(inst, "display_name") or None,
             "country_src": text_value(inst, "country_code") or None,
             "ror_src": ror_id(inst.get("ror")),
             "inst_src_id": openalex_ref(inst.get("id")),
             "inst_type": text_value(inst, "type") or None}
        )  # fmt: skip
        k += 1
    for t in raws:
        if t not in used:
            out.append({"work_id": work_id, "position": pos, "aff_pos": k, "raw": t})
            k += 1
    if k == 0:
        for c in _list(a.get("countries"), f"authorships[{pos}].countries"):
            if type(c) is str and c.strip():
                out.append({"work_id": work_id, "position": pos, "aff_pos": k,
                            "country_src": c.strip()})  # fmt: skip
                k += 1


class OpenAlexSnapshot:
    """The snapshot's work partitions and merged ids (see the module doc)."""

    name = "openalex"
    version = 5

    def discover(self, root: Path) -> list[Path]:
        base = root / SNAPSHOT_DIR
        if not base.is_dir():
            return []
        parts = [
            p
            for p in base.rglob("*")
            if p.is_file()
            and p.name.endswith((".gz", ".jsonl", ".json", ".csv", ".parquet"))
            and (_entity_of(p) is not None or _is_merged_ids(p))
        ]
        return sorted(parts)

    def parse(self, path: Path, rel: str) -> ParseResult:
        """The whole file at once (:meth:`parse_batches` joined)."""
        out = ParseResult(self.name, rel)
        for part in self.parse_batches(path, rel):
            for table, rows in part.rows.items():
                out.rows[table].extend(rows)
            out.records += part.records
            out.unknown_fields |= part.unknown_fields
            out.problems.extend(part.problems)
        return out

    def parse_batches(self, path: Path, rel: str, size: int | None = None) -> Iterator[ParseResult]:
        """The file's rows, ``size`` (:data:`BATCH`) records at a time, so that memory
        stays bounded whatever the file's size; the last batch carries the file's
        problems."""
        size = size or BATCH
        result = ParseResult(self.name, rel)
        if _is_merged_ids(path):
            self._merged(path, result)
            yield result
            return
        m = _PARTITION.search(path.as_posix())
        partition = m.group(1) if m else None
        entity = _entity_of(path)
        if path.name.endswith(".parquet"):
            yield from self._parquet(path, rel, entity or "works", partition, size)
            return
        problems: list[str] = []
        parser = simdjson.Parser()
        for index, raw in enumerate(stream_lines(path, problems)):
            if not raw.strip():
                continue
            rec = _decode(parser, raw, index, result, entity)
            if rec is None:
                continue
            try:
                rows = _map(entity or "works", rec, rel, index, partition, result)
            except RecordError as e:
                result.quarantine(index, str(e), raw.decode("utf-8", errors="replace"))
                continue
            for table, r in rows.items():
                result.rows[table].extend(r)
            if result.records % size == 0:
                yield result
                result = ParseResult(self.name, rel)
        result.problems.extend(problems)
        if problems:
            result.quarantine(-1, "; ".join(problems), "")
        yield result

    def _parquet(
        self, path: Path, rel: str, entity: str, partition: str | None, size: int
    ) -> Iterator[ParseResult]:
        """A part of the snapshot's Parquet copy: rows are records in the API's shape
        (nested structs and lists), read ``size`` at a time and only the columns the
        mapping reads; the file's columns are checked once against the known fields."""
        try:
            pf = pq.ParquetFile(path)
        except (OSError, pa.ArrowInvalid) as e:
            result = ParseResult(self.name, rel)
            result.quarantine(-1, f"unreadable Parquet part ({e})", "")
            yield result
            return
        known = KNOWN_FIELDS if entity == "works" else ENTITY_FIELDS[entity]
        names = pf.schema_arrow.names
        wanted = (*_READ, "primary_location", "primary_topic") if entity == "works" else names
        columns = [c for c in names if c in wanted]
        result = ParseResult(self.name, rel)
        result.unknown_fields.update(c for c in names if c not in known)
        index = 0
        try:
            for batch in pf.iter_batches(batch_size=size, columns=columns):
                for rec in batch.to_pylist():
                    result.records += 1
                    stamp = rec.get("updated_date")
                    if stamp is not None and not isinstance(stamp, str):  # a timestamp column
                        rec["updated_date"] = stamp.isoformat()
                    try:
                        rows = _map(entity, rec, rel, index, partition, result)
                    except RecordError as e:
                        result.quarantine(index, str(e), str(rec)[:2000])
                    else:
                        for table, r in rows.items():
                            result.rows[table].extend(r)
                    index += 1
                yield result
                result = ParseResult(self.name, rel)
        except (OSError, pa.ArrowInvalid) as e:  # a part cut short keeps its whole batches
            result.quarantine(-1, f"Parquet part unreadable after record {index} ({e})", "")
            result.problems.append(f"unreadable after record {index}: {e}")
        yield result

    def _merged(self, path: Path, result: ParseResult) -> None:
        """``merge_date,id,merge_into_id`` rows: merged (or, without a target, deleted)
        work ids."""
        problems: list[str] = []
        text = b"\n".join(stream_lines(path, problems)).decode("utf-8", errors="replace")
        result.problems.extend(problems)
        reader = csv.DictReader(io.StringIO(text))
        missing = {"id", "merge_into_id"} - set(reader.fieldnames or [])
        if missing:
            result.quarantine(-1, f"merged-ids file lacks column(s) {sorted(missing)}", "")
            return
        for index, row in enumerate(reader):
            wid = short_id(row.get("id"))
            if not wid or not wid.upper().startswith("W"):
                result.quarantine(index, f"not an OpenAlex work id: {row.get('id')!r}", str(row))
                continue
            result.records += 1
            into = short_id(row.get("merge_into_id"))
            result.rows["retired"].append(
                {"work_id": f"openalex:{wid}", "into": f"openalex:{into}" if into else None,
                 "date": (row.get("merge_date") or "")[:10] or None, "record": index}
            )  # fmt: skip


def _map(
    entity: str, rec: dict, rel: str, index: int, partition: str | None, result: ParseResult
) -> dict:
    """The landing rows of one record of ``entity``."""
    if entity == "works":
        return map_work(rec, rel, index, partition, result.problems)
    return map_entity(entity, rec, index, partition)


def _decode(
    parser: Any, raw: bytes, index: int, result: ParseResult, entity: str | None = "works"
) -> dict | None:
    """The fields :func:`map_work` reads, decoded from one line (the others are only
    checked to be valid JSON, never turned into Python objects; authors, institutions
    and sources are decoded whole); None, with the line quarantined, when it is not a
    JSON object."""
    try:
        doc = parser.parse(raw)
    except (ValueError, UnicodeDecodeError) as e:
        reason = str(e).split(":")[0] if "TAPE_ERROR" in str(e) else str(e)
        result.quarantine(index, f"line {index + 1}: malformed JSON ({reason})",
                          raw.decode("utf-8", errors="replace"))  # fmt: skip
        return None
    if not isinstance(doc, simdjson.Object):
        result.quarantine(index, f"record is a {type(doc).__name__}, not an object",
                          raw.decode("utf-8", errors="replace"))  # fmt: skip
        return None
    result.records += 1
    known = KNOWN_FIELDS if entity == "works" else ENTITY_FIELDS[entity or ""]
    if result.records % KEYS_EVERY == 1:  # new fields reach every record: a sample suffices
        keys = doc.keys()
        if not known.issuperset(keys):
            result.unknown_fields.update(k for k in keys if k not in known)
    if entity != "works":
        rec = doc.as_dict()
        del doc
        return rec
    rec = {k: _plain(v) for k in _READ if (v := doc.get(k)) is not None}
    # of the primary location and topic, only the parts the mapping reads
    for key, path in (("primary_location", "source"), ("primary_topic", "subfield")):
        v = doc.get(key)
        if isinstance(v, simdjson.Object):
            inner = v.get(path)
            rec[key] = {path: _ids(inner) if isinstance(inner, simdjson.Object) else _plain(inner)}
        elif v is not None:
            rec[key] = _plain(v)
    del doc  # the parser is reused for the next line only when nothing refers to it
    return rec


def _ids(obj: Any) -> dict[str, Any]:
    return {k: _plain(v) for k in ("id", "display_name") if (v := obj.get(k)) is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    if isinstance(value, simdjson.Array):
        return value.as_list()
    return value


def _entity_of(p: Path) -> str | None:
    """``works``, ``authors``, ``institutions`` or ``sources`` for a snapshot part."""
    kind = p.parent.parent.name
    if p.parent.name.startswith("updated_date=") and (kind == "works" or kind in ENTITIES):
        return kind
    return None


def _is_merged_ids(p: Path) -> bool:
    return p.parent.name == "works" and p.parent.parent.name == "merged_ids"
