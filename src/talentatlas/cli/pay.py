"""Pay: offered wages on visa filings, OEWS wage distributions, prevailing-wage levels
and the user's offers, by employer, role family, place and year."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from talentatlas.cli.options import (
    Engine,
    Fmt,
    Output,
    Plot,
    Since,
    Until,
    Warehouse,
    app,
    emit,
    err,
    open_atlas,
    plot_chart,
    settings,
    usage_errors,
)
from talentatlas.vocabulary import QueryError

pay_app = typer.Typer(
    help="What AI researchers and engineers are paid: LCA filings, OEWS, offers.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(pay_app, name="pay")

Currency = Annotated[
    str,
    typer.Option(help="Currency of the figures (ISO code, e.g. EUR, KRW; PPP$ with --ppp)."),
]
Ppp = Annotated[
    Path | None,
    typer.Option(help="A PPP table (CSV: country, year, ppp) for --currency PPP$."),
]
Family = Annotated[
    str | None,
    typer.Option(
        help="Role family: research-scientist, applied-scientist, ml-engineer, "
        "data-scientist, software-engineer, research-engineer, "
        "professor-postdoc, other."
    ),
]


def _rates(ppp: Path | None):
    from talentatlas.pay.currency import Rates, read_ppp

    return Rates(ppp=read_ppp(ppp)) if ppp else Rates()


def _caption(t: pa.Table, extra: str = "") -> str:
    from talentatlas.pay.views import pay_meta

    md = pay_meta(t)
    cur = md.get("currency", "USD")
    how = (
        "each record's local amount divided by its country's PPP factor of its year"
        if cur == "PPP$" else "ECB yearly average rate of each record's year"
    )  # fmt: skip
    parts = [
        f"figures: {md.get('kind', '')}",
        f"yearly amounts in {cur} ({how})",
        md.get("rates", ""),
        extra,
    ]
    return "\n".join(p for p in parts if p)


@pay_app.callback()
@usage_errors
def pay(
    ctx: typer.Context,
    employer: Annotated[
        str | None, typer.Option(help="Employer or organisation (and its labs), e.g. Google.")
    ] = None,
    family: Family = None,
    seniority: Annotated[
        str | None,
        typer.Option(help="intern, junior, senior, staff, principal or director."),
    ] = None,
    since: Since = None,
    until: Until = None,
    state: Annotated[str | None, typer.Option(help="Worksite state (code or name).")] = None,
    city: Annotated[str | None, typer.Option(help="Worksite city.")] = None,
    occupation: Annotated[
        str | None,
        typer.Option(help="OEWS: an occupation (SOC code like 15-1221, or words of a title)."),
    ] = None,
    area: Annotated[
        str | None,
        typer.Option(help="OEWS area: national, a state (CA), or a metro by a city (San Jose)."),
    ] = None,
    levels: Annotated[
        bool,
        typer.Option("--levels", help="Prevailing-wage levels I-IV (--area 'County, ST' or ST)."),
    ] = False,
    by: Annotated[
        list[str] | None,
        typer.Option(
            help="Group by employer, family, seniority, year, state or city (repeatable)."
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="Groups shown (most records first).")] = 20,
    source: Annotated[
        str, typer.Option(help="lca (visa filings), offers (your offers) or both.")
    ] = "both",
    currency: Currency = "USD",
    ppp: Ppp = None,
    plot: Plot = None,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Pay distributions (10th, 25th, 50th, 75th, 90th percentile, mean) with the records
    counted, the years covered and the kind of each figure. Filters select LCA filings
    (offered base wages) and your offers; ``--occupation``/``--area`` give an
    occupation's OEWS wages in an area; ``--levels`` prevailing-wage levels."""
    if ctx.invoked_subcommand is not None:
        return
    if source not in ("lca", "offers", "both"):
        raise QueryError(f"--source is lca, offers or both, not {source!r}")

    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    if not atlas.has_pay():
        err.print(
            "[red]error:[/] this warehouse holds no pay records: add pay files (talentatlas fetch) and rebuild it"
        )
        raise typer.Exit(1)
    if levels and not area:
        raise QueryError("--levels needs --area ('County, ST' or a state code)")
    if occupation or (area and not (employer or family or seniority)):
        occ = occupation or "15-1221"
        if levels:
            t = atlas.prevailing_levels(occ, area)
            emit(t, fmt, output, f"Prevailing-wage levels: {occ} in {area}", _caption(t))
            return
        t = atlas.occupation_wages(occ, area, currency, rates=_rates(ppp))
        emit(t, fmt, output, f"OEWS wages: {occ}" + (f" in {area}" if area else " (national)"),
             _caption(t, "employment = jobs in the occupation and area; top_coded: a "
                         "percentile at or above $239,200 is not published"))  # fmt: skip
        if plot is not None and t.num_rows:
            plot_chart("pay_ranges", t, plot, label=["occupation", "area"],
                       title=f"OEWS wages: {occ}", unit=f"{currency} a year")  # fmt: skip
        return
    q, best = atlas.pay_query(employer=employer, area=area, family=family,
                              seniority=seniority, since=since, until=until, state=state,
                              city=city)  # fmt: skip
    if best is not None:
        err.print(f"{employer!r}: {best['name']} ({best['institution_id']}) and its "
                  f"{len(q.institution_ids) - 1} labs, and employer names starting with it",
                  style="dim")  # fmt: skip
    rates = _rates(ppp)
    groups = tuple(by or ())
    what = ", ".join(f"{k} {v}" for k, v in (("employer", employer), ("family", family),
                     ("seniority", seniority), ("area", area), ("state", state), ("city", city),
                     ("since", since), ("until", until)) if v)  # fmt: skip
    shown = []
    for src, name in (("dol_lca", "lca"), ("offers", "offers")):
        if source not in (name, "both"):
            continue
        t = atlas.pay_summary(q, by=groups, source=src, currency=currency, rates=rates, top=top)
        if src == "offers" and source == "both" and not int(sum(t["records"].to_pylist() or [0])):
            continue
        label = "LCA filings (offered base wage)" if src == "dol_lca" else "Your offers (total)"
        by_txt = f" by {', '.join(groups)}" if groups else ""
        emit(t, fmt, output, f"{label}{by_txt}" + (f" — {what}" if what else ""),
             _caption(t, "records = certified filings with an offered wage; employers = "
                         "distinct employers" if src == "dol_lca" else "records = offers"))  # fmt: skip
        shown.append((src, t))
    if plot is not None and shown:
        src, t = shown[0]
        lab = [b if b != "employer" else "employer" for b in groups] or None
        if lab is None:
            t = t.append_column("label", pa.array([what or "all"] * t.num_rows))
            lab = ["label"]
        plot_chart("pay_ranges", t, plot, label=lab,
                   title=f"Pay{(' — ' + what) if what else ''}",
                   subtitle=None, unit=f"{currency} a year",
                   note="LCA: offered base wage on visa filings" if src == "dol_lca"
                   else "your offers")  # fmt: skip


@pay_app.command("compare")
@usage_errors
def compare(
    family: Family = None,
    areas: Annotated[
        list[str] | None,
        typer.Option(
            help="Areas (metros by a city, states, national); the values may "
            "follow one --areas: --areas 'San Francisco' Seattle 'New York'."
        ),
    ] = None,
    more: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
    currency: Currency = "USD",
    ppp: Ppp = None,
    since: Since = None,
    plot: Plot = None,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """A role family's pay across areas: its main occupation's OEWS distribution and the
    offered wages of its LCA filings at the area's worksites."""
    names = [*(areas or []), *(more or [])]
    if not family or not names:
        raise QueryError("compare needs --family and at least one area (--areas)")
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    t = atlas.pay_compare(family, names, currency, since=since, rates=_rates(ppp))
    emit(t, fmt, output, f"{family}: pay by area",
         _caption(t, "count: employment (OEWS) or filings (LCA); LCA worksites: the cities "
                     "a metro's name lists"))  # fmt: skip
    if plot is not None:
        plot_chart("pay_ranges", t, plot, label=["area", "source", "years"], colour_by="source",
                   title=f"{family}: pay by area", unit=f"{currency} a year",
                   note="bls_oews: all employees of the occupation; dol_lca: offered base "
                   "wages on visa filings")  # fmt: skip
