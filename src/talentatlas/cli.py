"""The ``talentatlas`` command: a thin layer over the Python API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
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

app = typer.Typer(
    help="Measure the global market for AI researchers from open data.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where sources are fetched to and read from.")
]
Warehouse = Annotated[Path | None, typer.Option("--warehouse", help="The warehouse path.")]
Engine = Annotated[str | None, typer.Option("--engine", help="duckdb (default) or spark.")]
Fmt = Annotated[str, typer.Option("--format", "-f", help="table, csv, json or parquet.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]


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


@app.command()
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


@app.command()
def build(
    data_dir: DataDir = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if nothing changed.")] = False,
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


@app.command()
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
    """Print or save a result table; errors in the requested format are usage errors."""
    from talentatlas.export import write

    try:
        write(table, fmt, output, console, title, caption)  # type: ignore[arg-type]
    except ValueError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e


@app.command()
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


@app.command()
def migration(
    country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2 code, e.g. KR.")] = None,
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """In-moves, out-moves, stock and net migration rate per 10,000 by country and year."""
    atlas = _open(settings(warehouse=warehouse, engine=engine))
    t = atlas.migration(country=country, year=year)
    caption = (
        "net_rate = (inflow - outflow) / stock x 10,000; moves are changes of modal "
        "country between consecutive observed years, dated at the later year."
    )
    _emit(t, fmt, output, "Net migration" + (f" — {country}" if country else ""), caption)


@app.command()
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
                  "years are padded with the last observed values.")  # fmt: skip
        parts.append(t.append_column("person_id", pa.array([r["person_id"]] * t.num_rows)))
    if fmt != "table":
        _emit(pa.concat_tables(parts), fmt, output, name, "")


@app.command()
def org(
    name: Annotated[str, typer.Argument(help="Institution name, alias or ROR id.")],
    own_only: Annotated[
        bool, typer.Option("--own-only", help="Do not roll child labs up into the total.")
    ] = False,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """An organisation's researcher headcount per year, with its child labs."""
    atlas = _open(settings(warehouse=warehouse, engine=engine))
    found = atlas.find_institutions(name)
    if not found.num_rows:
        err.print(f"[red]no institution matches {name!r}[/]")
        raise typer.Exit(1)
    best = found.to_pylist()[0]
    others = found.to_pylist()[1:6]
    if others:
        err.print(
            "also matching: "
            + "; ".join(f"{o['name']} ({o['institution_id']}, {o['country']})" for o in others)
        )
    rid = best["institution_id"]
    hc = atlas.headcount(rid, roll_up=not own_only)
    title = f"{best['name']} ({rid}, {best['country']}, {best['sector']}) — headcount by year"
    caption = "headcount = researchers whose padded modal institution that year is it" + (
        "" if own_only else " or one of its child labs; own = at the institution itself"
    )
    _emit(hc, fmt, output, title, caption)
    if fmt == "table":
        labs = atlas.child_labs(rid)
        if labs.num_rows:
            _emit(labs.slice(0, 20), "table", None, f"Child labs of {best['name']}",
                  "person_years = sum over years of the lab's headcount")  # fmt: skip


@app.command()
def run(
    data_dir: DataDir = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Fetch, build, and print a headline summary of the atlas."""
    fetch(data_dir)
    build(data_dir, warehouse, engine, force=False)
    summary(warehouse, engine)


@app.command()
def summary(warehouse: Warehouse = None, engine: Engine = None) -> None:
    """Headline figures: size, coverage, the largest countries and their net migration."""
    from talentatlas.export import render

    atlas = _open(settings(warehouse=warehouse, engine=engine))
    counts = atlas.counts()
    cov = atlas.coverage(scoped=True)
    st = atlas.stock(by="country")
    years = st.column("year").to_pylist()
    latest = _latest_complete_year(atlas)
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


def _latest_complete_year(atlas) -> int:
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
