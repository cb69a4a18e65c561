"""Rising stars: a score for people early in their publishing careers, built only from
data up to a year ``t``, and the backtest that says how much to trust it
(docs/methodology.md, "Rising stars").

- **Eligible at t**: people whose first in-scope work is at most ``K - 1`` years before
  ``t`` (their first ``K`` years of publishing) and who published by ``t``, unless a
  position stated by ``t`` says faculty or leader (``person_stages``): a professor whose
  earlier work lies outside the sources' years is not early in their career.
- **Features at t** (data up to ``t`` only): adjusted count so far, in ``t`` and in
  ``t - 1``; works so far and in ``t``; first-author and oral/spotlight works so far;
  years since the first work. Counts enter as ``log(1 + x)``.
- **Outcome**: adjusted count in ``t + 1 .. t + H`` (default ``H = 3``); also reported:
  oral/spotlight works in that window.
- **Score at t**: a least-squares fit of ``log(1 + outcome)`` on the features, fitted
  on the people eligible at ``t - H``, whose outcome window ended by ``t``: the score
  at ``t`` never sees a year after ``t``.
- **Baselines**: works so far; works in ``t`` (papers last year).
- **Backtest**, for each ``t`` whose outcome window ends by the last complete year:
  precision@k (the share of the top ``k`` by each ranking that are among the top ``k``
  by outcome) and Spearman's rank correlation with the outcome, over everyone eligible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _
from ibis.expr.types import Table

from talentatlas.discovery.credit import credits

#: the first K years of publishing, and the outcome window's length
K = 5
HORIZON = 3
FEATURES = (
    "log_adjusted", "log_adjusted_t", "log_adjusted_t1", "log_works", "log_works_t",
    "log_first_author", "log_top_tier", "years",
)  # fmt: skip
RANKINGS = ("score", "works_so_far", "works_last_year")
#: stated stages that end eligibility
SENIOR = ("faculty", "leader")


def person_year_output(
    table: Callable[[str], Table], to_arrow: Callable[[Table], pa.Table]
) -> dict[str, np.ndarray]:
    """Per person-year of in-scope work: ``person`` (integer code), ``year``, ``adjusted``,
    ``works``, ``first_author``, ``top_tier``, and each person's ``first_year``; as
    arrays, with ``ids`` (the person ids of the codes)."""
    c = credits(table("scoped_facts"), table("works"), table("authorships"))
    py = c.group_by(["person_id", "year"]).agg(
        adjusted=_.credit.sum(), works=_.work_id.nunique(),
        first_author=_.first_author.cast("int64").sum(), top_tier=_.top_tier.cast("int64").sum(),
    )  # fmt: skip
    t = to_arrow(py.order_by(["person_id", "year"]))
    enc = t["person_id"].combine_chunks().dictionary_encode()
    person = enc.indices.to_numpy().astype(np.int64)
    year = t["year"].to_numpy().astype(np.int64)
    first = np.full(len(enc.dictionary), np.iinfo(np.int64).max)
    np.minimum.at(first, person, year)
    out = {
        k: t[k].to_numpy().astype(np.float64)
        for k in ("adjusted", "works", "first_author", "top_tier")
    }
    # the first year a stated position says faculty or leader
    st = table("person_stages")
    st = st.filter(st.stage.isin(list(SENIOR))).group_by("person_id").agg(y=st.year.min())
    senior = to_arrow(st)
    senior_from = np.full(len(enc.dictionary), np.iinfo(np.int64).max)
    at = pc.index_in(senior["person_id"], enc.dictionary)
    known = pc.is_valid(at).to_numpy(zero_copy_only=False)
    rows = pc.fill_null(at, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    senior_from[rows[known]] = senior["y"].to_numpy(zero_copy_only=False)[known]
    return {"person": person, "year": year, "first_year": first, "senior_from": senior_from,
            "ids": enc.dictionary, **out}  # fmt: skip


def features(
    d: dict[str, np.ndarray], t: int, k: int = K, horizon: int = HORIZON
) -> dict[str, np.ndarray]:
    """The people eligible at ``t`` (``person`` codes) with their features at ``t``
    (:data:`FEATURES`), the baselines, and their outcomes (``outcome``: adjusted count in
    ``t+1..t+horizon``; ``outcome_top``: oral/spotlight works then)."""
    first = d["first_year"]
    n = len(first)
    eligible = (first <= t) & (t - first < k) & (d["senior_from"] > t)
    up_to = d["year"] <= t

    def total(col: str, mask: np.ndarray) -> np.ndarray:
        return np.bincount(d["person"][mask], d[col][mask], minlength=n)

    later = (d["year"] > t) & (d["year"] <= t + horizon)
    f = {
        "log_adjusted": np.log1p(total("adjusted", up_to)),
        "log_adjusted_t": np.log1p(total("adjusted", d["year"] == t)),
        "log_adjusted_t1": np.log1p(total("adjusted", d["year"] == t - 1)),
        "log_works": np.log1p(total("works", up_to)),
        "log_works_t": np.log1p(total("works", d["year"] == t)),
        "log_first_author": np.log1p(total("first_author", up_to)),
        "log_top_tier": np.log1p(total("top_tier", up_to)),
        "years": (t - first).astype(np.float64),
        "works_so_far": total("works", up_to),
        "works_last_year": total("works", d["year"] == t),
        "outcome": total("adjusted", later),
        "outcome_top": total("top_tier", later),
    }
    people = np.flatnonzero(eligible)
    return {"person": people, **{key: v[people] for key, v in f.items()}}


def _design(f: dict[str, np.ndarray]) -> np.ndarray:
    return np.column_stack([np.ones(len(f["person"])), *(f[c] for c in FEATURES)])


@dataclass
class Model:
    """The score's weights (intercept first, then :data:`FEATURES`), fitted at a year."""

    fitted_at: int
    weights: np.ndarray

    def score(self, f: dict[str, np.ndarray]) -> np.ndarray:
        return _design(f) @ self.weights


def fit(d: dict[str, np.ndarray], t: int, k: int = K, horizon: int = HORIZON) -> Model | None:
    """The model a user at ``t`` can fit: on the people eligible at ``t - horizon``,
    whose outcome window ends at ``t`` (None when there is no one to fit on)."""
    f = features(d, t - horizon, k, horizon)
    if len(f["person"]) < len(FEATURES) + 2:
        return None
    w, *_ = np.linalg.lstsq(_design(f), np.log1p(f["outcome"]), rcond=None)
    return Model(t - horizon, w)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import (
        spearmanr,
    )  # imported here: a command that computes nothing starts faster

    if len(a) < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _precision(rank_by: np.ndarray, outcome: np.ndarray, people: np.ndarray, k: int) -> float:
    """The share of the top ``k`` by ``rank_by`` among the top ``k`` by ``outcome``
    (ties broken by person code, so the figure is reproducible)."""
    k = min(k, len(people))
    if k == 0:
        return float("nan")
    top = set(people[np.lexsort((people, -rank_by))[:k]].tolist())
    best = set(people[np.lexsort((people, -outcome))[:k]].tolist())
    return len(top & best) / k


def backtest(
    d: dict[str, np.ndarray], years: list[int], *, k: int = 50, first_k: int = K,
    horizon: int = HORIZON,
) -> pa.Table:  # fmt: skip
    """Per ``t`` in ``years``: ``year, eligible, fitted_at``, and for each ranking
    (:data:`RANKINGS`) its precision@k and Spearman correlation with the outcome
    (adjusted count in ``t+1..t+horizon``), and precision@k on oral/spotlight works."""
    rows = []
    for t in years:
        model = fit(d, t, first_k, horizon)
        f = features(d, t, first_k, horizon)
        if model is None or not len(f["person"]):
            continue
        ranks = {"score": model.score(f), "works_so_far": f["works_so_far"],
                 "works_last_year": f["works_last_year"]}  # fmt: skip
        row: dict[str, object] = {
            "year": t,
            "eligible": len(f["person"]),
            "fitted_at": model.fitted_at,
        }
        for name, r in ranks.items():
            row[f"p_at_k_{name}"] = round(_precision(r, f["outcome"], f["person"], k), 4)
            row[f"spearman_{name}"] = round(_spearman(r, f["outcome"]), 4)
            row[f"p_at_k_top_{name}"] = round(_precision(r, f["outcome_top"], f["person"], k), 4)
        rows.append(row)
    return pa.Table.from_pylist(rows)


def rising(
    d: dict[str, np.ndarray], t: int, *, first_k: int = K, horizon: int = HORIZON
) -> pa.Table:
    """``person_id, score, years, adjusted, works, works_in_t, first_author, top_tier``
    for the people eligible at ``t``, best score first (the score is the expected
    ``log(1 + adjusted count)`` in the next ``horizon`` years)."""
    model = fit(d, t, first_k, horizon)
    f = features(d, t, first_k, horizon)
    if model is None:
        return pa.table(
            {"person_id": pa.array([], pa.string()), "score": pa.array([], pa.float64())}
        )
    s = model.score(f)
    order = np.lexsort((f["person"], -s))
    people = f["person"][order]
    return pa.table({
        "person_id": d["ids"].take(pa.array(people)),
        "score": np.round(s[order], 4),
        "years": f["years"][order].astype(np.int32) + 1,
        "adjusted": np.round(np.expm1(f["log_adjusted"][order]), 2),
        "works": f["works_so_far"][order].astype(np.int64),
        "works_in_t": f["works_last_year"][order].astype(np.int64),
        "first_author": np.round(np.expm1(f["log_first_author"][order])).astype(np.int64),
        "top_tier": np.round(np.expm1(f["log_top_tier"][order])).astype(np.int64),
    })  # fmt: skip
