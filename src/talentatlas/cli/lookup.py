"""Lookups and checks: a person's timeline, the headline summary, validation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.panel import Panel

from talentatlas.cli.options import (
    DataDir,
    Engine,
    Warehouse,
    command,
    console,
    err,
    open_atlas,
    settings,
)


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
    Migration Database, show a country's AI-researcher migration beside all scholars'
    migration (MPIDR, OpenAlex- and Scopus-based), and new AI PhDs' first jobs beside
    the Taulbee survey's."""
    from talentatlas import validate as v
    from talentatlas.export import render
    from talentatlas.sources import mpidr

    s = settings(data_dir, warehouse, engine)
    atlas = open_atlas(s)
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
    grads = atlas.graduates(None, list(v.TAULBEE_COUNTRIES), reps=50)["summary"]
    console.print(
        render(v.graduates_side_by_side(grads),
               "New AI PhDs' first jobs: the Taulbee survey beside talentatlas (US + CA)",
               v.TAULBEE_NOTE)
    )  # fmt: skip
    failed = [c for c in checks if c.dataset == v.OURS and not c.passed]
    if failed:
        err.print(f"[red]{len(failed)} check(s) of our own tables failed[/]")
        raise typer.Exit(1)


@command()
def summary(warehouse: Warehouse = None, engine: Engine = None) -> None:
    """Headline figures: size, coverage, the largest countries and their net migration."""
    from talentatlas.export import render

    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    counts = atlas.counts()
    cov = atlas.coverage(scoped=True)
    lo, hi = atlas.years
    latest = atlas.latest_complete_year()
    rows = atlas.headline(latest)

    console.print(
        Panel.fit(
            f"{counts['works']:,} works, {counts['authorships']:,} authorships, "
            f"{counts['persons']:,} people, {counts['institutions']:,} institutions "
            f"({lo}–{hi})\n"
            f"in scope: {cov.authorships:,} authorships; {cov.with_country:.1%} placed in a "
            f"country, {cov.with_reliable_key:.1%} with an OpenReview id",
            title="talentatlas",
        )
    )
    console.print(
        render(
            rows,
            f"Largest AI-researcher populations, {latest}",
            "share = of all researchers placed in a country that year; net_rate per 10,000",
        )
    )
