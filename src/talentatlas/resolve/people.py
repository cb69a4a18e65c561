"""Identity resolution: author mentions (authorships) to persons.

Written as Ibis expressions, so DuckDB and Spark give the same person ids: integer
weights compared with an integer threshold, total orders for every tie, parameters
estimated in Python from integer counts.

1. **Reliable keys.** Mentions carrying an OpenReview id, ORCID, DBLP or Google Scholar
   id are linked by those keys, transitively (two mentions sharing any key are one
   person): connected components of the mention-key graph. An ORCID/DBLP/Scholar value
   seen with 3+ names or 3+ OpenReview ids (placeholders, homonym pages) is ignored.
2. **Record linkage** (Fellegi-Sunter) for the rest. Candidate pairs are mentions with
   the same normalised name on different works. A pair is compared on the year gap,
   the organisation, shared coauthor names and the venue; organisation and coauthors
   are modelled given the year gap. Organisation levels: same institution key, else
   same registered e-mail domain (webmail ignored), else different, and then by the
   years the name (all its mentions) was seen at each of the two: *overlapping* (2+
   common years: rarely one person), *successive* (one followed the other: a move, at
   most a year apart or with the year of the move in common) or *apart* (2+ years
   between them). A move is thus weak evidence against a match, the weaker the more
   years lie between the two mentions, while a second organisation at the same time
   is strong evidence. The name enters as a prior: the match rate of same-name pairs,
   a logistic function of how common the name's first and last tokens are
   (:func:`name_bins`). Parameters come from the unlabeled data:

   - *u* (level frequencies for different people) from pairs of mentions with the same
     family name and a different first token: always different people, sharing the
     name's cultural and geographic distribution (a deterministic sample);
   - *m* (level frequencies for the same person) starts from pairs of *rare* names
     (nearly always one person), then EM over all candidate pairs estimates m and the
     match-rate model with u held fixed; pairs are weighted 1 / (mentions of the name
     - 1) so that prolific names do not dominate. P(overlapping organisations | match)
     is held at a small constant (:data:`M_OVERLAP`): with u known, the overlapping
     pairs then tell how many pairs are different people, which identifies the match
     rate even where coauthors say nothing (without it the EM may take "same
     organisation" for "same person" and split everyone who moved).

   A pair's match weight is log2 odds in integer centibits: the name prior, the level
   weights and a term-frequency adjustment for the institution or domain agreed on.
3. **Clustering** (:func:`cluster`): components of strong links (weight >= 0 and a
   shared organisation or coauthor whose level weight is at least one bit) among
   keyless mentions; then average linkage between clusters, keyed persons included but
   never merged with each other; then mentions still alone join their best cluster;
   the rest form components.

Person ids: ``or:<OpenReview id>`` (else ``orcid:``, ``dblp:``, ``gs:``; the smallest key
of the strongest kind in the person) for keyed persons, which keyless mentions linked
to them share (``key_kind`` ``linked``); ``name:<name>`` for keyless persons, with
``#2``, ``#3`` ... when several persons carry the same name (numbered by first year,
then smallest mention; the earliest keeps the plain id).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.countries import WEBMAIL

Materialize = Callable[[str, Table], Table]

#: (key_kind, mention column, person id prefix), strongest first
KEYS = (
    ("openreview", "openreview_id", "or:"),
    ("orcid", "orcid", "orcid:"),
    ("dblp", "dblp", "dblp:"),
    ("google_scholar", "google_scholar", "gs:"),
)

#: a non-OpenReview key seen with this many distinct names or OpenReview ids is ignored
KEY_MAX_PEOPLE = 3
#: name-commonness bins: floor(log2(expected people sharing a name)), clipped
BIN_LO, BIN_HI = -8, 5
#: name cells: log2 buckets of first-token and last-token counts
CELL_BUCKETS = 10
#: names in bins up to this one (expected < 2**-5 other bearers) estimate m
M_BIN_MAX = -6
#: comparisons and their levels (None: not comparable, weight 0)
FEATURES = ("gap", "org", "coauthors", "venue")
LEVELS = {"gap": (0, 1, 2, 3), "org": (0, 1, 2, 3, 4), "coauthors": (0, 1, 2), "venue": (0, 1)}
LEVEL_NAMES = {
    "gap": ("same year", "1-2 years", "3-5 years", "6+ years"),
    "org": (
        "different, overlapping",
        "different, apart",
        "different, successive",
        "same domain",
        "same institution",
    ),
    "coauthors": ("none shared", "1 shared", "2+ shared"),
    "venue": ("different", "same"),
}
#: comparisons whose levels are modelled given another's level (P(org | gap, match)):
#: a change of organisation or of coauthors says little across years, much within one
PARENT = {"org": "gap", "coauthors": "gap"}
GAP_EDGES = (1, 3, 6)
#: organisation levels. Two different organisations are compared by the years the name
#: was seen at each (at the institution key when both mentions have one, else at the
#: domain): *overlapping* when they share OVERLAP_YEARS or more years (one person is
#: rarely at two organisations at once), *apart* when APART_YEARS or more years without
#: either lie between them, else *successive* (one followed the other: a move)
ORG_OVERLAP, ORG_APART, ORG_MOVE, ORG_DOMAIN, ORG_INST = 0, 1, 2, 3, 4
OVERLAP_YEARS = 2
APART_YEARS = 2
#: P(overlapping organisations | gap, match), held fixed rather than estimated: the
#: assumption that identifies the match rate where coauthors say little (see
#: :func:`estimate`); about the EM's own estimate for the same year on OpenReview
M_OVERLAP = 1e-3
#: levels that agree on something specific (an organisation, a coauthor)
AGREE = {("org", ORG_DOMAIN), ("org", ORG_INST), ("coauthors", 1), ("coauthors", 2)}
#: an agreeing level makes a link strong (:func:`cluster`) when its weight is at least
#: this (centibits): agreement the model finds evidence of one person
EVIDENCE_MIN = 100
#: clip of the term-frequency adjustment of an agreeing institution/domain, in bits
TF_CLIP = 3.0
#: link when the match weight (centibits) is at least this (0: posterior odds 1:1)
THRESHOLD = 0
#: u sample: each mention is paired with this many later mentions of its family name
U_SAMPLE_LEADS = 2
#: below this many same-family-name pairs, u comes from pairs of any two names
U_MIN_PAIRS = 2000
#: pseudo-pairs (at a match rate of 1/2) added to each name cell in the EM
PRIOR_PAIRS = 2.0
#: pseudo-pairs shrinking P(level | parent level, match) towards P(level | match)
M_SHRINK = 10.0
#: estimate m by EM (u fixed) starting from the rare-name pairs, else keep the latter
M_BY_EM = True
EM_ITERATIONS = 500
EM_TOLERANCE = 1e-6
#: unit of the integer pair weights 1 / (nv - 1) summed by the engine
WEIGHT_UNIT = 2**20
#: cap on the rounds of average-linkage merging (each round merges every reciprocal
#: best pair; the cap only guards against pathological inputs)
MAX_ROUNDS = 100


@dataclass
class LinkageModel:
    """Estimated probabilities and the integer weights (centibits) derived from them."""

    pairs: int = 0
    m_pairs: int = 0
    u_pairs: int = 0
    iterations: int = 0
    converged: bool = False
    cell_pairs: dict[int, int] = field(default_factory=dict)
    match_rate: dict[int, float] = field(default_factory=dict)  # name cell -> P(match)
    #: feature -> (parent level or None, level) -> probability / weight (centibits)
    m: dict[str, dict[tuple[int | None, int], float]] = field(default_factory=dict)
    u: dict[str, dict[tuple[int | None, int], float]] = field(default_factory=dict)
    prior_weight: dict[int, int] = field(default_factory=dict)
    weight: dict[str, dict[tuple[int | None, int], int]] = field(default_factory=dict)
    expected_matches: float = 0.0
    #: logistic match-rate model: coefficients of :func:`_cell_covariates`
    beta: list[float] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"candidate pairs {self.pairs:,} (m from {self.m_pairs:,} rare-name pairs,"
            f" u from {self.u_pairs:,} same-family-name pairs); EM {self.iterations}"
            f" iterations ({'converged' if self.converged else 'not converged'}),"
            f" expected matching pairs {self.expected_matches:,.0f}",
            "name cell (100 x first-token bucket + 10 x last-token bucket + middle):"
            " candidate pairs, match rate, prior weight (bits)",
        ]
        for b in sorted(self.cell_pairs):
            lines.append(
                f"  {b:>3}: {self.cell_pairs.get(b, 0):>10,}  {self.match_rate[b]:.4f}"
                f"  {self.prior_weight[b] / 100:+.2f}"
            )
        for f in FEATURES:
            for (par, lv), w in sorted(
                self.weight[f].items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])
            ):
                given = f" | {PARENT[f]} {LEVEL_NAMES[PARENT[f]][par]}" if par is not None else ""
                lines.append(
                    f"  {f} {LEVEL_NAMES[f][lv]}{given}: m={self.m[f][(par, lv)]:.4f}"
                    f" u={self.u[f][(par, lv)]:.4f} w={w / 100:+.2f}"
                )
        return "\n".join(lines)


@dataclass
class PeopleResult:
    table: Table
    model: LinkageModel
    #: ``mid, key, name``: mention keys left out for a name conflict (:func:`name_conflicts`)
    conflicts: Table


def link_people(mentions: Table, *, materialize: Materialize | None = None) -> Table:
    """``work_id, position, person_id, key_kind``: one row per mention (see module doc).

    ``mentions``: ``work_id, position, name_norm, year, venue, openreview_id, orcid, dblp,
    google_scholar, domain, institution``. ``materialize(name, expr)`` caches an
    intermediate table (names start with ``people_``); without it, intermediate tables
    are cached with :meth:`ibis.Table.cache` on the input's backend (the fixed-point
    iterations of the clustering need stored intermediate results).
    """
    return resolve_people(mentions, materialize=materialize).table


def resolve_people(mentions: Table, *, materialize: Materialize | None = None) -> PeopleResult:
    """:func:`link_people` plus the estimated linkage model."""
    mat: Materialize = materialize or _cache
    m = mat("people_mentions", prepare(mentions))

    # 1. reliable keys
    keyed_expr, conflicts = keyed_persons(m, mat)
    keyed = mat("people_keyed", keyed_expr)

    # 2. record linkage on names
    bins = mat("people_name_bins", name_bins(m))
    edges = mat("people_coauthors", coauthor_edges(m, bins))
    feats = mat("people_features", mention_features(m, bins, edges))
    pairs = mat("people_pairs", candidate_pairs(feats, edges))
    sample = mat("people_u_sample", family_name_pairs(feats, edges))
    if sample.count().execute() < U_MIN_PAIRS:  # too few shared family names
        sample = mat("people_u_sample", family_name_pairs(feats, edges, by_family=False))
    model = estimate(
        _pattern_counts(pairs, ["cell", *FEATURES]),
        _pattern_counts(pairs.filter(pairs.bin <= M_BIN_MAX), list(FEATURES)),
        _pattern_counts(sample, list(FEATURES)),
    )
    scored = mat("people_scored", score(pairs, model))

    # 3. clusters and ids
    labels = cluster(m, scored, keyed, mat)
    return PeopleResult(assemble(m, keyed, labels, mat, bins), model, conflicts)


# -- helpers ---------------------------------------------------------------------------


def _cache(name: str, expr: Table) -> Table:
    return expr.cache()


def _flat(t: Table) -> Table:
    """A join's result as a plain projection, so that it can start another join."""
    return t.select(*t.columns)


def _trim(col: Any) -> Any:
    # not Value.strip(): ibis compiles it for Spark as TRIM(' \t\n\r\v\f' ...), where
    # Spark reads '\v' as 'v' and strips the letter v from both ends
    return col.re_replace(r"^\s+|\s+$", "")


def _blank_null(col: Any) -> Any:
    s = _trim(col.cast("string"))
    return (s == "").ifelse(ibis.null("string"), s)


def _union_all(parts: Iterable[Table]) -> Table:
    parts = list(parts)
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p, distinct=False)
    return out


def _pattern_counts(t: Table, cols: list[str]) -> list[dict[str, Any]]:
    """Pattern counts; with ``nv`` (mentions of the pair's name) in ``t``, also ``wn``:
    the pairs weighted 1 / (nv - 1) in units of 2**-20 (integers, so exact anywhere)."""
    agg = {"n": t.count()}
    if "nv" in t.columns:
        agg["wn"] = (WEIGHT_UNIT // (t.nv - 1).clip(lower=1)).sum()
    return t.group_by(cols).agg(**agg).to_pyarrow().to_pylist()


# -- preparation ------------------------------------------------------------------------

_SECOND_LEVEL = "edu|ac|co|com|org|gov|net|or"


def organisation_domain(col: Any) -> Any:
    """The registered domain of an e-mail domain (``cs.stanford.edu`` -> ``stanford.edu``,
    ``mails.tsinghua.edu.cn`` -> ``tsinghua.edu.cn``, as resolve.countries does); null for
    free-mail providers."""
    d = _blank_null(col).lower()
    three = d.re_extract(rf"([^.]+\.({_SECOND_LEVEL})\.[^.]+)$", 1)
    two = d.re_extract(r"([^.]+\.[^.]+)$", 1)
    reg = (three != "").ifelse(three, (two != "").ifelse(two, d))
    return reg.isin(sorted(WEBMAIL)).ifelse(ibis.null("string"), reg)


def prepare(mentions: Table) -> Table:
    """Mentions with an integer id ``mid`` (rank by work and position) and clean fields."""
    t = mentions
    # (work_id, position) identifies a mention; the other columns only make the order
    # total should the input repeat one
    w = ibis.window(
        order_by=[
            t.work_id,
            t.position,
            t.name_norm,
            *[t[c] for _k, c, _p in KEYS],
            t.domain,
            t.institution,
        ]
    )
    return t.select(
        mid=ibis.row_number().over(w).cast("int64"),
        wk=ibis.dense_rank().over(ibis.window(order_by=t.work_id)).cast("int64"),
        work_id=t.work_id,
        position=t.position.cast("int32"),
        name=_trim(t.name_norm.fill_null("")),
        year=t.year.cast("int32"),
        venue=t.venue.fill_null(""),
        domain=organisation_domain(t.domain),
        inst=_blank_null(t.institution),
        **{col: _blank_null(t[col]) for _kind, col, _pre in KEYS},
        openreview_alias=(
            _blank_null(t.openreview_alias)
            if "openreview_alias" in t.columns
            else ibis.null("string")
        ),
    )


# -- reliable keys --------------------------------------------------------------------


def keyed_persons(m: Table, mat: Materialize) -> tuple[Table, Table]:
    """``mid, klabel, kid``: keyed mentions, their component label and person id; and
    the mention keys left out for a name conflict (:func:`name_conflicts`)."""
    cols = [(col, prefix) for _k, col, prefix in KEYS] + [("openreview_alias", "or:")]
    mk = _union_all(
        m.filter(m[col].notnull()).select("mid", key=prefix + m[col]) for col, prefix in cols
    )
    mk = mk.distinct()
    # a key that several people carry (a placeholder, a DBLP page of homonyms) links
    # nobody: ORCID / DBLP / Scholar values seen with 3+ names or 3+ OpenReview ids
    info = m.select(imid=m.mid, iname=m.name, ior=m.openreview_id)
    kn = _flat(mk.join(info, mk.mid == info.imid).select(mk.key, info.iname, info.ior))
    kn = kn.group_by("key").agg(names=kn.iname.nullif("").nunique(), ors=kn.ior.nunique())
    bad = kn.filter(
        ~kn.key.startswith("or:") & ((kn.names >= KEY_MAX_PEOPLE) | (kn.ors >= KEY_MAX_PEOPLE))
    )
    bad = bad.select(bkey=bad.key)
    mk = _flat(mk.anti_join(bad, mk.key == bad.bkey))
    # a key joins only mentions whose names agree with it (:func:`name_conflicts`)
    conflicts = mat("people_key_conflicts", name_conflicts(m, mk))
    cf = conflicts.select(cmid=conflicts.mid, ckey=conflicts.key)
    mk = mk.anti_join(cf, [mk.mid == cf.cmid, mk.key == cf.ckey])
    mk = mat("people_mention_keys", _flat(mk))
    # mention-key graph as edges from each key's smallest mention to its other mentions
    first = mk.group_by(fkey=mk.key).agg(root=mk.mid.min())
    e = _flat(mk.join(first, mk.key == first.fkey).select(a=first.root, b=mk.mid))
    comps = components(e.filter(e.a != e.b), mat, "people_kcc")
    nodes = mk.select(nmid=mk.mid).distinct()
    lab = _flat(
        nodes.left_join(comps, nodes.nmid == comps.mid).select(
            mid=nodes.nmid, klabel=comps.label.fill_null(nodes.nmid)
        )
    )
    lab = mat("people_key_labels", lab)
    # person id: the smallest key of the strongest kind present in the component
    rank = ibis.cases(*[(mk.key.startswith(p), i) for i, (_k, _c, p) in enumerate(KEYS)], else_=99)
    kl = _flat(mk.join(lab, mk.mid == lab.mid).select(lab.klabel, mk.key, rank=rank))
    best = kl.group_by(bl=kl.klabel).agg(r=kl.rank.min())
    pick = _flat(kl.join(best, [kl.klabel == best.bl, kl.rank == best.r]).select(kl.klabel, kl.key))
    kid = pick.group_by(il=pick.klabel).agg(kid=pick.key.min())
    keyed = _flat(lab.join(kid, lab.klabel == kid.il).select(lab.mid, lab.klabel, kid.kid))
    return keyed, conflicts


def _tokens(t: Table, col: str, keep: list[str]) -> Table:
    """One row per word of two or more letters in a normalised name column: ``tok``."""
    x = t.select(*keep, tok=t[col].split(" ").unnest())
    return x.filter(x.tok.length() >= 2)


def openreview_id_name(col: Any) -> Any:
    """The normalised name an OpenReview id spells (``~Jane_Q._Doe2`` -> ``jane q doe``;
    accents are kept, which only makes an accented id agree less often)."""
    s = col.lower().re_replace(r"^~", "").re_replace(r"[0-9]+$", "")
    return s.re_replace(r"[_.\-]+", " ").re_replace(r"[^a-z0-9 ]", "").re_replace(r" +", " ")


def name_conflicts(m: Table, mk: Table) -> Table:
    """``mid, key, name``: mention keys whose mention's name shares no word (of two or
    more letters) with the key's reference names: the key's most frequent mention name,
    and for an OpenReview id also the name the id spells. Such a key was attached to
    the wrong author (a misaligned record, a shared placeholder) and does not join the
    mention to the key's person; the mention is linked like a keyless one. Mentions
    without a name of two or more letters are never in conflict."""
    info = m.select(imid=m.mid, iname=m.name)
    kn = _flat(mk.join(info, mk.mid == info.imid).select(mk.mid, mk.key, name=info.iname))
    counts = kn.filter(kn.name != "").group_by(["key", "name"]).agg(n=_.count())
    w = ibis.window(group_by="key", order_by=[ibis.desc("n"), ibis.asc("name")])
    modal = counts.mutate(rk=ibis.row_number().over(w))
    modal = modal.filter(modal.rk == 0).select(rkey=modal.key, rname=modal.name)
    ids = kn.filter(kn.key.startswith("or:")).select("key").distinct()
    ids = ids.select(rkey=ids.key, rname=openreview_id_name(ids.key.substr(3)))
    ref = _tokens(_union_all([modal, ids]), "rname", ["rkey"]).distinct()
    mine = _tokens(kn, "name", ["mid", "key"])
    agree = _flat(
        mine.join(ref, [mine.key == ref.rkey, mine.tok == ref.tok]).select(mine.mid, mine.key)
    ).distinct()
    worded = mine.select("mid", "key").distinct()
    out = worded.anti_join(agree, [worded.mid == agree.mid, worded.key == agree.key])
    out = _flat(out)
    return _flat(out.join(info, out.mid == info.imid).select(out.mid, out.key, name=info.iname))


# -- name commonness ------------------------------------------------------------------


def _name_parts(t: Table, col: str = "name") -> dict[str, Any]:
    """First token, middle part ('' when none) and last token of a normalised name."""
    n = t[col]
    return {
        "first": n.re_extract(r"^(\S+)", 1),
        "middle": n.re_extract(r"^\S+ (.+) \S+$", 1),
        "last": n.contains(" ").ifelse(n.re_extract(r"(\S+)$", 1), ""),
    }


def name_bins(m: Table) -> Table:
    """``name, nk, nv, bin, cell``: a code, the mentions and how common each name is.

    ``cell`` (the match-rate model's input): log2 buckets of the number of distinct
    names sharing the first token and sharing the last token, and whether there is a
    middle part. ``bin`` (which names are rare enough to estimate m): floor(log2(expected
    people bearing the name)), clipped. The expected number of people named *first
    middle last* is ``D p(first) p(middle) p(last)``: ``D`` distinct names, ``p`` the
    share of distinct names with that first token, middle part ('' when none) and last
    token (independent name parts, counted over distinct names so that prolific authors
    do not make their own name look common). The product of integer counts is compared
    with ``D**2`` times powers of two exactly in floating point, so the bin is the same
    on every engine.
    """
    names = m.filter(m.name != "").group_by("name").agg(nv=_.count())
    names = names.mutate(**_name_parts(names))
    d = names.count().as_scalar().cast("float64")
    cf = names.group_by(kf=names["first"]).agg(nf=_.count())
    cm = names.group_by(km=names["middle"]).agg(nm=_.count())
    cl = names.group_by(kl=names["last"]).agg(nl=_.count())
    j = _flat(
        names.join(cf, names["first"] == cf.kf).select(
            names.name, names.nv, names.middle, names["last"], cf.nf
        )
    )
    j = _flat(j.join(cm, j.middle == cm.km).select(j.name, j.nv, j.middle, j["last"], j.nf, cm.nm))
    j = _flat(j.join(cl, j["last"] == cl.kl).select(j.name, j.nv, j.middle, j.nf, j.nm, cl.nl))
    prod = j.nf.cast("float64") * j.nm.cast("float64") * j.nl.cast("float64")
    d2 = d * d
    b = ibis.literal(BIN_LO)
    for k in range(BIN_LO + 1, BIN_HI + 1):
        b = b + (prod >= d2 * (2.0**k)).cast("int32")
    return j.select(
        "name",
        nk=ibis.row_number().over(ibis.window(order_by=j.name)).cast("int64"),
        nv=j.nv.cast("int64"),
        bin=b.cast("int32"),
        cell=_cell(j.nf, j.nl, j.middle != ""),
    )


def _bucket(n: Any) -> Any:
    """floor(log2(n)) for counts n >= 1, clipped to 0..CELL_BUCKETS-1 (integer compares)."""
    b = ibis.literal(0)
    for k in range(1, CELL_BUCKETS):
        b = b + (n >= 2**k).cast("int32")
    return b


def _cell(nf: Any, nl: Any, has_middle: Any) -> Any:
    """Name cell: how many distinct names share the first token and the last token
    (log2 buckets) and whether there is a middle part, as ``100 f + 10 l + middle``."""
    return (_bucket(nf) * 100 + _bucket(nl) * 10 + has_middle.cast("int32")).cast("int32")


# -- comparisons -----------------------------------------------------------------------


def coauthor_edges(m: Table, bins: Table) -> Table:
    """``mid, nk, cnk``: the distinct other names (codes) on each mention's work."""
    x = m.filter(m.name != "")
    bn = bins.select(bname=bins.name, nk=bins.nk)
    x = _flat(x.join(bn, x.name == bn.bname).select(x.mid, x.wk, bn.nk))
    o = x.select(w2=x.wk, cnk=x.nk, mid2=x.mid)
    j = x.join(o, [x.wk == o.w2, x.mid != o.mid2, x.nk != o.cnk])
    return j.select(x.mid, x.nk, o.cnk).distinct()


def _codes(t: Table, col: str) -> Table:
    """``value, code``: an integer for each distinct value of a column."""
    v = t.filter(t[col].notnull()).select(value=t[col]).distinct()
    return v.select(
        "value", code=ibis.row_number().over(ibis.window(order_by=v.value)).cast("int64")
    )


def mention_features(m: Table, bins: Table, edges: Table) -> Table:
    """Named mentions with what pairs compare, as integers: name ``nk``, work ``wk``,
    venue ``vc``, domain ``dc``, institution ``ic`` codes; ``has_co`` (the work has
    other named authors), ``tfi`` / ``tfd`` (term-frequency adjustments of the
    institution and domain), ``ilo``, ``ihi`` / ``dlo``, ``dhi`` (first and last year
    of the name at the mention's institution / domain) and the name's ``nv``
    (mentions), ``bin`` and ``cell``."""
    x = m.filter(m.name != "").select("mid", "wk", "name", "year", "venue", "domain", "inst")
    has = edges.select(hmid=edges.mid).distinct()
    x = _flat(x.left_join(has, x.mid == has.hmid))
    ti = _tf_table(m, "inst")
    ti = ti.select(vi=ti.value, ic=ti.code, tfi=ti.tf)
    x = _flat(x.left_join(ti, x.inst == ti.vi))
    td = _tf_table(m, "domain")
    td = td.select(vd=td.value, dc=td.code, tfd=td.tf)
    x = _flat(x.left_join(td, x.domain == td.vd))
    vn = _codes(m, "venue")
    vn = vn.select(vv=vn.value, vc=vn.code)
    x = _flat(x.left_join(vn, x.venue == vn.vv))
    bn = bins.select(bname=bins.name, nk=bins.nk, nv=bins.nv, bin=bins.bin, cell=bins.cell)
    x = _flat(x.join(bn, x.name == bn.bname))
    for col, lo, hi in (("inst", "ilo", "ihi"), ("domain", "dlo", "dhi")):
        t = x.filter(x[col].notnull())
        r = t.group_by(rn=t.name, rv=t[col]).agg(**{lo: t.year.min(), hi: t.year.max()})
        x = _flat(x.left_join(r, [x.name == r.rn, x[col] == r.rv]).drop("rn", "rv"))
    return x.select(
        "mid", "nk", "name", "wk", "year", "vc", "dc", "ic", "tfi", "tfd", "nv", "bin",
        "cell", "ilo", "ihi", "dlo", "dhi", has_co=x.hmid.notnull(),
    )  # fmt: skip


def _sides(x: Table) -> tuple[Table, Table]:
    left = x.select(
        a=x.mid, na=x.nk, wa=x.wk, ya=x.year, va=x.vc, da=x.dc, ia=x.ic, ca=x.has_co,
        tfi=x.tfi, tfd=x.tfd, nv=x.nv, bin=x.bin, cell=x.cell,
        ila=x.ilo, iha=x.ihi, dla=x.dlo, dha=x.dhi,
    )  # fmt: skip
    right = x.select(
        b=x.mid, nb=x.nk, wb=x.wk, yb=x.year, vb=x.vc, db=x.dc, ib=x.ic, cb=x.has_co,
        ilb=x.ilo, ihb=x.ihi, dlb=x.dlo, dhb=x.dhi,
    )  # fmt: skip
    return left, right


def _levels(p: Table, shared: Table) -> Table:
    """Comparison levels of pairs ``p`` (both sides' fields) given shared coauthor counts."""
    p = _flat(p.left_join(shared, [p.a == shared.sa, p.b == shared.sb]).drop("sa", "sb"))
    gapv = (p.ya - p.yb).abs()
    gap = ibis.cases(
        (gapv.isnull(), ibis.null("int8")),
        (gapv < GAP_EDGES[0], 0),
        (gapv < GAP_EDGES[1], 1),
        (gapv < GAP_EDGES[2], 2),
        else_=3,
    )
    inst_cmp = p.ia.notnull() & p.ib.notnull()
    dom_cmp = p.da.notnull() & p.db.notnull()
    same_inst = inst_cmp & (p.ia == p.ib)
    same_dom = dom_cmp & (p.da == p.db)
    # different organisations: the years the name was seen at both (negative: minus the
    # years between them), by institution when both sides have one, else by domain
    common = ibis.cases(
        (inst_cmp, ibis.least(p.iha, p.ihb) - ibis.greatest(p.ila, p.ilb) + 1),
        else_=ibis.least(p.dha, p.dhb) - ibis.greatest(p.dla, p.dlb) + 1,
    )
    org = ibis.cases(
        (same_inst, ORG_INST),
        (same_dom, ORG_DOMAIN),
        (~(inst_cmp | dom_cmp), ibis.null("int8")),
        (common >= OVERLAP_YEARS, ORG_OVERLAP),
        (common <= -APART_YEARS, ORG_APART),
        else_=ORG_MOVE,
    )
    n = p.shared.fill_null(0)
    coauthors = ibis.cases(
        (n >= 2, 2),
        (n == 1, 1),
        (p.ca & p.cb, 0),
        else_=ibis.null("int8"),
    )
    tf = ibis.cases((same_inst, p.tfi), (same_dom, p.tfd), else_=0)
    return p.mutate(
        gap=gap.cast("int8"),
        org=org.cast("int8"),
        coauthors=coauthors.cast("int8"),
        venue=(p.va == p.vb).cast("int8"),
        tf=tf.fill_null(0).cast("int32"),
    )


def candidate_pairs(x: Table, edges: Table) -> Table:
    """Same-name mention pairs (``a < b``) on different works: the name's ``nv``, ``bin``
    and ``cell``, the comparison levels and ``tf``, the term-frequency adjustment of the
    institution or domain agreed on (``x``: :func:`mention_features`)."""
    left, right = _sides(x)
    p = _flat(left.join(right, [left.na == right.nb, left.a < right.b, left.wa != right.wb]))
    e2 = edges.select(mid2=edges.mid, nk2=edges.nk, cnk2=edges.cnk)
    sh = edges.join(e2, [edges.nk == e2.nk2, edges.cnk == e2.cnk2, edges.mid < e2.mid2])
    shared = sh.group_by(sa=edges.mid, sb=e2.mid2).agg(shared=_.count())
    p = _levels(p, shared)
    return p.select("a", "b", "nv", "bin", "cell", *FEATURES, "tf")


def family_name_pairs(x: Table, edges: Table, *, by_family: bool = True) -> Table:
    """Certain non-matches for u: mentions with the same last name and a different first
    token, on different works. Deterministic sample: within each last name, mentions in
    a pseudo-random order (integer hash of the mention id) are paired with the next
    :data:`U_SAMPLE_LEADS` ones. With ``by_family=False`` (a fallback for corpora with
    too few shared family names) the pairs are drawn from all mentions and must differ in
    both first and last token."""
    m = x
    x = x.filter(x.name.contains(" "))
    x = x.mutate(**_name_parts(x))
    if not by_family:
        x = x.mutate(last=ibis.literal(""), family=x["last"])
    # a quadratic map of the id modulo a prime (a linear one would pair ids at fixed
    # offsets, which the ordering of mentions by work makes correlated in time and venue)
    p31 = 2147483647
    t = (x.mid.cast("int64") * ibis.literal(48271, type="int64") + 11) % p31
    x = x.mutate(h=(t * t) % p31)
    w = ibis.window(group_by=x["last"], order_by=[x.h, x.mid])
    leads = {f"l{k}": x.mid.lead(k).over(w) for k in range(1, U_SAMPLE_LEADS + 1)}
    x = x.mutate(**leads)
    pairs = _union_all(
        x.filter(x[f"l{k}"].notnull()).select(pa=x.mid, pb=x[f"l{k}"])
        for k in range(1, U_SAMPLE_LEADS + 1)
    )
    pairs = pairs.select(
        a=ibis.least(pairs.pa, pairs.pb), b=ibis.greatest(pairs.pa, pairs.pb)
    ).distinct()
    left, right = _sides(m)
    parts = _name_parts(m)
    fn = m.select(fm=m.mid, fa=parts["first"], la_=parts["last"])
    left = _flat(left.join(fn, left.a == fn.fm)).drop("fm")
    fn2 = m.select(fm=m.mid, fb=parts["first"], lb_=parts["last"])
    right = _flat(right.join(fn2, right.b == fn2.fm)).drop("fm")
    p = _flat(pairs.join(left, pairs.a == left.a).select(pairs.b, *[left[c] for c in left.columns]))
    p = _flat(
        p.join(right, p.b == right.b).select(
            *[p[c] for c in p.columns], *[right[c] for c in right.columns if c != "b"]
        )
    )
    p = p.filter((p.fa != p.fb) & (p.wa != p.wb))
    if not by_family:
        p = p.filter(p.la_ != p.lb_)
    # shared coauthor names of the sampled pairs
    ea = edges.select(ea=edges.mid, ca=edges.cnk)
    eb = edges.select(eb=edges.mid, cb=edges.cnk)
    pk = p.select("a", "b")
    s1 = _flat(pk.join(ea, pk.a == ea.ea).select(pk.a, pk.b, ea.ca))
    s2 = s1.join(eb, [s1.b == eb.eb, s1.ca == eb.cb])
    shared = s2.group_by(sa=s1.a, sb=s1.b).agg(shared=_.count())
    return _levels(p, shared).select("a", "b", *FEATURES)


def _tf_table(m: Table, col: str) -> Table:
    """``value, tf``: centibits log2(collision rate / share of the value), clipped."""
    t = m.filter(m[col].notnull())
    c = t.group_by(value=t[col]).agg(n=_.count())
    n = c.n.cast("float64")
    tot = n.sum().over(ibis.window())
    coll = (n * n).sum().over(ibis.window()) / (tot * tot)
    adj = (coll / (n / tot)).log2().clip(-TF_CLIP, TF_CLIP)
    code = ibis.row_number().over(ibis.window(order_by=c.value)).cast("int64")
    return c.select("value", code=code, tf=(adj * 100).round().cast("int32"))


# -- estimation ------------------------------------------------------------------------


def _marginals(rows: list[dict[str, Any]]) -> dict[str, dict[tuple[int | None, int], float]]:
    """Level frequencies of each comparison, given its parent's level when it has one
    (not-comparable pairs left out), smoothed with half a pair per level."""
    out: dict[str, dict[tuple[int | None, int], float]] = {}
    for f in FEATURES:
        parents: tuple[int | None, ...] = LEVELS[PARENT[f]] if f in PARENT else (None,)
        c = {(par, lv): 0.5 for par in parents for lv in LEVELS[f]}
        for r in rows:
            par = r[PARENT[f]] if f in PARENT else None
            if r[f] is not None and (f not in PARENT or par is not None):
                c[(None if par is None else int(par), int(r[f]))] += r["n"]
        out[f] = {}
        for par in parents:
            tot = sum(c[(par, lv)] for lv in LEVELS[f])
            for lv in LEVELS[f]:
                out[f][(par, lv)] = c[(par, lv)] / tot
    return out


def _level(f: str, r: dict[str, Any]) -> tuple[int | None, int] | None:
    if r[f] is None:
        return None
    if f in PARENT:
        par = r[PARENT[f]]
        return None if par is None else (int(par), int(r[f]))
    return (None, int(r[f]))


def _cell_covariates(cell: int) -> list[float]:
    """Covariates of the match-rate model for a name cell (see :func:`_cell`)."""
    f, lst, mid = cell // 100, (cell // 10) % 10, cell % 10
    return [1.0, f, lst, f * lst, mid]


def _logistic_fit(x: np.ndarray, w: np.ndarray, y: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Weighted logistic regression with soft targets ``y`` (Newton steps, ridge 1e-3)."""
    for _step in range(25):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        g = x.T @ (w * (y - p)) - 1e-3 * beta
        h = (x * (w * p * (1 - p))[:, None]).T @ x + 1e-3 * np.eye(len(beta))
        step = np.linalg.solve(h, g)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return beta


def estimate(
    counts: list[dict[str, Any]], m_counts: list[dict[str, Any]], u_counts: list[dict[str, Any]]
) -> LinkageModel:
    """Fellegi-Sunter parameters from pattern counts (rows ``[cell, nv,] gap, org,
    coauthors, venue, n``; a level is None when not comparable; ``nv`` the mentions of
    the pair's name).

    u from the same-family-name pairs (held fixed). m starts from the rare-name pairs.
    EM over all candidate pairs then estimates m and the match rate, a logistic function
    of the name cell (log2 counts of distinct names sharing the first token and the last
    token, their product and a middle-part indicator), made monotone afterwards (a name
    with rarer parts never gets a lower rate). Pairs
    are weighted 1 / (nv - 1), so each name counts in proportion to its mentions rather
    than to their square (a few prolific names would otherwise set the rate of their
    cell). Numpy over sorted rows, so any engine's counts give the same model.

    P(org overlapping | gap, match) is held at :data:`M_OVERLAP` (:func:`_hold`). Given
    u, a mixture of matches and non-matches over the gap and organisation levels alone
    is not identified: a higher match rate with m closer to the pairs' own level
    frequencies fits as well as a lower one with a "purer" m. Shared coauthors settle
    it on real papers; without them (or where they are random) nothing else does, and
    the EM may end with "same organisation" as the match class and a move as strong
    evidence against. Overlapping organisations, rare for one person and common for
    two, fix the share of non-matches instead.
    """
    cols = ("cell", *FEATURES)
    key = lambda r: tuple(-99 if r.get(c) is None else int(r[c]) for c in cols)  # noqa: E731
    counts = sorted(counts, key=key)

    def weighted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "n": r.get("wn", r["n"]) / WEIGHT_UNIT} for r in rows]

    model = LinkageModel()
    m0 = _marginals(weighted(sorted(m_counts, key=key)))
    model.u = _marginals(sorted(u_counts, key=key))
    model.pairs = sum(r["n"] for r in counts)
    model.m_pairs = sum(r["n"] for r in m_counts)
    model.u_pairs = sum(r["n"] for r in u_counts)
    for r in counts:
        model.cell_pairs[int(r["cell"])] = model.cell_pairs.get(int(r["cell"]), 0) + r["n"]

    cells = sorted(model.cell_pairs)
    where = {c: i for i, c in enumerate(cells)}
    ci = np.array([where[int(r["cell"])] for r in counts], dtype=np.int64)
    n = np.array([r["wn"] / WEIGHT_UNIT for r in counts], dtype=np.float64)
    keys = {f: sorted(m0[f], key=lambda k: (-1 if k[0] is None else k[0], k[1])) for f in FEATURES}
    idx = {}
    for f in FEATURES:
        pos = {k: i for i, k in enumerate(keys[f])}
        idx[f] = np.array([pos.get(_level(f, r), -1) for r in counts], dtype=np.int64)
    m = {f: _hold(f, keys[f], np.array([m0[f][k] for k in keys[f]])) for f in FEATURES}
    logu = {f: np.log(np.array([model.u[f][k] for k in keys[f]])) for f in FEATURES}
    x = np.array([_cell_covariates(c) for c in cells])
    beta = np.zeros(x.shape[1])
    cell_n = np.bincount(ci, weights=n, minlength=len(cells))
    post = np.zeros(len(counts))
    for it in range(1, EM_ITERATIONS + 1):
        lam = np.clip(1.0 / (1.0 + np.exp(-(x @ beta))), 1e-6, 1 - 1e-6)
        score = np.log(lam / (1.0 - lam))[ci]
        for f in FEATURES:
            ok = idx[f] >= 0
            score[ok] += np.log(m[f])[idx[f][ok]] - logu[f][idx[f][ok]]
        post = 1.0 / (1.0 + np.exp(-score))
        y = np.bincount(ci, weights=n * post, minlength=len(cells)) / np.maximum(cell_n, 1e-12)
        new_beta = _logistic_fit(x, cell_n, y, beta)
        delta = float(np.max(np.abs(1.0 / (1.0 + np.exp(-(x @ new_beta))) - lam)))
        beta = new_beta
        if M_BY_EM:
            for f in FEATURES:
                ok = idx[f] >= 0
                c = np.bincount(idx[f][ok], weights=(n * post)[ok], minlength=len(keys[f]))
                new_m = _hold(f, keys[f], _normalise(f, keys[f], c))
                delta = max(delta, float(np.max(np.abs(new_m - m[f]))))
                m[f] = new_m
        model.iterations = it
        if delta < EM_TOLERANCE:
            model.converged = True
            break
    model.beta = [float(b) for b in beta]
    model.expected_matches = float(np.sum(n * post))
    model.m = {f: {k: float(m[f][i]) for i, k in enumerate(keys[f])} for f in FEATURES}
    all_cells = [
        f * 100 + lst * 10 + mid
        for f in range(CELL_BUCKETS)
        for lst in range(CELL_BUCKETS)
        for mid in (0, 1)
    ]
    fitted = {
        c: 1.0 / (1.0 + math.exp(-float(np.dot(_cell_covariates(c), beta)))) for c in all_cells
    }
    observed = [c for c, w in zip(cells, cell_n, strict=True) if w >= 1.0]
    for c in all_cells:
        # monotone envelope: a name whose parts are rarer (or that has a middle part) is
        # never more ambiguous than a more common one seen in the data
        f, lst, mid = c // 100, (c // 10) % 10, c % 10
        lam_c = max(
            [fitted[c]]
            + [
                fitted[o]
                for o in observed
                if o // 100 >= f and (o // 10) % 10 >= lst and o % 10 <= mid
            ]
        )
        lam_c = min(max(lam_c, 1e-6), 1 - 1e-6)
        model.match_rate[c] = lam_c
        model.prior_weight[c] = round(100 * math.log2(lam_c / (1 - lam_c)))
    model.weight = {
        f: {k: round(100 * math.log2(model.m[f][k] / model.u[f][k])) for k in model.m[f]}
        for f in FEATURES
    }
    # sign constraints: agreeing on an organisation or a coauthor is never evidence
    # against, disagreeing never evidence for (guards against a degenerate fit)
    for f in ("org", "coauthors"):
        for k, v in model.weight[f].items():
            model.weight[f][k] = max(v, 0) if (f, k[1]) in AGREE else min(v, 0)
    return model


def _hold(f: str, keys: list[tuple[int | None, int]], p: np.ndarray) -> np.ndarray:
    """``p`` with P(organisations overlapping | gap, match) held at :data:`M_OVERLAP`, the
    other organisation levels of each gap scaled to the rest."""
    if f != "org":
        return p
    held = np.array([lv == ORG_OVERLAP for _par, lv in keys])
    rest: dict[int | None, float] = {}
    for (par, _lv), v, h in zip(keys, p, held, strict=True):
        rest[par] = rest.get(par, 0.0) + (0.0 if h else float(v))
    return np.array(
        [
            M_OVERLAP if h else v * (1.0 - M_OVERLAP) / rest[par]
            for (par, _lv), v, h in zip(keys, p, held, strict=True)
        ]
    )


def _normalise(f: str, keys: list[tuple[int | None, int]], c: np.ndarray) -> np.ndarray:
    """Counts per (parent level, level) to probabilities within each parent level, shrunk
    towards the level's overall frequency."""
    overall: dict[int, float] = {}
    for (_par, lv), v in zip(keys, c, strict=True):
        overall[lv] = overall.get(lv, 0.0) + float(v)
    tot = sum(overall.values()) + 0.5 * len(overall)
    base = {lv: (v + 0.5) / tot for lv, v in overall.items()}
    out = np.array([v + M_SHRINK * base[lv] for (_par, lv), v in zip(keys, c, strict=True)])
    sums: dict[int | None, float] = {}
    for (par, _lv), v in zip(keys, out, strict=True):
        sums[par] = sums.get(par, 0.0) + float(v)
    return np.array([v / sums[par] for (par, _lv), v in zip(keys, out, strict=True)])


def score(pairs: Table, model: LinkageModel) -> Table:
    """``a, b, w, evidence``: pairs with their integer match weight (centibits) and
    whether they agree on anything specific (organisation or a coauthor) that the model
    counts as evidence (a level weight of at least :data:`EVIDENCE_MIN`)."""
    p = pairs
    w = ibis.cases(*[(p.cell == c, v) for c, v in model.prior_weight.items()], else_=0)
    evidence = ibis.literal(False)
    for f in FEATURES:
        branches = []
        for (par, lv), v in sorted(
            model.weight[f].items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])
        ):
            cond = p[f] == lv if par is None else (p[f] == lv) & (p[PARENT[f]] == par)
            branches.append((cond, v))
            if (f, lv) in AGREE and v >= EVIDENCE_MIN:
                evidence = evidence | cond.fill_null(False)
        w = w + ibis.cases(*branches, else_=0)
    w = w + p.tf
    return p.select("a", "b", w=w.cast("int32"), evidence=evidence)


# -- clustering ----------------------------------------------------------------------


def components(edges: Table, mat: Materialize, name: str) -> Table:
    """``mid, label``: connected components (label = smallest mention id) of the nodes
    touched by ``edges`` (``a, b``), by min-label propagation with pointer jumping until
    no label changes (labels only decrease, so an unchanged sum means no change)."""
    e = edges.select("a", "b")
    both = mat(f"{name}_edges", e.union(e.select(a=e.b, b=e.a)).distinct())
    lab = both.group_by(mid=both.a).agg(label=both.b.min())
    lab = mat(f"{name}_0", lab.select("mid", label=ibis.least(lab.mid, lab.label)))
    total = _label_sum(lab)
    i = 0
    while True:
        i += 1
        lv = lab.view()
        nb = _flat(both.join(lv, both.b == lv.mid).select(nmid=both.a, nl=lv.label))
        nb = nb.group_by("nmid").agg(m=nb.nl.min())
        new = _flat(
            lab.join(nb, lab.mid == nb.nmid).select(lab.mid, label=ibis.least(lab.label, nb.m))
        )
        v = new.view().select(vmid=_.mid, vlabel=_.label)
        new = _flat(
            new.join(v, new.label == v.vmid).select(new.mid, label=ibis.least(new.label, v.vlabel))
        )
        new = mat(f"{name}_{i % 2 + 1}", new)
        t = _label_sum(new)
        lab = new
        if t == total:
            return lab
        total = t


def _label_sum(lab: Table) -> int:
    """Sum of labels as an int (0 when empty: Spark's sum of nothing is not None)."""
    v = lab.label.cast("int64").sum().fill_null(0).execute()
    return int(v) if v == v else 0  # NaN from an empty Spark aggregate


def _sizes(lab: Table) -> Table:
    return lab.group_by(sl=lab.label).agg(size=_.count(), kd=lab.keyed.max())


def _best(d: Table, sizes: Table) -> Table:
    """``c, o``: each cluster's best partner: highest mean weight, then larger, then
    smaller label."""
    sz = sizes.select(osl=sizes.sl, osize=sizes.size)
    d = _flat(d.join(sz, d.o == sz.osl))
    avg = d.sw.cast("float64") / d.n.cast("float64")
    d = d.mutate(avg=avg)
    win = ibis.window(group_by="c", order_by=[ibis.desc("avg"), ibis.desc("osize"), ibis.asc("o")])
    d = d.mutate(rk=ibis.row_number().over(win))
    return d.filter(d.rk == 0).select("c", "o")


def cluster(m: Table, scored: Table, keyed: Table, mat: Materialize) -> Table:
    """``mid, label, keyed``: the cluster of every named mention.

    1. Components of the *strong* links among keyless mentions: weight at or above the
       threshold and agreement on something specific (organisation, a coauthor) whose
       level weight is at least :data:`EVIDENCE_MIN` (a coauthor shared by chance, as
       in a corpus where coauthors are random, is no such evidence).
    2. Average linkage between clusters (keyed persons count as clusters and are never
       merged with each other): reciprocal best pairs whose mean pair weight is at or
       above the threshold merge, in rounds, until none is left. Average linkage is
       reducible, so merging reciprocal nearest neighbours in parallel gives the same
       result as merging one pair at a time.
    3. Mentions still alone join the cluster with the best mean weight to them (at or
       above the threshold; ties to the larger cluster). They join, but never bridge two
       clusters.
    4. Mentions still alone after that form components of their links among themselves.
    Weights are integers: a mean is compared with the threshold as ``sum >= T * n``.
    """
    named = m.filter(m.name != "").select("mid")
    kl = keyed.select(kmid=keyed.mid, klabel=keyed.klabel)
    ka = kl.select(kam=kl.kmid)
    kb = kl.select(kbm=kl.kmid)
    s = _flat(scored.left_join(ka, scored.a == ka.kam))
    s = _flat(s.left_join(kb, s.b == kb.kbm))
    strong = s.filter((s.w >= THRESHOLD) & s.evidence & s.kam.isnull() & s.kbm.isnull())
    comp = components(strong, mat, "people_cc")
    lab = _flat(named.left_join(kl, named.mid == kl.kmid))
    cp = comp.select(cmid=comp.mid, clabel=comp.label)
    lab = _flat(lab.left_join(cp, lab.mid == cp.cmid))
    lab = mat(
        "people_labels_0",
        lab.select(
            "mid",
            label=ibis.coalesce(lab.klabel, lab.clabel, lab.mid),
            keyed=lab.klabel.notnull(),
        ),
    )
    pw = s.select("a", "b", "w")

    def cross(lab: Table) -> Table:
        la = lab.select(ma=lab.mid, la=lab.label)
        lb = lab.select(mb=lab.mid, lb=lab.label)
        c = _flat(pw.join(la, pw.a == la.ma).select(pw.b, pw.w, la.la))
        c = _flat(c.join(lb, c.b == lb.mb).select(c.la, lb.lb, c.w))
        return c.filter(c.la != c.lb)

    # 2. reciprocal best pairs, average linkage, among clusters of 2+ mentions or keyed
    # (clusters only grow, so the pairs between such clusters are fixed; each round keeps
    # those still between two clusters)
    sizes = _sizes(lab)
    big = sizes.filter((sizes.size >= 2) | sizes.kd).select(bl=sizes.sl)
    lb1 = _flat(lab.join(big, lab.label == big.bl)).select("mid")
    lb2 = lb1.select(mid2=lb1.mid)
    xp = _flat(pw.join(lb1, pw.a == lb1.mid).select(pw.a, pw.b, pw.w))
    xp = _flat(xp.join(lb2, xp.b == lb2.mid2).select(xp.a, xp.b, xp.w))
    xp = mat("people_cross", xp)
    for i in range(1, MAX_ROUNDS + 1):
        sizes = mat("people_sizes", _sizes(lab))
        # a cluster is keyed when any of its mentions is (sizes.kd)
        ck = _flat(lab.join(sizes, lab.label == sizes.sl).select(lab.mid, lab.label, sizes.kd))
        la = ck.select(ma=ck.mid, la=ck.label, k1=ck.kd)
        lb = ck.select(mb=ck.mid, lb=ck.label, k2=ck.kd)
        c = _flat(xp.join(la, xp.a == la.ma).select(xp.a, xp.b, xp.w, la.la, la.k1))
        c = _flat(c.join(lb, c.b == lb.mb).select(c.a, c.b, c.w, c.la, c.k1, lb.lb, lb.k2))
        c = c.filter((c.la != c.lb) & ~(c.k1 & c.k2))
        xp = mat(f"people_cross_{i % 2 + 1}", c)
        agg = xp.group_by(x=ibis.least(xp.la, xp.lb), y=ibis.greatest(xp.la, xp.lb)).agg(
            sw=xp.w.sum(), n=xp.w.count()
        )
        agg = agg.filter(agg.sw >= THRESHOLD * agg.n)
        d = _union_all(
            [
                agg.select(c=agg.x, o=agg.y, sw=agg.sw, n=agg.n),
                agg.select(c=agg.y, o=agg.x, sw=agg.sw, n=agg.n),
            ]
        )
        best = mat("people_best", _best(d, sizes))
        bv = best.view().select(c2=_.c, o2=_.o)
        mutual = _flat(
            best.join(bv, [best.c == bv.o2, best.o == bv.c2, best.c < best.o]).select(
                best.c, best.o
            )
        )
        kd = sizes.select(ksl=sizes.sl, kk=sizes.kd)
        mutual = _flat(mutual.join(kd, mutual.o == kd.ksl)).select("c", "o", ok="kk")
        # the larger label joins the smaller, except that a keyed label always stays
        mp = mutual.select(
            frm=mutual.ok.ifelse(mutual.c, mutual.o), to=mutual.ok.ifelse(mutual.o, mutual.c)
        )
        mp = mat("people_merge", mp)
        if mp.count().execute() == 0:
            break
        lab = _flat(lab.left_join(mp, lab.label == mp.frm))
        lab = mat(
            f"people_labels_{i % 2 + 1}",
            lab.select("mid", label=ibis.coalesce(lab.to, lab.label), keyed=lab.keyed),
        )
        xp = xp.select("a", "b", "w")

    # 3. mentions alone join the best cluster
    sizes = mat("people_sizes", _sizes(lab))
    lone = _flat(lab.join(sizes, lab.label == sizes.sl)).filter(lambda t: (t.size == 1) & ~t.kd)
    lone = mat("people_lone", lone.select(lm=lone.mid))
    c = cross(lab)
    c = _union_all([c, c.select(la=c.lb, lb=c.la, w=c.w)])
    l1 = lone.select(l1=lone.lm)
    # (the lone side's label is its own mention id)
    c = _flat(c.join(l1, c.la == l1.l1))
    l2 = lone.select(l2=lone.lm)
    c = _flat(c.anti_join(l2, c.lb == l2.l2))
    agg = c.group_by(c=c.la, o=c.lb).agg(sw=c.w.sum(), n=c.w.count())
    agg = agg.filter(agg.sw >= THRESHOLD * agg.n)
    join = mat("people_join", _best(agg, sizes))
    lab = _flat(lab.left_join(join, lab.label == join.c))
    lab = mat(
        "people_labels_joined",
        lab.select("mid", label=ibis.coalesce(lab.o, lab.label), keyed=lab.keyed),
    )

    # 4. the rest: components of their links among themselves
    rest = _flat(lone.anti_join(join, lone.lm == join.c))
    r1 = rest.select(r1=rest.lm)
    r2 = rest.select(r2=rest.lm)
    weak = pw.filter(pw.w >= THRESHOLD)
    weak = _flat(weak.join(r1, weak.a == r1.r1))
    weak = _flat(weak.join(r2, weak.b == r2.r2))
    rc = components(weak.select("a", "b"), mat, "people_rc")
    rc = rc.select(rmid=rc.mid, rlabel=rc.label)
    lab = _flat(lab.left_join(rc, lab.mid == rc.rmid))
    return mat(
        "people_labels",
        lab.select("mid", label=ibis.coalesce(lab.rlabel, lab.label), keyed=lab.keyed),
    )


def anchors(m: Table, keyed: Table, bins: Table) -> Table:
    """``aname, akid``: rare names that exactly one keyed person bears (as the most
    frequent name of its mentions, in any word order): a keyless cluster of such a name
    is that person.

    A name is rare when fewer than 2**:data:`M_BIN_MAX` people are expected to bear it
    (:func:`name_bins`); then the name alone says "one person", which pair comparisons
    can fail to see for prolific people who hold two affiliations at once (a professor
    also at a company: every pair across the two reads as "overlapping organisations",
    strong evidence of two people)."""
    info = m.select(imid=m.mid, iname=m.name)
    kn = _flat(keyed.join(info, keyed.mid == info.imid).select(keyed.kid, name=info.iname))
    kn = kn.filter(kn.name != "").group_by(["kid", "name"]).agg(n=_.count())
    w = ibis.window(group_by="kid", order_by=[ibis.desc("n"), ibis.asc("name")])
    kn = kn.mutate(rk=ibis.row_number().over(w))
    top = kn.filter(kn.rk == 0)
    per = top.group_by("name").agg(kids=top.kid.nunique(), akid=top.kid.min())
    per = per.filter(per.kids == 1)
    # the cluster's name in any word order ("fei fei li" is "li fei fei"), when rare
    rare = bins.filter(bins.bin <= M_BIN_MAX).select(rname=bins.name)
    rare = rare.mutate(okey=order_free(rare.rname))
    per = per.mutate(pkey=order_free(per.name))
    out = _flat(per.join(rare, per.pkey == rare.okey))
    out = out.group_by(aname=out.rname).agg(kids=out.akid.nunique(), akid=out.akid.min())
    return out.filter(out.kids == 1).select("aname", "akid")


def order_free(name: Any) -> Any:
    """A name's words in alphabetical order (``li fei fei`` -> ``fei fei li``)."""
    return ibis.literal(" ").join(name.split(" ").sort())


def assemble(m: Table, keyed: Table, labels: Table, mat: Materialize, bins: Table) -> Table:
    """The output table: ``work_id, position, person_id, key_kind``."""
    kind = ibis.cases(*[(m[col].notnull(), kk) for kk, col, _p in KEYS], else_=ibis.null("string"))
    t = m.select("mid", "work_id", "position", "name", "year", kind=kind)
    kk = keyed.select(kmid=keyed.mid, kkid=keyed.kid)
    t = _flat(t.left_join(kk, t.mid == kk.kmid)).drop("kmid")
    kid = keyed.select(ql=keyed.klabel, gkid=keyed.kid).distinct()
    lb = labels.select(lmid=labels.mid, label=labels.label)
    t = _flat(t.left_join(lb, t.mid == lb.lmid)).drop("lmid")
    t = _flat(t.left_join(kid, t.label == kid.ql)).drop("ql")
    t = mat("people_assigned", t.mutate(label=t.label.fill_null(t.mid)))
    # keyless-only clusters: modal name, first year, smallest mention; numbered per name
    nk = t.filter(t.kkid.isnull() & t.gkid.isnull() & (t.name != ""))
    nn = nk.group_by(["label", "name"]).agg(n=_.count())
    w = ibis.window(group_by="label", order_by=[ibis.desc("n"), ibis.asc("name")])
    nn = nn.mutate(rk=ibis.row_number().over(w))
    top = nn.filter(nn.rk == 0).select(tl=nn.label, cname=nn.name)
    info = nk.group_by(il=nk.label).agg(first=nk.year.min(), low=nk.mid.min())
    info = _flat(info.join(top, info.il == top.tl).select(info.il, info.first, info.low, top.cname))
    w2 = ibis.window(group_by="cname", order_by=[ibis.asc("first"), ibis.asc("low")])
    info = info.mutate(k=ibis.row_number().over(w2) + 1)
    info = info.select(
        cname=info.cname,
        nlabel=info.il,
        nid=(info.k == 1).ifelse(
            "name:" + info.cname, "name:" + info.cname + "#" + info.k.cast("string")
        ),
    )
    # keyless clusters of a rare name that one keyed person bears join that person
    an = anchors(m, keyed, bins)
    info = _flat(info.left_join(an, info.cname == an.aname)).drop("aname")
    info = mat("people_name_ids", info)
    t = _flat(t.left_join(info, t.label == info.nlabel))
    person = ibis.coalesce(
        t.kkid, t.gkid, t.akid, (t.name != "").ifelse(t.nid, ibis.null("string"))
    )
    key_kind = ibis.cases(
        (t.kkid.notnull(), t.kind),
        (t.gkid.notnull() | t.akid.notnull(), "linked"),
        (t.name != "", "name"),
        else_=ibis.null("string"),
    )
    return t.select("work_id", "position", person_id=person, key_kind=key_kind)
