"""Parameters of identity resolution and the comparison levels, declared once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ibis.expr.types import Table

Materialize = Callable[[str, Table], Table]
#: connected components of an edge table (``a, b``) as a stored table ``mid, label``,
#: computed outside the engine (:func:`components.local_components`)
LocalComponents = Callable[[Table, str], Table]
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
#: organisation levels. Two different organisations are compared by the years the name
#: was seen at each (at the institution key when both mentions have one, else at the
#: domain): *overlapping* when they share OVERLAP_YEARS or more years (one person is
#: rarely at two organisations at once), *apart* when APART_YEARS or more years without
#: either lie between them, else *successive* (one followed the other: a move)
ORG_OVERLAP, ORG_APART, ORG_MOVE, ORG_DOMAIN, ORG_INST = 0, 1, 2, 3, 4
OVERLAP_YEARS = 2
APART_YEARS = 2
#: year-gap level edges: same year, 1-2, 3-5, 6+
GAP_EDGES = (1, 3, 6)


@dataclass(frozen=True)
class ComparisonLevel:
    """One level of one comparison, declared once: the feature compared, the integer
    level the engine computes (:func:`talentatlas.resolve.people.comparisons.comparison_levels`),
    its label, and whether it agrees on something specific (an organisation, a
    coauthor), which makes a link strong when the model weighs it as evidence."""

    feature: str
    level: int
    label: str
    agree: bool = False


#: every comparison level (a pair whose level is null is not comparable: weight 0)
COMPARISON_LEVELS = (
    ComparisonLevel("gap", 0, "same year"),
    ComparisonLevel("gap", 1, "1-2 years"),
    ComparisonLevel("gap", 2, "3-5 years"),
    ComparisonLevel("gap", 3, "6+ years"),
    ComparisonLevel("org", ORG_OVERLAP, "different, overlapping"),
    ComparisonLevel("org", ORG_APART, "different, apart"),
    ComparisonLevel("org", ORG_MOVE, "different, successive"),
    ComparisonLevel("org", ORG_DOMAIN, "same domain", agree=True),
    ComparisonLevel("org", ORG_INST, "same institution", agree=True),
    ComparisonLevel("coauthors", 0, "none shared"),
    ComparisonLevel("coauthors", 1, "1 shared", agree=True),
    ComparisonLevel("coauthors", 2, "2+ shared", agree=True),
    ComparisonLevel("venue", 0, "different"),
    ComparisonLevel("venue", 1, "same"),
)
#: the comparisons, in the order of the pattern columns
FEATURES = ("gap", "org", "coauthors", "venue")
LEVELS = {f: tuple(c.level for c in COMPARISON_LEVELS if c.feature == f) for f in FEATURES}
LEVEL_NAMES = {f: {c.level: c.label for c in COMPARISON_LEVELS if c.feature == f} for f in FEATURES}
#: levels that agree on something specific (an organisation, a coauthor)
AGREE = {(c.feature, c.level) for c in COMPARISON_LEVELS if c.agree}
#: comparisons whose levels are modelled given another's level (P(org | gap, match)):
#: a change of organisation or of coauthors says little across years, much within one
PARENT = {"org": "gap", "coauthors": "gap"}
#: P(overlapping organisations | gap, match), held fixed rather than estimated: the
#: assumption that identifies the match rate where coauthors say little (see
#: :func:`estimate`); about the EM's own estimate for the same year on OpenReview
M_OVERLAP = 1e-3
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
