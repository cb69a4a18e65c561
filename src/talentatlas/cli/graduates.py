"""From PhD to first job: where doctoral graduates go."""

from __future__ import annotations

from typing import Annotated

import pyarrow.compute as pc
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
    Seed,
    Since,
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
from talentatlas.indicators.graduates import EVIDENCE, WINDOW, compact, graduate_series
from talentatlas.indicators.result import describe


@command()
def graduates(
    country: Annotated[
        list[str] | None,
        typer.Option("--country", help="Graduates of institutions in this country (repeatable)."),
    ] = None,
    since: Since = None,
    until: Until = None,
    area: Area = None,
    venue: Venue = None,
    basis: Basis = "location",
    window: Annotated[
        int, typer.Option(help="Years after graduation in which a first destination counts.")
    ] = WINDOW,
    evidence: Annotated[
        str,
        typer.Option(help="Rows shown: stated (positions), heuristic, all, or every (each)."),
    ] = "every",
    top: Annotated[int, typer.Option(help="Top destination organisations shown.")] = 15,
    level: Level = 0.9,
    reps: Reps = 200,
    seed: Seed = 0,
    plot: Plot = None,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """From PhD to first job: per graduation year, where doctoral graduates go first
    (academia, industry, government, nonprofit), who left publishing, and the top
    destination organisations; stated positions and the heuristic apart."""
    kinds = (*EVIDENCE, "all")
    if evidence not in (*kinds, "every"):
        err.print(f"[red]error:[/] --evidence must be one of {', '.join(kinds)} or every")
        raise typer.Exit(2)
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    flt = filters(area, venue, since, until, None, None, basis)
    res = atlas.graduates(flt, country or [], window=window, top=top,
                          level=level, reps=reps, seed=seed)  # fmt: skip
    s = res["summary"]
    if evidence != "every":
        s = s.filter(pc.equal(s["evidence"], evidence))
    meta = describe(s)
    where = " of " + ", ".join(meta["countries"]) if meta["countries"] else ""
    last = meta["last_complete_year"]
    emit(compact(s) if fmt == "table" else s, fmt, output,
         f"Doctoral graduates{where}: first destination within {window} years",
         "evidence: stated = a stated doctoral position (OpenReview), heuristic = academic "
         "first-author early career without one; all = both. Shares of industry and "
         "academia are of graduates with a known destination sector; left = no paper in "
         f"the window; censored = window runs past {last}, the last complete year, with no "
         "paper yet (not counted as left)")  # fmt: skip
    if fmt == "table":
        emit(res["destinations"], "table", None, "Top first destinations",
             "organisations (labs rolled up), over all graduation years shown")  # fmt: skip
        roles = res["roles"]
        if evidence in EVIDENCE:
            roles = roles.filter(pc.equal(roles["evidence"], evidence))
        pooled = (
            roles.group_by(["destination", "role"], use_threads=False)
            .aggregate([("graduates", "sum")])
            .rename_columns(["destination", "role", "graduates"])
        )
        pooled = pooled.sort_by([("graduates", "descending"), ("destination", "ascending")])
        emit(pooled, "table", None, "Stated positions after graduating",
             "graduates whose first destination year states a position (OpenReview), "
             "over all graduation years shown")  # fmt: skip
    if plot is not None:
        shown = "all" if evidence == "every" else evidence
        plot_chart("trend", graduate_series(res["summary"], shown), plot, x="year", y="value",
                   lo="lo", hi="hi", series="series", y_title="share of graduates",
                   title=f"Doctoral graduates{where}: first destination ({shown} evidence)")  # fmt: skip
