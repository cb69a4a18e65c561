"""Estimation of the Fellegi-Sunter model (numpy only): u fixed, m and the match rate by EM."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from ibis.expr.types import Table

from talentatlas.resolve.people.params import (
    AGREE,
    CELL_BUCKETS,
    EM_ITERATIONS,
    EM_TOLERANCE,
    FEATURES,
    LEVEL_NAMES,
    LEVELS,
    M_BY_EM,
    M_OVERLAP,
    M_SHRINK,
    ORG_OVERLAP,
    PARENT,
    WEIGHT_UNIT,
)

WEIGHTS_SCHEMA = pa.schema(
    [
        ("feature", pa.string()),
        ("level", pa.int32()),
        ("label", pa.string()),
        ("given", pa.string()),
        ("given_level", pa.int32()),
        ("given_label", pa.string()),
        ("agree", pa.bool_()),
        ("m", pa.float64()),
        ("u", pa.float64()),
        ("weight", pa.int32()),
    ]
)
PRIOR_SCHEMA = pa.schema(
    [
        ("cell", pa.int32()),
        ("first_bucket", pa.int32()),
        ("last_bucket", pa.int32()),
        ("middle", pa.bool_()),
        ("candidate_pairs", pa.int64()),
        ("match_rate", pa.float64()),
        ("prior_weight", pa.int32()),
    ]
)


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

    def weights_table(self) -> pa.Table:
        """``linkage_weights``: one row per comparison level (given the parent
        comparison's level where modelled so): m, u and the integer weight in centibits
        (100 x log2(m / u), sign-constrained for agreeing levels)."""
        rows = []
        for f in FEATURES:
            for (par, lv), w in sorted(
                self.weight[f].items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])
            ):
                rows.append(
                    {
                        "feature": f,
                        "level": lv,
                        "label": LEVEL_NAMES[f][lv],
                        "given": PARENT.get(f) if par is not None else None,
                        "given_level": par,
                        "given_label": LEVEL_NAMES[PARENT[f]][par] if par is not None else None,
                        "agree": (f, lv) in AGREE,
                        "m": self.m[f][(par, lv)],
                        "u": self.u[f][(par, lv)],
                        "weight": w,
                    }
                )
        return pa.Table.from_pylist(rows, schema=WEIGHTS_SCHEMA)

    def prior_table(self) -> pa.Table:
        """``linkage_prior``: per name cell (how many distinct names share the first
        and the last token, in log2 buckets, and a middle part): candidate pairs, the
        estimated match rate and the prior weight in centibits."""
        rows = [
            {
                "cell": c,
                "first_bucket": c // 100,
                "last_bucket": (c // 10) % 10,
                "middle": c % 10 == 1,
                "candidate_pairs": self.cell_pairs.get(c, 0),
                "match_rate": self.match_rate[c],
                "prior_weight": self.prior_weight[c],
            }
            for c in sorted(self.match_rate)
        ]
        return pa.Table.from_pylist(rows, schema=PRIOR_SCHEMA)

    def summary(self) -> dict[str, str]:
        """The estimation's figures, as ``build_info`` rows."""
        return {
            "linkage_pairs": str(self.pairs),
            "linkage_m_pairs": str(self.m_pairs),
            "linkage_u_pairs": str(self.u_pairs),
            "linkage_em_iterations": str(self.iterations),
            "linkage_em_converged": str(self.converged).lower(),
            "linkage_expected_matches": f"{self.expected_matches:.1f}",
        }

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


def pattern_counts(t: Table, cols: list[str]) -> list[dict[str, Any]]:
    """Pattern counts; with ``nv`` (mentions of the pair's name) in ``t``, also ``wn``:
    the pairs weighted 1 / (nv - 1) in units of 2**-20 (integers, so exact anywhere)."""
    agg = {"n": t.count()}
    if "nv" in t.columns:
        agg["wn"] = (WEIGHT_UNIT // (t.nv - 1).clip(lower=1)).sum()
    return t.group_by(cols).agg(**agg).to_pyarrow().to_pylist()


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
    """Covariates of the match-rate model for a name cell (see :func:`name_cell`)."""
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
    # (a corpus without candidate pairs, e.g. entities only, has no cells to fit)
    x = np.array([_cell_covariates(c) for c in cells] or np.zeros((0, len(_cell_covariates(0)))))
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
        delta = float(np.max(np.abs(1.0 / (1.0 + np.exp(-(x @ new_beta))) - lam), initial=0.0))
        beta = new_beta
        if M_BY_EM:
            for f in FEATURES:
                ok = idx[f] >= 0
                c = np.bincount(idx[f][ok], weights=(n * post)[ok], minlength=len(keys[f]))
                new_m = _hold(f, keys[f], _normalise(f, keys[f], c))
                delta = max(delta, float(np.max(np.abs(new_m - m[f]), initial=0.0)))
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
