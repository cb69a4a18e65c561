"""papercopilot ``openreview`` author records: one JSON line per paper at
``openreview/authors/<venue>/<venue><year>[@commit].jsonl[.gz]``, every field
``;``-separated with one slot per author (empty slots kept, so they align).

Person keys read: OpenReview profile ids (``or_profile``, else ``authorids``), DBLP,
Google Scholar and ORCID ids; e-mail author ids become a one-way hash. Stated
positions (PhD student, Professor, ...) are kept as the author's role. Personal
fields (gender, LinkedIn) are never read, even if present.

**Profile order.** ``or_profile`` and the fields that come from the profiles (``aff``,
``aff_domain``, ``position``, ``dblp``, ``google_scholar``, ``orcid``, ``homepage``)
follow the order of the profiles, which in about 4% of records is not the order of
the authors (one author's profile id differs from the id on the paper, an alias such
as ``~Daniel_Seita1`` for ``~Daniel_Takeshi_Seita1``). :func:`align_profiles` maps each
author to a profile slot: the slot whose id equals the author's id on the paper, then,
for the rest, the most similar name (id name against author name), one to one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from talentatlas.config import canonical_venue
from talentatlas.resolve.names import normalise_name
from talentatlas.sources.base import ParseResult, RecordError, parse_records, text_field
from talentatlas.sources.base import venue_year as _venue_year
from talentatlas.sources.fields import email_domain, email_key, slots, split_authors
from talentatlas.sources.reading import iter_json_lines, read_text

KNOWN_FIELDS = {
    "id", "author", "authorids", "or_profile", "aff", "aff_domain", "position", "dblp",
    "google_scholar", "orcid", "homepage", "gender", "linkedin",
}  # fmt: skip

_SCHOLAR = re.compile(r"(?:user=)?([A-Za-z0-9_-]{12})(?:&|$)")
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])")


def _scholar(v: str) -> str | None:
    m = _SCHOLAR.search(v.strip())
    return m.group(1) if m else None


def _orcid(v: str) -> str | None:
    m = _ORCID.search(v)
    return m.group(1) if m else None


def _dblp(v: str) -> str | None:
    v = v.strip().removesuffix(".html").strip("/")
    if not v:
        return None
    v = v.split("/pid/")[-1]
    return v or None


def id_name(openreview_id: str) -> str:
    """The normalised name an OpenReview id spells (``~Jane_Q._Doe2`` -> ``jane q doe``)."""
    return normalise_name(re.sub(r"\d+$", "", openreview_id.lstrip("~")))


def align_profiles(names: list[str], ids: list[str], profiles: list[str]) -> list[int]:
    """For each author position, the slot of ``profiles`` (and of the profile fields)
    that belongs to that author (see the module doc). ``ids`` are the authors' ids on
    the paper; all three lists have one entry per author."""
    n = len(names)
    if all(not p or p == i for p, i in zip(profiles, ids, strict=True)):
        return list(range(n))
    slot: dict[int, int] = {}
    where = {p: j for j, p in enumerate(profiles) if p}
    for i, aid in enumerate(ids):
        j = where.get(aid) if aid else None
        if j is not None and j not in slot.values():
            slot[i] = j
    free_i = [i for i in range(n) if i not in slot]
    free_j = [j for j in range(n) if j not in slot.values()]
    scored = sorted(
        (-fuzz.token_sort_ratio(normalise_name(names[i]), id_name(profiles[j])), i, j)
        for i in free_i
        for j in free_j
    )
    for _score, i, j in scored:
        if i not in slot and j not in slot.values():
            slot[i] = j
    return [slot[i] for i in range(n)]


def profile_affiliations(aff: str, dom: str) -> list[tuple[str | None, str | None]]:
    """``(raw, domain)`` of each affiliation in a profile slot, first (current) first.

    A profile with several current positions writes them joined by ``+``, in ``aff`` and
    ``aff_domain`` alike (``University of Oxford+Google``, ``ox.ac.uk+google.com``);
    repeated positions are kept once. With no text and no domain, nothing."""
    names = [a.strip() for a in aff.split("+")] if aff.strip() else []
    domains = [d.strip() for d in dom.split("+")] if dom.strip() else []
    if len(domains) == 1 and len(names) > 1:
        domains = domains * len(names)
    out: list[tuple[str | None, str | None]] = []
    for j in range(max(len(names), len(domains))):
        raw = names[j] if j < len(names) and names[j] else None
        domain = email_domain(domains[j]) if j < len(domains) else None
        if (raw or domain) and (raw, domain) not in out:
            out.append((raw, domain))
    if not out and not aff.strip() and not dom.strip():
        return [(None, None)]  # (the caller may still know a domain from the e-mail id)
    return out


class OpenReviewAuthors:
    name = "openreview"
    version = 7

    def discover(self, root: Path) -> list[Path]:
        base = root / "openreview" / "authors"
        return sorted(p for p in base.glob("*/*.jsonl*") if p.is_file()) if base.is_dir() else []

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

        def handle(index: int, rec: dict[str, Any]) -> None:
            self._record(result, venue, year, index, rec)

        parse_records(result, iter_json_lines(text), handle, KNOWN_FIELDS)
        return result

    def _record(
        self, result: ParseResult, venue: str, year: int, index: int, rec: dict[str, Any]
    ) -> None:
        pid = text_field(rec, "id").strip()
        if not pid:
            raise RecordError("record has no paper id")
        work_id = f"{venue}:{year}:{pid}"
        names = split_authors(text_field(rec, "author"))
        n = len(names)
        result.rows["works"].append(
            {"work_id": work_id, "source": self.name, "venue": venue, "year": year,
             "paper_id": pid, "title": None, "status": None, "track": None,
             "accepted": None, "tier": None, "n_authors": n, "file": result.file, "record": index}
        )  # fmt: skip
        if n == 0:
            return
        empty = [""] * n
        ids = slots(text_field(rec, "authorids"), n) or empty
        profiles = slots(text_field(rec, "or_profile"), n) or empty
        aff = slots(text_field(rec, "aff"), n) or empty
        dom = slots(text_field(rec, "aff_domain"), n) or empty
        role = slots(text_field(rec, "position"), n) or empty
        dblp = slots(text_field(rec, "dblp"), n) or empty
        scholar = slots(text_field(rec, "google_scholar"), n) or empty
        orcid = slots(text_field(rec, "orcid"), n) or empty
        order = align_profiles(names, ids, profiles)
        profiles, aff, dom, role, dblp, scholar, orcid = (
            [f[j] for j in order] for f in (profiles, aff, dom, role, dblp, scholar, orcid)
        )
        for pos, name in enumerate(names):
            aid = profiles[pos] if profiles[pos].startswith("~") else ids[pos]
            alias = ids[pos] if ids[pos].startswith("~") and ids[pos] != aid else None
            result.rows["authorships"].append(
                {"work_id": work_id, "position": pos, "name": name,
                 "name_norm": normalise_name(name),
                 "openreview_id": aid if aid.startswith("~") else None,
                 "openreview_alias": alias,
                 "email_key": email_key(ids[pos]), "source_author_id": None,
                 "dblp": _dblp(dblp[pos]), "orcid": _orcid(orcid[pos]),
                 "google_scholar": _scholar(scholar[pos]), "role": role[pos] or None,
                 "source": self.name, "file": result.file, "record": index}
            )  # fmt: skip
            for j, (raw, domain) in enumerate(profile_affiliations(aff[pos], dom[pos])):
                if j == 0 and domain is None and "@" in ids[pos]:
                    domain = email_domain(ids[pos])
                if raw is None and domain is None:
                    continue
                result.rows["affiliations"].append(
                    {"work_id": work_id, "position": pos, "aff_pos": j, "raw": raw,
                     "inst_src": None, "country_src": None, "domain": domain}
                )  # fmt: skip
