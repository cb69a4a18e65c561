"""Scoring: integer match weights of candidate pairs under the estimated model."""

from __future__ import annotations

import ibis
from ibis.expr.types import Table

from talentatlas.resolve.people.estimation import LinkageModel
from talentatlas.resolve.people.params import AGREE, EVIDENCE_MIN, FEATURES, PARENT


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
