"""The affiliation matcher: affiliation text to a registry record.

The matcher (:class:`AffiliationMatcher`) takes a raw affiliation string, the source's
own institution name and country when given, and the e-mail domain, and returns the
best ROR id with a score and the evidence used, or no match:

1. split the string into affiliations (``;``) and each into chunks (``,``, `` - ``,
   parentheses); every window of up to three adjacent chunks is a candidate name;
2. candidates from exact normalised names, aliases and labels (score 100), from the
   order-free token key when unique (96), from acronyms written in capitals (92), and
   from fuzzy scoring over the rarest tokens (rapidfuzz, kept at >= ``threshold``);
3. the country named in the text, the source's country and the e-mail domain's ccTLD
   constrain candidates (an institution elsewhere is dropped, a declared multinational
   never); the e-mail domain confirms a candidate (+3) or, alone and unambiguous, is
   the match, and vetoes an acronym or an "X AI" it contradicts;
4. the best candidate wins; among equals the one named first in the string (the most
   specific unit), then the parent over its children; a tie between unrelated
   institutions is reported as ambiguous, not guessed."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from talentatlas.resolve.countries import (
    TERRITORY_PARENT,
    US_STATES,
    DomainTable,
    country_from_name,
    country_from_tld,
    registered_domain,
    territory_named,
)
from talentatlas.resolve.registry import STOP_WORDS, Institutions, norm_org, token_key

_GENERIC = {"university", "institute", "college", "department", "school", "center", "faculty",
            "laboratory", "laboratories", "science", "sciences", "technology", "research",
            "national", "state", "academy", "hospital", "medical", "engineering", "company",
            "group", "international", "key", "division", "program"}  # fmt: skip


#: Trailing words that name a unit or legal form of a company, not a different company.
_UNIT_WORDS = {"research", "ai", "labs", "laboratory", "laboratories", "inc", "llc", "ltd",
               "limited", "corporation", "company", "gmbh", "brain", "group", "technologies",
               "technology", "co", "plc", "ag", "sa", "sas", "bv", "srl", "spa", "kk"}  # fmt: skip


_COUNTRY_SUFFIX = re.compile(r"\s*\(([^()]+)\)\s*$")


_SPLIT_AFFS = re.compile(r"\s*;\s*|\s+/\s+|\s*\|\s*")


_SPLIT_CHUNKS = re.compile(r"\s*,\s*|\s+-\s+|\s*\(\s*|\s*\)\s*|\s*:\s*")


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&\-]{1,9}$")


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


_COMPATIBLE = {"HK": {"CN"}, "MO": {"CN"}, "CN": {"HK", "MO"}}


@dataclass
class Match:
    ror_id: str | None
    score: int
    evidence: str


class AffiliationMatcher:
    """Affiliation text (+ source name, country, e-mail domain) -> ROR id, score, evidence."""

    def __init__(
        self,
        registry: Institutions,
        threshold: int = 90,
        hints: DomainTable | None = None,
        forced: dict[str, str | None] | None = None,
        forbidden: dict[str, set[str]] | None = None,
    ) -> None:
        self.reg = registry
        self.threshold = threshold
        self.hints = hints
        self.forced = forced or {}
        self.forbidden = forbidden or {}
        self._fuzzy_cache: dict[str, list[tuple[str, int]]] = {}
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.keyed: dict[str, set[str]] = defaultdict(set)
        self.acronyms: dict[str, set[str]] = defaultdict(set)
        self.by_domain: dict[str, set[str]] = defaultdict(set)
        postings: dict[str, set[int]] = defaultdict(set)
        self.fuzzy_names: list[str] = []
        self.fuzzy_ids: list[str] = []
        for rid, name, kind in registry.names:
            cur = registry.current(rid)
            if kind == "acronym":
                self.acronyms[name.strip().upper()].add(cur)
                continue
            forms = {name}
            m = _COUNTRY_SUFFIX.search(name)
            if m and country_from_name(m.group(1)):
                forms.add(name[: m.start()])  # "Google (United States)" is also "Google"
            for form in list(forms):  # German transliteration: Tübingen = Tuebingen
                if any(c in form for c in "äöüÄÖÜ"):
                    forms.add(form.translate(_UMLAUTS))
            for form in forms:
                n = norm_org(form)
                if not n:
                    continue
                self.exact[n].add(cur)
                self.keyed[token_key(n)].add(cur)
                idx = len(self.fuzzy_names)
                self.fuzzy_names.append(n)
                self.fuzzy_ids.append(cur)
                for w in set(n.split()) - STOP_WORDS:
                    postings[w].add(idx)
        #: word -> the sorted indices of the names containing it
        self.postings = {
            w: np.fromiter(sorted(ix), np.int64, len(ix)) for w, ix in postings.items()
        }
        self._names = np.array(self.fuzzy_names, dtype=object)
        #: each name's words sorted: token_sort_ratio is the plain ratio of these, and
        #: sorting once here spares sorting every candidate name for every query
        self._sorted_names = np.array([_sorted_words(n) for n in self.fuzzy_names], dtype=object)
        # a domain stands for the institutions that list it; web links count only for
        # domains no record lists explicitly (links include shared hosts: sites.google.com)
        for source in (registry.domains, registry.link_domains):
            found: dict[str, set[str]] = defaultdict(set)
            for rid, doms in source.items():
                for d in doms:
                    if d not in self.by_domain:
                        found[d].add(registry.current(rid))
            for d, ids in found.items():
                self.by_domain[d] = ids

    # -- pickling (sent once to each worker process) ------------------------------------
    def __getstate__(self) -> dict:
        """The postings travel as one array and its offsets: pickling 100,000 small
        arrays one by one takes seconds."""
        state = self.__dict__.copy()
        words = list(self.postings)
        sizes = [len(self.postings[w]) for w in words]
        values = np.concatenate([self.postings[w] for w in words]) if words else np.zeros(0)
        state["postings"] = (words, np.cumsum([0, *sizes]), values.astype(np.int64))
        return state

    def __setstate__(self, state: dict) -> None:
        words, offsets, values = state["postings"]
        state["postings"] = {w: values[offsets[i] : offsets[i + 1]] for i, w in enumerate(words)}
        self.__dict__.update(state)

    # -- candidates -------------------------------------------------------------------
    def _fuzzy(self, text: str) -> list[tuple[str, int]]:
        hit = self._fuzzy_cache.get(text)
        if hit is None:
            hit = self._fuzzy_cache[text] = self._fuzzy_uncached(text)
        return hit

    def _fuzzy_uncached(self, text: str) -> list[tuple[str, int]]:
        words = [w for w in set(text.split()) - STOP_WORDS if w in self.postings]
        if not words:
            return []
        words.sort(key=lambda w: (w in _GENERIC, len(self.postings[w]), w))
        pools = [self.postings[w] for w in words[:2] if len(self.postings[w]) <= 5000]
        if not pools:
            return []
        idx = pools[0] if len(pools) == 1 else np.union1d(pools[0], pools[1])
        # fuzz.token_sort_ratio, on words sorted beforehand
        hits = process.extract(
            _sorted_words(text),
            self._sorted_names[idx].tolist(),
            scorer=fuzz.ratio,
            score_cutoff=self.threshold,
            limit=5,
        )
        best: dict[str, int] = {}
        core = _distinctive(text)
        for _name, score, pos in hits:
            name = self._names[idx[pos]]
            # the distinctive words must agree too: "keio university" is not "duke university"
            if core and fuzz.ratio(core, _distinctive(name)) < self.threshold:
                continue
            rid = self.fuzzy_ids[idx[pos]]
            best[rid] = max(best.get(rid, 0), round(score))
        return list(best.items())

    def _candidates(
        self, chunks: list[str], originals: list[str]
    ) -> list[tuple[str, int, int, str]]:
        """``(ror_id, score, chunk index, evidence)`` for windows of up to 3 chunks."""
        out: list[tuple[str, int, int, str]] = []
        n = len(chunks)
        for i in range(n):
            found = False
            for j in range(min(n, i + 3), i, -1):
                text = " ".join(chunks[i:j])
                if not text:
                    continue
                ids = self.exact.get(text)
                if ids:
                    # a lone word after the first chunk is more often a place than an
                    # institution ("..., Providence, USA")
                    lone = i > 0 and j == i + 1 and " " not in text
                    out.extend((r, 89 if lone else 100, i, "name") for r in ids)
                    found = True
                    break
                ids = self.keyed.get(token_key(text))
                if ids and len(ids) == 1 and len(token_key(text).split()) >= 2:
                    out.extend((r, 96, i, "name-tokens") for r in ids)
                    found = True
                    break
            if found:
                continue
            orig = originals[i].strip()
            # two-letter codes after the first chunk are states or countries ("MI", "UK")
            place = i > 0 and (len(orig) <= 2 or orig in US_STATES or country_from_name(orig))
            if _ACRONYM.match(orig) and orig in self.acronyms and not place:
                out.extend((r, 92, i, "acronym") for r in self.acronyms[orig])
                continue
            if len(chunks[i]) >= 6:
                for r, s in self._fuzzy(chunks[i]):
                    out.append((r, s, i, f"fuzzy:{s}"))
                stripped = _strip_units(chunks[i])
                if stripped != chunks[i] and stripped in self.exact:
                    # "X AI" is often a company of its own, not a unit of X
                    ev = "name-unit-ai" if "ai" in chunks[i].split()[-2:] else "name-unit"
                    out.extend((r, 94, i, ev) for r in self.exact[stripped])
                    continue
                for gram in _ngrams(chunks[i]):
                    if gram in self.exact:
                        out.extend((r, 91, i, "name-in-text") for r in self.exact[gram])
                        break
        return out

    # -- matching ---------------------------------------------------------------------
    def countries_in(self, chunks: list[str]) -> set[str]:
        found = set()
        for c in chunks[1:]:
            code = country_from_name(c)
            if code:
                found.add(code)
        return found

    def _country_ok(self, rid: str, countries: set[str]) -> bool:
        if not countries or self.reg.multinational(rid):  # a multinational is anywhere
            return True
        c = self.reg.country_of(rid)
        return c is None or c in countries or bool(_COMPATIBLE.get(c, set()) & countries)

    def match(
        self,
        raw: str | None,
        inst_src: str | None = None,
        country_src: str | None = None,
        domain: str | None = None,
        ror_src: str | None = None,
    ) -> Match:
        texts = [t for t in (inst_src, raw) if t and t.strip()]
        banned: set[str] = set()
        for t in texts:
            key = norm_org(t)
            # a correction to an institution the registry lacks (a registry file without
            # it) cannot apply: the text is matched as usual
            if key in self.forced and (not (rid := self.forced[key]) or rid in self.reg.name):
                return Match(rid, 100 if rid else 0, "correction")
            banned |= self.forbidden.get(key, set())
        # the source's own ROR id (OpenAlex), when the registry knows it and no
        # correction forbids it for this text; otherwise the text is matched as usual
        if ror_src and ror_src in self.reg.name and ror_src not in banned:
            return Match(ror_src, 100, "source-ror")
        dom = registered_domain(domain) if domain and "." in domain else None
        # country constraint, strongest evidence first: a territory the string names
        # (TW/HK/MO, which sources file under China), the source's country field (a
        # "China" also admits those territories), the e-mail's country-code domain
        # (.edu/.com say nothing firm); else countries named inside the string
        countries: set[str] = set()
        territory = next((c for t in texts if (c := territory_named(t))), None)
        if territory is not None:
            countries.add(territory)
        elif (c := country_from_name(country_src)) is not None:
            countries.add(c)
            countries |= {t for t, parent in TERRITORY_PARENT.items() if parent == c}
        tld = dom.rsplit(".", 1)[-1] if dom else ""
        if len(tld) == 2 and (c := country_from_tld(dom)) is not None and not countries:
            countries.add(c)
        cands: list[tuple[str, int, int, str]] = []
        offset = 0
        for text in texts:
            for aff in _SPLIT_AFFS.split(text):
                originals = [c for c in _SPLIT_CHUNKS.split(aff) if c and c.strip()]
                chunks = [norm_org(c) for c in originals]
                named = self.countries_in(chunks) if not countries else set()
                for rid, score, pos, ev in self._candidates(chunks, originals):
                    if rid not in banned and self._country_ok(rid, countries | named):
                        cands.append((rid, score, pos + offset, ev))
                offset += len(chunks)
            if cands:
                break
        dom_ids = self.by_domain.get(dom, set()) if dom else set()
        if dom is not None:
            cands = [c for c in cands if not self._domain_contradicts(c, dom, dom_ids)]
        if not cands:
            holders = sorted(dom_ids - banned)
            rid = self._disambiguate(holders, countries) if holders else None
            rid = rid and self._domain_holder(rid, countries, texts, dom)
            if rid is not None:
                return Match(rid, 85, "domain")
            return Match(None, 0, "unmatched")
        family = self._family(dom_ids)
        best: dict[str, tuple[int, int, str]] = {}
        for rid, score, pos, ev in cands:
            if rid in family:
                score, ev = score + 3, ev + "+domain"
            cur = best.get(rid)
            if cur is None or (score, -pos) > (cur[0], -cur[1]):
                best[rid] = (score, pos, ev)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
        top_score, top_pos = ranked[0][1][0], ranked[0][1][1]
        tied = [rid for rid, (s, p, _e) in ranked if s == top_score and p == top_pos]
        if len(tied) > 1:
            rid = self._disambiguate(tied, countries or self._soft_country(texts, dom))
            if rid is None:
                return Match(None, top_score, "ambiguous:" + "|".join(sorted(tied)[:5]))
            return Match(rid, top_score, best[rid][2])
        rid = ranked[0][0]
        return Match(rid, top_score, best[rid][2])

    def _domain_contradicts(
        self, cand: tuple[str, int, int, str], dom: str, dom_ids: set[str]
    ) -> bool:
        """A weak candidate that the e-mail domain contradicts: an acronym whose domain
        belongs to another record ("FAIR" with meta.com is Meta's lab, not the antiproton
        facility), or an "X AI" read as a unit of X whose domain is not X's ("Borealis
        AI", borealisai.com, is not the chemicals company Borealis)."""
        rid, _score, _pos, ev = cand
        if ev not in ("acronym", "name-unit-ai"):
            return False
        family = set(self.reg.chain(rid))
        if any(dom in self.reg.domains.get(r, ()) for r in family):
            return False
        if dom_ids and family & self._family(dom_ids):
            return False
        return ev == "name-unit-ai" or bool(dom_ids)

    def _family(self, ids: set[str]) -> set[str]:
        """Institutions that share a domain with ``ids``: they and their ancestors (ROR
        lists a company's domain on one subsidiary, e.g. google.com on Google Singapore)."""
        out: set[str] = set()
        for rid in ids:
            out.update(self.reg.chain(rid))
        return out

    def _domain_holder(
        self, rid: str, countries: set[str], texts: list[str], dom: str | None
    ) -> str | None:
        """A domain names an organisation rather than a lab: from the record listing it,
        go up to the first ancestor in the country (none: no match), else in the hinted
        country, else to the top."""
        chain = self.reg.chain(rid)
        if countries:
            return next((r for r in chain if self._country_ok(r, countries)), None)
        hinted = self._soft_country(texts, dom)
        return next((r for r in chain if self.reg.country_of(r) in hinted), chain[-1])

    def _soft_country(self, texts: list[str], dom: str | None) -> set[str]:
        """Country hints too weak to exclude a candidate but enough to break a tie:
        the domain/name table, and .edu for the United States."""
        if self.hints is not None:
            c = self.hints.country_of_domain(dom)
            for t in texts:
                c = c or self.hints.country_of_name(t)
            if c:
                return {c}
        return {"US"} if dom and dom.endswith(".edu") else set()

    def _disambiguate(self, ids: list[str], countries: set[str] | None = None) -> str | None:
        """Among same-score candidates: the one that is an ancestor of all the others,
        else the only one in the hinted country, else the only active one."""
        if len(ids) == 1:
            return ids[0]
        for rid in sorted(ids):
            if all(rid in self.reg.chain(o) for o in ids if o != rid):
                return rid
        if countries:
            here = [r for r in ids if self.reg.country_of(r) in countries]
            if len(here) == 1:
                return here[0]
            if len(here) > 1:
                return self._disambiguate(here)
        active = [r for r in ids if self.reg.status.get(r) == "active"]
        if len(active) == 1:
            return active[0]
        return None


@lru_cache(maxsize=100_000)
def _is_generic(word: str) -> bool:
    """A generic organisation word, or a misspelling of one ("univeristy")."""
    if word in STOP_WORDS or word in _GENERIC:
        return True
    return len(word) >= 6 and any(fuzz.ratio(word, g) >= 85 for g in _GENERIC)


def _distinctive(normed: str) -> str:
    return " ".join(sorted(w for w in normed.split() if not _is_generic(w)))


def _sorted_words(text: str) -> str:
    """``text``'s words in sorted order (as :func:`rapidfuzz.fuzz.token_sort_ratio`
    compares them)."""
    return " ".join(sorted(text.split()))


def _ngrams(text: str) -> list[str]:
    """Word n-grams (longest first) of >= 2 words holding a distinctive word."""
    words = text.split()
    out = []
    for n in range(len(words) - 1, 1, -1):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if gram[0] in STOP_WORDS or gram[-1] in STOP_WORDS:
                continue
            if any(w not in STOP_WORDS and w not in _GENERIC for w in gram):
                out.append(" ".join(gram))
    return out


def _strip_units(text: str) -> str:
    words = text.split()
    while len(words) > 1 and words[-1] in _UNIT_WORDS:
        words.pop()
    return " ".join(words)
