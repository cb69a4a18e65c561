"""The institution registry: ROR records (and local ones) as an index.

The registry side (:class:`Institutions`) holds, per ROR id, its display name, country,
types, status and relationships, and derives

- the **sector** from *all* types (education wins over funder: a university that also
  funds research is academia; facilities and hospitals take their parent's sector);
- the **top organisation** by following ``parent`` links (Google DeepMind -> Alphabet
  when the parent is in the registry copy) and so the **headquarters country**;
- the **successor** of a withdrawn or inactive record, when ROR names one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlparse

import pyarrow as pa

from talentatlas.resolve.countries import (
    registered_domain,
)

SECTORS = ("academia", "industry", "government", "nonprofit", "other")


_ABBREV = {
    "univ": "university", "universidade": "university", "uni": "university",
    "inst": "institute", "instit": "institute", "tech": "technology", "technol": "technology",
    "natl": "national", "nat": "national", "dept": "department", "lab": "laboratory",
    "labs": "laboratories", "ctr": "center", "centre": "center", "sci": "science",
    "acad": "academy", "coll": "college", "res": "research", "intl": "international",
    "st": "saint", "mt": "mount", "hosp": "hospital", "med": "medical", "corp": "corporation",
    "co": "company", "assoc": "association", "polytech": "polytechnic",
}  # fmt: skip


_PUNCT = re.compile(r"[^0-9a-z ]+")


_SPACES = re.compile(r"\s+")


#: words no institution name is told apart by
STOP_WORDS = {"the", "of", "and", "for", "de", "di", "del", "der", "des", "du", "la", "le", "y", "at",
         "in", "et", "und", "da", "do", "dos", "das", "a", "an", "e", "fur"}  # fmt: skip


@lru_cache(maxsize=1 << 18)  # the same names and chunks recur across affiliations
def norm_org(text: str) -> str:
    """Normalised organisation name: accents folded, lower case, common abbreviations
    expanded, punctuation removed.

    >>> norm_org("Univ. of São Paulo")
    'university of sao paulo'
    >>> norm_org("Max-Planck-Institut für Informatik")
    'max planck institut fur informatik'
    """
    s = text
    if not s.isascii():
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = s.lower()
    s = s.replace("&", " and ").replace("'", "").replace("’", "")
    s = _SPACES.sub(" ", _PUNCT.sub(" ", s)).strip()
    words = [_ABBREV.get(w, w) for w in s.split()]
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def token_key(normed: str) -> str:
    """Order-free key: content words, sorted (``cagliari university`` = ``university of cagliari``)."""
    return " ".join(sorted({w for w in normed.split() if w not in STOP_WORDS}))


#: a URL whose host is plain letters, digits, dots and hyphens (no user, port or IPv6)
_PLAIN_HOST = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//([A-Za-z0-9.-]*)(?:[/?#]|$)")


def url_host(url: str) -> str | None:
    """A URL's host, lower case, as :func:`urllib.parse.urlparse` reads it (a bare
    ``example.org/x`` counts as a host); None when it has none. A plain host is read
    directly, five times faster than parsing."""
    u = url if "//" in url else "//" + url
    m = _PLAIN_HOST.match(u)
    if m is not None:
        return m.group(1).lower() or None
    return parsed_host(u)


def parsed_host(url: str) -> str | None:
    """A URL's host as :func:`urllib.parse.urlparse` reads it (None when it cannot)."""
    try:
        return urlparse(url).hostname or None
    except ValueError:
        return None


def host_domain(url: str) -> str | None:
    """The registered domain of a URL's host (``https://www.cs.ox.ac.uk/x`` -> ``ox.ac.uk``)."""
    host = url_host(url)
    if not host:
        return None
    host = host.removeprefix("www.")
    return registered_domain(host) if "." in host else None


def sector_from_types(types: list[str]) -> str | None:
    """Sector from all of an institution's ROR types; None when only the parent can tell."""
    t = set(types)
    if "education" in t:
        return "academia"
    if "company" in t:
        return "industry"
    if "government" in t:
        return "government"
    if t & {"nonprofit", "archive"}:
        return "nonprofit"
    if t & {"facility", "healthcare", "other"}:
        return None
    if "funder" in t:
        return "nonprofit"
    return None


@dataclass
class Institutions:
    """The registry in memory: records, relationships and derived attributes."""

    name: dict[str, str] = field(default_factory=dict)
    country: dict[str, str | None] = field(default_factory=dict)
    types: dict[str, list[str]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    successor: dict[str, str] = field(default_factory=dict)
    domains: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    link_domains: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    names: list[tuple[str, str, str]] = field(default_factory=list)  # (ror_id, name, kind)
    sector_override: dict[str, str] = field(default_factory=dict)
    parent_override: dict[str, str] = field(default_factory=dict)
    country_override: dict[str, str] = field(default_factory=dict)
    #: records the corrections declare multinational (True) or not (False)
    declared_multinational: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def from_tables(cls, tables: dict[str, pa.Table]) -> Institutions:
        reg = cls()
        for r in tables["institutions"].to_pylist():
            rid = r["ror_id"]
            reg.name[rid] = r["name"]
            reg.country[rid] = r["country"]
            reg.types[rid] = r["types"] or []
            reg.status[rid] = r["status"]
            reg.domains[rid] = sorted(
                {registered_domain(d) for d in r["domains"] or [] if "." in d}
            )
            links = {h for h in (host_domain(u) for u in r["links"] or []) if h}
            reg.link_domains[rid] = sorted(links)
        for r in tables["institution_names"].to_pylist():
            reg.names.append((r["ror_id"], r["name"], r["kind"]))
        for r in tables["institution_relations"].to_pylist():
            if r["other_id"] not in reg.name:
                continue
            if r["relation"] == "parent":
                reg.parents[r["ror_id"]].append(r["other_id"])
            elif r["relation"] == "successor":
                reg.successor.setdefault(r["ror_id"], r["other_id"])
        for v in reg.parents.values():
            v.sort()
        return reg

    def add(self, rid: str, name: str, country: str | None, types: list[str],
            aliases: list[str], domains: list[str]) -> None:  # fmt: skip
        """A local institution (from the corrections file) beside the ROR records."""
        self.name[rid] = name
        self.country[rid] = country
        self.types[rid] = types
        self.status[rid] = "active"
        self.domains[rid] = sorted({registered_domain(d) for d in domains})
        self.names.append((rid, name, "display"))
        self.names.extend((rid, a, "alias") for a in aliases)

    def current(self, rid: str) -> str:
        """The record to use for ``rid``: its successor chain for withdrawn/inactive ones."""
        seen = {rid}
        while self.status.get(rid) != "active" and rid in self.successor:
            nxt = self.successor[rid]
            if nxt in seen:
                break
            seen.add(nxt)
            rid = nxt
        return rid

    def parent(self, rid: str) -> str | None:
        if rid in self.parent_override:
            return self.parent_override[rid] or None
        ps = self.parents.get(rid)
        return ps[0] if ps else None

    def chain(self, rid: str) -> list[str]:
        """``rid`` and its ancestors up to the top organisation."""
        out = [rid]
        while (p := self.parent(out[-1])) and p not in out:
            out.append(p)
        return out

    def top(self, rid: str) -> str:
        return self.chain(rid)[-1]

    def country_of(self, rid: str) -> str | None:
        return self.country_override.get(rid) or self.country.get(rid)

    def multinational(self, rid: str) -> bool:
        """Whether the record's name stands for staff in several countries, so that its
        location is the organisation's seat rather than where an author works (Google
        DeepMind, Meta): declared so in the corrections. A record naming one site
        (Microsoft Research Asia) is not."""
        return self.declared_multinational.get(rid, False)

    def sector(self, rid: str) -> tuple[str, str]:
        """``(sector, evidence)``: override, own types, then the nearest ancestor's types."""
        if rid in self.sector_override:
            return self.sector_override[rid], "correction"
        for i, r in enumerate(self.chain(rid)):
            s = self.sector_override.get(r) or sector_from_types(self.types.get(r, []))
            if s:
                return s, "ror-types" if i == 0 else "ror-parent-types"
        t = set(self.types.get(rid, []))
        if "facility" in t:
            return "academia", "ror-facility"
        return "other", "ror-types"


INSTITUTIONS_TABLE = pa.schema(
    [
        ("institution_id", pa.string()),
        ("name", pa.string()),
        ("country", pa.string()),
        ("types", pa.list_(pa.string())),
        ("status", pa.string()),
        ("sector", pa.string()),
        ("sector_evidence", pa.string()),
        ("parent_id", pa.string()),
        ("org_id", pa.string()),
        ("org_name", pa.string()),
        ("hq_country", pa.string()),
        ("successor_id", pa.string()),
        ("domains", pa.list_(pa.string())),
    ]
)


def institutions_table(reg: Institutions) -> pa.Table:
    """One row per institution with its derived sector, parent, top organisation and
    headquarters country (what the warehouse's ``institutions`` table holds)."""
    rows = []
    for rid in sorted(reg.name):
        top = reg.top(rid)
        sector, evidence = reg.sector(rid)
        succ = reg.current(rid)
        rows.append(
            {
                "institution_id": rid,
                "name": reg.name[rid],
                "country": reg.country_of(rid),
                "types": reg.types.get(rid, []),
                "status": reg.status.get(rid),
                "sector": sector,
                "sector_evidence": evidence,
                "parent_id": reg.parent(rid),
                "org_id": top,
                "org_name": reg.name[top],
                "hq_country": reg.country_of(top),
                "successor_id": succ if succ != rid else None,
                "domains": reg.domains.get(rid, []) or reg.link_domains.get(rid, []),
            }
        )
    return pa.Table.from_pylist(rows, schema=INSTITUTIONS_TABLE)
