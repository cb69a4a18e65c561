"""Migration between countries: bilateral flows and net migration per country-year.

Net migration rate (country, year) = (in-moves - out-moves) / stock x 10,000, where
stock is the country's padded stock that year (DESIGN.md, "Definitions").
"""

from __future__ import annotations

from ibis import _
from ibis.expr.types import Table


def flows(moves: Table) -> Table:
    """``origin, destination, year, moves``: moves from A to B per year."""
    return moves.group_by(["origin", "destination", "year"]).agg(moves=_.count())


def migration(moves: Table, stock: Table) -> Table:
    """``country, year, inflow, outflow, net, stock, net_rate`` for every country-year
    with a stock or a move."""
    inflow = moves.group_by(c=moves.destination, y=moves.year).agg(inflow=_.count())
    outflow = moves.group_by(c=moves.origin, y=moves.year).agg(outflow=_.count())
    st = stock.select(c=stock.value, y=stock.year, stock=stock.stock)
    keys = (
        st.select("c", "y")
        .union(inflow.select("c", "y"))
        .union(outflow.select("c", "y"))
        .distinct()
    )
    t = keys.left_join(inflow, ["c", "y"]).drop("c_right", "y_right")
    t = t.left_join(outflow, ["c", "y"]).drop("c_right", "y_right")
    t = t.left_join(st, ["c", "y"]).drop("c_right", "y_right")
    t = t.mutate(
        inflow=t.inflow.fill_null(0),
        outflow=t.outflow.fill_null(0),
        stock=t.stock.fill_null(0),
    )
    t = t.mutate(net=t.inflow - t.outflow)
    rate = (t.net.cast("float64") / t.stock.cast("float64") * 10_000).round(2)
    t = t.mutate(net_rate=(t.stock > 0).ifelse(rate, None))
    return t.select(
        country=t.c, year=t.y, inflow=t.inflow, outflow=t.outflow, net=t.net, stock=t.stock,
        net_rate=t.net_rate,
    )  # fmt: skip
