"""Countries: stock and world share, in / out / net moves, rates, churn, bilateral flows.

Definitions (DESIGN.md, "Definitions"), per country and year, on the frame's country
basis (location or headquarters) and person-year filters:

- **stock**: persons whose padded country that year is the country;
- **share**: stock over all persons placed in a country that year;
- **inflow / outflow**: moves into / out of the country dated that year (a move is a
  change of modal country between consecutive observed years, dated at the later one);
- **net** = inflow - outflow; **net_rate** = net / stock x 10,000; **in_rate**,
  **out_rate** likewise; **churn** = (inflow + outflow) / stock x 10,000;
- **flows**: moves from A to B per year.

Shares and rates carry seeded bootstrap intervals over people (``*_lo``, ``*_hi``) and
every row carries ``coverage``: the share of that year's in-scope authorships resolved
to a country.
"""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _
from ibis.expr.types import Table

from talentatlas.indicators import bootstrap
from talentatlas.indicators.frame import Frame
from talentatlas.indicators.result import annotate, describe

PER = 10_000


def placed(frame: Frame) -> Table:
    """``person_id, country, year``: padded country person-years passing the filters."""
    p = frame.restrict(frame.padded("country"))
    return p.select("person_id", country=p.value, year=p.year)


def country_moves(frame: Frame) -> Table:
    """``person_id, year, origin, destination``: country moves passing the filters (the
    person-year filters are read at the move's year)."""
    m = frame.restrict(frame.moves("country"))
    return m.select("person_id", "year", "origin", "destination")


#: the order of the stock, migration and flows tables (every key: one order)
STOCK_ORDER = [("year", "ascending"), ("stock", "descending"), ("country", "ascending")]
MIGRATION_ORDER = [("country", "ascending"), ("year", "ascending")]
FLOWS_ORDER = [("year", "ascending"), ("moves", "descending"), ("origin", "ascending"),
               ("destination", "ascending")]  # fmt: skip


def sorted_by(t: pa.Table, keys: list[tuple[str, str]]) -> pa.Table:
    """``t`` in the order of ``keys`` (``(column, ascending|descending)``)."""
    return t.take(pc.sort_indices(t, sort_keys=keys))


def stock_share(
    frame: Frame,
    country: str | None = None,
    *,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> pa.Table:
    """``country, year, stock, share, share_lo, share_hi, coverage``."""
    pl = placed(frame)
    everyone = frame.to_arrow(pl.select("person_id", "country", "year", value=ibis.literal(1)))
    den = everyone.select(["person_id", "year", "value"])
    num = everyone if country is None else everyone.filter(pc.equal(everyone["country"], country))
    ci = bootstrap.ratio_intervals(
        num, den, ["country", "year"], ["year"], level=level, reps=reps, seed=seed
    )
    # a person is placed in one country a year, so rows are people
    counts = num.group_by(["country", "year"], use_threads=False).aggregate(
        [("person_id", "count")]
    )
    counts = counts.rename_columns(["country", "year", "stock"])
    t = counts.join(ci, ["country", "year"], join_type="left outer", use_threads=False)
    t = pa.table(
        {
            "country": t["country"],
            "year": t["year"],
            "stock": t["stock"],
            "share": pc.round(t["estimate"], 4),
            "share_lo": pc.round(t["lo"], 4),
            "share_hi": pc.round(t["hi"], 4),
        }
    )
    t = sorted_by(frame.with_coverage(t, "country"), STOCK_ORDER)
    return annotate(
        t,
        indicator="stock",
        coverage=frame.coverage(),
        filters=frame.filters.describe(),
        interval=bootstrap.note(level, reps, seed),
    )


def migration(
    frame: Frame,
    country: str | None = None,
    *,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> pa.Table:
    """``country, year, stock, inflow, outflow, net, net_rate (+ _lo, _hi), in_rate,
    out_rate, churn, coverage`` for every country-year with a stock or a move."""
    pl = placed(frame)
    mv = country_moves(frame)
    if country is not None:
        pl = pl.filter(pl.country == country)
        mv = mv.filter((mv.origin == country) | (mv.destination == country))
    ins = mv.select("person_id", country=mv.destination, year=mv.year, value=ibis.literal(1))
    outs = mv.select("person_id", country=mv.origin, year=mv.year, value=ibis.literal(-1))
    contrib = ins.union(outs)
    if country is not None:
        contrib = contrib.filter(contrib.country == country)
    contrib = contrib.mutate(year=contrib.year.cast("int32"))
    per = contrib.group_by(["person_id", "country", "year"]).agg(
        value=_.value.sum(),
        inflow=(_.value == 1).cast("int64").sum(),
        outflow=(_.value == -1).cast("int64").sum(),
    )
    per = frame.to_arrow(per)
    den = frame.to_arrow(
        pl.select("person_id", "country", year=pl.year.cast("int32"), value=ibis.literal(1))
    )
    # the groups with a stock but no move get a row of value 0 (it names the group)
    keys = ["person_id", "country", "year"]
    named = den.group_by(["country", "year"], use_threads=False).aggregate([("person_id", "min")])
    named = named.rename_columns(["country", "year", "person_id"]).select(keys)
    num = pa.concat_tables(
        [
            per.select([*keys, "value"]),
            named.append_column("value", pa.array(np.zeros(named.num_rows, np.int64))),
        ]
    )
    ci = bootstrap.ratio_intervals(num, den, ["country", "year"], level=level, reps=reps, seed=seed)
    counts = (
        per.group_by(["country", "year"], use_threads=False)
        .aggregate([("inflow", "sum"), ("outflow", "sum")])
        .rename_columns(["country", "year", "inflow", "outflow"])
    )
    st = den.group_by(["country", "year"], use_threads=False).aggregate([("value", "sum")])
    st = st.rename_columns(["country", "year", "stock"])
    t = counts.join(st, ["country", "year"], join_type="full outer", use_threads=False)
    t = t.join(ci, ["country", "year"], join_type="left outer", use_threads=False)
    stock = pc.fill_null(t["stock"], 0)
    inflow, outflow = pc.fill_null(t["inflow"], 0), pc.fill_null(t["outflow"], 0)
    net = pc.subtract(inflow, outflow)
    fstock = pc.cast(stock, pa.float64())
    pos = pc.greater(stock, 0)

    def rate(x: pa.ChunkedArray | pa.Array) -> pa.Array:
        r = pc.round(pc.multiply(pc.divide(pc.cast(x, pa.float64()), fstock), PER), 2)
        return pc.if_else(pos, r, pa.scalar(None, pa.float64()))

    def scaled(col: str) -> pa.Array:
        v = pc.round(pc.multiply(t[col], PER), 2)
        return pc.if_else(pos, v, pa.scalar(None, pa.float64()))

    out = pa.table(
        {
            "country": t["country"],
            "year": t["year"],
            "stock": pc.cast(stock, pa.int64()),
            "inflow": pc.cast(inflow, pa.int64()),
            "outflow": pc.cast(outflow, pa.int64()),
            "net": pc.cast(net, pa.int64()),
            "net_rate": rate(net),
            "net_rate_lo": scaled("lo"),
            "net_rate_hi": scaled("hi"),
            "in_rate": rate(inflow),
            "out_rate": rate(outflow),
            "churn": rate(pc.add(inflow, outflow)),
        }
    )
    out = sorted_by(frame.with_coverage(out, "country"), MIGRATION_ORDER)
    return annotate(
        out,
        indicator="migration",
        coverage=frame.coverage(),
        filters=frame.filters.describe(),
        interval=bootstrap.note(level, reps, seed),
    )


def flows(frame: Frame, country: str | None = None) -> pa.Table:
    """``origin, destination, year, moves, coverage``: bilateral flows per year."""
    mv = country_moves(frame)
    if country is not None:
        mv = mv.filter((mv.origin == country) | (mv.destination == country))
    t = frame.to_arrow(mv.group_by(["origin", "destination", "year"]).agg(moves=_.count()))
    t = t.set_column(t.schema.get_field_index("year"), "year", pc.cast(t["year"], pa.int32()))
    t = sorted_by(frame.with_coverage(t, "country"), FLOWS_ORDER)
    return annotate(
        t, indicator="flows", coverage=frame.coverage(), filters=frame.filters.describe()
    )


def partners(flows_table: pa.Table, country: str) -> pa.Table:
    """``partner, to_partner, from_partner, net``: a country's bilateral balance with each
    partner over the years of ``flows_table`` (net > 0: the country gains)."""
    f = flows_table
    out = f.filter(pc.equal(f["origin"], country)).group_by("destination", use_threads=False)
    out = out.aggregate([("moves", "sum")]).rename_columns(["partner", "to_partner"])
    inn = f.filter(pc.equal(f["destination"], country)).group_by("origin", use_threads=False)
    inn = inn.aggregate([("moves", "sum")]).rename_columns(["partner", "from_partner"])
    t = out.join(inn, "partner", join_type="full outer", use_threads=False)
    to_p, from_p = pc.fill_null(t["to_partner"], 0), pc.fill_null(t["from_partner"], 0)
    t = pa.table(
        {
            "partner": t["partner"],
            "to_partner": to_p,
            "from_partner": from_p,
            "net": pc.subtract(from_p, to_p),
            "_g": pc.add(to_p, from_p),
        }
    )
    t = sorted_by(t, [("_g", "descending"), ("partner", "ascending")]).drop_columns(["_g"])
    meta = {k: v for k, v in describe(flows_table).items() if k != "indicator"}
    return annotate(t, **meta, indicator="partners")


#: maps and trends leave out country-years resting on fewer researchers than this
MIN_STOCK = 30


def pooled_rates(t: pa.Table, first: int, last: int) -> pa.Table:
    """``country, year, inflow, outflow, net, stock, net_rate`` summed over the years
    ``first..last`` of a migration table (``stock`` = mean stock; ``net_rate`` = net moves
    a year per 10,000 researchers), countries with a mean stock of at least MIN_STOCK."""
    w = t.filter(pc.and_(pc.greater_equal(t["year"], first), pc.less_equal(t["year"], last)))
    g = w.group_by("country").aggregate(
        [("inflow", "sum"), ("outflow", "sum"), ("net", "sum"), ("stock", "sum")]
    )
    years = last - first + 1
    stock = pc.divide(pc.cast(g["stock_sum"], pa.float64()), years)
    rate = pc.round(pc.multiply(pc.divide(pc.cast(g["net_sum"], pa.float64()),
                                          pc.cast(g["stock_sum"], pa.float64())), 10_000), 2)  # fmt: skip
    out = pa.table(
        {
            "country": g["country"], "year": pa.array([last] * g.num_rows, pa.int32()),
            "inflow": g["inflow_sum"], "outflow": g["outflow_sum"], "net": g["net_sum"],
            "stock": pc.round(stock, 1), "net_rate": rate,
        }
    )  # fmt: skip
    return out.filter(pc.greater_equal(out["stock"], MIN_STOCK))


def large_enough(t: pa.Table) -> pa.Table:
    """Country-years with a stock of at least :data:`MIN_STOCK` (for charts)."""
    return t.filter(pc.greater_equal(t["stock"], MIN_STOCK))
