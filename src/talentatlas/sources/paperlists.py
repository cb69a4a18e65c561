"""papercopilot ``paperlists`` files: one JSON array of accepted (and some rejected) papers
per venue and year, at ``paperlists/<venue>/<venue><year>.json[.gz]``.

Quirks handled (see the data README): ``;`` or ``, `` separated author lists; doubled
ICRA/IROS author lists; ``0+1`` multi-affiliation indices into ``aff_unique_norm`` and
``aff_country_unique`` (whose empty entries are dropped from the per-author index, so
country is mapped per unique affiliation); CVPR's ``aff`` listing affiliations that do
not align with authors; years without affiliations; OpenReview-derived lists whose
empty slots were dropped (they do not align and are superseded by the OpenReview source).
Only professional fields are read; anything else in a record is ignored.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from talentatlas.config import canonical_venue
from talentatlas.resolve.names import normalise_name
from talentatlas.sources.base import (
    ParseResult,
    RecordError,
    count_or_note,
    doi_of,
    parse_records,
    text_field,
)
from talentatlas.sources.base import venue_year as _venue_year
from talentatlas.sources.fields import (
    email_domain,
    email_key,
    slots,
    source_author_id,
    split_authors,
    undouble,
)
from talentatlas.sources.reading import iter_json_array, read_text
from talentatlas.sources.tiers import ACCEPTED_TIERS, tier_of

KNOWN_FIELDS = {
    # read
    "id", "title", "status", "track", "author", "authors", "authorids", "aff", "aff_domain", "email",
    "position", "aff_unique_norm", "aff_unique_index", "aff_country_unique",
    "aff_country_unique_index",
    # known and deliberately not read
    "abstract", "keywords", "primary_area", "rating", "confidence", "rating_avg",
    "confidence_avg", "replies_avg", "authors#_avg", "corr_rating_confidence", "project",
    "github", "site", "openreview", "pdf", "pdf_size", "oa", "arxiv", "youtube", "video",
    "poster", "slides", "title_site", "bibtex", "doi", "award", "author_num",
    "aff_unique_abbr", "aff_unique_dep", "aff_unique_url", "aff_campus_unique",
    "aff_campus_unique_index", "gs_citation", "gs_cited_by_link", "gs_version_total",
    "tldr", "or_profile", "homepage", "dblp", "google_scholar", "orcid", "correctness",
    "technical_novelty", "empirical_novelty", "presentation", "correctness_avg",
    "technical_novelty_avg", "empirical_novelty_avg", "presentation_avg",
    "corr_rating_correctness",
}  # fmt: skip


def _indices(spec: str) -> list[int]:
    out = []
    for p in spec.split("+"):
        p = p.strip()
        if p.isdigit():
            out.append(int(p))
    return out


class Paperlists:
    name = "paperlists"
    version = 8

    def discover(self, root: Path) -> list[Path]:
        base = root / "paperlists"
        return sorted(p for p in base.glob("*/*.json*") if p.is_file()) if base.is_dir() else []

    def parse(self, path: Path, rel: str) -> ParseResult:
        result = ParseResult(self.name, rel)
        try:
            venue_dir, year = _venue_year(path)
        except RecordError as e:
            result.quarantine(-1, str(e), "")
            return result
        venue = canonical_venue(venue_dir)
        text, problems = read_text(path)
        result.problems.extend(problems)
        if problems:
            result.quarantine(-1, "; ".join(problems), "")
        if not text.strip():
            result.problems.append("empty file")
        items = iter_json_array(text)
        unknown: dict[str, int] = {}  # status values the tier table does not know
        seen: dict[str, int] = {}  # work id -> times seen (a file may repeat a record)

        def handle(index: int, rec: dict[str, Any]) -> None:
            self._record(result, venue, year, index, rec, unknown, seen)

        parse_records(result, items, handle, KNOWN_FIELDS)
        repeated = {w: n for w, n in seen.items() if n > 1}
        if repeated:
            result.problems.append(
                f"{len(repeated)} paper(s) listed more than once"
                f" ({sum(repeated.values()) - len(repeated)} repeats): the first kept"
            )
        for status, count in sorted(unknown.items()):
            result.problems.append(
                f"unknown status {status!r} on {count} record(s): counted as accepted"
            )
        return result

    def _record(
        self,
        result: ParseResult,
        venue: str,
        year: int,
        index: int,
        rec: dict[str, Any],
        unknown: dict[str, int],
        seen: dict[str, int],
    ) -> None:
        title = text_field(rec, "title")
        pid = text_field(rec, "id").strip()
        if not pid:
            if not title:
                raise RecordError("record has neither an id nor a title")
            pid = "t" + hashlib.sha1(title.strip().lower().encode()).hexdigest()[:12]
        work_id = f"{venue}:{year}:{pid}"
        seen[work_id] = seen.get(work_id, 0) + 1
        if seen[work_id] > 1:
            return  # a repeated record (SIGGRAPH 2025 lists some papers five times)
        status = text_field(rec, "status").strip()
        tier, known = tier_of(status)
        if not known:
            unknown[status] = unknown.get(status, 0) + 1
        # site-scraped lists name authors under ``author``; lists derived from OpenReview
        # (NeurIPS 2022/2023, ICLR 2023) under ``authors``
        author = text_field(rec, "author") or text_field(rec, "authors")
        names = undouble(
            split_authors(author), *(text_field(rec, k) for k in ("authorids", "aff", "email"))
        )
        n = len(names)
        result.rows["works"].append(
            {"work_id": work_id, "source": self.name, "venue": venue, "year": year,
             "paper_id": pid, "title": title, "status": status,
             "track": text_field(rec, "track"), "accepted": tier in ACCEPTED_TIERS,
             "tier": tier, "n_authors": n, "doi": doi_of(text_field(rec, "doi")),
             "citations": count_or_note(rec, "gs_citation", index, result.problems), "file": result.file,
             "record": index}
        )  # fmt: skip
        if n == 0:
            return
        ids = slots(text_field(rec, "authorids"), n) or [""] * n
        roles = slots(text_field(rec, "position"), n) or [""] * n
        for pos, (name, aid, role) in enumerate(zip(names, ids, roles, strict=True)):
            result.rows["authorships"].append(
                {"work_id": work_id, "position": pos, "name": name,
                 "name_norm": normalise_name(name),
                 "openreview_id": aid if aid.startswith("~") else None,
                 "openreview_alias": None, "email_key": email_key(aid), "source_author_id": source_author_id(aid, venue),
                 "dblp": None, "orcid": None, "google_scholar": None,
                 "role": role or None, "source": self.name, "file": result.file,
                 "record": index}
            )  # fmt: skip
        for row in _affiliations(rec, work_id, n, ids):
            result.rows["affiliations"].append(row)


def _affiliations(rec: dict[str, Any], work_id: str, n: int, ids: list[str]) -> list[dict]:
    aff = slots(text_field(rec, "aff"), n)
    domains = slots(text_field(rec, "aff_domain"), n) or slots(text_field(rec, "email"), n)
    uniq_norm = [s.strip() for s in text_field(rec, "aff_unique_norm").split(";")]
    uniq_index = slots(text_field(rec, "aff_unique_index"), n)
    countries = [s.strip() for s in text_field(rec, "aff_country_unique").split(";")]
    country_index = slots(text_field(rec, "aff_country_unique_index"), n)

    # unique affiliation index -> country name, learned from authors whose lists align
    aff_country: dict[int, str] = {}
    if uniq_index and country_index:
        for ui, ci in zip(uniq_index, country_index, strict=True):
            u, c = _indices(ui), _indices(ci)
            if len(u) == len(c):
                for a, b in zip(u, c, strict=True):
                    if b < len(countries) and countries[b]:
                        aff_country.setdefault(a, countries[b])

    # Affiliations that do not align with authors (CVPR's list of unique affiliations,
    # OpenReview-derived lists with dropped slots): with a single distinct affiliation
    # every author has it; otherwise they are kept at work level (position -1).
    rows: list[dict] = []
    if aff is None:
        listed = [a.strip() for a in text_field(rec, "aff").split(";") if a.strip()]
        distinct = list(dict.fromkeys(listed))
        if len(distinct) == 1:
            aff = distinct * n
        else:
            rows.extend(
                {"work_id": work_id, "position": -1, "aff_pos": j, "raw": a,
                 "inst_src": None, "country_src": None, "domain": None}
                for j, a in enumerate(distinct)
            )  # fmt: skip
    for pos in range(n):
        dom = email_domain(domains[pos]) if domains else None
        if dom is None and "@" in ids[pos]:
            dom = email_domain(ids[pos])
        raw_parts: list[str] = [aff[pos]] if aff is not None and aff[pos] else []
        u = _indices(uniq_index[pos]) if uniq_index else []
        if len(u) > 1 and len(raw_parts) == 1 and raw_parts[0].count("+") == len(u) - 1:
            raw_parts = [p.strip() for p in raw_parts[0].split("+")]
        aligned = len(u) == len(raw_parts) or not raw_parts
        k = max(len(raw_parts), len(u) if aligned else 0)
        for j in range(k):
            raw = raw_parts[j] if j < len(raw_parts) else None
            inst = country = None
            if aligned and j < len(u):
                ui = u[j]
                inst = uniq_norm[ui] if ui < len(uniq_norm) and uniq_norm[ui] else None
                country = aff_country.get(ui)
            if raw is None and inst is None:
                continue
            rows.append(
                {"work_id": work_id, "position": pos, "aff_pos": j, "raw": raw,
                 "inst_src": inst, "country_src": country, "domain": dom}
            )  # fmt: skip
        if k == 0 and dom:
            rows.append(
                {"work_id": work_id, "position": pos, "aff_pos": 0, "raw": None,
                 "inst_src": None, "country_src": None, "domain": dom}
            )  # fmt: skip
    return rows
