"""A simulated world's papers as OpenAlex works, written like OpenAlex's snapshot.

Each paper becomes one work (``W<n>``) at its venue's OpenAlex source name, with one
authorship per author: an OpenAlex author id derived from the person, the name, and the
institution of that year with its ROR id, country code and raw affiliation string. The
fields talentatlas does not read (abstract, references, concepts, counts by year ...)
can be copied from real OpenAlex records (``templates``), so that the files have the
size and make-up of real snapshot parts, for benchmarks."""

from __future__ import annotations

import gzip
import hashlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from talentatlas.sources.simulated import World

#: the OpenAlex source name of each simulated venue (matched by ``openalex_entities.SOURCE_VENUES``)
SOURCE_NAMES = {
    "neurips": "Neural Information Processing Systems",
    "icml": "International Conference on Machine Learning",
    "iclr": "International Conference on Learning Representations",
    "cvpr": "2023 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
    "acl": "Proceedings of the 61st Annual Meeting of the Association for Computational "
    "Linguistics (Volume 1: Long Papers)",
}
#: the fields a work's mapping reads; the rest may come from a template
_OWN = {"id", "title", "display_name", "publication_year", "primary_location", "authorships",
        "updated_date", "is_retracted", "primary_topic"}  # fmt: skip


def _number(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:12], 16)


def author_id(pid: str) -> str:
    return f"A{_number(pid)}"


def openalex_works(
    world: World,
    templates: list[dict[str, Any]] | None = None,
    updated: str = "2026-01-01",
    orcids: dict[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """The world's papers as OpenAlex work records, in the world's order (``orcids``:
    the ORCID iD of a person, by pid, carried on every authorship of that person)."""
    orcids = orcids or {}
    bulk = [{k: v for k, v in t.items() if k not in _OWN} for t in templates or [{}]]
    by_id = {p.openreview_id: p for p in world.people}
    for n, (venue, year, rec) in enumerate(world.papers):
        names = rec["author"].split(";")
        ids = rec["authorids"].split(";")
        authorships = []
        for name, oid, inst_i in zip(names, ids, world.paper_insts[n], strict=True):
            inst = world.institutions[inst_i]
            iid = f"https://openalex.org/I{inst_i + 1}"
            person = by_id[oid]
            authorships.append(
                {"author_position": "middle",
                 "author": {"id": f"https://openalex.org/{author_id(person.pid)}",
                            "display_name": name,
                            "orcid": f"https://orcid.org/{orcids[person.pid]}"
                            if person.pid in orcids else None},
                 "institutions": [{"id": iid, "display_name": inst.name,
                                   "ror": f"https://ror.org/{inst.ror_id}",
                                   "country_code": inst.country, "type": "education",
                                   "lineage": [iid]}],
                 "countries": [inst.country], "is_corresponding": False,
                 "raw_author_name": name, "raw_affiliation_strings": [inst.name],
                 "affiliations": [{"raw_affiliation_string": inst.name,
                                   "institution_ids": [iid]}]}
            )  # fmt: skip
        yield bulk[n % len(bulk)] | {
            "id": f"https://openalex.org/W{n + 1}",
            "title": rec["title"],
            "display_name": rec["title"],
            "publication_year": year,
            "primary_location": {
                "source": {
                    "id": f"https://openalex.org/S{_number(venue)}",
                    "display_name": SOURCE_NAMES.get(venue, venue),
                    "type": "conference",
                }
            },
            "authorships": authorships,
            "primary_topic": {"subfield": {"id": "https://openalex.org/subfields/1702"}},
            "is_retracted": False,
            "updated_date": f"{updated}T00:00:00",
        }


def write_snapshot(
    world: World,
    root: Path,
    *,
    part_bytes: int = 128 << 20,
    templates: list[dict[str, Any]] | None = None,
    updated: str = "2026-01-01",
    level: int = 6,
    shard: tuple[int, int] = (0, 1),
    orcids: dict[str, str] | None = None,
) -> list[Path]:
    """Write the works as ``works/updated_date=<updated>/part_NNN.gz`` under ``root``
    (an ``openalex/snapshot`` directory), each part about ``part_bytes`` of JSON before
    compression; returns the parts. ``shard = (k, n)`` writes every n-th work from the
    k-th (as ``part_<k>_NNN.gz``), so that n processes can write one snapshot."""
    part_dir = root / "works" / f"updated_date={updated}"
    part_dir.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    k, n = shard
    works = itertools.islice(openalex_works(world, templates, updated, orcids), k, None, n)
    prefix = "part_" if n == 1 else f"part_{k}_"
    work = next(works, None)
    while work is not None:
        parts.append(part_dir / f"{prefix}{len(parts):03d}.gz")
        with gzip.open(parts[-1], "wb", compresslevel=level) as out:
            written = 0
            while work is not None and written < part_bytes:
                line = orjson.dumps(work) + b"\n"
                out.write(line)
                written += len(line)
                work = next(works, None)
    return parts


def openalex_entities(world: World, updated: str = "2026-01-01") -> dict[str, list[dict]]:
    """The world's authors, institutions and sources as OpenAlex records: an author's
    ``affiliations`` list each institution their papers name, with the years of those
    papers (OpenAlex's own summary of an author's works)."""
    by_id = {p.openreview_id: p for p in world.people}
    years: dict[str, dict[int, set[int]]] = {}
    for n, (_venue, year, rec) in enumerate(world.papers):
        for oid, inst_i in zip(rec["authorids"].split(";"), world.paper_insts[n], strict=True):
            years.setdefault(by_id[oid].pid, {}).setdefault(inst_i, set()).add(year)

    def inst(i: int) -> dict[str, Any]:
        x = world.institutions[i]
        lineage = [f"https://openalex.org/I{i + 1}"]
        if x.parent is not None:
            lineage.append(f"https://openalex.org/I{x.parent + 1}")
        return {"id": lineage[0], "ror": f"https://ror.org/{x.ror_id}", "display_name": x.name,
                "country_code": x.country, "type": x.sector, "lineage": lineage}  # fmt: skip

    stamp = f"{updated}T00:00:00"
    authors = [
        {"id": f"https://openalex.org/{author_id(p.pid)}", "display_name": p.name,
         "affiliations": [{"institution": inst(i), "years": sorted(ys, reverse=True)}
                          for i, ys in sorted(years[p.pid].items())],
         "updated_date": stamp}
        for p in world.people if p.pid in years
    ]  # fmt: skip
    institutions = [inst(i) | {"updated_date": stamp} for i in range(len(world.institutions))]
    sources = [
        {"id": f"https://openalex.org/S{_number(v)}", "display_name": SOURCE_NAMES.get(v, v),
         "type": "conference", "updated_date": stamp}
        for v in sorted(set(world.venues))
    ]  # fmt: skip
    return {"authors": authors, "institutions": institutions, "sources": sources}


def write_entities(
    records: dict[str, list[dict]], root: Path, updated: str = "2026-01-01"
) -> list[Path]:
    """Each entity's records as ``<entity>/updated_date=<updated>/part_000.gz`` under
    ``root`` (an ``openalex/snapshot`` directory)."""
    out = []
    for entity, recs in records.items():
        path = root / entity / f"updated_date={updated}" / "part_000.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in recs)))
        out.append(path)
    return out


def write_world(world: World, data: Path, part_bytes: int = 200_000) -> dict[str, str]:
    """The world as an OpenAlex-only data directory: its institutions as the ROR
    registry, its papers as a snapshot whose authorships carry each person's ORCID iD
    (which keeps every person whole); returns the iDs by pid."""
    reg = data / "ror" / "ror_records_simulated.jsonl"
    reg.parent.mkdir(parents=True, exist_ok=True)
    reg.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in world.registry_records()))
    orcids = {p.pid: orcid_id(i + 1) for i, p in enumerate(world.people)}
    write_snapshot(world, data / "openalex" / "snapshot", part_bytes=part_bytes, orcids=orcids)
    return orcids


def orcid_id(n: int) -> str:
    """A well-formed ORCID iD for the n-th simulated person (check digit included)."""
    base = f"0000000{n:08d}"[-15:]
    total = 0
    for ch in base:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    digits = base + ("X" if check == 10 else str(check))
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def write_education(root: Path, orcid: str, degrees: list[tuple[str, str, str, int]]) -> Path:
    """An ORCID ``educations`` section (v3.0 JSON) of ``(role title, organisation,
    country, start year)`` entries (four years each), where ``fetch-orcid`` keeps it
    under ``root`` (a data directory)."""
    entries = [(t, org, c, y, y + 4, None) for t, org, c, y in degrees]
    return write_section(root, orcid, "education", entries)


def write_section(
    root: Path,
    orcid: str,
    kind: str,
    entries: list[tuple[str, str, str, int | None, int | None, str | None]],
) -> Path:
    """An ORCID section of ``kind`` entries (``education``, ``employment``; v3.0 JSON):
    ``(role title, organisation, country, start year, end year, ROR id)``, a missing
    year or id left out, where ``fetch-orcid`` keeps it under ``root``."""

    def year(y: int | None) -> dict | None:
        return {"year": {"value": str(y)}} if y is not None else None

    groups = []
    for k, (title, org, country, start, end, ror) in enumerate(entries):
        organisation: dict = {"name": org, "address": {"city": "City", "country": country}}
        if ror:
            organisation["disambiguated-organization"] = {
                "disambiguated-organization-identifier": f"https://ror.org/{ror}",
                "disambiguation-source": "ROR",
            }
        groups.append({"summaries": [{f"{kind}-summary": {
            "put-code": k + 1, "role-title": title, "start-date": year(start),
            "end-date": year(end), "organization": organisation,
        }}]})  # fmt: skip
    path = root / "orcid" / "records" / orcid / f"{kind}s.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({"affiliation-group": groups}))
    return path
