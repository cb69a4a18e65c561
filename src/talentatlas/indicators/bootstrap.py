"""Seeded bootstrap intervals over people for shares and rates.

Every share or rate here is a ratio of sums over people: ``sum(num) / sum(den)``, where
each person contributes to the numerator of some groups (a country-year, a cohort...)
and to the denominator of others. The engine computes those per-person contributions;
this module resamples *people* (a person's contributions move together, so dependence
between a person's years is kept) ``reps`` times and reads the interval off the
percentiles of the replicate ratios.

It is the Poisson bootstrap: in replicate b each person carries a Poisson(1) weight
drawn from a hash of (person id, seed, b), the large-sample equivalent of drawing
people with replacement. Because a person's weights depend on nothing else, the
interval of a group is the same whether it is computed alone (``--country KR``) or
with every other group, on DuckDB or Spark, in any row order.

The replicates are computed in blocks: a block's weights form a (people x replicates)
matrix, drawn a cache-sized chunk of people at a time, and every group's replicate
sums are one sparse matrix product (groups x people contributions times weights); a
block's matrix is kept near 128 MB. The weights drawn are kept (one byte each, per
seed and number of replicates): the indicators of a build resample mostly the same
people, and draw only those not drawn before. (Two threads over blocks were slower: the draws
hold the GIL between NumPy calls and SciPy's product holds it throughout.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: defaults used by every indicator: 90% percentile intervals from 200 replicates
LEVEL = 0.9
REPS = 200
SEED = 0


def note(level: float, reps: int, seed: int) -> str:
    """How an indicator's intervals were made, for its metadata and captions."""
    return f"{level:.0%} bootstrap intervals over people ({reps} replicates, seed {seed})"


_POISSON_CDF = np.cumsum(
    [np.exp(-1.0) / np.prod(np.arange(1, k + 1, dtype=np.float64)) for k in range(20)]
)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a well-spread 64-bit hash of each value."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def person_hashes(people: pa.Array) -> np.ndarray:
    """A stable 64-bit hash of each person id."""
    return pd.util.hash_array(np.asarray(people.to_numpy(zero_copy_only=False), dtype=object))


#: Poisson(1) weight by the top 16 bits of a uniform draw, where those bits decide it;
#: the few bins a CDF step falls inside are resolved exactly (``searchsorted``)
_BINS = 1 << 16
_BIN_EDGES = np.arange(_BINS + 1, dtype=np.float64) / _BINS
_BIN_VALUE = np.searchsorted(_POISSON_CDF, _BIN_EDGES[:-1], side="right").astype(np.float64)
_BIN_SPLIT = np.searchsorted(_POISSON_CDF, _BIN_EDGES[1:], side="left") > _BIN_VALUE


def person_weights(h: np.ndarray, seed: int, rep: int) -> np.ndarray:
    """Poisson(1) weights, in replicate ``rep``, of the people hashed ``h``
    (:func:`person_hashes`): deterministic per person (the inverse CDF of a uniform
    drawn from the hash, by table lookup)."""
    with np.errstate(over="ignore"):
        key = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(rep + 1)
    x = _mix(h ^ _mix(np.full(1, key, np.uint64)))
    top = (x >> np.uint64(48)).astype(np.int64)
    w = _BIN_VALUE[top]
    split = np.flatnonzero(_BIN_SPLIT[top])
    if split.size:
        u = (x[split] >> np.uint64(11)).astype(np.float64) / float(1 << 53)
        w[split] = np.searchsorted(_POISSON_CDF, u, side="right")
    return w


#: people hashed at a time (their arrays stay in the CPU cache)
_CHUNK = 1 << 15
#: weights per block of replicates (people x replicates, float64: 128 MB)
_BLOCK_CELLS = 1 << 24


def weight_matrix(h: np.ndarray, seed: int, reps: range) -> np.ndarray:
    """``(len(h), len(reps))`` Poisson weights (:func:`person_weights`) of the people
    hashed ``h`` in replicates ``reps``, computed a cache-sized chunk of people at a
    time."""
    out = np.empty((len(reps), len(h)))
    for lo in range(0, len(h), _CHUNK):
        part = h[lo : lo + _CHUNK]
        for j, b in enumerate(reps):
            out[j, lo : lo + _CHUNK] = person_weights(part, seed, b)
    return np.ascontiguousarray(out.T)


#: weights already drawn, per (seed, reps): the drawn people's hashes (sorted) and their
#: weights (people x reps, uint8: a Poisson(1) draw here is at most 20)
_DRAWN: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
#: weights kept at most (bytes); a larger set is drawn for the call and not kept
_DRAWN_MAX = 1 << 31


def drawn_weights(h: np.ndarray, seed: int, reps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(w, rows)``: the weights of every person drawn so far with ``seed`` and
    ``reps`` (uint8, people x reps; :func:`person_weights`) and the row of each of the
    people hashed ``h``. People not drawn before are drawn now and kept."""
    empty = (np.zeros(0, np.uint64), np.zeros((0, reps), np.uint8))
    known, w = _DRAWN.get((seed, reps), empty)
    rows = np.searchsorted(known, h)
    found = rows < len(known)
    found[found] = known[rows[found]] == h[found]
    if found.all():
        return w, rows
    new = np.unique(h[~found])
    fresh = np.empty((len(new), reps), np.uint8)
    size = max(1, min(reps, _BLOCK_CELLS // max(len(new), 1)))
    for lo in range(0, reps, size):
        fresh[:, lo : lo + size] = weight_matrix(new, seed, range(lo, min(lo + size, reps)))
    known, w = np.concatenate([known, new]), np.concatenate([w, fresh])
    order = np.argsort(known, kind="stable")
    known, w = known[order], w[order]
    if w.nbytes <= _DRAWN_MAX:
        _DRAWN[(seed, reps)] = (known, w)
    return w, np.searchsorted(known, h)


#: combined key spaces up to this size are coded by lookup rather than by sorting
_DENSE = 1 << 24


def _encoded(a: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Dense integer codes of ``a``'s values, in order of first appearance, and the
    values (null, when present, the last)."""
    enc = pc.dictionary_encode(a)
    if isinstance(enc, pa.ChunkedArray):  # never empty here (see _codes)
        enc = enc.unify_dictionaries().combine_chunks()
    values = enc.dictionary
    if enc.null_count:
        idx = pc.fill_null(enc.indices, len(values)).to_numpy(zero_copy_only=False)
        values = pa.concat_arrays([values, pa.nulls(1, values.type)])
    else:
        idx = enc.indices.to_numpy(zero_copy_only=False)
    return idx.astype(np.int64, copy=False), values


def _codes(arrays: list[pa.ChunkedArray | pa.Array]) -> tuple[np.ndarray, pa.Table]:
    """Integer codes of the distinct combinations of ``arrays`` and the combinations
    (``k0, k1 …``, one row per code)."""
    if not arrays or len(arrays[0]) == 0:
        return np.zeros(len(arrays[0]) if arrays else 0, np.int64), pa.table({})
    if len(arrays) == 1:
        codes, values = _encoded(arrays[0])
        return codes, pa.table({"k0": values})
    n = len(arrays[0])
    combined, size = np.zeros(n, np.int64), 1
    for a in arrays:
        idx, values = _encoded(a)
        if size * len(values) > _DENSE:  # keep the combined codes small
            combined = np.unique(combined, return_inverse=True)[1].astype(np.int64, copy=False)
            size = int(combined.max()) + 1
        combined, size = combined * len(values) + idx, size * len(values)
    if size <= _DENSE:  # codes by lookup: every row of a code has the same keys
        present = np.zeros(size, bool)
        present[combined] = True
        dense = np.cumsum(present) - 1
        codes = dense[combined]
        rep = np.empty(int(dense[-1]) + 1, np.int64)
        rep[codes] = np.arange(n, dtype=np.int64)
    else:
        _, rep, codes = np.unique(combined, return_index=True, return_inverse=True)
    take = pa.array(rep)
    return codes.astype(np.int64, copy=False), pa.table(
        {f"k{i}": a.take(take) for i, a in enumerate(arrays)}
    )


def ratio_intervals(
    num: pa.Table,
    den: pa.Table,
    keys: Sequence[str],
    den_keys: Sequence[str] | None = None,
    *,
    level: float = LEVEL,
    reps: int = REPS,
    seed: int = SEED,
) -> pa.Table:
    """``keys..., estimate, lo, hi`` for ``sum(num.value) / sum(den.value)`` per group.

    ``num`` has ``person_id, <keys>, value``; ``den`` has ``person_id, <den_keys>, value``
    where ``den_keys`` is a subset of ``keys`` (default: the same keys), so that one
    denominator can serve several numerators (a country's share of a year's total).
    Groups with a zero denominator get null estimates; replicates with a zero
    denominator are left out of that group's percentiles.
    """
    keys = list(keys)
    den_keys = keys if den_keys is None else list(den_keys)
    if not set(den_keys) <= set(keys):
        raise ValueError("den_keys must be a subset of keys")
    if num.num_rows == 0:
        fields = [num.schema.field(k) for k in keys]
        empty = {f.name: pa.array([], f.type) for f in fields}
        return pa.table(
            {**empty, **{c: pa.array([], pa.float64()) for c in ("estimate", "lo", "hi")}}
        )

    people = pa.chunked_array(
        num.column("person_id").chunks + den.column("person_id").chunks, pa.string()
    ).combine_chunks()
    pcode, distinct = _codes([people])
    hashes = (
        person_hashes(distinct.column("k0")) if distinct.num_columns else np.zeros(0, np.uint64)
    )
    p_num, p_den = pcode[: num.num_rows], pcode[num.num_rows :]

    # group codes: numerator groups, their denominator group, and den rows' groups
    gcode, groups = _codes([num.column(k) for k in keys])
    n_groups = groups.num_rows
    dkey_arrays = [
        pa.chunked_array(num.column(k).chunks + den.column(k).chunks, num.schema.field(k).type)
        for k in den_keys
    ]
    dcode_all, dgroups = _codes(dkey_arrays) if den_keys else (
        np.zeros(num.num_rows + den.num_rows, np.int64), pa.table({"_": [0]})
    )  # fmt: skip
    n_dgroups = max(dgroups.num_rows, 1)
    d_of_num_row, d_den = dcode_all[: num.num_rows], dcode_all[num.num_rows :]
    # each numerator group maps to one denominator group
    d_of_group = np.zeros(n_groups, np.int64)
    d_of_group[gcode] = d_of_num_row

    nv = pc.cast(num.column("value"), pa.float64()).to_numpy(zero_copy_only=False)
    dv = pc.cast(den.column("value"), pa.float64()).to_numpy(zero_copy_only=False)
    # rows that add nothing (a value of 0) only name their group: leave them out of sums
    nz, dz = nv != 0, dv != 0
    gcode, nv, p_num = gcode[nz], nv[nz], p_num[nz]
    d_den, dv, p_den = d_den[dz], dv[dz], p_den[dz]

    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.bincount(gcode, nv, minlength=n_groups)
        d = np.bincount(d_den, dv, minlength=n_dgroups)[d_of_group]
        estimate = np.where(d > 0, n / np.where(d > 0, d, 1), np.nan)
    from scipy import sparse  # imported here: a command that computes nothing starts faster

    people_n = len(hashes)
    num_m = sparse.csr_array((nv, (gcode, p_num)), shape=(n_groups, people_n))
    den_m = sparse.csr_array((dv, (d_den, p_den)), shape=(n_dgroups, people_n))

    drawn, rows = drawn_weights(hashes, seed, reps)

    def block(r: range) -> np.ndarray:
        w = drawn[rows, r.start : r.stop].astype(np.float64)
        n, d = num_m @ w, (den_m @ w)[d_of_group]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d > 0, n / np.where(d > 0, d, 1), np.nan).T

    size = max(1, min(reps, _BLOCK_CELLS // max(people_n, 1)))
    blocks = [range(b, min(b + size, reps)) for b in range(0, reps, size)]
    parts = [block(r) for r in blocks]
    draws = np.concatenate(parts, axis=0) if parts else np.empty((0, n_groups))
    alpha = (1 - level) / 2
    valid = ~np.isnan(draws)
    lo = np.full(n_groups, np.nan)
    hi = np.full(n_groups, np.nan)
    ok = valid.any(axis=0)
    if ok.any():
        lo[ok] = np.nanquantile(draws[:, ok], alpha, axis=0)
        hi[ok] = np.nanquantile(draws[:, ok], 1 - alpha, axis=0)
    out = {k: groups.column(f"k{i}") for i, k in enumerate(keys)}
    for name, arr in (("estimate", estimate), ("lo", lo), ("hi", hi)):
        out[name] = pa.array(arr, pa.float64(), mask=np.isnan(arr))
    return pa.table(out)
