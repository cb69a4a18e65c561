"""Affiliation resolution: raw affiliation evidence -> institution (ROR id when the
matcher finds one), country, sector, top organisation, with the evidence used.

It runs once per *distinct* combination of (raw string, source's normalised name,
source's country, e-mail domain), so the work is proportional to distinct
affiliations, not to authorships; the engine joins the result back. Many distinct
affiliations are resolved on every core: each worker process receives the resolver
(the matcher's indexes, built once) and resolves slices of the rows; resolution is a
pure function of the row, so the result does not depend on how the rows are split.
"""

from __future__ import annotations

import gc
import pickle
import re
from dataclasses import dataclass

import ibis
import pyarrow as pa

from talentatlas.resolve.countries import (
    TERRITORY_PARENT,
    DomainTable,
    country_from_name,
    country_from_text,
    country_from_tld,
    is_webmail,
    mainland_campus,
    registered_domain,
    territory_named,
)
from talentatlas.resolve.matcher import AffiliationMatcher
from talentatlas.resolve.sectors import ACADEMIA, COMPANIES, sector_of
from talentatlas.workers import clean_context, collector_paused

KEY_COLUMNS = ["raw", "inst_src", "country_src", "domain", "ror_src"]

#: ``country_evidence`` values that are inferred rather than read off the authorship:
#: an author map, the paper's affiliations listed without saying whose, and the
#: person's located country that year for a multinational's bare name
INFERRED_EVIDENCE = ("author-map", "paper-institution", "paper-country", "person-year")

RESOLVED_SCHEMA = pa.schema(
    [
        ("raw", pa.string()),
        ("inst_src", pa.string()),
        ("country_src", pa.string()),
        ("domain", pa.string()),
        ("ror_src", pa.string()),
        ("institution_id", pa.string()),
        ("institution", pa.string()),
        ("org_id", pa.string()),
        ("country", pa.string()),
        ("hq_country", pa.string()),
        ("sector", pa.string()),
        ("country_evidence", pa.string()),
        ("sector_evidence", pa.string()),
        ("match_score", pa.int32()),
        ("match_evidence", pa.string()),
    ]
)

_STRONG = re.compile(r"univ|universit|college|institut|école|ecole|hochschule|academ", re.I)
_SPACES = re.compile(r"\s+")


def institution_name(raw: str) -> str | None:
    """The institution inside a raw affiliation string.

    ``"Department of Computing, The Hong Kong Polytechnic University, Hong Kong SAR, China"``
    -> ``"Hong Kong Polytechnic University"``.
    """
    parts = [p.strip(" .;") for p in re.split(r",|\s-\s|\|", raw) if p.strip(" .;")]
    if not parts:
        return None
    chosen = None
    for p in parts:
        if COMPANIES.search(p):
            chosen = p
            break
    if chosen is None:
        for p in parts:
            if _STRONG.search(p) and not re.match(r"(?i)(school|faculty|dep|dept|college) of", p):
                chosen = p
                break
    if chosen is None:
        for p in parts:
            if ACADEMIA.search(p) and not re.match(r"(?i)(dep|dept|lab)", p):
                chosen = p
                break
    chosen = chosen or parts[0]
    chosen = re.sub(r"(?i)^the\s+", "", chosen)
    chosen = re.sub(r"\s*\([^)]*\)\s*$", "", chosen) or chosen
    return _SPACES.sub(" ", chosen).strip() or None


@dataclass
class AffiliationResolver:
    """Per distinct affiliation key: the matched institution (ROR id, name, top
    organisation, location and headquarters country, sector from its types), or for
    unmatched text the first-pass evidence (country from source/text/domain, sector
    from name and domain rules)."""

    domains: DomainTable
    matcher: AffiliationMatcher | None = None

    def resolve(
        self,
        raw: str | None,
        inst_src: str | None,
        country_src: str | None,
        domain: str | None,
        ror_src: str | None = None,
    ) -> dict:
        key_domain = domain
        if is_webmail(domain):  # a free-mail address says nothing about the affiliation
            domain = None
        m = (
            self.matcher.match(raw, inst_src, country_src, domain, ror_src)
            if self.matcher
            else None
        )
        if m is not None and m.ror_id is not None:
            reg = self.matcher.reg
            rid = m.ror_id
            top = reg.top(rid)
            country = reg.country_of(rid)
            sector, sector_evidence = reg.sector(rid)
            out = self._evidence(raw, inst_src, country_src, domain)
            # the registry record's location, unless the string names a territory the
            # record's country contains (a lab in Hong Kong of a company in China), or
            # names the mainland campus of a Hong Kong or Macao institution
            named = territory_named(raw) or territory_named(inst_src)
            if named and TERRITORY_PARENT.get(named) == country:
                country = named
            # and a Hong Kong university's mainland campus is in China
            elif TERRITORY_PARENT.get(country or "") and mainland_campus(raw or inst_src, domain):
                country = TERRITORY_PARENT[country or ""]
            if country and reg.multinational(rid):
                # a multinational's record gives its seat: the author works where the
                # string or its e-mail's country code says, if either does
                located = self._located(raw, inst_src, domain)
                out["country"], out["country_evidence"] = located or (country, "seat")
            elif country:
                out["country"], out["country_evidence"] = country, "institution"
            out.update(
                institution_id=rid, institution=reg.name[rid], org_id=top,
                hq_country=reg.country_of(top) or out["country"], sector=sector,
                sector_evidence=sector_evidence, match_score=m.score, match_evidence=m.evidence,
            )  # fmt: skip
            out["domain"], out["ror_src"] = key_domain, ror_src
            return out
        out = self._evidence(raw, inst_src, country_src, domain)
        out["domain"], out["ror_src"] = key_domain, ror_src
        out.update(
            institution_id=None, org_id=None, hq_country=out["country"],
            match_score=m.score if m else None, match_evidence=m.evidence if m else None,
        )  # fmt: skip
        return out

    @staticmethod
    def _located(
        raw: str | None, inst_src: str | None, domain: str | None
    ) -> tuple[str, str] | None:
        """``(country, evidence)`` from what places this one author: a country or
        territory the string names, else the e-mail's country-code domain. (A source's
        country field is not used: for a bare company name it is the source's own guess
        — COLT 2024 files "Microsoft" under the United Kingdom.)"""
        for text in (raw, inst_src):
            if text and (c := territory_named(text) or country_from_text(text)):
                return c, "text"
        if c := country_from_tld(domain):
            return c, "domain-tld"
        return None

    def _evidence(
        self, raw: str | None, inst_src: str | None, country_src: str | None, domain: str | None
    ) -> dict:
        institution = inst_src or (institution_name(raw) if raw else None)
        if institution is None and domain:
            institution = self.domains.name_by_domain.get(registered_domain(domain))
        # weighed in this order (the registry record's location comes second, in
        # resolve): a territory the string names (Taiwan, Hong Kong, Macao); the
        # source's country field (whose "China" gives way to a Taiwan/Hong Kong/Macao
        # e-mail domain or domain/name-table entry); the country at the end of the
        # string; the e-mail's
        # country-code domain; the domain table; the name table
        country = territory_named(raw) or territory_named(inst_src)
        evidence = "text" if country else None
        if country is None:
            country = country_from_name(country_src)
            evidence = "source" if country else None
            if country in TERRITORY_PARENT.values():
                other = (
                    country_from_tld(domain),
                    self.domains.country_of_domain(domain),
                    self.domains.country_of_name(institution),
                    self.domains.country_of_name(raw),
                )
                territory = next((c for c in other if TERRITORY_PARENT.get(c) == country), None)
                if territory:
                    country, evidence = territory, "source+territory"
        if country is None and raw:
            country = country_from_text(raw)
            evidence = "text" if country else None
        if country is None:
            country = country_from_tld(domain)
            evidence = "domain-tld" if country else None
        if country is None:
            country = self.domains.country_of_domain(domain)
            evidence = "domain-table" if country else None
        if country is None:
            country = self.domains.country_of_name(institution) or self.domains.country_of_name(raw)
            evidence = "name-table" if country else None
        sector, sector_evidence = sector_of(institution or raw, domain)
        if sector is None and raw and institution != raw:
            sector, sector_evidence = sector_of(raw, None)
        return {
            "raw": raw, "inst_src": inst_src, "country_src": country_src, "domain": domain,
            "institution": institution, "country": country, "sector": sector,
            "country_evidence": evidence, "sector_evidence": sector_evidence,
        }  # fmt: skip

    def pickled(self) -> bytes:
        """The resolver as the worker processes receive it."""
        with collector_paused():
            return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    def resolve_table(
        self, distinct: pa.Table, workers: int = 1, payload: bytes | None = None
    ) -> pa.Table:
        """One resolved row per row of ``distinct`` (the :data:`KEY_COLUMNS`), in order,
        on ``workers`` processes (which receive ``payload``, this resolver pickled, when
        given: :meth:`pickled`)."""
        with collector_paused():  # a dict per key, all kept until the table is made
            cols = [distinct.column(c).to_pylist() for c in KEY_COLUMNS]
            keys = list(zip(*cols, strict=True))
            if workers > 1 and len(keys) >= _PARALLEL_FROM:
                size = -(-len(keys) // (workers * 8))  # a few slices a worker, for balance
                slices = [keys[i : i + size] for i in range(0, len(keys), size)]
                me = payload or pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
                ctx = clean_context()
                with ctx.Pool(workers, initializer=_receive, initargs=(me,)) as pool:
                    rows = [r for part in pool.map(_resolve_slice, slices) for r in part]
            else:
                rows = [self.resolve(*k) for k in keys]
            return pa.Table.from_pylist(rows, schema=RESOLVED_SCHEMA)


#: fewer distinct affiliations than this are resolved in-process (starting workers and
#: sending them the resolver, about 5 s, costs more)
_PARALLEL_FROM = 50_000
#: a worker's resolver (set by :func:`_receive` when the worker starts)
_WORKER: AffiliationResolver | None = None
#: why the worker's resolver could not be loaded, if it could not
_FAILED = ""


def _receive(resolver: bytes) -> None:
    global _WORKER, _FAILED
    try:
        with collector_paused():  # they live as long as the worker: frozen, never walked
            _WORKER = pickle.loads(resolver)
    except Exception as e:
        # a pool replaces a worker whose initializer raises, forever: the error is kept
        # and raised by the work instead, which the pool hands back to the caller
        _FAILED = f"{type(e).__name__}: {e}"
    gc.freeze()


def _resolve_slice(keys: list[tuple]) -> list[dict]:
    if _WORKER is None:
        raise RuntimeError(f"affiliation resolver could not be loaded in a worker: {_FAILED}")
    return [_WORKER.resolve(*k) for k in keys]


def _keyed(t: ibis.Table) -> ibis.Table:
    return t.mutate(**{f"k_{c}": t[c].fill_null("") for c in KEY_COLUMNS})


def join_resolution(aff: ibis.Table, resolved: ibis.Table) -> ibis.Table:
    """``affiliations`` joined with their resolution (by the key columns, nulls
    equal); a country taken from an author map is marked inferred (``author-map``)."""
    a, r = _keyed(aff), _keyed(resolved)
    j = a.join(r.drop(*KEY_COLUMNS), [a[f"k_{c}"] == r[f"k_{c}"] for c in KEY_COLUMNS])
    evidence = (j.source == "author_map").ifelse("author-map", j.country_evidence)
    return j.select(
        "work_id", "position", "aff_pos", "raw", "inst_src", "domain", "institution_id",
        "institution", "org_id", "country", "hq_country", "sector",
        country_evidence=evidence, sector_evidence=j.sector_evidence,
        match_score=j.match_score, match_evidence=j.match_evidence,
    )  # fmt: skip
