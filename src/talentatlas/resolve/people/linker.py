"""The linker: mentions in, persons and the estimated model out."""

from __future__ import annotations

from dataclasses import dataclass

from ibis.expr.types import Table

from talentatlas.resolve.people.assembly import assemble
from talentatlas.resolve.people.blocking import candidate_pairs, shared_coauthors
from talentatlas.resolve.people.clustering import cluster
from talentatlas.resolve.people.comparisons import coauthor_edges, mention_features
from talentatlas.resolve.people.estimation import LinkageModel, estimate, pattern_counts
from talentatlas.resolve.people.keys import keyed_persons
from talentatlas.resolve.people.names import name_bins
from talentatlas.resolve.people.params import (
    FEATURES,
    M_BIN_MAX,
    U_MIN_PAIRS,
    LocalComponents,
    Materialize,
)
from talentatlas.resolve.people.prepare import prepare
from talentatlas.resolve.people.scoring import score
from talentatlas.resolve.people.u_sampling import family_name_pairs


@dataclass
class PeopleResult:
    table: Table
    model: LinkageModel
    #: ``mid, key, name``: mention keys left out for a name conflict (:func:`name_conflicts`)
    conflicts: Table


def link_people(
    mentions: Table,
    *,
    materialize: Materialize | None = None,
    local: LocalComponents | None = None,
) -> Table:
    """``work_id, position, person_id, key_kind``: one row per mention (see module doc).

    ``mentions``: ``work_id, position, name_norm, year, venue, openreview_id, orcid, dblp,
    google_scholar, domain, institution``. ``materialize(name, expr)`` caches an
    intermediate table (names start with ``people_``); without it, intermediate tables
    are cached with :meth:`ibis.Table.cache` on the input's backend (the fixed-point
    iterations of the clustering need stored intermediate results). ``local(edges,
    name)``, when given, computes connected components outside the engine
    (:func:`components.local_components`; the same labels).
    """
    return resolve_people(mentions, materialize=materialize, local=local).table


def resolve_people(
    mentions: Table,
    *,
    materialize: Materialize | None = None,
    local: LocalComponents | None = None,
) -> PeopleResult:
    """:func:`link_people` plus the estimated linkage model."""
    mat: Materialize = materialize or _cache
    m = mat("people_mentions", prepare(mentions))

    # 1. reliable keys
    keyed_expr, conflicts = keyed_persons(m, mat, local)
    keyed = mat("people_keyed", keyed_expr)

    # 2. record linkage on names
    bins = mat("people_name_bins", name_bins(m))
    edges = mat("people_coauthors", coauthor_edges(m, bins))
    feats = mat("people_features", mention_features(m, bins, edges))
    shared = mat("people_shared", shared_coauthors(edges))
    pairs = mat("people_pairs", candidate_pairs(feats, shared))
    sample = mat("people_u_sample", family_name_pairs(feats, edges))
    if sample.count().execute() < U_MIN_PAIRS:  # too few shared family names
        sample = mat("people_u_sample", family_name_pairs(feats, edges, by_family=False))
    model = estimate(
        pattern_counts(pairs, ["cell", *FEATURES]),
        pattern_counts(pairs.filter(pairs.bin <= M_BIN_MAX), list(FEATURES)),
        pattern_counts(sample, list(FEATURES)),
    )
    scored = mat("people_scored", score(pairs, model))

    # 3. clusters and ids
    labels = cluster(m, scored, keyed, mat, local)
    return PeopleResult(assemble(m, keyed, labels, mat, bins), model, conflicts)


def _cache(name: str, expr: Table) -> Table:
    return expr.cache()
