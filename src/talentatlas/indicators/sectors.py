"""Sectors: academia -> industry shift.

Per year, on the frame's person-year filters:

- **sector flows**: moves between sectors (a change of modal sector between
  consecutive observed years, dated at the later year), by origin and destination;
- **industry share**: persons whose padded sector is industry over persons placed in
  any sector;
- **early-career next sector**: of persons observed in academia in year y within their
  first N years (y - first in-scope year < N) and observed again in a sector later, the
  share whose next observed sector is industry (dated at y). Most of them are still
  students and graduates who leave publishing have no next sector: this is not the
  share of new PhDs going to industry (that is :mod:`talentatlas.indicators.graduates`).

With a ``country``, every count is of person-years placed in that country that year
(padded country on the frame's basis): its researchers' industry share, the sector
moves of people working there in the year of the move (a move from a Korean university
to a US company counts for the US), and its early-career academics.
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

EARLY_YEARS = 3


def in_country(frame: Frame, t: Table, country: str | None) -> Table:
    """The rows of ``t`` (``person_id, year``) whose person is placed in ``country`` that
    year; all of ``t`` without a country."""
    if country is None:
        return t
    c = frame.padded("country")
    c = c.filter(c.value == country).select(c_p=c.person_id, c_y=c.year)
    return t.semi_join(c, [t.person_id == c.c_p, t.year == c.c_y])


def _placed(country: str | None) -> dict[str, str]:
    return {"country": country} if country else {}


def sector_flows(frame: Frame, country: str | None = None) -> pa.Table:
    """``year, origin, destination, moves`` (of people placed in ``country`` that year)."""
    m = in_country(frame, frame.restrict(frame.moves("sector")), country)
    t = frame.to_arrow(
        m.group_by(year=m.year.cast("int32"), origin=m.origin, destination=m.destination).agg(
            moves=_.count()
        )
    )
    t = t.sort_by([("year", "ascending"), ("moves", "descending"), ("origin", "ascending")])
    return annotate(t, indicator="sector_flows", coverage=frame.coverage(),
                    filters=frame.filters.describe(), **_placed(country))  # fmt: skip


def _early_rows(frame: Frame, early_years: int, country: str | None) -> Table:
    """``person_id, year, yes``: early-career academic person-years with a next sector."""
    o = frame.observed("sector")
    w = ibis.window(group_by="person_id", order_by="year")
    o = o.mutate(next_value=o.value.lead().over(w))
    fy = frame.first_year.rename(f_p="person_id")
    j = o.join(fy, o.person_id == fy.f_p)
    j = j.filter(
        (j.value == "academia") & j.next_value.notnull() & (j.year - j.first_year < early_years)
    )
    j = frame.restrict(j.select("person_id", year=j.year.cast("int32"), next_value=j.next_value))
    j = in_country(frame, j, country)
    return j.select("person_id", "year", yes=(j.next_value == "industry").cast("float64"))


def summary(
    frame: Frame,
    early_years: int = EARLY_YEARS,
    *,
    country: str | None = None,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> pa.Table:
    """Per year: ``academia, industry`` (stock), ``industry_share (+ lo, hi)``,
    ``academia_to_industry, industry_to_academia`` (moves), ``early_academics`` (with a
    next sector), ``early_next_industry (+ lo, hi)``, ``coverage``; of person-years
    placed in ``country`` when given."""
    pad = in_country(frame, frame.restrict(frame.padded("sector")), country)
    # the placed person-years once; the industry ones and the stocks follow from them
    placed = frame.to_arrow(
        pad.select(
            "person_id",
            year=pad.year.cast("int32"),
            academia=(pad.value == "academia").cast("int64"),
            industry=(pad.value == "industry").cast("int64"),
        )
    )
    one = pa.array(np.ones(placed.num_rows), pa.float64())
    den = placed.select(["person_id", "year"]).append_column("value", one)
    num = den.filter(pc.equal(placed["industry"], 1))
    share = bootstrap.ratio_intervals(num, den, ["year"], level=level, reps=reps, seed=seed)
    share = share.rename_columns(["year", "industry_share", "share_lo", "share_hi"])
    stocks = placed.group_by("year", use_threads=False).aggregate(
        [("academia", "sum"), ("industry", "sum")]
    )
    stocks = stocks.rename_columns(["year", "academia", "industry"])
    m = in_country(frame, frame.restrict(frame.moves("sector")), country)
    mv = frame.to_arrow(
        m.group_by(year=m.year.cast("int32")).agg(
            academia_to_industry=((m.origin == "academia") & (m.destination == "industry"))
            .cast("int64").sum(),
            industry_to_academia=((m.origin == "industry") & (m.destination == "academia"))
            .cast("int64").sum(),
        )
    )  # fmt: skip
    er = frame.to_arrow(_early_rows(frame, early_years, country))
    ones = er.select(["person_id", "year"]).append_column(
        "value", pa.array([1.0] * er.num_rows, pa.float64())
    )
    early = bootstrap.ratio_intervals(
        er.rename_columns(["person_id", "year", "value"]), ones, ["year"],
        level=level, reps=reps, seed=seed,
    ).rename_columns(["year", "early_next_industry", "early_lo", "early_hi"])  # fmt: skip
    n_early = ones.group_by("year", use_threads=False).aggregate([("value", "sum")])
    n_early = n_early.rename_columns(["year", "early_academics"])
    t = stocks
    for part in (share, mv, n_early, early):
        t = t.join(part, "year", join_type="left outer", use_threads=False)
    cols = {
        "year": t["year"], "academia": t["academia"], "industry": t["industry"],
        "industry_share": pc.round(t["industry_share"], 4),
        "share_lo": pc.round(t["share_lo"], 4), "share_hi": pc.round(t["share_hi"], 4),
        "academia_to_industry": pc.fill_null(t["academia_to_industry"], 0),
        "industry_to_academia": pc.fill_null(t["industry_to_academia"], 0),
        "early_academics": pc.cast(pc.fill_null(t["early_academics"], 0), pa.int64()),
        "early_next_industry": pc.round(t["early_next_industry"], 4),
        "early_lo": pc.round(t["early_lo"], 4), "early_hi": pc.round(t["early_hi"], 4),
    }  # fmt: skip
    out = frame.with_coverage(pa.table(cols), "sector").sort_by("year")
    return annotate(out, indicator="sectors", coverage=frame.coverage(),
                    filters=frame.filters.describe(), early_years=early_years,
                    **_placed(country), interval=bootstrap.note(level, reps, seed))  # fmt: skip


def sector_series(summary: pa.Table) -> pa.Table:
    """The sector summary as two series for a trend chart (``year, series, value, lo,
    hi``): the industry share of researchers, and the share of early-career academics
    whose next sector is industry; with the summary's coverage and filters."""
    s = summary
    n = s.num_rows
    long = pa.concat_tables([
        pa.table({"year": s["year"], "series": ["industry share of researchers"] * n,
                  "value": s["industry_share"], "lo": s["share_lo"], "hi": s["share_hi"]}),
        pa.table({"year": s["year"], "series": ["early-career academics (not graduates) moving next to industry"] * n,
                  "value": s["early_next_industry"], "lo": s["early_lo"], "hi": s["early_hi"]}),
    ])  # fmt: skip
    return annotate(long, **describe(s))
