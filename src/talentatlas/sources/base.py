"""Canonical records every source adapter produces, and the adapter contract.

An adapter reads one input file and returns a :class:`ParseResult`: rows of the
canonical landing tables (``works``, ``authorships``, ``affiliations``) plus the
records it could not read (``quarantine``), each with its provenance (source, file,
record index). Adding a source means adding one module and one registry entry.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

WORKS_SCHEMA = pa.schema(
    [
        ("work_id", pa.string()),
        ("source", pa.string()),
        ("venue", pa.string()),
        ("year", pa.int32()),
        ("paper_id", pa.string()),
        ("title", pa.string()),
        ("status", pa.string()),
        ("track", pa.string()),
        ("accepted", pa.bool_()),
        ("tier", pa.string()),
        ("n_authors", pa.int32()),
        # the OpenAlex subfield of the work's primary topic (``1702``)
        ("subfield", pa.string()),
        # the DOI, lower case without ``https://doi.org/`` (``10.1109/cvpr.2016.90``)
        ("doi", pa.string()),
        # citations when the source counts them (OpenAlex ``cited_by_count``; a paper
        # list's Google Scholar count ``gs_citation``), as of the source's snapshot
        ("citations", pa.int64()),
        # when the source last changed the record (OpenAlex ``updated_date``): of two
        # versions of a work in one source, the later one is kept
        ("updated", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)

AUTHORSHIPS_SCHEMA = pa.schema(
    [
        ("work_id", pa.string()),
        ("position", pa.int32()),
        ("name", pa.string()),
        ("name_norm", pa.string()),
        ("openreview_id", pa.string()),
        # another OpenReview id of the same author (the paper's id when it differs from
        # the profile's: one person, two ids)
        ("openreview_alias", pa.string()),
        ("email_key", pa.string()),
        ("source_author_id", pa.string()),
        ("dblp", pa.string()),
        ("orcid", pa.string()),
        ("google_scholar", pa.string()),
        ("role", pa.string()),
        ("source", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)

AFFILIATIONS_SCHEMA = pa.schema(
    [
        ("work_id", pa.string()),
        ("position", pa.int32()),
        ("aff_pos", pa.int32()),
        ("raw", pa.string()),
        ("inst_src", pa.string()),
        ("country_src", pa.string()),
        ("domain", pa.string()),
        # the institution's ROR id where the source gives one (OpenAlex)
        ("ror_src", pa.string()),
        # OpenAlex: the institution's id (``openalex:I…``) and type (``education``,
        # ``company``, ...), as the work gives them
        ("inst_src_id", pa.string()),
        ("inst_type", pa.string()),
        ("source", pa.string()),
        ("file", pa.string()),
    ]
)

#: works a source withdrew: merged into another (``into``) or deleted (``into`` null)
RETIRED_SCHEMA = pa.schema(
    [
        ("work_id", pa.string()),
        ("into", pa.string()),
        ("date", pa.string()),
        ("source", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)

#: the affiliation years of OpenAlex author profiles (``affiliations[].years``):
#: supporting evidence beside the works' affiliations, never a career of its own
AUTHOR_YEARS_SCHEMA = pa.schema(
    [
        ("author_id", pa.string()),  # openalex:A…
        ("orcid", pa.string()),
        ("name", pa.string()),
        ("inst_src_id", pa.string()),  # openalex:I…
        ("ror_src", pa.string()),
        ("inst_src", pa.string()),
        ("country_src", pa.string()),
        ("year", pa.int32()),
        ("updated", pa.string()),
        ("source", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)

#: OpenAlex institutions and sources (venues): ``kind`` ``institution`` or ``source``
ENTITIES_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("entity_id", pa.string()),  # openalex:I… / openalex:S…
        ("name", pa.string()),
        ("type", pa.string()),
        ("country_src", pa.string()),
        ("ror_src", pa.string()),
        # institutions: the parent chain, nearest first (``lineage`` without the
        # institution itself); sources: the host organisation's chain
        ("lineage", pa.string()),
        ("venue", pa.string()),  # sources: the atlas's venue name, where one
        ("issn_l", pa.string()),
        ("updated", pa.string()),
        ("source", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)

#: author -> country maps of a venue-year (``sources.authormaps``)
AUTHOR_COUNTRIES_SCHEMA = pa.schema(
    [
        ("venue", pa.string()),
        ("year", pa.int32()),
        ("openreview_id", pa.string()),
        ("name", pa.string()),
        ("name_norm", pa.string()),
        ("country", pa.string()),
        ("source", pa.string()),
        ("record", pa.int64()),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
        ("reason", pa.string()),
        ("raw", pa.string()),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "works": WORKS_SCHEMA,
    "authorships": AUTHORSHIPS_SCHEMA,
    "affiliations": AFFILIATIONS_SCHEMA,
    "author_countries": AUTHOR_COUNTRIES_SCHEMA,
    "retired": RETIRED_SCHEMA,
    "author_years": AUTHOR_YEARS_SCHEMA,
    "entities": ENTITIES_SCHEMA,
    "quarantine": QUARANTINE_SCHEMA,
}


class RecordError(ValueError):
    """A record that cannot be read; it is quarantined with this message."""


@dataclass
class ParseResult:
    """What an adapter read from one file."""

    source: str
    file: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in SCHEMAS})
    unknown_fields: set[str] = field(default_factory=set)
    records: int = 0
    problems: list[str] = field(default_factory=list)

    def quarantine(self, record: int, reason: str, raw: str) -> None:
        self.rows["quarantine"].append(
            {
                "source": self.source,
                "file": self.file,
                "record": record,
                "reason": reason,
                "raw": raw,
            }
        )

    def tables(self) -> dict[str, pa.Table]:
        """The rows as Arrow tables of the canonical landing schemas (source filled in)."""
        out = {}
        for k, rows in self.rows.items():
            names = SCHEMAS[k].names
            if "source" in names:
                for r in rows:
                    r.setdefault("source", self.source)
            if "file" in names:
                for r in rows:
                    r.setdefault("file", self.file)
            out[k] = pa.Table.from_pylist(rows, schema=SCHEMAS[k])
        return out


class Adapter(Protocol):
    """One source format."""

    name: str
    #: bump when parsing changes, so cached landing results are recomputed
    version: int

    def discover(self, root: Path) -> list[Path]:
        """Input files of this source under a data directory."""
        ...

    def parse(self, path: Path, rel: str) -> ParseResult:
        """Read one file; never raises for bad records, only quarantines them."""
        ...


_FILE_RE = re.compile(
    r"^(?P<venue>[a-z0-9]+?)(?P<year>(19|20)\d{2})(?:@[0-9a-f]+)?(?:\.init)?\.jsonl?(?:\.gz)?$"
)


def venue_year(path: Path) -> tuple[str, int]:
    """Venue directory name and year from a file name such as ``icml2025@89449bb548.jsonl.gz``."""
    m = _FILE_RE.match(path.name)
    if not m:
        raise RecordError(f"file name {path.name!r} does not look like <venue><year>.json[l][.gz]")
    return m["venue"], int(m["year"])


def short_id(value: Any) -> str | None:
    """The last part of an id URL: ``https://ror.org/05x2bcf33`` -> ``05x2bcf33``,
    ``https://openalex.org/W123`` -> ``W123`` (an id already short stays as it is;
    anything but text is None)."""
    if type(value) is not str:
        return None
    v = value.rsplit("/", 1)[-1]
    if v and v.strip() == v:  # the common case, without copies
        return v
    return value.strip().rstrip("/").rsplit("/", 1)[-1] or None


def text_field(rec: dict[str, Any], key: str) -> str:
    """A string field of a record; missing or null is empty; other types are an error.

    HTML entities left by scraping (``&quot;``, ``&amp;``) are decoded, so that their
    ``;`` is not taken for a separator."""
    v = rec.get(key)
    if v is None:
        return ""
    if isinstance(v, str):
        return html.unescape(v) if "&" in v else v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v)
    raise RecordError(f"field {key!r} should be text, got {type(v).__name__}")


_DOI = re.compile(r"10\.\d{4,9}/\S+")


def doi_of(value: Any) -> str | None:
    """A DOI in its plain form, lower case (``https://doi.org/10.1109/CVPR.2016.90`` ->
    ``10.1109/cvpr.2016.90``); None when ``value`` holds none."""
    m = _DOI.search(value) if isinstance(value, str) else None
    return m.group(0).rstrip(".").lower() if m else None


def count_field(rec: dict[str, Any], key: str) -> int | None:
    """A count (citations): a whole number of at least 0, or None where the source has
    none (missing, null, empty, or a negative "unknown" such as ``-1``); another type is
    an error."""
    v = rec.get(key)
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, str):
        v = v.strip().replace(",", "")
        if not v or (v.lstrip("-").isdigit() and v.startswith("-")):
            return None
        if not v.isdigit():
            raise RecordError(f"field {key!r} should be a count, got {v[:40]!r}")
        return int(v)
    if isinstance(v, int):
        return v if v >= 0 else None
    if isinstance(v, float) and v.is_integer():
        return int(v) if v >= 0 else None
    raise RecordError(f"field {key!r} should be a count, got {type(v).__name__}")


def count_or_note(
    rec: dict[str, Any], key: str, index: int, problems: list[str] | None
) -> int | None:
    """:func:`count_field`, with an unreadable count noted in ``problems`` (a file's)
    and left empty: a bad citation count does not cost the work."""
    try:
        return count_field(rec, key)
    except RecordError as e:
        if problems is not None:
            problems.append(f"record {index}: {e}; left empty")
        return None


def parse_records(
    result: ParseResult,
    items: list[tuple[int, Any, str]],
    handle: Callable[[int, dict[str, Any]], None],
    known: set[str],
) -> None:
    """Apply ``handle`` to each decoded record, quarantining the ones it rejects."""
    for index, obj, raw in items:
        if isinstance(obj, Exception):
            result.quarantine(index, str(obj), raw)
            continue
        if not isinstance(obj, dict):
            result.quarantine(index, f"record is a {type(obj).__name__}, not an object", raw)
            continue
        result.records += 1
        result.unknown_fields.update(k for k in obj if k not in known)
        try:
            handle(index, obj)
        except RecordError as e:
            result.quarantine(index, str(e), raw)
