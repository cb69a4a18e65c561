"""Organisations: headcount, inflow and outflow by counterpart, pair balance, retention,
attrition and output.

An organisation is a set of institutions (an institution with its child labs rolled up,
or on its own). Every other institution is read at its **top organisation** (the end
of its ROR parent chain), so that a move between two Google labs is not a move between
organisations. On that unit:

- **headcount** (year): persons whose padded institution that year is in the set;
- **inflow / outflow** by counterpart: moves (changes of unit between consecutive
  observed person-years, dated at the later year) into / out of the set, by the top
  organisation at the other end; **net** = inflow - outflow; between a pair of
  organisations the net balance is the same count from one side;
- **retention** of entry cohort y0 (persons whose first year in the set is y0; y0 after
  the data's first year, which is left-censored): of cohort members still in the
  population in y0+k (with a padded institution), the share whose institution is in
  the set;
- **attrition** (year): out-moves that year / mean headcount of that and the previous
  year;
- **output**: distinct in-scope works with at least one authorship at the set, per year.
"""

from __future__ import annotations

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _
from ibis.expr.types import Table

from talentatlas import careers
from talentatlas.indicators import bootstrap
from talentatlas.indicators.frame import Frame
from talentatlas.indicators.result import annotate

TARGET = "@target"  # not a ROR id


def unit_map(frame: Frame, ids: list[str] | None = None) -> Table:
    """``institution_id, unit``: the top organisation of every institution, or
    :data:`TARGET` for the institutions in ``ids``; institutions under the same top
    organisation as the set (its sister labs) stay themselves, so that Google's moves
    to Google DeepMind are not lost in "Alphabet"."""
    inst = frame.table("institutions")
    top = inst.org_id.fill_null(inst.institution_id)
    unit = top
    if ids:
        mine = inst.filter(inst.institution_id.isin(ids))
        sisters = top.isin(mine.select(t=mine.org_id.fill_null(mine.institution_id)).t)
        unit = inst.institution_id.isin(ids).ifelse(
            ibis.literal(TARGET), sisters.ifelse(inst.institution_id, top)
        )
    return inst.select(m_id=inst.institution_id, unit=unit)


def _on_units(t: Table, units: Table) -> Table:
    j = t.left_join(units, t.value == units.m_id)
    return j.mutate(value=j.unit.fill_null(j.value)).drop("m_id", "unit")


def unit_years(frame: Frame, ids: list[str] | None = None) -> Table:
    """``person_id, year, value`` (the unit) from padded institutions."""
    return _on_units(frame.padded("institution").select("person_id", "year", "value"),
                     unit_map(frame, ids))  # fmt: skip


def unit_moves(frame: Frame, ids: list[str] | None = None) -> Table:
    """``person_id, year, from_year, origin, destination`` between units."""
    obs = frame.observed("institution").select("person_id", "year", "value")
    return careers.moves(_on_units(obs, unit_map(frame, ids)))


def headcount(frame: Frame, ids: list[str], own: str | None = None) -> pa.Table:
    """``year, headcount, own, works, coverage``: researchers in the set per year (``own``:
    at institution ``own`` itself) and the set's output (distinct in-scope works)."""
    uy = frame.restrict(unit_years(frame, ids))
    m = uy.filter(uy.value == TARGET)
    hc = frame.to_arrow(m.group_by("year").agg(headcount=_.person_id.nunique()))
    pad = frame.padded("institution")
    own_t = frame.to_arrow(
        frame.restrict(pad.filter(pad.value == (own or (ids[0] if ids else ""))))
        .group_by("year").agg(own=_.person_id.nunique())
    )  # fmt: skip
    f = frame.facts
    works = frame.to_arrow(
        f.filter(f.institution.isin(ids)).group_by(year=f.year.cast("int32"))
        .agg(works=_.work_id.nunique())
    )  # fmt: skip
    t = hc.join(own_t, "year", join_type="full outer", use_threads=False)
    t = t.join(works, "year", join_type="full outer", use_threads=False)
    t = pa.table(
        {
            "year": pc.cast(t["year"], pa.int32()),
            "headcount": pc.fill_null(t["headcount"], 0),
            "own": pc.fill_null(t["own"], 0),
            "works": pc.fill_null(t["works"], 0),
        }
    )
    return annotate(
        frame.with_coverage(t, "institution").sort_by("year"),
        indicator="headcount",
        coverage=frame.coverage(),
        filters=frame.filters.describe(),
    )


def _named(frame: Frame, t: pa.Table, col: str) -> pa.Table:
    inst = frame.to_arrow(
        frame.table("institutions").select(
            n_id="institution_id", name="name", country="country", sector="sector"
        )
    )
    j = t.join(inst, col, "n_id", join_type="left outer", use_threads=False)
    return j


def counterparts(frame: Frame, ids: list[str], by_year: bool = False) -> pa.Table:
    """``[year,] counterpart, name, country, sector, inflow, outflow, net``: moves into and
    out of the set by top organisation at the other end (net > 0: the set gains)."""
    mv = frame.restrict(unit_moves(frame, ids))
    inn = mv.filter(mv.destination == TARGET).select("year", counterpart=mv.origin, d=1)
    out = mv.filter(mv.origin == TARGET).select("year", counterpart=mv.destination, d=-1)
    u = inn.union(out)
    keys = ["year", "counterpart"] if by_year else ["counterpart"]
    g = u.group_by(keys).agg(
        inflow=(u.d == 1).cast("int64").sum(), outflow=(u.d == -1).cast("int64").sum()
    )
    t = frame.to_arrow(g.mutate(net=g.inflow - g.outflow))
    t = _named(frame, t, "counterpart")
    t = t.append_column("_g", pc.add(t["inflow"], t["outflow"]))
    t = t.sort_by([*(("year", "ascending") for _y in keys[:-1]), ("_g", "descending"),
                   ("counterpart", "ascending")])  # fmt: skip
    cols = [*keys, "name", "country", "sector", "inflow", "outflow", "net"]
    return annotate(
        t.select(cols), indicator="org_flows", coverage=frame.coverage(),
        filters=frame.filters.describe(),
    )  # fmt: skip


def balance(frame: Frame, ids: list[str], other: list[str]) -> pa.Table:
    """``year, to_other, from_other, net``: moves between the set and another
    organisation's set per year (net > 0: the first set gains)."""
    inst = frame.table("institutions")
    top = inst.org_id.fill_null(inst.institution_id)
    other_side = inst.institution_id.isin(other).ifelse(ibis.literal("b"), top)
    side = inst.select(
        m_id=inst.institution_id,
        unit=inst.institution_id.isin(ids).ifelse(ibis.literal("a"), other_side),
    )
    obs = frame.observed("institution").select("person_id", "year", "value")
    mv = frame.restrict(careers.moves(_on_units(obs, side)))
    a2b = ((mv.origin == "a") & (mv.destination == "b")).cast("int64")
    b2a = ((mv.origin == "b") & (mv.destination == "a")).cast("int64")
    g = mv.group_by("year").agg(to_other=a2b.sum(), from_other=b2a.sum())
    g = g.filter((g.to_other > 0) | (g.from_other > 0))
    t = frame.to_arrow(g.mutate(net=g.from_other - g.to_other)).sort_by("year")
    return annotate(t, indicator="balance", coverage=frame.coverage(),
                    filters=frame.filters.describe())  # fmt: skip


def retention(
    frame: Frame,
    ids: list[str],
    max_k: int = 5,
    *,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> pa.Table:
    """``cohort, k, at_risk, retained, share, lo, hi``: survival by entry cohort, and
    pooled over cohorts (``cohort = "all"``)."""
    uy = unit_years(frame, ids)
    m = uy.filter(uy.value == TARGET)
    first_data_year = frame.to_arrow(frame.facts.agg(y=_.year.min())).column(0)[0].as_py()
    entry = m.group_by("person_id").agg(y0=_.year.min())
    entry = frame.restrict(entry.filter(entry.y0 > first_data_year), year="y0")
    ks = ibis.memtable(pa.table({"k": pa.array(range(max_k + 1), pa.int32())}))
    grid = entry.cross_join(ks)
    grid = grid.mutate(y=grid.y0 + grid.k)
    pop = uy.select(p_p="person_id", p_y="year", at=uy.value)
    j = grid.join(pop, [grid.person_id == pop.p_p, grid.y == pop.p_y])
    rows = j.select(
        "person_id", cohort=j.y0.cast("string"), k=j.k, yes=(j.at == TARGET).cast("int64")
    )
    a = frame.to_arrow(rows)
    pooled = a.set_column(1, "cohort", pa.array(["all"] * a.num_rows, pa.string()))
    a = pa.concat_tables([a, pooled])
    num = a.select(["person_id", "cohort", "k"]).append_column(
        "value", pc.cast(a["yes"], pa.float64())
    )
    den = a.select(["person_id", "cohort", "k"]).append_column(
        "value", pa.array([1.0] * a.num_rows, pa.float64())
    )
    ci = bootstrap.ratio_intervals(num, den, ["cohort", "k"], level=level, reps=reps, seed=seed)
    counts = a.group_by(["cohort", "k"], use_threads=False).aggregate(
        [("person_id", "count"), ("yes", "sum")]
    )
    counts = counts.rename_columns(["cohort", "k", "at_risk", "retained"])
    t = counts.join(ci, ["cohort", "k"], join_type="left outer", use_threads=False)
    t = pa.table(
        {
            "cohort": t["cohort"], "k": t["k"], "at_risk": t["at_risk"],
            "retained": pc.cast(t["retained"], pa.int64()), "share": pc.round(t["estimate"], 4),
            "lo": pc.round(t["lo"], 4), "hi": pc.round(t["hi"], 4),
        }
    )  # fmt: skip
    t = t.sort_by([("cohort", "ascending"), ("k", "ascending")])
    return annotate(t, indicator="retention", coverage=frame.coverage(),
                    filters=frame.filters.describe(),
                    interval=bootstrap.note(level, reps, seed))  # fmt: skip


def attrition(
    frame: Frame,
    ids: list[str],
    *,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> pa.Table:
    """``year, headcount, departures, attrition, lo, hi``: out-moves over the mean
    headcount of the year and the previous year."""
    uy = unit_years(frame, ids)
    m = frame.restrict(uy.filter(uy.value == TARGET))
    cur = m.select("person_id", year=m.year.cast("int32"), value=ibis.literal(0.5))
    nxt = m.select("person_id", year=(m.year + 1).cast("int32"), value=ibis.literal(0.5))
    mv = frame.restrict(unit_moves(frame, ids))
    dep = mv.filter(mv.origin == TARGET)
    dep = dep.select("person_id", year=dep.year.cast("int32"), value=ibis.literal(1.0))
    den = frame.to_arrow(cur.union(nxt))
    num = frame.to_arrow(dep)
    years = pc.unique(num["year"])
    den = den.filter(pc.is_in(den["year"], years))
    ci = bootstrap.ratio_intervals(num, den, ["year"], level=level, reps=reps, seed=seed)
    hc = frame.to_arrow(m.group_by(year=m.year.cast("int32")).agg(headcount=_.person_id.nunique()))
    deps = num.group_by("year", use_threads=False).aggregate([("value", "sum")])
    deps = deps.rename_columns(["year", "departures"])
    t = hc.join(deps, "year", join_type="left outer", use_threads=False)
    t = t.join(ci, "year", join_type="left outer", use_threads=False).sort_by("year")
    t = pa.table(
        {
            "year": t["year"], "headcount": t["headcount"],
            "departures": pc.cast(pc.fill_null(t["departures"], 0), pa.int64()),
            "attrition": pc.round(pc.fill_null(t["estimate"], 0.0), 4),
            "lo": pc.round(pc.fill_null(t["lo"], 0.0), 4),
            "hi": pc.round(pc.fill_null(t["hi"], 0.0), 4),
        }
    )  # fmt: skip
    return annotate(
        frame.with_coverage(t, "institution").sort_by("year"),
        indicator="attrition",
        coverage=frame.coverage(),
        filters=frame.filters.describe(),
        interval=bootstrap.note(level, reps, seed),
    )


def all_headcounts(frame: Frame) -> Table:
    """``org_id, year, headcount`` for every top organisation (child labs rolled up)."""
    uy = frame.restrict(unit_years(frame))
    return uy.group_by(org_id=uy.value, year=uy.year).agg(headcount=_.person_id.nunique())


def all_flows(frame: Frame) -> Table:
    """``origin, destination, year, moves`` between top organisations."""
    mv = frame.restrict(unit_moves(frame))
    return mv.group_by(["origin", "destination", "year"]).agg(moves=_.count())


def pooled_cohorts(retention: pa.Table) -> pa.Table:
    """The retention curve of all entry cohorts pooled (``cohort = 'all'``)."""
    return retention.filter(pc.equal(retention["cohort"], "all"))
