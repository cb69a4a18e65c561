"""Scoring: integer match weights of candidate pairs under the estimated model.

A pair's weight is its name cell's prior weight, plus the weight of each comparison's
level (given the parent comparison's level where the model conditions on it), plus the
term-frequency adjustment. The levels take few values, so the weights of every
combination of levels are tabulated in Python and the engine joins the pairs to that
small table (a hash join, rather than a CASE of hundreds of branches per pair)."""

from __future__ import annotations

import itertools

import ibis
import pyarrow as pa
from ibis.expr.types import Table

from talentatlas.resolve.people.estimation import LinkageModel
from talentatlas.resolve.people.params import AGREE, EVIDENCE_MIN, FEATURES, LEVELS, PARENT

#: the code of a null level in the tables below
NULL = -1


def level_weight(model: LinkageModel, f: str, levels: dict[str, int | None]) -> tuple[int, bool]:
    """The weight of comparison ``f`` for a pair whose levels are ``levels`` (None:
    not comparable) and whether it counts as evidence (an agreeing level whose weight
    is at least :data:`EVIDENCE_MIN`)."""
    lv, par = levels[f], levels.get(PARENT.get(f, ""))
    weight, evidence = 0, False
    for (p, level), v in sorted(model.weight[f].items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        if lv == level and (p is None or par == p):
            weight, evidence = v, (f, level) in AGREE and v >= EVIDENCE_MIN
            break
    return weight, evidence


def pattern_weights(model: LinkageModel) -> pa.Table:
    """``gap, org, coauthors, venue`` (:data:`NULL` for not comparable), ``wl`` (the
    sum of the levels' weights) and ``evidence``, for every combination of levels."""
    cols: dict[str, list] = {f: [] for f in (*FEATURES, "wl", "evidence")}
    for combo in itertools.product(*((None, *LEVELS[f]) for f in FEATURES)):
        levels = dict(zip(FEATURES, combo, strict=True))
        parts = [level_weight(model, f, levels) for f in FEATURES]
        for f, lv in levels.items():
            cols[f].append(NULL if lv is None else lv)
        cols["wl"].append(sum(w for w, _ in parts))
        cols["evidence"].append(any(e for _, e in parts))
    types = {f: pa.int8() for f in FEATURES} | {"wl": pa.int32(), "evidence": pa.bool_()}
    return pa.table({c: pa.array(v, types[c]) for c, v in cols.items()})


def score(pairs: Table, model: LinkageModel) -> Table:
    """``a, b, w, evidence``: pairs with their integer match weight (centibits) and
    whether they agree on anything specific (organisation or a coauthor) that the model
    counts as evidence (a level weight of at least :data:`EVIDENCE_MIN`)."""
    pw = ibis.memtable(pattern_weights(model)).rename(**{f"k_{f}": f for f in FEATURES})
    priors = ibis.memtable(
        pa.table(
            {
                "k_cell": pa.array(list(model.prior_weight), pa.int64()),
                "prior": pa.array(list(model.prior_weight.values()), pa.int32()),
            }
        )
    )
    p = pairs.mutate(**{f"c_{f}": pairs[f].cast("int8").fill_null(NULL) for f in FEATURES})
    j = p.join(pw, [p[f"c_{f}"] == pw[f"k_{f}"] for f in FEATURES])
    j = j.left_join(priors, j.cell.cast("int64") == priors.k_cell)
    w = j.prior.fill_null(0) + j.wl + j.tf
    return j.select("a", "b", w=w.cast("int32"), evidence=j.evidence)
