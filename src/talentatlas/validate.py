"""Validation: internal arithmetic of migration tables, and comparison with MPIDR.

Checks (each a :class:`Check`; ``passed`` means no row failed):

- ``net = inflow - outflow`` per country-year (exact).
- Rates from counts: MPIDR rates are per researcher (``out_rate = outflow /
  population``, likewise ``in_rate`` and ``net_rate``), stored in float32, so a row
  passes within 1e-6 relative (+1e-9 absolute); a censored row (null population) must
  have null rates. talentatlas's ``net_rate = net / stock x 10,000`` rounded to 2
  decimals passes within 0.005 (+1e-9); it is null when the stock is 0.
- Bilateral flows add up: the ``moves`` out of (into) a country-year, over all
  country-to-country flows, equal its ``outflow`` (``inflow``); a country-year without
  flows must have 0. Checked on every row of the country table.
- Flow coverage: every country-year that appears in the flows has a row in the country
  table (MPIDR drops some small country-years and stops in 2022/2023 while its flows
  run to 2024, so this one is reported as a share, not expected to pass).
- MPIDR only: ``net = moves - moves_back``, and ``moves_back`` of A->B equals
  ``moves`` of B->A in the same year (0 when there is no reverse row).

MPIDR's entry/exit rows (null origin or destination, see
:mod:`talentatlas.sources.mpidr`) are not country-to-country flows and are left out.

:func:`side_by_side` and :func:`partners_side_by_side` put one country's talentatlas
figures (AI researchers) beside the MPIDR datasets' (all fields of science).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentatlas.sources.mpidr import MpidrTables

OURS = "talentatlas"
RATE_SCALE = 10_000  # talentatlas rates are per 10,000


@dataclass(frozen=True)
class Check:
    """One check on one dataset: how many rows were checked, how many failed, and the
    row with the largest discrepancy (``worst``, empty when every row is exact)."""

    name: str
    dataset: str
    passed: bool
    n_checked: int
    n_failed: int
    worst: str = ""

    @property
    def share_passed(self) -> float:
        return 1.0 if not self.n_checked else 1 - self.n_failed / self.n_checked


def checks_table(checks: Iterable[Check]) -> pa.Table:
    """Checks as an Arrow table (for printing)."""
    rows = [asdict(c) | {"share_passed": round(c.share_passed, 6)} for c in checks]
    schema = pa.schema(
        [
            ("name", pa.string()),
            ("dataset", pa.string()),
            ("passed", pa.bool_()),
            ("n_checked", pa.int64()),
            ("n_failed", pa.int64()),
            ("share_passed", pa.float64()),
            ("worst", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


# -- the checks -------------------------------------------------------------------------
def check_reference(tables: MpidrTables) -> list[Check]:
    """Internal arithmetic of the MPIDR country and flow tables, per dataset."""
    out: list[Check] = []
    for ds in sorted(pc.unique(tables.country["dataset"]).to_pylist()):
        c = tables.country.filter(pc.equal(tables.country["dataset"], ds))
        f = tables.flows.filter(pc.equal(tables.flows["dataset"], ds))
        out.append(_net(c, ds))
        for rate, count in (("out_rate", "outflow"), ("in_rate", "inflow"), ("net_rate", "net")):
            out.append(_rate(c, ds, rate, count, "population", 1, 1e-9, 1e-6))
        between = f.filter(pc.and_(pc.is_valid(f["origin"]), pc.is_valid(f["destination"])))
        out.append(
            _compare(
                "flows: net = moves - moves_back", ds, f, ["origin", "destination", "year"],
                "net", _np(pc.subtract(f["moves"], f["moves_back"])), show=["moves", "moves_back"],
            )
        )  # fmt: skip
        out.append(_reverse(between, ds))
        out.extend(_flow_sums(c, between, ds))
    return out


def check_indicators(migration: pa.Table, flows: pa.Table) -> list[Check]:
    """The same arithmetic on talentatlas's ``migration`` and ``flows`` tables
    (``country, year, inflow, outflow, net, stock, net_rate``; ``origin, destination,
    year, moves``); other columns are ignored."""
    f = flows.filter(pc.and_(pc.is_valid(flows["origin"]), pc.is_valid(flows["destination"])))
    return [
        _net(migration, OURS),
        _rate(migration, OURS, "net_rate", "net", "stock", RATE_SCALE, 0.005 + 1e-9, 0.0),
        *_flow_sums(migration, f, OURS),
    ]


def _net(t: pa.Table, ds: str) -> Check:
    exp = _np(pc.subtract(t["inflow"], t["outflow"]))
    return _compare(
        "net = inflow - outflow", ds, t, ["country", "year"], "net", exp, show=["inflow", "outflow"]
    )


def _rate(
    t: pa.Table,
    ds: str,
    rate: str,
    count: str,
    pop: str,
    scale: int,
    tol_abs: float,
    tol_rel: float,
) -> Check:
    n, p = _np(t[count]), _np(t[pop])
    with np.errstate(divide="ignore", invalid="ignore"):
        exp = np.where(p > 0, n / p * scale, np.nan)
    per = f" x {scale:,}" if scale != 1 else ""
    return _compare(
        f"{rate} = {count} / {pop}{per}", ds, t, ["country", "year"], rate, exp,
        tol_abs=tol_abs, tol_rel=tol_rel, show=[count, pop],
    )  # fmt: skip


def _reverse(f: pa.Table, ds: str) -> Check:
    keys = ["origin", "destination", "year"]
    rev = pa.table(
        {
            "origin": f["destination"],
            "destination": f["origin"],
            "year": f["year"],
            "rev": f["moves"],
        }
    )
    j = f.join(rev, keys, join_type="left outer")
    exp = _np(pc.fill_null(j["rev"], 0))
    return _compare(
        "flows: moves_back = moves of the reverse pair",
        ds,
        j,
        keys,
        "moves_back",
        exp,
        show=["moves"],
    )


def _flow_sums(c: pa.Table, f: pa.Table, ds: str) -> list[Check]:
    """Flows out of / into each country-year vs the country table, and flow coverage."""
    c, f = _year64(c), _year64(f)  # join keys must have one type
    out: list[Check] = []
    for side, col in (("origin", "outflow"), ("destination", "inflow")):
        sums = f.group_by([side, "year"]).aggregate([("moves", "sum")])
        sums = sums.rename_columns(["country", "year", "flows"])
        j = c.select(["country", "year", col]).join(
            sums, ["country", "year"], join_type="left outer"
        )
        exp = _np(pc.fill_null(j["flows"], 0))
        word = "out of" if side == "origin" else "into"
        out.append(
            _compare(
                f"sum of flows {word} country-year = {col}", ds, j, ["country", "year"], col, exp
            )
        )
    seen = pa.concat_tables(
        [
            f.select([side, "year", "moves"]).rename_columns(["country", "year", "moves"])
            for side in ("origin", "destination")
        ]
    )
    seen = seen.group_by(["country", "year"]).aggregate([("moves", "sum")])
    missing = seen.join(c.select(["country", "year"]), ["country", "year"], join_type="left anti")
    worst = ""
    if missing.num_rows:
        top = missing.sort_by([("moves_sum", "descending")]).slice(0, 1).to_pylist()[0]
        lost, total = pc.sum(missing["moves_sum"]).as_py(), pc.sum(seen["moves_sum"]).as_py()
        worst = (
            f"{top['country']} {top['year']}: {top['moves_sum']} moves in flows, no country row"
            f" (all missing country-years: {lost:,} of {total:,} moves counted at both ends)"
        )
    out.append(
        Check(
            "flow country-years present in country table", ds, missing.num_rows == 0,
            seen.num_rows, missing.num_rows, worst,
        )
    )  # fmt: skip
    return out


def _year64(t: pa.Table) -> pa.Table:
    return t.set_column(t.schema.get_field_index("year"), "year", pc.cast(t["year"], pa.int64()))


def _np(a: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Float64 numpy values, nulls as NaN."""
    return np.asarray(pc.cast(a, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def _compare(
    name: str,
    ds: str,
    t: pa.Table,
    keys: Sequence[str],
    actual: str,
    expected: np.ndarray,
    *,
    tol_abs: float = 0.0,
    tol_rel: float = 0.0,
    show: Sequence[str] = (),
) -> Check:
    """Row by row ``actual`` vs ``expected`` (NaN = null; null vs null passes)."""
    got = _np(t[actual])
    both_null = np.isnan(got) & np.isnan(expected)
    diff = np.where(both_null, 0.0, np.abs(got - expected))
    diff = np.where(np.isnan(diff), np.inf, diff)  # one side null
    failed = diff > tol_abs + tol_rel * np.nan_to_num(np.abs(expected))
    worst = ""
    if len(diff) and diff.max() > 0:
        i = int(np.argmax(diff))
        row = t.slice(i, 1).to_pylist()[0]
        key = " ".join(str(row[k]) if row[k] is not None else "-" for k in keys)
        ctx = ", ".join(f"{k} {row[k]}" for k in show)
        worst = f"{key}: {actual} {_fmt(got[i])}, expected {_fmt(expected[i])}" + (
            f" ({ctx})" if ctx else ""
        )
    n_failed = int(failed.sum())
    return Check(name, ds, n_failed == 0, len(diff), n_failed, worst)


def _fmt(x: float) -> str:
    if np.isnan(x):
        return "null"
    return str(int(x)) if float(x).is_integer() else f"{x:.8g}"


# -- side by side -----------------------------------------------------------------------
def side_by_side(
    ours: pa.Table, reference: pa.Table, country: str, years: range | None = None
) -> pa.Table:
    """One row per year for ``country`` (ISO2): talentatlas's ``ai_stock, ai_in, ai_out,
    ai_net, ai_net_rate`` (AI researchers; rate per 10,000) beside, for each MPIDR
    dataset ``d``, ``d_population, d_in, d_out, d_net, d_net_rate`` (all scholars; rate
    converted to per 10,000, rounded to 2 decimals; null where the population is
    censored). ``ours`` is the migration table, ``reference`` the MPIDR country table.
    Without ``years``, every year either side has."""
    cc = country.upper()
    mine = {r["year"]: r for r in ours.filter(pc.equal(ours["country"], cc)).to_pylist()}
    ref = reference.filter(pc.equal(reference["country"], cc))
    datasets = sorted(pc.unique(reference["dataset"]).to_pylist())
    theirs = {(r["dataset"], r["year"]): r for r in ref.to_pylist()}
    span = list(years) if years is not None else sorted(set(mine) | {y for _, y in theirs})
    cols: dict[str, list[object]] = {"country": [cc] * len(span), "year": span}
    for name, src in (("stock", "stock"), ("in", "inflow"), ("out", "outflow"), ("net", "net")):
        cols[f"ai_{name}"] = [mine[y][src] if y in mine else None for y in span]
    cols["ai_net_rate"] = [mine[y]["net_rate"] if y in mine else None for y in span]
    for d in datasets:
        rows = [theirs.get((d, y)) for y in span]
        for name, src in (
            ("population", "population"),
            ("in", "inflow"),
            ("out", "outflow"),
            ("net", "net"),
        ):
            cols[f"{d}_{name}"] = [r[src] if r else None for r in rows]
        cols[f"{d}_net_rate"] = [
            round(r["net_rate"] * RATE_SCALE, 2) if r and r["net_rate"] is not None else None
            for r in rows
        ]
    types = {k: pa.float64() if k.endswith("net_rate") else pa.int64() for k in cols}
    types |= {"country": pa.string(), "year": pa.int32()}
    return pa.table({k: pa.array(v, types[k]) for k, v in cols.items()})


def partners_side_by_side(
    our_flows: pa.Table,
    reference_flows: pa.Table,
    country: str,
    years: range | None = None,
    top: int = 10,
) -> pa.Table:
    """Top bilateral partners of ``country``, talentatlas vs each MPIDR dataset.

    For ``direction`` ``out`` (moves from ``country`` to ``partner``) and ``in`` (moves
    from ``partner`` to ``country``) over ``years`` (default: the years of our flows
    touching ``country``, else all), each source gives ``moves``, ``share`` (of the
    country's moves in that direction in that source) and ``rank``. Rows: the union of
    every source's ``top`` partners, ordered by our rank, then the first dataset's.
    """
    cc = country.upper()
    ours = _touching(our_flows, cc)
    if years is None and ours.num_rows:
        years = range(pc.min(ours["year"]).as_py(), pc.max(ours["year"]).as_py() + 1)
    sources: dict[str, pa.Table] = {"ai": ours}
    for d in sorted(pc.unique(reference_flows["dataset"]).to_pylist()):
        ref = reference_flows.filter(pc.equal(reference_flows["dataset"], d))
        sources[d] = _touching(ref, cc)
    rows: list[dict[str, object]] = []
    for direction, mine, other in (
        ("out", "origin", "destination"),
        ("in", "destination", "origin"),
    ):
        stats = {s: _partner_stats(t, cc, mine, other, years) for s, t in sources.items()}
        keep = {p for st in stats.values() for p, (_, _, r) in st.items() if r <= top}
        for p in keep:
            row: dict[str, object] = {"country": cc, "direction": direction, "partner": p}
            for s, st in stats.items():
                m, share, rank = st.get(p, (0, 0.0, None))
                row |= {f"{s}_moves": m, f"{s}_share": round(share, 4), f"{s}_rank": rank}
            rows.append(row)
    order = [f"{s}_rank" for s in sources]
    rows.sort(
        key=lambda r: (
            r["direction"] != "out",
            *[(r[k] is None, r[k] or 0) for k in order],
            r["partner"],
        )
    )
    schema = pa.schema(
        [("country", pa.string()), ("direction", pa.string()), ("partner", pa.string())]
        + [
            f
            for s in sources
            for f in (
                pa.field(f"{s}_moves", pa.int64()),
                pa.field(f"{s}_share", pa.float64()),
                pa.field(f"{s}_rank", pa.int32()),
            )
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def _touching(f: pa.Table, cc: str) -> pa.Table:
    f = f.filter(pc.and_(pc.is_valid(f["origin"]), pc.is_valid(f["destination"])))
    return f.filter(pc.or_(pc.equal(f["origin"], cc), pc.equal(f["destination"], cc)))


def _partner_stats(
    f: pa.Table, cc: str, mine: str, other: str, years: range | None
) -> dict[str, tuple[int, float, int]]:
    """partner -> (moves, share of the direction's total, rank by moves)."""
    f = f.filter(pc.equal(f[mine], cc))
    if years is not None:
        f = f.filter(
            pc.is_in(pc.cast(f["year"], pa.int64()), value_set=pa.array(list(years), pa.int64()))
        )
    g = f.group_by(other).aggregate([("moves", "sum")]).to_pylist()
    g.sort(key=lambda r: (-r["moves_sum"], r[other]))
    total = sum(r["moves_sum"] for r in g)
    return {
        r[other]: (r["moves_sum"], r["moves_sum"] / total if total else 0.0, i + 1)
        for i, r in enumerate(g)
    }


# -- graduates beside the Taulbee survey ------------------------------------------------
#: first jobs of new North American AI PhDs (CRA Taulbee survey, as reported by the AI
#: Index): graduation year -> share taking industry and academic jobs, of those whose
#: job is known to the survey
TAULBEE_AI_PHDS: dict[int, dict[str, float]] = {
    2011: {"industry": 0.41, "academia": 0.41},
    2022: {"industry": 0.71, "academia": 0.20},
}
#: the countries whose graduates the survey counts
TAULBEE_COUNTRIES = ("US", "CA")
TAULBEE_NOTE = (
    "survey: new AI PhDs of US and Canadian departments, first job as reported by the "
    "department (CRA Taulbee, via the AI Index). talentatlas: graduates of US and Canadian "
    "institutions among authors at the scoped venues, destination = first observed year "
    "after graduation; shares of graduates with a known destination sector. Graduates who "
    "stop publishing at these venues have no destination here: where they go to industry "
    "more often than those who publish, the atlas's industry share is too low. "
    "industry_bound is the share if every one of them went to industry."
)


def graduates_side_by_side(summary: pa.Table) -> pa.Table:
    """For each survey year: the survey's industry and academia shares beside the
    atlas's (``summary`` of :func:`talentatlas.indicators.graduates.summary` for US
    and Canadian graduates), one row per kind of evidence the atlas has that year,
    with the industry share if every graduate who left publishing went to industry
    (``industry_bound``), the graduates, known destinations and the left-publishing
    share."""
    rows = []
    for r in summary.to_pylist():
        ref = TAULBEE_AI_PHDS.get(r["year"])
        if ref is None:
            continue
        rows.append({
            "year": r["year"], "evidence": r["evidence"],
            "survey_industry": ref["industry"], "atlas_industry": r["industry_share"],
            "industry_lo": r["industry_lo"], "industry_hi": r["industry_hi"],
            "survey_academia": ref["academia"], "atlas_academia": r["academia_share"],
            "academia_lo": r["academia_lo"], "academia_hi": r["academia_hi"],
            "industry_bound": r["industry_bound"], "graduates": r["graduates"],
            "known": r["known"], "left_share": r["left_share"],
        })  # fmt: skip
    schema = pa.schema(
        [("year", pa.int32()), ("evidence", pa.string())]
        + [(c, pa.float64()) for c in ("survey_industry", "atlas_industry", "industry_lo",
                                       "industry_hi", "survey_academia", "atlas_academia",
                                       "academia_lo", "academia_hi", "industry_bound")]
        + [("graduates", pa.int64()), ("known", pa.int64()), ("left_share", pa.float64())]
    )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)
