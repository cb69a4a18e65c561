"""OpenAlex authors, institutions and sources, mapped to landing rows.

They come from the snapshot's ``[jsonl/]authors|institutions|sources/updated_date=…/``
parts, or from pages the API client saved in the same layout, and are read by the same
snapshot adapter as works (:mod:`talentatlas.sources.openalex`).

- **Author** (``openalex:A…``): each ``affiliations[]`` entry's institution, once per
  year of its ``years`` list, as a row of ``author_years`` (institution id, ROR id,
  name, country code). These years are OpenAlex's summary of the author's works; the
  atlas keeps them as supporting evidence beside the careers it derives from the works
  themselves (``author_affiliations`` in the warehouse), never as a career of their own.
- **Institution** (``openalex:I…``): name, type, country code, ROR id and the parent
  chain (``lineage`` without the institution itself, nearest first), a row of
  ``entities`` (``kind = institution``).
- **Source** (``openalex:S…``): name, type, ISSN-L, the host organisation's chain, and
  the atlas's venue name where the source is one of its conferences
  (:func:`~talentatlas.sources.openalex.venue_of`), a row of ``entities``
  (``kind = source``).
"""

from __future__ import annotations

import re
from typing import Any

from talentatlas.sources.base import RecordError, short_id, text_field

#: the snapshot's entity folders this module maps, and the id letter of each
ENTITIES = {"authors": "A", "institutions": "I", "sources": "S"}

#: the fields of each entity the mapping knows (read or deliberately ignored)
KNOWN_FIELDS = {
    "authors": frozenset({
        "id", "orcid", "display_name", "display_name_alternatives", "works_count",
        "cited_by_count", "summary_stats", "ids", "affiliations", "last_known_institution",
        "last_known_institutions", "topics", "topic_share", "x_concepts", "counts_by_year",
        "works_api_url", "updated_date", "created_date",
    }),
    "institutions": frozenset({
        "id", "ror", "display_name", "country_code", "type", "type_id", "lineage",
        "homepage_url", "image_url", "image_thumbnail_url", "display_name_acronyms",
        "display_name_alternatives", "repositories", "works_count", "cited_by_count",
        "summary_stats", "ids", "geo", "international", "associated_institutions",
        "counts_by_year", "roles", "topics", "topic_share", "x_concepts", "is_super_system",
        "works_api_url", "updated_date", "created_date",
    }),
    "sources": frozenset({
        "id", "issn_l", "issn", "display_name", "host_organization", "host_organization_name",
        "host_organization_lineage", "works_count", "cited_by_count", "summary_stats", "is_oa",
        "is_in_doaj", "is_indexed_in_scopus", "is_core", "ids", "homepage_url", "apc_prices",
        "apc_usd", "country_code", "societies", "alternate_titles", "abbreviated_title", "type",
        "topics", "topic_share", "x_concepts", "counts_by_year", "works_api_url",
        "updated_date", "created_date",
    }),
}  # fmt: skip


#: the atlas's conferences as OpenAlex names their sources (series or yearly
#: proceedings); a name that mentions a workshop is never the main conference
SOURCE_VENUES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), v)
    for p, v in (
        (r"neural information processing systems", "neurips"),
        (r"international conference on machine learning\b", "icml"),
        (r"international conference on learning representations", "iclr"),
        (r"artificial intelligence and statistics", "aistats"),
        (r"uncertainty in artificial intelligence", "uai"),
        (r"conference on learning theory", "colt"),
        (r"computer vision and pattern recognition", "cvpr"),
        (r"international conference on computer vision\b", "iccv"),
        (r"european conference on computer vision", "eccv"),
        (r"annual meeting of the association for computational linguistics", "acl"),
        (r"empirical methods in natural language processing", "emnlp"),
        (r"north american chapter of the association for computational linguistics", "naacl"),
        (r"aaai conference on artificial intelligence", "aaai"),
        (r"international joint conference on artificial intelligence", "ijcai"),
        (r"conference on robot learning", "corl"),
        (r"international conference on robotics and automation", "icra"),
        (r"intelligent robots and systems", "iros"),
        (r"knowledge discovery (and|&) data mining", "kdd"),
        (r"research and development in information retrieval", "sigir"),
    )
)
_WORKSHOP = re.compile(r"workshop", re.I)


def ror_id(value: Any) -> str | None:
    """``https://ror.org/05x2bcf33`` -> ``05x2bcf33``."""
    v = short_id(value)
    return v.lower() if v and re.fullmatch(r"0[a-z0-9]{6}\d{2}", v.lower()) else None


def venue_of(source: dict[str, Any] | None) -> str | None:
    """The atlas's venue name of a primary-location source (see :data:`SOURCE_VENUES`)."""
    if not source:
        return None
    name = source.get("display_name") or ""
    if isinstance(name, str) and name and not _WORKSHOP.search(name):
        for pattern, venue in SOURCE_VENUES:
            if pattern.search(name):
                return venue
    sid = short_id(source.get("id"))
    return f"openalex:{sid}" if sid else None


def _entity_id(rec: dict[str, Any], entity: str) -> str:
    eid = openalex_ref(rec.get("id"))
    if not eid or eid[len("openalex:")] != ENTITIES[entity]:
        raise RecordError(f"not an OpenAlex {entity[:-1]} id: {rec.get('id')!r}")
    return eid


def text_value(d: dict[str, Any], key: str) -> str:
    """A string field ("" when missing or null; a number as text); another type is an
    error (:func:`~talentatlas.sources.base.text_field`, without its HTML unescaping,
    which is for scraped lists)."""
    v = d.get(key)
    return v if type(v) is str else text_field(d, key)


def _str(d: dict[str, Any], key: str) -> str | None:
    return text_value(d, key).strip() or None


def openalex_ref(value: Any) -> str | None:
    """``https://openalex.org/i27837315`` (or ``I27837315``) -> ``openalex:I27837315``."""
    v = short_id(value)
    return f"openalex:{v.upper()}" if v else None


def _chain(values: Any, own: str | None, what: str) -> str | None:
    """An id list as ``openalex:I1;openalex:I2`` (nearest first), ``own`` left out."""
    if values is None:
        return None
    if not isinstance(values, list):
        raise RecordError(f"{what} should be a list, got {type(values).__name__}")
    ids = [v for x in values if (v := openalex_ref(x))]
    return ";".join(i for i in ids if i != own) or None


def map_author(rec: dict[str, Any], record: int, updated: str | None) -> list[dict]:
    """``author_years`` rows: one per institution and year of ``affiliations``."""
    aid = _entity_id(rec, "authors")
    orcid = _str(rec, "orcid")
    orcid = orcid.rsplit("/", 1)[-1] if orcid else None
    name = _str(rec, "display_name")
    rows = []
    affiliations = rec.get("affiliations") or []
    if not isinstance(affiliations, list):
        raise RecordError(f"author {aid}: affiliations should be a list")
    for i, aff in enumerate(affiliations):
        if not isinstance(aff, dict) or not isinstance(aff.get("institution") or {}, dict):
            raise RecordError(f"author {aid}: affiliations[{i}] should be an object")
        inst = aff.get("institution") or {}
        years = aff.get("years") or []
        if not isinstance(years, list) or not all(type(y) is int for y in years):
            raise RecordError(f"author {aid}: affiliations[{i}].years should be years")
        for year in sorted(set(years)):
            rows.append(
                {"author_id": aid, "orcid": orcid, "name": name,
                 "inst_src_id": openalex_ref(inst.get("id")),
                 "ror_src": ror_id(inst.get("ror")),
                 "inst_src": _str(inst, "display_name"),
                 "country_src": _str(inst, "country_code"),
                 "year": year, "updated": updated, "record": record}
            )  # fmt: skip
    return rows


def map_institution(rec: dict[str, Any], record: int, updated: str | None) -> dict:
    """One ``entities`` row of kind ``institution``."""
    iid = _entity_id(rec, "institutions")
    return {
        "kind": "institution", "entity_id": iid,
        "name": _str(rec, "display_name"),
        "type": _str(rec, "type"),
        "country_src": _str(rec, "country_code"),
        "ror_src": ror_id(rec.get("ror")),
        "lineage": _chain(rec.get("lineage"), iid, "lineage"),
        "updated": updated, "record": record,
    }  # fmt: skip


def map_source(rec: dict[str, Any], record: int, updated: str | None) -> dict:
    """One ``entities`` row of kind ``source``."""
    sid = _entity_id(rec, "sources")
    host = rec.get("host_organization_lineage")
    if host is None and rec.get("host_organization"):
        host = [rec.get("host_organization")]
    venue = venue_of({"id": rec.get("id"), "display_name": rec.get("display_name")})
    return {
        "kind": "source", "entity_id": sid,
        "name": _str(rec, "display_name"),
        "type": _str(rec, "type"),
        "country_src": _str(rec, "country_code"),
        "lineage": _chain(host, None, "host_organization_lineage"),
        "venue": venue if venue and not venue.startswith("openalex:") else None,
        "issn_l": _str(rec, "issn_l"), "updated": updated, "record": record,
    }  # fmt: skip


def map_entity(entity: str, rec: dict[str, Any], record: int, partition: str | None) -> dict:
    """Landing rows of one author, institution or source record."""
    updated = _str(rec, "updated_date")
    updated = updated[:10] if updated else partition
    if entity == "authors":
        return {"author_years": map_author(rec, record, updated)}
    if entity == "institutions":
        return {"entities": [map_institution(rec, record, updated)]}
    return {"entities": [map_source(rec, record, updated)]}
