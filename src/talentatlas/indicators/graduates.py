"""Graduates: from doctoral studies to the first destination (docs/methodology.md).

- **Doctoral student, stated**: a person is a doctoral student in a year when one of
  their authorships that year states a doctoral position (``resolve.roles``: "PhD
  student", "Ph.D. candidate", ...). The spell ends at the last such year, carried on
  through the following years in which nothing says otherwise: no stated position of
  work (postdoc, faculty, researcher, engineer, leadership) and not placed at another
  institution than the student's (an internship or an unplaced year is no evidence).
- **Doctoral student, heuristic** (people with no stated doctoral year): the years from
  the first in-scope year ``f`` while the person is at the university of their first
  placed year, unplaced, or states an internship; states no position of work, master's
  or undergraduate studies; and ``year - f < HEURISTIC_YEARS``. The spell counts when
  it has at least ``MIN_HEURISTIC_YEARS`` observed years and at least half of its
  authorships are first-authored, and not when it reaches the cap still at the
  university. The two kinds of evidence are reported apart (``evidence``).
- **Graduation year** ``G``: the year after the spell's last observed year ``L``.
  Graduations after the data's last complete year are not known yet and left out.
- **First destination**: the first observed year after ``L`` if it falls in the window
  ``G .. G + window - 1``: its sector (``unplaced`` when no sector resolves), country,
  institution, organisation and stated position. With no observation in the window the
  graduate **left publishing**, unless the window runs past the last complete year and
  no later observation exists: then the graduate is **censored** (not counted as left).
- **Shares**: industry and academia shares are over graduates with a known destination
  sector; the left-publishing share is over graduates whose window is observed
  (not censored). Each with bootstrap intervals over people.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _
from ibis.expr.types import Table

from talentatlas.indicators import bootstrap
from talentatlas.indicators.frame import Frame
from talentatlas.indicators.result import annotate, describe
from talentatlas.resolve.registry import SECTORS
from talentatlas.resolve.roles import KINDS, STUDENT_KINDS, role_kinds

WINDOW = 3
HEURISTIC_YEARS = 5
MIN_HEURISTIC_YEARS = 2
FIRST_AUTHOR_SHARE = 0.5
EVIDENCE = ("stated", "heuristic")
#: a stated position of work: its year ends a student spell
WORKING_KINDS = ("postdoc", "faculty", "leadership", "engineer", "researcher")
#: positions that are studies (an internship is taken during them)
STUDYING_KINDS = (*sorted(STUDENT_KINDS), "intern")
#: destinations, in the order tables show them: the sectors, then the outcomes without one
DESTINATIONS = (*SECTORS, "unplaced", "left publishing", "censored")


def role_flags(roles: Sequence[str]) -> pa.Table:
    """Per distinct stated position: ``role, doctoral, studying`` (any study or an
    internship), ``working``, ``lower_degree`` (a master's or undergraduate part) and
    ``work_rank``: the rank in :data:`KINDS` of its
    first position of work (null without one)."""
    rows: dict[str, list] = {
        "role": [], "doctoral": [], "studying": [], "working": [], "lower_degree": [],
        "work_rank": [],
    }  # fmt: skip
    for r in roles:
        kinds = role_kinds(r)
        work = [k for k in kinds if k in WORKING_KINDS]
        rows["role"].append(r)
        rows["doctoral"].append("doctoral" in kinds)
        rows["studying"].append(any(k in STUDYING_KINDS for k in kinds))
        rows["working"].append(bool(work))
        rows["lower_degree"].append(any(k in ("masters", "undergraduate") for k in kinds))
        rows["work_rank"].append(KINDS.index(work[0]) if work else None)
    return pa.table(
        rows,
        schema=pa.schema([("role", pa.string()), ("doctoral", pa.bool_()),
                          ("studying", pa.bool_()), ("working", pa.bool_()),
                          ("lower_degree", pa.bool_()),
                          ("work_rank", pa.int32())]),
    )  # fmt: skip


def evidence_years(frame: Frame, positions: bool = True) -> Table:
    """One row per observed person-year of the frame's authorships: ``person_id, year,
    n, n_first`` (authorships, first-authored), ``doctoral, studying, working,
    lower_degree`` (stated that year) and ``work_rank`` (the first-listed position of work).
    ``positions=False`` reads no stated position (to test the heuristic against them)."""
    f = frame.facts.select("person_id", "work_id", "position", year=frame.facts.year.cast("int32"))
    a = frame.table("authorships")
    a = a.filter(a.role.notnull() & ibis.literal(positions)).select("work_id", "position", "role")
    # every stated position's flags (those of authorships out of scope join nothing)
    distinct = frame.to_arrow(a.select("role").distinct())
    flags = ibis.memtable(role_flags(distinct["role"].to_pylist()))
    stated = a.join(flags, "role").drop("role")
    # counts over every authorship; the stated flags over the few that state a position
    base = f.group_by(["person_id", "year"]).agg(
        n=_.count(), n_first=(f.position == 0).cast("int64").sum()
    )
    j = f.join(stated, ["work_id", "position"])
    s = j.group_by(_p=j.person_id, _y=j.year).agg(
        doctoral=j.doctoral.cast("int8").max(),
        studying=j.studying.cast("int8").max(),
        working=j.working.cast("int8").max(),
        lower_degree=j.lower_degree.cast("int8").max(),
        work_rank=j.work_rank.min(),
    )
    e = base.left_join(s, [base.person_id == s._p, base.year == s._y])
    flag = {c: e[c].fill_null(0) == 1 for c in ("doctoral", "studying", "working", "lower_degree")}
    return e.select("person_id", "year", "n", "n_first", **flag, work_rank=e.work_rank)


def _spell_end(ev: Table, spells: Table, breaks: Table) -> Table:
    """``person_id, start, last, years, next_year``: a spell's last observed year before
    its first break (``breaks``: ``person_id, b``; none: the last observed year), its
    observed years, and the first observed year after it."""
    br = breaks.select(_b_p=breaks.person_id, b=breaks.b)
    s = spells.left_join(br, spells.person_id == br._b_p).drop("_b_p")
    e = ev.select(e_p=ev.person_id, e_y=ev.year)
    j = s.join(e, [s.person_id == e.e_p, e.e_y >= s.start])
    in_spell = j.b.isnull() | (j.e_y < j.b)
    g = j.group_by(["person_id", "start", "b"]).agg(
        last=j.e_y.max(where=in_spell), years=in_spell.cast("int64").sum()
    )
    return g.select("person_id", "start", "last", "years", next_year=g.b)


def stated_spells(frame: Frame, ev: Table) -> Table:
    """``person_id, start, last, next_year, years``: stated doctoral spells."""
    d = ev.filter(ev.doctoral).group_by("person_id").agg(start=_.year.min(), l0=_.year.max())
    d = frame.values_at(d, "l0", school=("padded", "institution"))
    post = ev.join(d, "person_id")
    post = frame.values_at(
        post.filter(post.year > post.l0), "year", inst=("observed", "institution")
    )
    elsewhere = post.inst.notnull() & (post.school.isnull() | (post.inst != post.school))
    moved = elsewhere & ~post.studying
    brk = post.filter(post.working | moved).group_by("person_id").agg(b=_.year.min())
    return _spell_end(ev, d.select("person_id", "start"), brk)


def heuristic_spells(frame: Frame, ev: Table, years: int = HEURISTIC_YEARS, tag: str = "") -> Table:
    """``person_id, start, last, next_year, years``: heuristic doctoral spells of people
    with no stated doctoral year: from the first year, at the institution of the first
    placed year (a university) or unplaced. A spell that reaches ``years`` without a
    change (still there) has no graduation in sight and is left out. ``tag`` names the
    evidence ``ev`` was read with (the frame computes the years once per tag)."""

    def undeclared() -> Table:
        doc = ev.filter(ev.doctoral).select("person_id").distinct()
        e = ev.anti_join(doc, "person_id")
        return frame.values_at(
            e, "year", sector=("observed", "sector"), inst=("observed", "institution")
        )

    e = frame.cached(f"grad_undeclared{tag}", undeclared)
    placed = e.inst.notnull()
    first = e.group_by("person_id").agg(
        start=_.year.min(),
        school=e.inst.argmin(e.year, where=placed),
        school_sector=e.sector.argmin(e.year, where=placed),
    )
    first = first.filter(first.school_sector == "academia").drop("school_sector")
    e = e.join(first, "person_id")
    placed_here = (e.sector == "academia") & (e.inst == e.school)
    unplaced = e.sector.isnull() & e.inst.isnull()
    studying = (placed_here | unplaced | e.studying) & ~e.working & ~e.lower_degree
    ok = studying & (e.year - e.start < years)
    brk = (
        e.filter(~ok)
        .group_by("person_id")
        .agg(b=_.year.min(), capped=studying.cast("int8").argmin(e.year) == 1)
    )
    spells = _spell_end(e, first.select("person_id", "start"), brk.select("person_id", "b"))
    capped = brk.filter(brk.capped).select("person_id")
    spells = spells.anti_join(capped, "person_id")
    # authorship counts over the spell's years
    c = e.select(s_p=e.person_id, s_y=e.year, n=e.n, n_first=e.n_first)
    s = spells.join(c, [spells.person_id == c.s_p, c.s_y >= spells.start, c.s_y <= spells.last])
    g = s.group_by(["person_id", "start", "last", "next_year", "years"]).agg(
        n=_.n.sum(), n_first=_.n_first.sum()
    )
    keep = (g.years >= MIN_HEURISTIC_YEARS) & (
        g.n_first.cast("float64") >= FIRST_AUTHOR_SHARE * g.n.cast("float64")
    )
    return g.filter(keep).select("person_id", "start", "last", "next_year", "years")


def graduates(
    frame: Frame,
    *,
    window: int = WINDOW,
    last_year: int | None = None,
    countries: Sequence[str] = (),
    heuristic_years: int = HEURISTIC_YEARS,
    positions: bool = True,
) -> Table:
    """One row per graduate: ``person_id, evidence, first_student_year,
    last_student_year, graduation_year, student_country, student_institution,
    destination, destination_year, destination_country, destination_institution,
    destination_org, destination_role``.

    ``last_year``: the last complete year (default: :func:`complete_year`);
    ``countries``: only graduates whose student country (at the spell's last year, on
    the frame's country basis) is one of these; the frame's year filters apply to the
    graduation year. ``positions=False``: every graduate by the heuristic."""
    tag = "" if positions else "_unstated"
    ev = frame.cached(f"grad_evidence{tag}", lambda: evidence_years(frame, positions))
    if last_year is None:
        last_year = complete_year(frame)
    parts = [
        stated_spells(frame, ev).mutate(evidence=ibis.literal("stated")),
        heuristic_spells(frame, ev, heuristic_years, tag).mutate(
            evidence=ibis.literal("heuristic")
        ),
    ]
    g = parts[0].union(parts[1])
    g = g.mutate(graduation_year=(g.last + 1).cast("int32"))
    g = g.filter(g.graduation_year <= last_year)
    dest_year = ibis.ifelse(g.next_year <= g.last + window, g.next_year, ibis.null("int32"))
    g = g.mutate(destination_year=dest_year.cast("int32"))
    g = frame.values_at(
        g, "last",
        student_country=("padded", "country"), student_institution=("padded", "institution"),
    )  # fmt: skip
    if countries:
        g = g.filter(g.student_country.isin(list(countries)))
    f = frame.filters
    if f.year_min is not None:
        g = g.filter(g.graduation_year >= f.year_min)
    if f.year_max is not None:
        g = g.filter(g.graduation_year <= f.year_max)
    g = frame.values_at(
        g, "destination_year",
        destination_sector=("observed", "sector"),
        destination_country=("observed", "country"),
        destination_institution=("observed", "institution"),
    )  # fmt: skip
    inst = frame.table("institutions").select(_i="institution_id", destination_org="org_id")
    g = g.left_join(inst, g.destination_institution == inst._i).drop("_i")
    r = ev.select(_p=ev.person_id, _y=ev.year, _rank=ev.work_rank)
    g = g.left_join(r, [g.person_id == r._p, g.destination_year == r._y]).drop("_p", "_y")
    role = ibis.cases(
        *((g._rank == KINDS.index(k), k) for k in WORKING_KINDS), else_=ibis.null("string")
    )
    censored = g.next_year.isnull() & (g.last + window > last_year)
    destination = ibis.cases(
        (g.destination_year.notnull(), g.destination_sector.fill_null("unplaced")),
        (censored, "censored"),
        else_="left publishing",
    )
    return g.select(
        "person_id",
        "evidence",
        first_student_year=g.start.cast("int32"),
        last_student_year=g.last.cast("int32"),
        graduation_year=g.graduation_year,
        student_country=g.student_country,
        student_institution=g.student_institution,
        destination=destination,
        destination_year=g.destination_year,
        destination_country=g.destination_country,
        destination_institution=g.destination_institution,
        destination_org=g.destination_org,
        destination_role=role,
    )


def complete_year(frame: Frame) -> int:
    """The last year whose observed person-years are at least half the peak year's:
    later years are not all in the sources yet, so a graduate missing from them has
    not been seen to leave publishing (0 when the frame is empty)."""
    ev = frame.cached("grad_evidence", lambda: evidence_years(frame))  # a person-year a row
    n = ev.group_by("year").agg(n=_.count())
    rows = frame.to_arrow(n).to_pylist()
    if not rows:
        return 0
    peak = max(r["n"] for r in rows)
    return max(r["year"] for r in rows if r["n"] >= peak / 2)


def summary(
    grads: pa.Table,
    window: int,
    last_year: int,
    *,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> pa.Table:
    """Per graduation year and evidence (``stated``, ``heuristic``, and ``all`` of
    them): the graduates, their count per destination, ``known`` (a destination
    sector), ``industry_share``, ``academia_share`` (of known) and ``left_share`` (of
    graduates whose window is observed), each with ``_lo``/``_hi`` intervals, and
    ``industry_bound``: the industry share if every graduate who left publishing went
    to industry (``(industry + left) / (known + left)``). ``window_complete``: the
    year's window ends by ``last_year``; where it does not, who left publishing is not
    known yet and the left share and the bound are null."""
    g = grads.select(["person_id", "evidence", "graduation_year", "destination"])
    g = pa.concat_tables(
        [g, g.set_column(1, "evidence", pa.array(["all"] * g.num_rows, pa.string()))]
    )
    g = g.rename_columns(["person_id", "evidence", "year", "destination"])
    dest = g["destination"]
    keys = ["year", "evidence"]

    def rows(den: pa.ChunkedArray, num: pa.ChunkedArray | None = None) -> pa.Table:
        """Per graduate in ``den``: 1 (or, with ``num``, whether in ``num``) as value; a
        numerator row of 0 names its group, so a share with no case is 0, not missing."""
        t = g.filter(den)
        value = (
            pa.array([1.0] * t.num_rows, pa.float64())
            if num is None
            else pc.cast(num.filter(den), pa.float64())
        )
        return t.select(["person_id", *keys]).append_column("value", value)

    known, observed = pc.is_in(dest, pa.array(SECTORS)), pc.not_equal(dest, "censored")
    wide = g.select(keys).append_column("graduates", pa.array([1] * g.num_rows, pa.int64()))
    for d in DESTINATIONS:
        wide = wide.append_column(d.replace(" ", "_"), pc.cast(pc.equal(dest, d), pa.int64()))
    wide = wide.append_column("known", pc.cast(known, pa.int64()))
    sums = [(c, "sum") for c in wide.column_names[2:]]
    t = wide.group_by(keys, use_threads=False).aggregate(sums)
    t = t.rename_columns([*keys, *(c for c, _ in sums)])
    for name, num, den in (
        ("industry", pc.equal(dest, "industry"), known),
        ("academia", pc.equal(dest, "academia"), known),
        ("left", pc.equal(dest, "left publishing"), observed),
    ):
        r = bootstrap.ratio_intervals(
            rows(den, num), rows(den), keys, level=level, reps=reps, seed=seed
        )
        r = r.rename_columns([*keys, f"{name}_share", f"{name}_lo", f"{name}_hi"])
        t = t.join(r, keys, join_type="left outer", use_threads=False)
    # the industry share if every graduate who left publishing went to industry
    num = pc.add(t["industry"], t["left_publishing"])
    den = pc.add(t["known"], t["left_publishing"])
    bound = pc.if_else(pc.greater(den, 0), pc.divide(pc.cast(num, pa.float64()), den), None)
    t = t.append_column("industry_bound", bound)
    complete = pc.less_equal(pc.add(t["year"], window - 1), last_year)
    for c in ("left_share", "left_lo", "left_hi", "industry_bound"):
        i = t.column_names.index(c)
        t = t.set_column(i, c, pc.if_else(complete, t[c], pa.scalar(None, pa.float64())))
    t = t.append_column("window_complete", complete)
    for c in t.column_names[len(keys) :]:
        if pa.types.is_floating(t.schema.field(c).type):
            t = t.set_column(t.column_names.index(c), c, pc.round(t[c], 4))
    rank = pc.index_in(t["evidence"], pa.array(["stated", "heuristic", "all"]))
    t = t.append_column("_rank", rank).sort_by([("year", "ascending"), ("_rank", "ascending")])
    return t.drop_columns(["_rank"])


def top_destinations(frame: Frame, grads: pa.Table, top: int = 15) -> pa.Table:
    """The organisations most graduates go to first: ``organisation, name, sector,
    country, graduates`` (an organisation is an institution with its labs rolled up),
    over all the graduation years of ``grads``."""
    g = grads.filter(pc.is_valid(grads["destination_org"]))
    if not g.num_rows:
        return pa.table({"organisation": pa.array([], pa.string()), "name": pa.array([], pa.string()),
                         "sector": pa.array([], pa.string()), "country": pa.array([], pa.string()),
                         "graduates": pa.array([], pa.int64())})  # fmt: skip
    n = g.group_by(["destination_org"], use_threads=False).aggregate([("person_id", "count")])
    n = n.rename_columns(["organisation", "graduates"])
    ids = n["organisation"].to_pylist()
    inst = frame.table("institutions")
    names = frame.to_arrow(
        inst.filter(inst.institution_id.isin(ids)).select(
            organisation=inst.institution_id, name=inst.name, sector=inst.sector,
            country=inst.country,
        )
    )  # fmt: skip
    out = n.join(names, "organisation", join_type="left outer", use_threads=False)
    out = out.sort_by([("graduates", "descending"), ("organisation", "ascending")]).slice(0, top)
    return out.select(["organisation", "name", "sector", "country", "graduates"])


def report(
    frame: Frame,
    *,
    window: int = WINDOW,
    last_year: int | None = None,
    countries: Sequence[str] = (),
    top: int = 15,
    level: float = bootstrap.LEVEL,
    reps: int = bootstrap.REPS,
    seed: int = bootstrap.SEED,
) -> dict[str, pa.Table]:
    """``summary`` (per graduation year and evidence), ``graduates`` (one row per
    graduate), ``destinations`` (top organisations) and ``roles`` (stated positions at
    the destination, per year and evidence), annotated with the frame's coverage,
    filters, window and last complete year."""
    last = complete_year(frame) if last_year is None else last_year
    grads = frame.to_arrow(
        graduates(frame, window=window, last_year=last, countries=countries)
    ).sort_by([("graduation_year", "ascending"), ("person_id", "ascending")])
    meta = {
        "coverage": frame.coverage(), "filters": _describe(frame, countries),
        "window": window, "last_complete_year": last, "countries": list(countries),
        "interval": bootstrap.note(level, reps, seed),
    }  # fmt: skip
    roles = grads.filter(pc.is_valid(grads["destination_role"]))
    roles = roles.group_by(["graduation_year", "evidence", "destination", "destination_role"],
                           use_threads=False).aggregate([("person_id", "count")])  # fmt: skip
    roles = roles.rename_columns(["year", "evidence", "destination", "role", "graduates"])
    roles = roles.sort_by([("year", "ascending"), ("evidence", "ascending"),
                           ("graduates", "descending")])  # fmt: skip
    return {
        "summary": annotate(
            summary(grads, window, last, level=level, reps=reps, seed=seed),
            indicator="graduates",
            **meta,
        ),
        "graduates": annotate(grads, indicator="graduates", **meta),
        "destinations": annotate(top_destinations(frame, grads, top), **meta),
        "roles": annotate(roles, **meta),
    }


def warehouse_summary(frame: Frame) -> pa.Table:
    """The build's ``graduate_summary`` table: the :func:`report`'s summary of every
    graduate, with the default window and the data's last complete year."""
    return report(frame)["summary"]


def _describe(frame: Frame, countries: Sequence[str]) -> str:
    parts = [frame.filters.describe()]
    if countries:
        parts.append("graduates of institutions in " + ", ".join(countries))
    return "; ".join(parts)


def graduate_series(summary: pa.Table, evidence: str = "all", censored: bool = False) -> pa.Table:
    """The summary's shares as series for a trend chart (``year, series, value, lo,
    hi``): industry and academia shares of graduates with a known destination, and the
    left-publishing share, for one kind of ``evidence``; years whose window runs past
    the last complete year are left out unless ``censored``."""
    s = summary.filter(pc.equal(summary["evidence"], evidence))
    if not censored:
        s = s.filter(s["window_complete"])
    parts = []
    for stem, label in (("industry", "industry (of known destinations)"),
                        ("academia", "academia (of known destinations)"),
                        ("left", "left publishing (of graduates)")):  # fmt: skip
        parts.append(pa.table({
            "year": s["year"], "series": pa.array([label] * s.num_rows, pa.string()),
            "value": s[f"{stem}_share"], "lo": s[f"{stem}_lo"], "hi": s[f"{stem}_hi"],
        }))  # fmt: skip
    return annotate(pa.concat_tables(parts), **describe(summary))


def compact(summary: pa.Table) -> pa.Table:
    """The summary for a terminal: counts, then each share with its interval as text."""

    def pct(stem: str) -> pa.Array:
        v, lo, hi = (summary[c].to_pylist() for c in (f"{stem}_share", f"{stem}_lo", f"{stem}_hi"))
        return pa.array([
            None if x is None else f"{x:.0%} [{a:.0%}–{b:.0%}]" if a is not None else f"{x:.0%}"
            for x, a, b in zip(v, lo, hi, strict=True)
        ], pa.string())  # fmt: skip

    other = pc.add(pc.add(summary["government"], summary["nonprofit"]), summary["other"])
    return annotate(pa.table({
        "year": summary["year"], "evidence": summary["evidence"],
        "graduates": summary["graduates"], "academia": summary["academia"],
        "industry": summary["industry"], "gov/nonprofit/other": other,
        "unplaced": summary["unplaced"], "left": summary["left_publishing"],
        "censored": summary["censored"], "industry share": pct("industry"),
        "academia share": pct("academia"), "left share": pct("left"),
    }), **describe(summary))  # fmt: skip
