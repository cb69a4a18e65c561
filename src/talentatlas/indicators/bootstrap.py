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

The weights of every person are drawn once, a cache-sized chunk of people (all
replicates) at a time, one byte each, and kept per seed and number of replicates: the
indicators of a build resample mostly the same people, and draw only those not drawn
before. The replicate sums of every group are sparse matrix products (groups x people
contributions, column-major, times a block of replicates' weights); when every
contribution is whole and no sum can pass 2**31 they are computed in int32, exactly and
about twice as fast as in float64, which they equal. One buffer of about 16 MB holds a
block's weights (fresh memory is slow to touch). (Two threads over blocks were slower:
the draws hold the GIL between NumPy calls and SciPy's product holds it throughout.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
    """splitmix64 finaliser: a well-spread 64-bit hash of each value (a new array)."""
    return _mixed(np.array(x, np.uint64))


def _mixed(x: np.ndarray) -> np.ndarray:
    """:func:`_mix`, in place on ``x`` (uint64), which it returns."""
    with np.errstate(over="ignore"):
        for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
            x ^= x >> np.uint64(shift)
            x *= np.uint64(factor)
        x ^= x >> np.uint64(31)
    return x


def person_hashes(people: pa.Array) -> np.ndarray:
    """A stable 64-bit hash of each person id (``people``: distinct ids)."""
    import pandas as pd  # imported here: a command that computes nothing starts faster

    ids = np.asarray(people.to_numpy(zero_copy_only=False), dtype=object)
    # the ids are distinct: categorising them first (the default) gives the same hashes,
    # seven times slower
    return pd.util.hash_array(ids, categorize=False)


#: Poisson(1) weight by the top 16 bits of a uniform draw, where those bits decide it;
#: the few bins a CDF step falls inside (marked ``_SPLIT``) are resolved exactly
_BINS = 1 << 16
_BIN_EDGES = np.arange(_BINS + 1, dtype=np.float64) / _BINS
_SPLIT = np.uint8(255)
_BIN_VALUE = np.searchsorted(_POISSON_CDF, _BIN_EDGES[:-1], side="right").astype(np.uint8)
_BIN_VALUE[np.searchsorted(_POISSON_CDF, _BIN_EDGES[1:], side="left") > _BIN_VALUE] = _SPLIT


def _key(seed: int, rep: int) -> np.uint64:
    """The value mixed into every person's hash in replicate ``rep`` of ``seed``."""
    with np.errstate(over="ignore"):
        key = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(rep + 1)
    return _mix(np.full(1, key, np.uint64))[0]


def _poisson(x: np.ndarray) -> np.ndarray:
    """Poisson(1) draws (uint8) from uniform 64-bit hashes ``x`` (a contiguous array):
    the inverse CDF by table lookup on the top 16 bits, exact in the split bins."""
    w = np.take(_BIN_VALUE, x >> np.uint64(48))
    split = np.flatnonzero(w == _SPLIT)
    if split.size:
        u = (x.ravel()[split] >> np.uint64(11)).astype(np.float64) / float(1 << 53)
        w.ravel()[split] = np.searchsorted(_POISSON_CDF, u, side="right")
    return w


def person_weights(h: np.ndarray, seed: int, rep: int) -> np.ndarray:
    """Poisson(1) weights, in replicate ``rep``, of the people hashed ``h``
    (:func:`person_hashes`): deterministic per person (the inverse CDF of a uniform
    drawn from the hash), as uint8 (a draw is at most 20)."""
    return _poisson(_mixed(h ^ _key(seed, rep)))


#: weights drawn at a time (a chunk of people's hashes, one per replicate, stay in the
#: CPU cache; 512 KB per array, where larger ones cost page faults and cache misses)
_CHUNK_CELLS = 1 << 16
#: weights per block of replicates in a product (people x replicates: 16 MB of int32)
_BLOCK_CELLS = 1 << 22
#: the largest Poisson(1) weight drawn (the inverse CDF's last step)
_MAX_WEIGHT = len(_POISSON_CDF)


def weight_matrix(h: np.ndarray, seed: int, reps: range) -> np.ndarray:
    """``(len(h), len(reps))`` Poisson weights (:func:`person_weights`, uint8) of the
    people hashed ``h`` in replicates ``reps``, a cache-sized chunk of people at a time."""
    keys = np.array([_key(seed, b) for b in reps], np.uint64)
    out = np.empty((len(h), len(reps)), np.uint8)
    chunk = max(1, _CHUNK_CELLS // max(len(reps), 1))
    for lo in range(0, len(h), chunk):
        out[lo : lo + chunk] = _poisson(_mixed(h[lo : lo + chunk, None] ^ keys))
    return out


#: weights already drawn, per (seed, reps): the drawn people's hashes (sorted), the row
#: of each in the weights, and the weights (people x reps in order of drawing, uint8: a
#: Poisson(1) draw here is at most 20)
_DRAWN: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
#: weights kept at most (bytes); a larger set is drawn for the call and not kept
_DRAWN_MAX = 1 << 31


def drawn_weights(h: np.ndarray, seed: int, reps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(w, rows)``: the weights of every person drawn so far with ``seed`` and
    ``reps`` (uint8, people x reps; :func:`person_weights`) and the row of each of the
    people hashed ``h``. People not drawn before are drawn now and kept."""
    empty = (np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros((0, reps), np.uint8))
    known, row_of, w = _DRAWN.get((seed, reps), empty)
    at = np.searchsorted(known, h)
    found = at < len(known)
    found[found] = known[at[found]] == h[found]
    if found.all():
        return w, row_of[at]
    new = np.unique(h[~found])
    fresh = weight_matrix(new, seed, range(reps))
    w = np.concatenate([w, fresh]) if len(w) else fresh
    known = np.concatenate([known, new])
    row_of = np.concatenate([row_of, np.arange(len(row_of), len(known), dtype=np.int64)])
    order = np.argsort(known, kind="stable")
    known, row_of = known[order], row_of[order]
    if w.nbytes <= _DRAWN_MAX:
        _DRAWN[(seed, reps)] = (known, row_of, w)
    return w, row_of[np.searchsorted(known, h)]


#: combined key spaces up to this size are coded by lookup rather than by sorting
_DENSE = 1 << 24


def _encoded(a: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Dense integer codes of ``a``'s values and the values (null, when present, the
    last): integers of a narrow range (years) in the order of their values, by
    arithmetic; others in order of first appearance."""
    if pa.types.is_integer(a.type) and a.null_count == 0:
        chunks = [a] if isinstance(a, pa.Array) else a.chunks
        v = np.concatenate([c.to_numpy().astype(np.int64, copy=False) for c in chunks])
        lo, hi = (int(v.min()), int(v.max())) if len(v) else (0, 0)
        if hi - lo < _DENSE:
            present = np.bincount(v - lo, minlength=hi - lo + 1) > 0
            dense = np.cumsum(present) - 1
            values = np.flatnonzero(present) + lo
            return dense[v - lo], pa.array(values, a.type)
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


def _ratio(n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``n / d`` as float64 where ``d > 0``, else NaN."""
    n, d = np.asarray(n, np.float64), np.asarray(d, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d > 0, n / np.where(d > 0, d, 1), np.nan)


def _product_type(*values: np.ndarray) -> type:
    """int32 when every value is whole and no weighted sum can pass int32's range
    (sums are then exact, and the products twice as fast), else float64."""
    for v in values:
        whole = np.array_equal(v, np.round(v))
        if not whole or np.abs(v).sum() * _MAX_WEIGHT >= np.iinfo(np.int32).max:
            return np.float64
    return np.int32


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

    n = np.bincount(gcode, nv, minlength=n_groups)
    estimate = _ratio(n, np.bincount(d_den, dv, minlength=n_dgroups)[d_of_group])
    from scipy import sparse  # imported here: a command that computes nothing starts faster

    # the people's weights, in the order they were drawn; the matrices' columns follow it
    drawn, rows = drawn_weights(hashes, seed, reps)
    if len(drawn) > 2 * len(rows):  # mostly others': this call's people only, in order
        used = np.unique(rows)
        drawn, rows = drawn[used], np.searchsorted(used, rows)
    dtype = _product_type(nv, dv)
    num_m = sparse.csc_array((nv.astype(dtype), (gcode, rows[p_num])), (n_groups, len(drawn)))
    den_m = sparse.csc_array((dv.astype(dtype), (d_den, rows[p_den])), (n_dgroups, len(drawn)))
    # blocks of replicates of one width (the last overlaps the one before: fresh memory
    # is slow to touch, so one buffer serves every block), each one product per matrix
    width = max(1, min(reps, _BLOCK_CELLS // max(len(drawn), 1)))
    w = np.empty((len(drawn), width), dtype)
    draws = np.empty((reps, n_groups))
    for b0 in [min(b, reps - width) for b in range(0, reps, width)]:
        np.copyto(w, drawn[:, b0 : b0 + width], casting="unsafe")
        draws[b0 : b0 + width] = _ratio(num_m @ w, (den_m @ w)[d_of_group]).T
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
