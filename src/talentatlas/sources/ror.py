"""ROR, the Research Organization Registry: institution records -> registry tables.

Reads ROR records in either schema (v2: ``names``/``locations``/``types`` lists; v1:
``name``/``aliases``/``acronyms``/``labels``/``addresses``/``country``) from JSON Lines
(optionally gzipped), a JSON array, or the official dump zip (which holds one JSON
array per schema; when a zip carries both, the v2 file is read). Records that cannot be
read are reported with file and record index and skipped; the rest are kept.

Three tables come out:

- ``institutions``: one row per ROR id — display name, country (of its first
  location), city, all types, status, established year, domains, links, schema;
- ``institution_names``: every name by kind (``display``, ``label``, ``alias``,
  ``acronym``) and language;
- ``institution_relations``: ``(ror_id, relation, other_id)`` for parent, child,
  related, successor and predecessor links.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from talentatlas.landing import file_sha256
from talentatlas.sources.base import short_id
from talentatlas.sources.reading import iter_json_array, iter_json_lines, read_text

INSTITUTIONS_SCHEMA = pa.schema(
    [
        ("ror_id", pa.string()),
        ("name", pa.string()),
        ("country", pa.string()),
        ("city", pa.string()),
        ("types", pa.list_(pa.string())),
        ("status", pa.string()),
        ("established", pa.int32()),
        ("domains", pa.list_(pa.string())),
        ("links", pa.list_(pa.string())),
        ("schema", pa.string()),
        ("file", pa.string()),
    ]
)
NAMES_SCHEMA = pa.schema(
    [
        ("ror_id", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("lang", pa.string()),
    ]
)
RELATIONS_SCHEMA = pa.schema(
    [("ror_id", pa.string()), ("relation", pa.string()), ("other_id", pa.string())]
)

RELATIONS = {"parent", "child", "related", "successor", "predecessor"}


@dataclass
class Registry:
    """ROR records as rows of the three registry tables (plus what could not be read)."""

    institutions: list[dict[str, Any]] = field(default_factory=list)
    names: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pa.Table]:
        return {
            "institutions": pa.Table.from_pylist(self.institutions, INSTITUTIONS_SCHEMA),
            "institution_names": pa.Table.from_pylist(self.names, NAMES_SCHEMA),
            "institution_relations": pa.Table.from_pylist(self.relations, RELATIONS_SCHEMA),
        }


def _ints(v: Any) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _v2(rec: dict[str, Any]) -> tuple[dict, list[dict], list[dict]]:
    rid = short_id(rec["id"])
    names = []
    display = None
    for n in rec.get("names") or []:
        value = (n.get("value") or "").strip()
        if not value:
            continue
        kinds = n.get("types") or ["label"]
        if "ror_display" in kinds:
            display = value
        kind = (
            "display"
            if "ror_display" in kinds
            else "acronym"
            if "acronym" in kinds
            else "alias"
            if "alias" in kinds
            else "label"
        )
        names.append({"ror_id": rid, "name": value, "kind": kind, "lang": n.get("lang")})
    if display is None:
        raise ValueError("no ror_display name")
    loc = (rec.get("locations") or [{}])[0].get("geonames_details") or {}
    inst = {
        "ror_id": rid,
        "name": display,
        "country": (loc.get("country_code") or None),
        "city": loc.get("name"),
        "types": [str(t).lower() for t in rec.get("types") or []],
        "status": rec.get("status") or "active",
        "established": _ints(rec.get("established")),
        "domains": [d.lower() for d in rec.get("domains") or []],
        "links": [
            lk.get("value") if isinstance(lk, dict) else str(lk) for lk in rec.get("links") or []
        ],
        "schema": "v2",
    }
    rels = [
        {"ror_id": rid, "relation": r["type"].lower(), "other_id": short_id(r.get("id"))}
        for r in rec.get("relationships") or []
        if str(r.get("type", "")).lower() in RELATIONS and r.get("id")
    ]
    return inst, names, rels


def _v1(rec: dict[str, Any]) -> tuple[dict, list[dict], list[dict]]:
    rid = short_id(rec["id"])
    display = (rec.get("name") or "").strip()
    if not display:
        raise ValueError("no name")
    names = [{"ror_id": rid, "name": display, "kind": "display", "lang": None}]
    for a in rec.get("aliases") or []:
        if a and a.strip():
            names.append({"ror_id": rid, "name": a.strip(), "kind": "alias", "lang": None})
    for a in rec.get("acronyms") or []:
        if a and a.strip():
            names.append({"ror_id": rid, "name": a.strip(), "kind": "acronym", "lang": None})
    for lb in rec.get("labels") or []:
        if lb.get("label"):
            names.append(
                {
                    "ror_id": rid,
                    "name": lb["label"].strip(),
                    "kind": "label",
                    "lang": lb.get("iso639"),
                }
            )
    addr = (rec.get("addresses") or [{}])[0]
    country = (rec.get("country") or {}).get("country_code")
    links = rec.get("links") or []
    domains = [d.lower() for d in rec.get("domains") or []]
    inst = {
        "ror_id": rid,
        "name": display,
        "country": country or None,
        "city": addr.get("city"),
        "types": [str(t).lower() for t in rec.get("types") or []],
        "status": rec.get("status") or "active",
        "established": _ints(rec.get("established")),
        "domains": domains,
        "links": [str(x) for x in links if x],
        "schema": "v1",
    }
    rels = [
        {"ror_id": rid, "relation": r["type"].lower(), "other_id": short_id(r.get("id"))}
        for r in rec.get("relationships") or []
        if str(r.get("type", "")).lower() in RELATIONS and r.get("id")
    ]
    return inst, names, rels


def record_rows(rec: Any) -> tuple[dict, list[dict], list[dict]]:
    """Rows of the three tables for one ROR record of either schema."""
    if not isinstance(rec, dict) or not str(rec.get("id", "")).startswith("https://ror.org/"):
        raise ValueError("not a ROR record (no https://ror.org/ id)")
    return _v2(rec) if "names" in rec else _v1(rec)


def _records(path: Path, problems: list[str]) -> Iterator[tuple[int, Any]]:
    """``(record index, decoded record or exception)`` for one file."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            members = [m for m in z.namelist() if m.endswith(".json")]
            chosen = [m for m in members if "schema_v2" in m][:1] or members[:1]
            text = z.read(chosen[0]).decode("utf-8") if chosen else "[]"
    else:
        text, read_problems = read_text(path)
        problems.extend(f"{path.name}: {p}" for p in read_problems)
    items = iter_json_array(text) if text.lstrip().startswith("[") else iter_json_lines(text)
    for index, rec, _raw in items:
        yield index, rec


def read_registry(paths: list[Path], registry: Registry | None = None) -> Registry:
    """Read ROR record files; a later file's record replaces an earlier one with the same id."""
    reg = registry or Registry()
    seen: dict[str, int] = {}
    for path in paths:
        for index, rec in _records(path, reg.problems):
            if isinstance(rec, Exception):
                reg.problems.append(f"{path.name} record {index}: {rec}")
                continue
            try:
                inst, names, rels = record_rows(rec)
            except (KeyError, ValueError, TypeError, AttributeError, IndexError) as e:
                reg.problems.append(f"{path.name} record {index}: {e}")
                continue
            inst["file"] = path.name
            if inst["ror_id"] in seen:
                reg.problems.append(f"{path.name} record {index}: duplicate id {inst['ror_id']}")
                continue
            seen[inst["ror_id"]] = len(reg.institutions)
            reg.institutions.append(inst)
            reg.names.extend(names)
            reg.relations.extend(rels)
    return reg


#: File name patterns of ROR record files under a data directory.
PATTERNS = ("ror/ror_records*.json*", "ror/*ror-data*.zip", "ror/*ror-data*.json")


def discover(data_dir: Path) -> list[Path]:
    out: list[Path] = []
    for pat in PATTERNS:
        out.extend(p for p in sorted(data_dir.glob(pat)) if p.is_file())
    return sorted(set(out), key=lambda p: (not p.name.startswith("ror_records_latest"), p.name))


def load(paths: list[Path], cache_dir: Path) -> tuple[dict[str, pa.Table], list[str]]:
    """The registry tables for these files, read once and cached as Parquet by content."""
    h = hashlib.sha256(b"ror/1")
    for p in paths:
        h.update(p.name.encode())
        h.update(file_sha256(p).encode())
    key = h.hexdigest()[:20]
    cache = cache_dir / f"ror-{key}"
    names = ["institutions", "institution_names", "institution_relations"]
    if all((cache / f"{n}.parquet").exists() for n in names):
        return {n: pq.read_table(cache / f"{n}.parquet") for n in names}, []
    reg = read_registry(paths)
    tables = reg.tables()
    tmp = cache.with_name(cache.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for n, t in tables.items():
        pq.write_table(t, tmp / f"{n}.parquet")
    shutil.rmtree(cache, ignore_errors=True)
    tmp.rename(cache)
    return tables, reg.problems
