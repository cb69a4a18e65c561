"""The command line's shared parts: the app, options, settings, output and errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from talentatlas.config import Settings
from talentatlas.indicators.result import (
    coverage_note,
    mark_thin,
    thin_note,
)

app = typer.Typer(
    help="Measure the global market for AI researchers from open data.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def usage_errors(f: Callable[..., None]) -> Callable[..., None]:
    """A command whose query values the warehouse does not know (an unknown country,
    venue, year, role family, currency ...) ends in a clear error and exit code 2, not
    an empty table."""

    @functools.wraps(f)
    def run(*a: Any, **kw: Any) -> None:
        from talentatlas.vocabulary import QueryError

        try:
            f(*a, **kw)
        except QueryError as e:
            err.print(f"[red]error:[/] {e}")
            raise typer.Exit(2) from e

    return run


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``app.command`` with :func:`usage_errors`."""

    def register(f: Callable[..., None]) -> Callable[..., None]:
        return app.command(*args, **kwargs)(usage_errors(f))

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


def open_atlas(s: Settings):
    from talentatlas.api import Atlas

    try:
        return Atlas.open(s.resolved_warehouse(), suppressions=s.suppression_file)
    except FileNotFoundError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[item]}", style="dim"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def emit(table: pa.Table, fmt: str, output: Path | None, title: str, caption: str) -> None:
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


def filters(
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


def plot_chart(kind: str, table: pa.Table, path: Path | None, **kw) -> None:
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


def find_institution(atlas, name: str) -> dict:
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
