"""Employers meet organisations: an LCA employer name or an offer's company linked to
an institution of the atlas (the ROR registry and the corrections), so that pay sits
beside headcount and flows.

An employer name loses its legal form (``LLC``, ``Inc.``, ``Corporation``, ``N.A.``,
``L.P.`` ...) and a university's governing body (``Trustees of``, ``The Regents of
the``) and is matched by the affiliation matcher the build uses for
affiliations, in the employer's country (LCA filings: the US). Only a match by name
(a registry name or alias, the corrections file, or a name and its unit) links; a name
merely found inside a longer text does not ("Samsung Research America" is not
"Research!America"). Failing that, the name's leading words are tried, longest first
("Amazon Web Services" -> Amazon), when the first word is not a generic one
("American", "Global", "Data" ...), a single word does not begin the names of ten or
more organisations ("Sri Technology Solutions" is not SRI), and the words are the
institution's own name (not an alias: "Fair Isaac" is not Meta's FAIR). A name that
links nowhere in its country is tried in every country and kept when it is a
company's own name (a multinational filing in the US under a record the registry keeps
abroad: Infosys (India), Accenture (Germany)); its leading words only when they are
themselves an employer linked so ("Dell Marketing" beside "Dell"; not "Total System
Services" to TotalEnergies). A wrong link is undone in the corrections
file like an affiliation's: ``[[affiliation]]`` with the employer's name (legal form
dropped) and ``institution = ""``. A name tied between a registry record and the
corrections' own record (Facebook: ROR's Meta and the corrections' Meta) takes the
corrections' record, where the atlas places the organisation's researchers. Each link says how it was made (``how``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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


#: a university's (or college's) legal owner before its name ("Trustees of the
#: University of Pennsylvania", "The Regents of the University of California")
GOVERNING = re.compile(
    r"^(the )?(board of )?(regents|trustees|governors|visitors|president and fellows"
    r"|rector and visitors) of (the )?"
    r"(?=.*\b(university|college|institute|school|academy|polytechnic)\b)"
)


def employer_key(name: str | None) -> str:
    """``GOOGLE LLC`` -> ``google``; ``Amazon.com Services, Inc.`` -> ``amazon com
    services``; ``Trustees of Boston University`` -> ``boston university``."""
    key = norm_org(name or "")
    key = GOVERNING.sub("", LEGAL.sub("", key).strip()) or key
    return key.strip() or norm_org(name or "")


def link(
    matcher: AffiliationMatcher, names: Sequence[str], countries: Sequence[str | None]
) -> pa.Table:
    """``employer, country, employer_key, institution_id, how`` for each (name, country)
    pair."""
    out: dict[str, list] = {k: [] for k in ("employer", "country", "employer_key",
                                           "institution_id", "how")}  # fmt: skip
    memo: dict[tuple[str, str | None], Link] = {}
    keys = [employer_key(n) for n in names]
    for key, country in zip(keys, countries, strict=True):
        if (key, country) not in memo:
            memo[(key, country)] = _link_key(matcher, key, country)
    # leading words abroad: when they are themselves an employer of the batch (in the
    # same country) linked by name abroad ("dell marketing" with "dell"; not "total
    # system services": no employer "total"), under the rules of leading words at home
    abroad = {k: lk.rid for k, lk in memo.items() if lk.how == "name, elsewhere"}
    for (key, country), lk in memo.items():
        if lk.rid is None and lk.how == "unmatched" and abroad:
            words = key.split()
            for n in range(len(words) - 1, 0, -1) if _may_lead(words) else ():
                lead = " ".join(words[:n])
                if n == 1 and _shared_first_word(matcher, lead):
                    break
                if (lead, country) in abroad:
                    rid = abroad[(lead, country)]
                    memo[(key, country)] = Link(rid, f"leading words ({lead}), elsewhere")
                    break
    for name, key, country in zip(names, keys, countries, strict=True):
        lk = memo[(key, country)]
        for k, v in zip(out, (name, country, key, lk.rid, lk.how), strict=True):
            out[k].append(v)
    return pa.table(out, schema=pa.schema([(k, pa.string()) for k in out]))


@dataclass(frozen=True)
class Link:
    """An employer's institution and how it was found."""

    rid: str | None
    how: str


def _link_key(matcher: AffiliationMatcher, key: str, country: str | None) -> Link:
    if not key:
        return Link(None, "no name")
    rid, how = _link_in(matcher, key, country)
    if rid is not None or how != "unmatched" or country is None:
        return Link(rid, how)
    # a multinational whose registry record is in another country (Infosys (India),
    # Accenture (Germany)): its own name, matched anywhere, naming a company
    m = matcher.match(key)
    if m.ror_id and m.evidence == "name" and "company" in (matcher.reg.types.get(m.ror_id) or []):
        return Link(m.ror_id, "name, elsewhere")
    return Link(None, "unmatched")


def _link_in(matcher: AffiliationMatcher, key: str, country: str | None) -> tuple[str | None, str]:
    """By name, a tie's corrections record, then leading words, in ``country``."""
    m = matcher.match(key, country_src=country)
    if m.ror_id and m.evidence in BY_NAME:
        return m.ror_id, m.evidence
    if m.evidence == "correction":  # the corrections file says: no institution
        return None, "correction (no institution)"
    tied = _corrections_record_of_a_tie(m)
    if tied:
        return tied, "name (the corrections' record of a tie)"
    words = key.split()
    if _may_lead(words):
        for n in range(len(words) - 1, 0, -1):
            lead = " ".join(words[:n])
            if n == 1 and _shared_first_word(matcher, lead):
                break
            m = matcher.match(lead, country_src=country)
            # the leading words must be the institution's own name, not one of its
            # aliases ("Fair Isaac" is not Meta's FAIR, "Dow Jones" not Dow Chemical)
            if m.ror_id and m.evidence in BY_NAME and _own_name(matcher, m.ror_id) == lead:
                return m.ror_id, f"leading words ({lead})"
            # a tie the corrections settle, when the words are a name of that record
            # ("facebook services": Facebook, of ROR's Meta and the corrections' Meta)
            tied = _corrections_record_of_a_tie(m)
            if tied and lead in _names_of(matcher).get(tied, ()):
                return tied, f"leading words ({lead}; the corrections' record of a tie)"
    return None, "unmatched"


def _may_lead(words: list[str]) -> bool:
    """Whether a name's leading words may be tried: a first word of three letters or
    more that is not a generic one."""
    return bool(words) and words[0] not in GENERIC_FIRST and len(words[0]) >= 3


#: a first word that begins the names of this many organisations (top-level, as the
#: registry relates them) does not name one of them on its own ("Sri": SRI and 47 more)
SHARED_FIRST_WORD = 10


def _shared_first_word(matcher: AffiliationMatcher, word: str) -> bool:
    tops = _first_words(matcher).get(word)
    return tops is not None and len(tops) >= SHARED_FIRST_WORD


def _names_of(matcher: AffiliationMatcher) -> dict[str, set[str]]:
    """Institution -> its names and aliases, normalised, acronyms left out (computed
    once per matcher)."""
    cached = getattr(matcher, "_employer_names_of", None)
    if cached is None:
        cached = {}
        for rid, name, kind in matcher.reg.names:
            if kind != "acronym":
                cached.setdefault(rid, set()).add(norm_org(_PAREN.sub("", name)))
        matcher._employer_names_of = cached  # type: ignore[attr-defined]
    return cached


def _first_words(matcher: AffiliationMatcher) -> dict[str, set[str]]:
    """First word of every registry name -> the top organisations whose names begin
    with it (computed once per matcher)."""
    cached = getattr(matcher, "_employer_first_words", None)
    if cached is None:
        reg = matcher.reg
        cached = {}
        for rid, name, _kind in reg.names:
            words = norm_org(name).split(maxsplit=1)
            if words:
                cached.setdefault(words[0], set()).add(reg.top(reg.current(rid)))
        matcher._employer_first_words = cached  # type: ignore[attr-defined]
    return cached


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
