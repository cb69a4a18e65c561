"""Stock: persons whose padded value in a year is a given country / institution / sector."""

from __future__ import annotations

from ibis import _
from ibis.expr.types import Table


def stock(padded: Table) -> Table:
    """``value, year, stock`` from one dimension's padded timeline (one row per
    person-year, so its rows are its people)."""
    return padded.group_by(["value", "year"]).agg(stock=_.count())


def stock_with_share(stock_table: Table) -> Table:
    """Adds the world share: the value's stock over all persons placed that year."""
    tot = stock_table.group_by("year").agg(total=_.stock.sum())
    j = stock_table.join(tot, "year")
    return j.mutate(share=j.stock.cast("float64") / j.total)
