"""Country indicators: stock, migration, bilateral flows, pathways."""

from __future__ import annotations

from typing import Annotated

import typer

from talentatlas.cli.options import (
    Area,
    Basis,
    Engine,
    Fmt,
    Level,
    Output,
    Plot,
    Reps,
    SectorOpt,
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
    open_atlas,
    plot_chart,
    settings,
)
from talentatlas.indicators.countries import MIN_STOCK, large_enough, pooled_rates
from talentatlas.indicators.pathways import PATH_STAGES, all_tier, by_stage
from talentatlas.indicators.result import describe


@command()
def stock(
    by: Annotated[str, typer.Option(help="country, institution or sector.")] = "country",
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    value: Annotated[str | None, typer.Option(help="Only this country/institution/sector.")] = None,
    limit: Annotated[int, typer.Option(help="Rows shown in the terminal.")] = 30,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Researchers placed in each country / institution / sector per year (padded stock)."""
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    try:
        t = atlas.stock(by=by, year=year, value=value)
    except ValueError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e
    if fmt == "table" and t.num_rows > limit:
        t = t.slice(0, limit)
    title = f"Stock by {by}" + (f", {year}" if year else "")
    emit(t, fmt, output, title, "Stock: persons whose padded modal value that year is it.")


@command()
def migration(
    country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2 code, e.g. KR.")] = None,
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    area: Area = None,
    venue: Venue = None,
    since: Since = None,
    until: Until = None,
    stage: Stage = None,
    sector: SectorOpt = None,
    basis: Basis = "location",
    level: Level = 0.9,
    reps: Reps = 200,
    seed: Seed = 0,
    plot: Plot = None,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Stock, in-moves, out-moves, net migration rate per 10,000 (with its bootstrap
    interval), in/out rates and churn, by country and year."""
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    flt = filters(area, venue, since, until, stage, sector, basis)
    t = atlas.migration(country, year, flt, level=level, reps=reps, seed=seed)
    caption = (
        "net_rate = (inflow - outflow) / stock x 10,000 [lo, hi]; churn = (inflow + "
        "outflow) / stock x 10,000; moves are changes of modal country between "
        "consecutive observed years, dated at the later year."
    )
    title = "Net migration" + (f" — {country.upper()}" if country else "")
    emit(t, fmt, output, title, caption)
    if plot is None:
        return
    if country:
        plot_chart("trend", large_enough(t), plot, x="year", y="net_rate", lo="net_rate_lo", hi="net_rate_hi",
              title=f"{country.upper()}: net migration of AI researchers per 10,000",
              y_title="net migration per 10,000 researchers",
              note=f"years with a stock of at least {MIN_STOCK}")  # fmt: skip
    else:
        last = year or until or atlas.latest_complete_year()
        first = year or since or last - 4
        plot_chart("choropleth", pooled_rates(t, first, last), plot, value="net_rate",
              title="Net migration of AI researchers per 10,000 a year, "
              + (f"{first}–{last}" if first != last else f"{last}"),
              subtitle="net moves (in − out) over the years' researcher stock · red: net loss, "
              "blue: net gain",
              note=f"moves and stocks summed over the years; countries with a mean stock of "
              f"at least {MIN_STOCK}")  # fmt: skip


@command()
def flows(
    country: Annotated[str, typer.Option(help="ISO 3166 alpha-2 code, e.g. KR.")],
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    by_year: Annotated[
        bool, typer.Option("--by-year", help="One row per partner and year.")
    ] = False,
    area: Area = None,
    venue: Venue = None,
    since: Since = None,
    until: Until = None,
    stage: Stage = None,
    sector: SectorOpt = None,
    basis: Basis = "location",
    limit: Annotated[int, typer.Option(help="Partners shown in the terminal.")] = 25,
    plot: Plot = None,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """A country's bilateral flows: moves to and from each partner country."""
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    flt = filters(area, venue, since, until, stage, sector, basis)
    code = country.upper()
    f = atlas.flows(code, year, flt)
    if by_year:
        emit(f, fmt, output, f"Bilateral flows — {code}", "moves from origin to destination")
    else:
        t = atlas.partners(code, flt, f)
        shown = t.slice(0, limit) if fmt == "table" else t
        emit(shown, fmt, output, f"Bilateral flows — {code}" + (f", {year}" if year else ""),
              f"to_partner: moves from {code} to the partner; from_partner: to {code}; "
              f"net > 0: {code} gains")  # fmt: skip
    if plot is not None:
        agg = f.group_by(["origin", "destination"]).aggregate([("moves", "sum")])
        agg = agg.rename_columns(["origin", "workplace", "persons"])
        plot_chart(
            "sankey", agg, plot, title=f"Moves to and from {code}" + (f", {year}" if year else "")
        )


@command()
def pathways(
    venue: Annotated[str | None, typer.Option(help="Venue, e.g. neurips (default: all).")] = None,
    year: Annotated[
        int | None, typer.Option(help="The cohort's year (default: the last complete year).")
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="Also the origin mix of those working in this country.")
    ] = None,
    lag: Annotated[int, typer.Option(help="Stay rate: worked in X this many years before.")] = 5,
    area: Area = None,
    stage: Stage = None,
    sector: SectorOpt = None,
    basis: Basis = "location",
    level: Level = 0.9,
    reps: Reps = 200,
    seed: Seed = 0,
    limit: Annotated[int, typer.Option(help="Countries shown per stage.")] = 10,
    plot: Plot = None,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Where a venue-year's authors come from and work: shares by origin, first academic
    country and workplace (all accepted authors and the oral tier), stay rates."""
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    flt = filters(area, None, None, None, stage, sector, basis)
    year = year or atlas.latest_complete_year()
    res = atlas.pathways(venue, year, flt, workplace=country, lag=lag, level=level, reps=reps,
                         seed=seed)  # fmt: skip
    label = f"{venue or 'all venues'} {year}"
    shares = res["shares"]
    if fmt != "table":
        emit(shares, fmt, output, f"Pathways — {label}", "")
    else:
        reach = describe(shares).get("stage_coverage") or {}
        for stage_name in PATH_STAGES:
            if stage_name in ("undergraduate", "graduate_school") and not reach.get(stage_name):
                continue  # no ORCID education records reach this cohort
            share = reach.get(stage_name)
            known = f" — known for {share:.0%} of the cohort" if share is not None else ""
            emit(by_stage(shares, stage_name, limit), "table", None,
                  f"{label}: authors by {stage_name.replace('_', ' ')} country",
                  PATHWAY_NOTES[stage_name] + known)  # fmt: skip
        emit(res["outside_origin"], "table", None, f"{label}: working outside their origin",
              "share of authors whose workplace differs from their origin country")  # fmt: skip
        emit(all_tier(res["stay_rates"]).slice(0, limit), "table", None,
              f"{label}: stay rates ({lag} years)",
              f"of authors who worked in the country {lag} years before, the share still "
              "there")  # fmt: skip
        if "origin_mix" in res:
            emit(by_stage(res["origin_mix"], "origin", limit), "table", None,
                  f"{label}: origin of authors working in {country.upper()}", "")  # fmt: skip
    if plot is not None:
        paths = all_tier(res["paths"]).select(["origin", "first_academic", "workplace", "persons"])
        plot_chart("sankey", paths, plot,
              title=f"{label} authors: origin → first academic country → workplace")  # fmt: skip


PATHWAY_NOTES = {
    "origin": "origin = country of the first observed year (a proxy for where one studied)",
    "first_academic": "first academic country = country of the first year in academia",
    "workplace": "workplace = country in the cohort's year",
    "undergraduate": "undergraduate = country of the first bachelor's degree (ORCID records)",
    "graduate_school": "graduate school = country of the first doctorate (ORCID records)",
}
