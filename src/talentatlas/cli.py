"""The ``talentatlas`` command: a thin layer over the Python API."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from talentatlas.config import Settings
from talentatlas.indicators.result import (
    annotate,
    coverage_note,
    describe,
    mark_thin,
    thin_note,
)

app = typer.Typer(
    help="Measure the global market for AI researchers from open data.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``app.command`` whose query values the warehouse does not know (an unknown
    country, venue or year) end in a clear error and exit code 2, not an empty table."""

    def register(f: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(f)
        def run(*a: Any, **kw: Any) -> None:
            from talentatlas.vocabulary import QueryError

            try:
                f(*a, **kw)
            except QueryError as e:
                err.print(f"[red]error:[/] {e}")
                raise typer.Exit(2) from e

        return app.command(*args, **kwargs)(run)

    return register


#: wide enough for indicator tables when the output is not a terminal
console = Console(width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where sources are fetched to and read from.")
]
Warehouse = Annotated[Path | None, typer.Option("--warehouse", help="The warehouse path.")]
Engine = Annotated[str | None, typer.Option("--engine", help="duckdb (default) or spark.")]
Fmt = Annotated[str, typer.Option("--format", "-f", help="table, csv, json or parquet.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
Plot = Annotated[
    Path | None, typer.Option("--plot", help="Also write a chart: .png, .svg or .html.")
]
Area = Annotated[
    list[str] | None,
    typer.Option("--area", help="Only venues of this area (repeatable): ML, CV, NLP, AI, …"),
]
Venue = Annotated[
    list[str] | None, typer.Option("--venue", help="Only this venue (repeatable), e.g. icml.")
]
Since = Annotated[int | None, typer.Option(help="Only years from this one.")]
Until = Annotated[int | None, typer.Option(help="Only years up to this one.")]
Stage = Annotated[
    str | None,
    typer.Option(help="Career stage (years since first paper): early 0-2, mid 3-7, senior 8+."),
]
SectorOpt = Annotated[
    str | None,
    typer.Option("--sector", help="Only person-years in this sector: academia, industry, …"),
]
Basis = Annotated[
    str,
    typer.Option(help="Country at the lab's location, or at its top organisation's headquarters."),
]
Level = Annotated[float, typer.Option(help="Bootstrap interval level.")]
Reps = Annotated[int, typer.Option(help="Bootstrap replicates.")]
Seed = Annotated[int, typer.Option(help="Bootstrap seed.")]


def settings(
    data_dir: Path | None = None, warehouse: Path | None = None, engine: str | None = None
) -> Settings:
    overrides: dict = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if warehouse is not None:
        overrides["warehouse"] = warehouse
    if engine is not None:
        overrides["engine"] = engine
    return Settings(**overrides)


def _open(s: Settings):
    from talentatlas.api import Atlas

    try:
        return Atlas.open(s.resolved_warehouse())
    except FileNotFoundError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[item]}", style="dim"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@command()
def fetch(data_dir: DataDir = None) -> None:
    """Download the default sources (paper lists, OpenReview authors) into the data dir."""
    from talentatlas.fetch import fetch as do_fetch

    s = settings(data_dir)
    where = s.mirror or "upstream repositories"
    err.print(f"fetching the {s.scope.field!r} venues from {where} into {s.data_dir}")
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[item]}", style="dim"), TimeElapsedColumn(), console=err,
    ) as progress:  # fmt: skip
        task = progress.add_task("fetch", total=None, item="")
        result = do_fetch(
            s,
            on_plan=lambda n: progress.update(task, total=n),
            on_file=lambda rel: progress.update(task, advance=1, item=rel),
        )
    err.print(
        f"{len(result.fetched)} files fetched, {len(result.present)} already present, "
        f"{len(result.failed)} failed"
    )
    for rel, why in list(result.failed.items())[:20]:
        err.print(f"  [red]failed[/] {rel}: {why}")
    if result.failed:
        raise typer.Exit(1)


@command()
def build(
    data_dir: DataDir = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if nothing changed.")] = False,
    keep_scratch: Annotated[
        bool,
        typer.Option(help="Keep the linker's working tables in the warehouse (for debugging)."),
    ] = False,
) -> None:
    """Ingest everything under the data dir into the warehouse; compute careers and indicators."""
    from talentatlas.pipeline import build as do_build

    s = settings(data_dir, warehouse, engine)
    with _progress() as progress:
        task = progress.add_task("parse", total=None, item="")
        try:
            result = do_build(
                s,
                force=force,
                keep_scratch=keep_scratch,
                report=lambda msg: progress.console.print(msg, style="dim"),
                on_files=lambda n: progress.update(task, total=n, completed=0),
                on_parsed=lambda f, m: progress.update(task, advance=1, item=f.rel),
            )
        except FileNotFoundError as e:
            err.print(f"[red]error:[/] {e}")
            raise typer.Exit(2) from e
        progress.update(task, completed=progress.tasks[0].total or 0, item="")
    verb = "unchanged" if result.skipped else "built"
    err.print(f"[green]{verb}[/] {result.warehouse} in {result.seconds:.1f}s")


@command()
def status(warehouse: Warehouse = None, engine: Engine = None) -> None:
    """What is in the warehouse: sources, counts, coverage, quarantined records."""
    from talentatlas.export import render

    s = settings(warehouse=warehouse, engine=engine)
    atlas = _open(s)
    info = atlas.build_info()
    counts = atlas.counts()
    console.print(
        Panel.fit(
            f"[bold]{atlas.path}[/]  engine {info.get('engine')}  built {info.get('built_at')}\n"
            + "  ".join(f"{k} [bold]{v:,}[/]" for k, v in counts.items()),
            title="talentatlas warehouse",
        )
    )
    console.print(render(atlas.sources(), "Sources and files read"))
    cov_rows = []
    for label, scoped in [("all", False), ("in scope", True)]:
        c = atlas.coverage(scoped)
        cov_rows.append(
            {"authorships": label, "n": c.authorships,
             "affiliation": f"{c.with_affiliation:.1%}",
             "country": f"{c.with_country:.1%}",
             "institution": f"{c.with_institution:.1%}",
             "text→inst": f"{c.text_resolved:.1%}",
             "sector": f"{c.with_sector:.1%}",
             "person key": f"{c.with_reliable_key:.1%}"}
        )  # fmt: skip

    console.print(
        render(
            pa.Table.from_pylist(cov_rows),
            "Coverage",
            "Shares of authorships. text→inst: of those with affiliation text, resolved to "
            "an institution. Person key: a reliable id (OpenReview, ORCID, DBLP, Google "
            "Scholar); other authorships are linked by name, coauthors, affiliation, time.",
        )
    )
    inferred = atlas.inferred_share()
    if any(inferred.values()):
        console.print(
            "Places inferred (in scope, marked in country_evidence): "
            + ", ".join(f"{k} {v:.1%}" for k, v in inferred.items())
            + "  (TALENTATLAS_INFER_PLACES=false builds without them)",
            style="dim",
        )
    kc = atlas.key_conflicts()
    if kc.num_rows:
        console.print(
            render(
                kc,
                "Keys not used for mentions whose names disagree with them",
                "A person key (OpenReview, ORCID, DBLP, Scholar) seen on a mention whose name "
                "shares no word with the key's names: the key does not join that mention.",
            )
        )
    info, weights = atlas.linkage()
    if info:
        console.print(
            render(
                weights,
                "Person linkage model (linkage_weights; name prior by cell: linkage_prior)",
                f"{int(info['linkage_pairs']):,} candidate pairs; m from "
                f"{int(info['linkage_m_pairs']):,} rare-name pairs, u from "
                f"{int(info['linkage_u_pairs']):,} same-family-name pairs; EM "
                f"{info['linkage_em_iterations']} iterations"
                f" ({'converged' if info['linkage_em_converged'] == 'true' else 'not converged'})."
                " A pair's weight: its name cell's prior + its levels' bits + the"
                " rarity of an agreed institution.",
            )
        )
    um = atlas.unmatched(50)
    if um.num_rows:
        console.print(
            render(
                um,
                "50 most frequent unmatched affiliation strings",
                "Add them to the corrections file (force a match or a local institution) "
                "when the registry lacks them or the matcher misses them.",
            )
        )
    q = atlas.quarantined()
    if q.num_rows:
        console.print(render(q, f"Quarantined records ({counts['quarantine']:,})"))
    else:
        console.print("No quarantined records.")


def _emit(table: pa.Table, fmt: str, output: Path | None, title: str, caption: str) -> None:
    """Print or save a result table; errors in the requested format are usage errors.
    An indicator's coverage and filters are printed under it (to stderr unless a table)."""
    from talentatlas.export import write

    table = mark_thin(table)
    note = "\n".join(n for n in (thin_note(table), coverage_note(table)) if n)
    if fmt == "table" and "thin_coverage" in table.column_names:
        # the marker beside the year, instead of a column of booleans
        year = [f"{y}†" if t else str(y) for y, t in zip(table["year"].to_pylist(),
                table["thin_coverage"].to_pylist(), strict=True)]  # fmt: skip
        i = table.column_names.index("year")
        table = table.set_column(i, "year", pa.array(year)).drop_columns(["thin_coverage"])
    if note and fmt == "table":
        caption = f"{caption}\n{note}" if caption else note
    elif note:
        err.print(f"{title}: {note}", style="dim")
    try:
        write(table, fmt, output, console, title, caption)  # type: ignore[arg-type]
    except ValueError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e


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
    atlas = _open(settings(warehouse=warehouse, engine=engine))
    try:
        t = atlas.stock(by=by, year=year, value=value)
    except ValueError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e
    if fmt == "table" and t.num_rows > limit:
        t = t.slice(0, limit)
    title = f"Stock by {by}" + (f", {year}" if year else "")
    _emit(t, fmt, output, title, "Stock: persons whose padded modal value that year is it.")


def _filters(
    area: list[str] | None = None,
    venue: list[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    stage: str | None = None,
    sector: str | None = None,
    basis: str = "location",
):
    from talentatlas.config import canonical_venue
    from talentatlas.indicators.frame import Filters

    try:
        return Filters(
            areas=tuple(area or ()),
            venues=tuple(canonical_venue(v) for v in venue or ()),
            year_min=since,
            year_max=until,
            stage=stage,
            sector=sector,
            basis=basis,  # type: ignore[arg-type]
        )
    except ValueError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e


def _plot(kind: str, table: pa.Table, path: Path | None, **kw) -> None:
    """Write a chart of ``table``; unsupported suffixes are usage errors."""
    if path is None:
        return
    from talentatlas import charts

    try:
        getattr(charts, kind)(table, path, **kw)
    except (ValueError, charts.StaticExportError) as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e
    err.print(f"wrote chart {path}", style="dim")


#: charts leave out country-years resting on fewer researchers than this
MIN_STOCK = 30


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
    atlas = _open(settings(warehouse=warehouse, engine=engine))
    flt = _filters(area, venue, since, until, stage, sector, basis)
    t = atlas.migration(country, year, flt, level=level, reps=reps, seed=seed)
    caption = (
        "net_rate = (inflow - outflow) / stock x 10,000 [lo, hi]; churn = (inflow + "
        "outflow) / stock x 10,000; moves are changes of modal country between "
        "consecutive observed years, dated at the later year."
    )
    title = "Net migration" + (f" — {country.upper()}" if country else "")
    _emit(t, fmt, output, title, caption)
    if plot is None:
        return
    if country:
        big = t.filter(pc.greater_equal(t["stock"], MIN_STOCK))
        _plot("trend", big, plot, x="year", y="net_rate", lo="net_rate_lo", hi="net_rate_hi",
              title=f"{country.upper()}: net migration of AI researchers per 10,000",
              y_title="net migration per 10,000 researchers",
              note=f"years with a stock of at least {MIN_STOCK}")  # fmt: skip
    else:
        last = year or until or _latest_complete(atlas)
        first = year or since or last - 4
        _plot("choropleth", pooled_rates(t, first, last), plot, value="net_rate",
              title="Net migration of AI researchers per 10,000 a year, "
              + (f"{first}–{last}" if first != last else f"{last}"),
              subtitle="net moves (in − out) over the years' researcher stock · red: net loss, "
              "blue: net gain",
              note=f"moves and stocks summed over the years; countries with a mean stock of "
              f"at least {MIN_STOCK}")  # fmt: skip


def pooled_rates(t: pa.Table, first: int, last: int) -> pa.Table:
    """``country, year, inflow, outflow, net, stock, net_rate`` summed over the years
    ``first..last`` of a migration table (``stock`` = mean stock; ``net_rate`` = net moves
    a year per 10,000 researchers), countries with a mean stock of at least MIN_STOCK."""
    w = t.filter(pc.and_(pc.greater_equal(t["year"], first), pc.less_equal(t["year"], last)))
    g = w.group_by("country").aggregate(
        [("inflow", "sum"), ("outflow", "sum"), ("net", "sum"), ("stock", "sum")]
    )
    years = last - first + 1
    stock = pc.divide(pc.cast(g["stock_sum"], pa.float64()), years)
    rate = pc.round(pc.multiply(pc.divide(pc.cast(g["net_sum"], pa.float64()),
                                          pc.cast(g["stock_sum"], pa.float64())), 10_000), 2)  # fmt: skip
    out = pa.table(
        {
            "country": g["country"], "year": pa.array([last] * g.num_rows, pa.int32()),
            "inflow": g["inflow_sum"], "outflow": g["outflow_sum"], "net": g["net_sum"],
            "stock": pc.round(stock, 1), "net_rate": rate,
        }
    )  # fmt: skip
    return out.filter(pc.greater_equal(out["stock"], MIN_STOCK))


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
    atlas = _open(settings(warehouse=warehouse, engine=engine))
    flt = _filters(area, venue, since, until, stage, sector, basis)
    code = country.upper()
    f = atlas.flows(code, year, flt)
    if by_year:
        _emit(f, fmt, output, f"Bilateral flows — {code}", "moves from origin to destination")
    else:
        t = atlas.partners(code, flt, f)
        shown = t.slice(0, limit) if fmt == "table" else t
        _emit(shown, fmt, output, f"Bilateral flows — {code}" + (f", {year}" if year else ""),
              f"to_partner: moves from {code} to the partner; from_partner: to {code}; "
              f"net > 0: {code} gains")  # fmt: skip
    if plot is not None:
        agg = f.group_by(["origin", "destination"]).aggregate([("moves", "sum")])
        agg = agg.rename_columns(["origin", "workplace", "persons"])
        _plot(
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
    atlas = _open(settings(warehouse=warehouse, engine=engine))
    flt = _filters(area, None, None, None, stage, sector, basis)
    year = year or _latest_complete(atlas)
    res = atlas.pathways(venue, year, flt, workplace=country, lag=lag, level=level, reps=reps,
                         seed=seed)  # fmt: skip
    label = f"{venue or 'all venues'} {year}"
    shares = res["shares"]
    if fmt != "table":
        _emit(shares, fmt, output, f"Pathways — {label}", "")
    else:
        for stage_name in ("origin", "first_academic", "workplace"):
            part = shares.filter(pc.equal(shares["stage"], stage_name))
            wide = _tiers_side_by_side(part, limit)
            _emit(annotate(wide, **describe(shares)), "table", None,
                  f"{label}: authors by {stage_name.replace('_', ' ')} country",
                  _PATHWAY_NOTES[stage_name])  # fmt: skip
        _emit(res["outside_origin"], "table", None, f"{label}: working outside their origin",
              "share of authors whose workplace differs from their origin country")  # fmt: skip
        sr = res["stay_rates"]
        _emit(sr.filter(pc.equal(sr["tier"], "all")).slice(0, limit), "table", None,
              f"{label}: stay rates ({lag} years)",
              f"of authors who worked in the country {lag} years before, the share still "
              "there")  # fmt: skip
        if "origin_mix" in res:
            om = res["origin_mix"]
            om = om.filter(pc.equal(om["stage"], "origin"))
            _emit(_tiers_side_by_side(om, limit), "table", None,
                  f"{label}: origin of authors working in {country.upper()}", "")  # fmt: skip
    if plot is not None:
        paths = res["paths"]
        paths = paths.filter(pc.equal(paths["tier"], "all"))
        _plot("sankey", paths.select(["origin", "first_academic", "workplace", "persons"]), plot,
              title=f"{label} authors: origin → first academic country → workplace")  # fmt: skip


_PATHWAY_NOTES = {
    "origin": "origin = country of the first observed year (a proxy: no undergraduate data)",
    "first_academic": "first academic country = country of the first year in academia",
    "workplace": "workplace = country in the cohort's year",
}


def _tiers_side_by_side(t: pa.Table, limit: int) -> pa.Table:
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
    the share of early-career academics whose next sector is industry, by year."""
    atlas = _open(settings(warehouse=warehouse, engine=engine))
    flt = _filters(area, venue, since, until, stage, None, basis)
    res = atlas.sectors(flt, early_years, level=level, reps=reps, seed=seed)
    _emit(res["summary"], fmt, output, "Sectors by year",
          "industry_share [share_lo, share_hi]: of researchers placed in a sector; "
          f"early_next_industry: of academics within their first {early_years} years with a "
          "later sector, the share whose next sector is industry")  # fmt: skip
    if flows_too and fmt == "table":
        _emit(res["flows"], "table", None, "Moves between sectors", "")
    if plot is not None:
        s = res["summary"]
        long = pa.concat_tables([
            pa.table({"year": s["year"], "series": ["industry share of researchers"] * s.num_rows,
                      "value": s["industry_share"], "lo": s["share_lo"], "hi": s["share_hi"]}),
            pa.table({"year": s["year"],
                      "series": ["early-career academics moving next to industry"] * s.num_rows,
                      "value": s["early_next_industry"], "lo": s["early_lo"], "hi": s["early_hi"]}),
        ])  # fmt: skip
        long = annotate(long, **describe(s))
        _plot("trend", long, plot, x="year", y="value", lo="lo", hi="hi", series="series",
              title="Academia → industry", y_title="share")  # fmt: skip


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
    atlas = _open(settings(warehouse=warehouse, engine=engine))
    best = _institution(atlas, name)
    rid = best["institution_id"]
    flt = _filters(area, venue, since, until, stage, None, "location")
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
        "versus" if versus else "headcount"
    )  # fmt: skip
    table = fmt == "table"

    def shows(name: str) -> bool:
        return table or export == name

    if shows("headcount"):
        _emit(hc, fmt, output, f"{label} — headcount by year", caption)
    if table and roll:
        labs = atlas.child_labs(rid)
        if labs.num_rows:
            _emit(labs.slice(0, 20), "table", None, f"Child labs of {best['name']}",
                  "person_years = sum over years of the lab's headcount")  # fmt: skip
    if show_flows and shows("flows"):
        fl = atlas.org_flows(rid, roll_up=roll, filters=flt)
        _emit(fl.slice(0, limit) if table else fl, fmt, output,
              f"{label} — inflow and outflow by counterpart",
              "counterparts at their top organisation (sister labs as themselves); "
              "net > 0: the organisation gains")  # fmt: skip
    if versus and shows("versus"):
        other = _institution(atlas, versus)
        bal = atlas.org_balance(rid, other["institution_id"], roll_up=roll, filters=flt)
        _emit(bal, fmt, output, f"{best['name']} vs {other['name']}",
              f"to_other: moves from {best['name']} to {other['name']}; net > 0: "
              f"{best['name']} gains")  # fmt: skip
    ret = None
    if show_retention:
        ret = atlas.retention(rid, roll_up=roll, filters=flt, level=level, reps=reps, seed=seed)
        pooled = ret.filter(pc.equal(ret["cohort"], "all"))
        _emit(pooled if table else ret, fmt, output, f"{label} — retention",
              "share of those who entered in year y0 (and still publish) who are there at "
              "y0+k, all entry cohorts pooled; --format csv/json gives every cohort")  # fmt: skip
        if table:
            att = atlas.attrition(rid, roll_up=roll, filters=flt, level=level, reps=reps,
                                  seed=seed)  # fmt: skip
            _emit(att, "table", None, f"{label} — attrition",
                  "attrition = departures to other organisations / mean headcount")  # fmt: skip
    if plot is None:
        return
    if ret is not None:
        _plot("retention", ret, plot, title=f"Retention at {best['name']}")
    else:
        _plot("trend", hc, plot, x="year", y="headcount", title=f"{best['name']}: researchers",
              y_title="researchers")  # fmt: skip


def _institution(atlas, name: str) -> dict:
    found = atlas.find_institutions(name)
    if not found.num_rows:
        err.print(f"[red]no institution matches {name!r}[/]")
        raise typer.Exit(1)
    rows = found.to_pylist()
    if rows[1:]:
        err.print(
            f"{name!r}: using {rows[0]['name']} ({rows[0]['institution_id']}); also matching: "
            + "; ".join(f"{o['name']} ({o['institution_id']}, {o['country']})" for o in rows[1:6])
        )
    return rows[0]


@command()
def validate(
    country: Annotated[str, typer.Option(help="Country shown side by side (ISO alpha-2).")] = "KR",
    since: Annotated[int, typer.Option(help="First year of the side-by-side view.")] = 2010,
    until: Annotated[int, typer.Option(help="Last year of the side-by-side view.")] = 2023,
    top: Annotated[int, typer.Option(help="Partners compared per direction.")] = 8,
    data_dir: DataDir = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Check the internal arithmetic of our migration tables and of the MPIDR Scholarly
    Migration Database, and show a country's AI-researcher migration beside all
    scholars' migration (MPIDR, OpenAlex- and Scopus-based)."""
    from talentatlas import validate as v
    from talentatlas.export import render
    from talentatlas.sources import mpidr

    s = settings(data_dir, warehouse, engine)
    atlas = _open(s)
    try:
        ref = mpidr.load(s.data_dir, strict=False)
    except FileNotFoundError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e
    for p in ref.problems[:10]:
        err.print(f"mpidr: {p}", style="dim")
    mig, fl = atlas.migration(reps=50), atlas.flows()
    checks = v.check_indicators(mig, fl) + v.check_reference(ref)
    console.print(
        render(v.checks_table(checks), "Internal arithmetic",
               "talentatlas: our migration and flows tables; openalex_2023 / scopus_2024: "
               "MPIDR tables. flow coverage is expected to be partial (MPIDR omits small "
               "country-years and stops its country table before its flows).")
    )  # fmt: skip
    code = country.upper()
    years = range(since, until + 1)
    console.print(
        render(v.side_by_side(mig, ref.country, code, years),
               f"{code}: AI researchers (talentatlas) beside all scholars (MPIDR)",
               "net_rate per 10,000; MPIDR populations are censored (0) from 2022 on. "
               "talentatlas counts authors at the scoped AI venues; MPIDR all authors in "
               "OpenAlex / Scopus.")
    )  # fmt: skip
    console.print(
        render(v.partners_side_by_side(fl, ref.flows, code, years, top),
               f"{code}: top partners, share of the country's moves",
               f"out: moves from {code} to the partner; in: moves from the partner to {code}")
    )  # fmt: skip
    failed = [c for c in checks if c.dataset == v.OURS and not c.passed]
    if failed:
        err.print(f"[red]{len(failed)} check(s) of our own tables failed[/]")
        raise typer.Exit(1)


@command()
def person(
    name: Annotated[str, typer.Argument(help="A person's name (or part of it).")],
    limit: Annotated[int, typer.Option(help="Candidates shown when the name is shared.")] = 5,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """A person's timeline: year, institution, country, sector, works (all candidates
    when several people share the name)."""
    atlas = _open(settings(warehouse=warehouse, engine=engine))
    found = atlas.find_persons(name, limit=limit)
    if not found.num_rows:
        err.print(f"[red]no person named {name!r}[/]")
        raise typer.Exit(1)
    rows = found.to_pylist()
    if len(rows) > 1:
        err.print(
            f"[bold]{len(rows)} people[/] match {name!r} (most active first); "
            "person ids tell them apart."
        )
    parts = []
    for r in rows:
        t = atlas.timeline(r["person_id"])
        title = (f"{r['name']} — {r['person_id']} ({r['key_kind']}, {r['authorships']} "
                 f"authorships, {r['first_year']}–{r['last_year']})")  # fmt: skip
        if fmt == "table":
            view = t.select(["year", "institution", "country", "sector", "works", "observed"])
            _emit(view, fmt, None, title,
                  "observed: the year's country comes from that year's own papers; other "
                  "years are padded with the last observed values; a year without any "
                  "evidence of a place shows none.")  # fmt: skip
        parts.append(t.append_column("person_id", pa.array([r["person_id"]] * t.num_rows)))
    if fmt != "table":
        _emit(pa.concat_tables(parts), fmt, output, name, "")


@command()
def run(
    data_dir: DataDir = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Fetch, build, and print a headline summary of the atlas."""
    fetch(data_dir)
    build(data_dir, warehouse, engine, force=False)
    summary(warehouse, engine)


@command()
def summary(warehouse: Warehouse = None, engine: Engine = None) -> None:
    """Headline figures: size, coverage, the largest countries and their net migration."""
    from talentatlas.export import render

    atlas = _open(settings(warehouse=warehouse, engine=engine))
    counts = atlas.counts()
    cov = atlas.coverage(scoped=True)
    st = atlas.stock(by="country")
    years = st.column("year").to_pylist()
    latest = _latest_complete(atlas)
    top = atlas.stock(by="country", year=latest).slice(0, 10)
    mig = {r["country"]: r for r in atlas.migration(year=latest).to_pylist()}
    rows = [
        {"country": r["country"], "stock": r["stock"], "share": r["share"],
         "in": mig.get(r["country"], {}).get("inflow"),
         "out": mig.get(r["country"], {}).get("outflow"),
         "net_rate": mig.get(r["country"], {}).get("net_rate")}
        for r in top.to_pylist()
    ]  # fmt: skip

    console.print(
        Panel.fit(
            f"{counts['works']:,} works, {counts['authorships']:,} authorships, "
            f"{counts['persons']:,} people, {counts['institutions']:,} institutions "
            f"({min(years) if years else '—'}–{max(years) if years else '—'})\n"
            f"in scope: {cov.authorships:,} authorships; {cov.with_country:.1%} placed in a "
            f"country, {cov.with_reliable_key:.1%} with an OpenReview id",
            title="talentatlas",
        )
    )
    console.print(
        render(
            pa.Table.from_pylist(rows),
            f"Largest AI-researcher populations, {latest}",
            "share = of all researchers placed in a country that year; net_rate per 10,000",
        )
    )


def _latest_complete(atlas) -> int:
    """The last year whose stock is at least half the peak (later years are censored)."""
    t = atlas.table("stock")
    rows = (
        t.filter(t.dimension == "country").group_by("year").agg(n=t.stock.sum())
        .order_by("year").to_pyarrow().to_pylist()
    )  # fmt: skip
    if not rows:
        return 0
    peak = max(r["n"] for r in rows)
    ok = [r["year"] for r in rows if r["n"] >= peak / 2]
    return max(ok)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
