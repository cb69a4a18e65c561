"""Employers meet organisations: an LCA employer name or an offer's company linked to
an institution of the atlas (the ROR registry and the corrections), so that pay sits
beside headcount and flows.

An employer name loses its legal form (``LLC``, ``Inc.``, ``Corporation``, ``N.A.``,
``L.P.`` ...) and is matched by the affiliation matcher the build uses for
affiliations, in the employer's country (LCA filings: the US). Only a match by name
(a registry name or alias, the corrections file, or a name and its unit) links; a name
merely found inside a longer text does not ("Samsung Research America" is not
"Research!America"). Failing that, the name's leading words are tried, longest first
("Amazon Web Services" -> Amazon), when the first word is not a generic one
("American", "Global", "Data" ...) and the words are the institution's own name (not
an alias: "Fair Isaac" is not Meta's FAIR). A wrong link is undone in the corrections
file like an affiliation's: ``[[affiliation]]`` with the employer's name (legal form
dropped) and ``institution = ""``. A name tied between a registry record and the
corrections' own record (Facebook: ROR's Meta and the corrections' Meta) takes the
corrections' record, where the atlas places the organisation's researchers. Each link says how it was made (``how``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa

from talentatlas.resolve.matcher import AffiliationMatcher
from talentatlas.resolve.registry import norm_org

#: legal forms and filler at the end of a company name (normalised, lower case)
LEGAL = re.compile(
    r"(\s+(llc|l l c|inc|incorporated|corp|corporation|co|company|ltd|limited|lp|l p|llp"
    r"|l l p|plc|pbc|na|n a|pc|p c|gmbh|ag|sa|s a|bv|nv|pte|pvt|private|opco|holdings"
    r"|group|us|usa|u s|u s a|america|americas|north america|dba.*|formerly.*))+$"
)
#: evidence of the matcher that links an employer (a match by name)
BY_NAME = ("correction", "name", "name-unit")
#: first words that do not identify a company on their own
GENERIC_FIRST = {
    "american", "global", "data", "digital", "first", "general", "national", "united",
    "international", "tech", "technology", "software", "systems", "consulting", "new",
    "north", "south", "east", "west", "advanced", "applied", "business", "information",
    "the", "universal", "standard", "smart", "net", "web", "cloud", "health", "medical",
    "research", "science", "solutions", "services", "infotech", "it", "info", "eastern",
    "western", "pacific", "atlantic", "city", "county", "state", "bank",
}  # fmt: skip


def employer_key(name: str | None) -> str:
    """``GOOGLE LLC`` -> ``google``; ``Amazon.com Services, Inc.`` -> ``amazon com
    services``."""
    key = norm_org(name or "")
    return LEGAL.sub("", key).strip() or key


def link(
    matcher: AffiliationMatcher, names: Sequence[str], countries: Sequence[str | None]
) -> pa.Table:
    """``employer, country, employer_key, institution_id, how`` for each (name, country)
    pair."""
    out: dict[str, list] = {k: [] for k in ("employer", "country", "employer_key",
                                           "institution_id", "how")}  # fmt: skip
    memo: dict[tuple[str, str | None], tuple[str | None, str]] = {}
    for name, country in zip(names, countries, strict=True):
        key = employer_key(name)
        if (key, country) not in memo:
            memo[(key, country)] = _link_key(matcher, key, country)
        rid, how = memo[(key, country)]
        for k, v in zip(out, (name, country, key, rid, how), strict=True):
            out[k].append(v)
    return pa.table(out, schema=pa.schema([(k, pa.string()) for k in out]))


def _link_key(matcher: AffiliationMatcher, key: str, country: str | None) -> tuple[str | None, str]:
    if not key:
        return None, "no name"
    m = matcher.match(key, country_src=country)
    if m.ror_id and m.evidence in BY_NAME:
        return m.ror_id, m.evidence
    if m.evidence == "correction":  # the corrections file says: no institution
        return None, "correction (no institution)"
    tied = _corrections_record_of_a_tie(m)
    if tied:
        return tied, "name (the corrections' record of a tie)"
    words = key.split()
    if words and words[0] not in GENERIC_FIRST and len(words[0]) >= 3:
        for n in range(len(words) - 1, 0, -1):
            lead = " ".join(words[:n])
            m = matcher.match(lead, country_src=country)
            # the leading words must be the institution's own name, not one of its
            # aliases ("Fair Isaac" is not Meta's FAIR, "Dow Jones" not Dow Chemical)
            if m.ror_id and m.evidence in BY_NAME and _own_name(matcher, m.ror_id) == lead:
                return m.ror_id, f"leading words ({lead})"
    return None, "unmatched"


def _corrections_record_of_a_tie(m) -> str | None:
    """A name that ties a registry record and the corrections' own record of the same
    organisation ("Facebook": ROR's Meta and the corrections' Meta) is the corrections'
    record, which the atlas places researchers at."""
    if not m.evidence.startswith("ambiguous:") or m.score < 90:
        return None
    local = [i for i in m.evidence.split(":", 1)[1].split("|") if i.startswith("local:")]
    return local[0] if len(local) == 1 else None


def _own_name(matcher: AffiliationMatcher, rid: str) -> str:
    """An institution's name, normalised, without its parenthesised country."""
    name = matcher.reg.name.get(rid) or ""
    return norm_org(_PAREN.sub("", name))


_PAREN = re.compile(r"\s*\([^)]*\)\s*$")
