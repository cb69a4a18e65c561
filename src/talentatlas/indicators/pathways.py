"""Pathways: where the authors of a venue-year come from and where they work.

The MacroPolo view on a proxy stated plainly: conference lists and OpenAlex carry no
undergraduate or doctoral records, so

- **origin** = the country of a person's first observed (in-scope) person-year;
- **first academic country** = the country of the first observed person-year whose
  sector is academia (null when the person is never observed in academia);
- **workplace** = the person's padded country in the cohort's year.

The **cohort** of a venue-year is every person with an accepted authorship at that
venue in that year (the **oral tier**: at a work of tier oral, ``sources.tiers``). Shares are
over cohort members whose value is known, with bootstrap intervals over people. A
**stay rate** for country X and lag n: of cohort members whose padded country n years
before the cohort year was X (and whose workplace is known), the share still in X.
"""

from __future__ import annotations

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _
from ibis.common.exceptions import TableNotFound
from ibis.expr.types import Table

from talentatlas.indicators import bootstrap
from talentatlas.indicators.frame import Frame
from talentatlas.indicators.result import annotate, describe
from talentatlas.tables import union_all

TIERS = ("all", "oral")
#: the stages of a pathway (not career stages, see ``frame.STAGES``): the proxies every
#: person has, and the countries of study that ORCID records give (:func:`studies`)
PATH_STAGES = ("origin", "first_academic", "workplace", "undergraduate", "graduate_school")


def studies(frame: Frame) -> Table | None:
    """``s_p, undergraduate, graduate_school``: per person with ORCID education entries,
    the country of the first bachelor's degree and of the first doctorate (earliest by
    start year, else end year; null where no entry of that level gives a country); None
    when the warehouse has no education table."""
    try:
        e = frame.table("education")
    except (TableNotFound, KeyError):  # a warehouse, or a frame's own tables, without it
        return None
    e = e.filter(e.country.notnull() & e.degree.isin(["bachelor", "doctorate"]))
    when = ibis.coalesce(e.start_year, e.end_year)
    w = ibis.window(
        group_by=[e.person_id, e.degree], order_by=[when.isnull().cast("int8"), when, e.country]
    )
    first = e.mutate(rk=ibis.row_number().over(w))
    first = first.filter(first.rk == 0)
    return first.group_by(s_p=first.person_id).agg(
        undergraduate=first.country.max(where=first.degree == "bachelor"),
        graduate_school=first.country.max(where=first.degree == "doctorate"),
    )


def origins(frame: Frame) -> Table:
    """``person_id, origin, first_academic, first_year, undergraduate,
    graduate_school``."""
    # a person has one observed row a year, so the value at the first year is unique
    # (a hash aggregate: no sort by person and year)
    c = frame.observed("country")
    first = c.group_by("person_id").agg(
        origin=c.value.argmin(c.year), first_year=c.year.min().cast("int32")
    )
    s = frame.observed("sector")
    s = s.filter(s.value == "academia").select(s_p=s.person_id, s_y=s.year)
    ac = c.join(s, [c.person_id == s.s_p, c.year == s.s_y])
    ac = ac.group_by(a_p=ac.person_id).agg(first_academic=ac.value.argmin(ac.year))
    out = first.left_join(ac, first.person_id == ac.a_p).drop("a_p")
    st = studies(frame)
    if st is None:
        return out.mutate(undergraduate=ibis.null("string"), graduate_school=ibis.null("string"))
    return out.left_join(st, out.person_id == st.s_p).drop("s_p")


def cohorts(frame: Frame, venue: str | None = None, year: int | None = None) -> Table:
    """``venue, year, person_id, oral``: one row per person and venue-year (``venue`` is
    ``*`` when no venue is given: every in-scope venue of that year together)."""
    f = frame.facts
    if venue is not None:
        f = f.filter(f.venue == venue)
    if year is not None:
        f = f.filter(f.year == year)
    f = f.filter(f.accepted.fill_null(True))
    oral = (f.tier == "oral").fill_null(False).cast("int8")
    v = f.venue if venue is not None or year is None else ibis.literal("*")
    g = f.group_by(venue=v, year=f.year.cast("int32"), person_id=f.person_id).agg(
        oral=oral.max() == 1
    )
    return g


def paths(frame: Frame, cohort: Table) -> Table:
    """``venue, year, person_id, oral, origin, first_academic, workplace, undergraduate,
    graduate_school``."""
    o = origins(frame).rename(o_p="person_id")
    j = cohort.left_join(o, cohort.person_id == o.o_p).drop("o_p", "first_year")
    pad = frame.padded("country").select(w_p="person_id", w_y="year", workplace="value")
    j = j.left_join(pad, [j.person_id == pad.w_p, j.year == pad.w_y]).drop("w_p", "w_y")
    return j


def _tiers(p: Table) -> Table:
    """Each cohort row once under tier ``all`` and, when oral, again under ``oral`` (an
    unnested array: the rows are computed once for both tiers)."""
    tiers = ibis.ifelse(p.oral, ibis.array(["all", "oral"]), ibis.array(["all"]))
    return p.mutate(tier=tiers.unnest())


def pathway_counts(frame: Frame, venue: str | None = None, year: int | None = None) -> Table:
    """``venue, year, tier, origin, first_academic, workplace, undergraduate,
    graduate_school, persons`` (nulls kept: unknown). Without venue and year: every
    venue-year in scope (the build's table)."""
    t = _tiers(paths(frame, cohorts(frame, venue, year)))
    # a person is in a venue-year's cohort once, so rows are people
    return t.group_by(["venue", "year", "tier", *PATH_STAGES]).agg(persons=_.count())


def _meta(frame: Frame, cohort: Table, level: float, reps: int, seed: int, **extra) -> dict:
    f = frame.facts.semi_join(cohort, ["person_id", "year"])
    return {
        "coverage": frame.coverage(f),
        "filters": frame.filters.describe(),
        "interval": bootstrap.note(level, reps, seed),
        **extra,
    }


def shares(
    frame: Frame,
    venue: str | None,
    year: int,
    *,
    workplace: str | None = None,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> pa.Table:
    """``tier, stage, country, persons, share, lo, hi``: the cohort's mix by origin, first
    academic country and workplace, and (where ORCID records give them) country of
    undergraduate study and of graduate school, for all accepted authors and the oral
    tier. With ``workplace``: only cohort members working in that country (its origin
    mix). The metadata give the cohort's size and, per stage, the share of it whose
    country is known (``stage_coverage``): the reach of each definition."""
    cohort = cohorts(frame, venue, year)
    p = _tiers(paths(frame, cohort))
    if workplace is not None:
        p = p.filter(p.workplace == workplace)
    long = union_all(
        p.select("person_id", "tier", stage=ibis.literal(stage), country=p[stage])
        for stage in PATH_STAGES
    )
    long = frame.to_arrow(long.filter(long.country.notnull()).distinct())
    num = long.append_column("value", pa.array([1.0] * long.num_rows, pa.float64()))
    ci = bootstrap.ratio_intervals(
        num, num, ["tier", "stage", "country"], ["tier", "stage"],
        level=level, reps=reps, seed=seed,
    )  # fmt: skip
    counts = long.group_by(["tier", "stage", "country"], use_threads=False).aggregate(
        [("person_id", "count_distinct")]
    )
    counts = counts.rename_columns(["tier", "stage", "country", "persons"])
    cohort_n = (
        frame.to_arrow(p.filter(p.tier == "all").select("person_id").distinct().count().as_table())
        .column(0)[0]
        .as_py()
    )
    known = {stage: 0 for stage in PATH_STAGES}
    for r in counts.filter(pc.equal(counts["tier"], "all")).to_pylist():
        known[r["stage"]] += r["persons"]
    # how much of the cohort each definition reaches (one country a person and stage)
    reach = {stage: round(n / cohort_n, 4) if cohort_n else None for stage, n in known.items()}
    t = counts.join(ci, ["tier", "stage", "country"], join_type="left outer", use_threads=False)
    t = pa.table(
        {
            "tier": t["tier"], "stage": t["stage"], "country": t["country"],
            "persons": t["persons"], "share": pc.round(t["estimate"], 4),
            "lo": pc.round(t["lo"], 4), "hi": pc.round(t["hi"], 4),
        }
    )  # fmt: skip
    order = [("tier", "ascending"), ("stage", "ascending"), ("persons", "descending")]
    t = t.sort_by([*order, ("country", "ascending")])
    return annotate(
        t, indicator="pathway_shares", venue=venue, year=year, workplace=workplace,
        cohort=cohort_n, stage_coverage=reach, **_meta(frame, cohort, level, reps, seed),
    )  # fmt: skip


def _share_rows(
    frame: Frame, rows: Table, keys: list[str], level: float, reps: int, seed: int
) -> pa.Table:
    """``keys..., persons, yes, share, lo, hi`` from rows ``person_id, keys..., yes``."""
    a = frame.to_arrow(rows)
    num = a.select(["person_id", *keys]).append_column("value", pc.cast(a["yes"], pa.float64()))
    den = a.select(["person_id", *keys]).append_column(
        "value", pa.array([1.0] * a.num_rows, pa.float64())
    )
    ci = bootstrap.ratio_intervals(num, den, keys, level=level, reps=reps, seed=seed)
    counts = a.group_by(keys, use_threads=False).aggregate(
        [("person_id", "count_distinct"), ("yes", "sum")]
    )
    counts = counts.rename_columns([*keys, "persons", "yes"])
    t = counts.join(ci, keys, join_type="left outer", use_threads=False)
    cols = {k: t[k] for k in keys}
    cols.update(
        persons=t["persons"], yes=pc.cast(t["yes"], pa.int64()),
        share=pc.round(t["estimate"], 4), lo=pc.round(t["lo"], 4), hi=pc.round(t["hi"], 4),
    )  # fmt: skip
    t = pa.table(cols)
    return t.take(pc.sort_indices(t, [*((k, "ascending") for k in keys[:1]),
                                      ("persons", "descending")]))  # fmt: skip


def outside_origin(
    frame: Frame,
    venue: str | None,
    year: int,
    *,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> pa.Table:
    """``tier, persons, yes, share, lo, hi``: the share of the cohort working outside
    their origin country (over members whose origin and workplace are known)."""
    cohort = cohorts(frame, venue, year)
    p = _tiers(paths(frame, cohort))
    p = p.filter(p.origin.notnull() & p.workplace.notnull())
    rows = p.select("person_id", "tier", yes=(p.origin != p.workplace).cast("int64"))
    t = _share_rows(frame, rows.distinct(), ["tier"], level, reps, seed)
    return annotate(
        t, indicator="outside_origin", venue=venue, year=year,
        **_meta(frame, cohort, level, reps, seed),
    )  # fmt: skip


def stay_rates(
    frame: Frame,
    venue: str | None,
    year: int,
    lag: int = 5,
    *,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> pa.Table:
    """``tier, country, persons, yes, share, lo, hi``: of cohort members who worked in a
    country ``lag`` years before the cohort year, the share who still work there."""
    cohort = cohorts(frame, venue, year)
    p = _tiers(paths(frame, cohort))
    pad = frame.padded("country").select(b_p="person_id", b_y="year", before="value")
    j = p.join(pad, [p.person_id == pad.b_p, pad.b_y == p.year - lag])
    j = j.filter(j.workplace.notnull())
    rows = j.select("person_id", "tier", country=j.before,
                    yes=(j.before == j.workplace).cast("int64"))  # fmt: skip
    t = _share_rows(frame, rows.distinct(), ["tier", "country"], level, reps, seed)
    return annotate(
        t, indicator="stay_rates", venue=venue, year=year, lag=lag,
        **_meta(frame, cohort, level, reps, seed),
    )  # fmt: skip


def tiers_side_by_side(t: pa.Table, limit: int) -> pa.Table:
    """``country, all, [lo, hi], oral, [lo, hi]`` from a long shares table."""
    rows: dict[str, dict] = {}
    for r in t.to_pylist():
        d = rows.setdefault(r["country"], {"country": r["country"]})
        d[f"{r['tier']}_n"] = r["persons"]
        d[f"{r['tier']}_share"] = r["share"]
        d[f"{r['tier']}_ci"] = f"{r['lo']:.1%}–{r['hi']:.1%}" if r["lo"] is not None else None
    cols = ["country", "all_n", "all_share", "all_ci", "oral_n", "oral_share", "oral_ci"]
    data = sorted(rows.values(), key=lambda d: -(d.get("all_n") or 0))[:limit]
    return pa.Table.from_pylist([{c: d.get(c) for c in cols} for d in data])


def by_stage(shares: pa.Table, stage: str, limit: int) -> pa.Table:
    """One stage of a pathways shares table, all authors beside the oral tier
    (:func:`tiers_side_by_side`), with the shares' coverage and filters."""
    part = shares.filter(pc.equal(shares["stage"], stage))
    return annotate(tiers_side_by_side(part, limit), **describe(shares))


def all_tier(t: pa.Table) -> pa.Table:
    """The rows of all accepted authors (not the oral tier)."""
    return t.filter(pc.equal(t["tier"], "all"))
