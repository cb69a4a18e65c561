"""Sectors and organisations: academia -> industry, headcount, flows, retention."""

from __future__ import annotations

from typing import Annotated

import typer

from talentatlas.charts.theme import country_name
from talentatlas.cli.options import (
    Area,
    Basis,
    Engine,
    Fmt,
    Level,
    Output,
    Plot,
    Reps,
    Seed,
    Since,
    Stage,
    Until,
    Venue,
    Warehouse,
    command,
    emit,
    err,
    filters,
    find_institution,
    open_atlas,
    plot_chart,
    settings,
)
from talentatlas.indicators.organisations import pooled_cohorts
from talentatlas.indicators.result import describe
from talentatlas.indicators.sectors import sector_series


@command()
def sectors(
    early_years: Annotated[
        int, typer.Option(help="Early career: first observed within this many years.")
    ] = 3,
    area: Area = None,
    venue: Venue = None,
    since: Since = None,
    until: Until = None,
    stage: Stage = None,
    basis: Basis = "location",
    country: Annotated[
        str | None,
        typer.Option(help="Only researchers placed in this country that year (name or code)."),
    ] = None,
    flows_too: Annotated[
        bool, typer.Option("--flows", help="Also the moves between sectors.")
    ] = False,
    level: Level = 0.9,
    reps: Reps = 200,
    seed: Seed = 0,
    plot: Plot = None,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Academia -> industry: industry share of researchers, moves between sectors, and
    the share of early-career academics (mostly students; for new PhDs' first jobs see
    ``graduates``) whose next sector is industry, by year."""
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    flt = filters(area, venue, since, until, stage, None, basis)
    res = atlas.sectors(flt, early_years, country, level=level, reps=reps, seed=seed)
    code = describe(res["summary"]).get("country")
    where = f" in {country_name(code)}" if code else ""
    emit(res["summary"], fmt, output, f"Sectors by year{where}",
          "industry_share [share_lo, share_hi]: of researchers placed in a sector; "
          f"early_next_industry: of academics within their first {early_years} years with a "
          "later sector, the share whose next sector is industry (most are still students; "
          "this is not where new PhDs go: see talentatlas graduates)")  # fmt: skip
    if flows_too and fmt == "table":
        emit(res["flows"], "table", None, "Moves between sectors", "")
    if plot is not None:
        long = sector_series(res["summary"])
        plot_chart("trend", long, plot, x="year", y="value", lo="lo", hi="hi", series="series",
              title=f"Academia → industry{where}", y_title="share")  # fmt: skip


@command()
def org(
    name: Annotated[str, typer.Argument(help="Institution name, alias or ROR id.")],
    own_only: Annotated[
        bool, typer.Option("--own-only", help="Do not roll child labs up into the total.")
    ] = False,
    show_flows: Annotated[
        bool, typer.Option("--flows", help="Inflow and outflow by counterpart organisation.")
    ] = False,
    show_retention: Annotated[
        bool, typer.Option("--retention", help="Retention by entry cohort and attrition.")
    ] = False,
    versus: Annotated[
        str | None, typer.Option(help="Net talent balance with this organisation per year.")
    ] = None,
    show_pay: Annotated[
        bool,
        typer.Option("--pay", help="Offered wages on its LCA filings by role family."),
    ] = False,
    area: Area = None,
    venue: Venue = None,
    since: Since = None,
    until: Until = None,
    stage: Stage = None,
    limit: Annotated[int, typer.Option(help="Counterparts shown in the terminal.")] = 20,
    level: Level = 0.9,
    reps: Reps = 200,
    seed: Seed = 0,
    plot: Plot = None,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """An organisation: headcount and output per year, child labs, and optionally its
    inflows and outflows by counterpart, retention curves and attrition."""
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    best = find_institution(atlas, name)
    rid = best["institution_id"]
    flt = filters(area, venue, since, until, stage, None, "location")
    roll = not own_only
    label = f"{best['name']} ({rid}, {best['country']}, {best['sector']})"
    hc = atlas.headcount(rid, roll_up=roll, filters=flt)
    caption = (
        "headcount = researchers whose padded modal institution that year is it"
        + ("" if own_only else " or one of its child labs; own = at the institution itself")
        + "; works = in-scope works with an author there"
    )
    # in a file format one table is written: retention, else flows, else the pair
    # balance, else the headcount; in the terminal every asked-for table is shown
    export = (
        "retention" if show_retention else "flows" if show_flows else
        "versus" if versus else "pay" if show_pay else "headcount"
    )  # fmt: skip
    table = fmt == "table"

    def shows(name: str) -> bool:
        return table or export == name

    if shows("headcount"):
        emit(hc, fmt, output, f"{label} — headcount by year", caption)
    if table and roll:
        labs = atlas.child_labs(rid)
        if labs.num_rows:
            emit(labs.slice(0, 20), "table", None, f"Child labs of {best['name']}",
                  "person_years = sum over years of the lab's headcount")  # fmt: skip
    if show_flows and shows("flows"):
        fl = atlas.org_flows(rid, roll_up=roll, filters=flt)
        emit(fl.slice(0, limit) if table else fl, fmt, output,
              f"{label} — inflow and outflow by counterpart",
              "counterparts at their top organisation (sister labs as themselves); "
              "net > 0: the organisation gains")  # fmt: skip
    if versus and shows("versus"):
        other = find_institution(atlas, versus)
        bal = atlas.org_balance(rid, other["institution_id"], roll_up=roll, filters=flt)
        emit(bal, fmt, output, f"{best['name']} vs {other['name']}",
              f"to_other: moves from {best['name']} to {other['name']}; net > 0: "
              f"{best['name']} gains")  # fmt: skip
    if show_pay and shows("pay"):
        ids = atlas.descendants(rid) if roll else [rid]
        pay = atlas.org_pay(ids, since=since) if atlas.has_pay() else None
        if pay is None:
            err.print("[yellow]this warehouse holds no pay records[/]")
        else:
            from talentatlas.pay.views import pay_meta

            emit(pay, fmt, output, f"{label} — pay (LCA filings, offered base wage, USD a year)",
                  f"{pay_meta(pay).get('kind', '')}; records = certified filings linked to "
                  "it (and its labs); see talentatlas pay --employer for more")  # fmt: skip
    ret = None
    if show_retention:
        ret = atlas.retention(rid, roll_up=roll, filters=flt, level=level, reps=reps, seed=seed)
        emit(pooled_cohorts(ret) if table else ret, fmt, output, f"{label} — retention",
              "share of those who entered in year y0 (and still publish) who are there at "
              "y0+k, all entry cohorts pooled; --format csv/json gives every cohort")  # fmt: skip
        if table:
            att = atlas.attrition(rid, roll_up=roll, filters=flt, level=level, reps=reps,
                                  seed=seed)  # fmt: skip
            emit(att, "table", None, f"{label} — attrition",
                  "attrition = departures to other organisations / mean headcount")  # fmt: skip
    if plot is None:
        return
    if ret is not None:
        plot_chart("retention", ret, plot, title=f"Retention at {best['name']}")
    else:
        plot_chart("trend", hc, plot, x="year", y="headcount", title=f"{best['name']}: researchers",
              y_title="researchers")  # fmt: skip
