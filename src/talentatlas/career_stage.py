"""The careers stage of the build: every dimension's careers in one pass (DESIGN.md).

It writes the rows :mod:`talentatlas.careers` defines (``person_years``, ``moves``,
``stock``, and the views ``observed_<dim>`` and ``padded_<dim>`` over
``person_years``), but not one dimension at a time:

- a person-year with one cell (one combination of the dimensions' values; 87% of them
  on the real corpus) has that cell's values as its modal values, with nothing to rank or to
  filter, so only the people with a year of several cells go through
  :func:`careers.observed`, whose ranking looks at a person's other years too;
- the padded values, the populations and the moves of the four dimensions come out of
  one window pass over one row per active person-year (the person-year's observed
  value of each dimension, carried forward), instead of a padding, a move and a join
  per dimension.

The tests hold it equal to the per-dimension functions of :mod:`talentatlas.careers`
on worlds with ties, several cells a year and gaps.
"""

from __future__ import annotations

import ibis
from ibis import _
from ibis.expr.types import Table

from talentatlas import careers
from talentatlas.store import Engine
from talentatlas.tables import max_by, union_all

DIMENSIONS = careers.DIMENSIONS


def dims_of(t: Table) -> list[str]:
    """The dimensions a table has columns for (all four in the build; the benchmarks
    run one)."""
    return [d for d in DIMENSIONS if d in t.columns]


def split(cells: Table) -> tuple[Table, Table]:
    """``(simple, hard_cells)``: the person-years of the people all of whose years
    have one cell (``person_id, year, n`` and the dimensions), and the cells of the
    others."""
    per = cells.group_by(["person_id", "year"]).agg(
        k=_.count(), n=_.n.sum(), **{d: cells[d].min() for d in dims_of(cells)}
    )
    complex_ = per.filter(per.k > 1).select("person_id").distinct()
    simple = per.anti_join(complex_, "person_id").drop("k")
    hard = cells.semi_join(complex_, "person_id")
    return simple, hard


def wide(simple: Table, hard_cells: Table, hard_obs: dict[str, Table]) -> Table:
    """One row per active person-year with each dimension's observed value and its
    authorship counts (null where the dimension is unobserved that year): ``person_id,
    year, <d>, <d>_n, <d>_n_total`` per dimension."""
    cols = {}
    for d in dims_of(simple):
        n = simple[d].notnull().ifelse(simple.n.cast("int64"), ibis.null("int64"))
        cols |= {d: simple[d], f"{d}_n": n, f"{d}_n_total": n}
    s = simple.select("person_id", year=simple.year.cast("int32"), **cols)
    h = hard_cells.select("person_id", year=hard_cells.year.cast("int32")).distinct()
    for d, o in hard_obs.items():
        o = o.select(
            _p=o.person_id, _y=o.year.cast("int32"), **{d: o.value},
            **{f"{d}_n": o.n.cast("int64"), f"{d}_n_total": o.n_total.cast("int64")},
        )  # fmt: skip
        h = h.left_join(o, [h.person_id == o._p, h.year == o._y]).drop("_p", "_y")
    return union_all([s, h.select(*s.columns)])


def carried(w: Table) -> Table:
    """Each active person-year with, per dimension: ``<d>_f`` the value of its latest
    observed year up to this one, ``<d>_pf`` and ``<d>_pfy`` the value and year of the
    latest observed one before it, ``<d>_last`` the last observed year; and
    ``next_year``, the person's next active year."""
    upto = ibis.window(group_by="person_id", order_by="year", rows=(None, 0))
    before = ibis.window(group_by="person_id", order_by="year", rows=(None, -1))
    person = ibis.window(group_by="person_id")
    order = ibis.window(group_by="person_id", order_by="year")
    cols = {"next_year": w.year.lead().over(order)}
    for d in dims_of(w):
        key = w[d].notnull().ifelse(w.year, ibis.null("int32"))
        cols[f"{d}_f"] = max_by(w[d], key).over(upto)
        cols[f"{d}_pf"] = max_by(w[d], key).over(before)
        cols[f"{d}_pfy"] = key.max().over(before)
        cols[f"{d}_last"] = key.max().over(person)
    return w.mutate(**cols)


def person_years(c: Table) -> Table:
    """``person_years`` from :func:`carried`: the years from each active year up to the
    next are the padding; a year is kept when it is active or inside a population."""
    until = c.next_year.fill_null(c.year + 1)
    y = c.mutate(_y=ibis.range(c.year, until).unnest())
    y = y.mutate(_y=y._y.cast("int32"))  # Spark: no cast around unnest
    here = y._y == y.year
    cols: dict[str, ibis.Value] = {}
    for d in dims_of(c):
        value = (y._y <= y[f"{d}_last"]).ifelse(y[f"{d}_f"], ibis.null("string"))
        seen = here & y[d].notnull()
        cols[d] = value
        cols[f"{d}_observed"] = value.notnull().ifelse(seen, ibis.null("boolean"))
        for c_ in (f"{d}_n", f"{d}_n_total"):
            cols[c_] = seen.ifelse(y[c_], ibis.null("int64"))
    out = y.select("person_id", year=y._y, _active=here, **cols)
    inside = ibis.or_(*(out[d].notnull() for d in dims_of(c)))
    return out.filter(out._active | inside).drop("_active")


def moves(c: Table) -> Table:
    """``moves`` from :func:`carried`: an observed value that differs from the one
    observed before it."""
    parts = []
    for d in dims_of(c):
        m = c.filter(c[d].notnull() & c[f"{d}_pf"].notnull() & (c[d] != c[f"{d}_pf"]))
        parts.append(
            m.select(
                "person_id",
                year=m.year.cast("int32"),
                from_year=m[f"{d}_pfy"].cast("int32"),
                origin=m[f"{d}_pf"],
                destination=m[d],
                dimension=ibis.literal(d),
            )
        )
    return union_all(parts)


def stock(py: Table) -> Table:
    """``stock`` from ``person_years``: persons per value and year, per dimension."""
    parts = []
    for d in dims_of(py):
        t = py.filter(py[d].notnull())
        s = t.group_by([t[d].name("value"), "year"]).agg(stock=_.count())
        parts.append(s.mutate(dimension=ibis.literal(d)))
    return union_all(parts)


def run(cells: Table, engine: Engine) -> None:
    """Writes ``person_years``, ``moves`` and ``stock`` from the :func:`careers.cells`
    (a working table of the caller's), and ``observed_<dim>`` and ``padded_<dim>``
    (:func:`careers.observed_of`, :func:`careers.padded_of`), views over
    ``person_years``, for the dimensions the cells have (:func:`dims_of`). Each working
    table is released once what needs it is written."""
    dims = dims_of(cells)
    simple, hard = split(cells)
    hard = engine.scratch("career_hard_cells", hard)
    hard_obs: dict[str, Table] = {}
    for d in dims:
        o = careers.observed(hard, d, hard_obs.__getitem__)
        hard_obs[d] = engine.scratch(f"career_hard_{d}", o)
    c = engine.scratch("career_carried", carried(wide(simple, hard, hard_obs)))
    engine.release("career_hard_cells", *(f"career_hard_{d}" for d in dims))
    py = engine.materialize("person_years", person_years(c))
    engine.materialize("moves", moves(c))
    engine.release("career_carried")
    engine.materialize("stock", stock(py))
    for d in dims:
        engine.view(f"observed_{d}", careers.observed_of(py, d))
        engine.view(f"padded_{d}", careers.padded_of(py, d))
