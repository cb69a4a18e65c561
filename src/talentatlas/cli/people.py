"""People: search, profiles, rankings of people and institutions, movement watch."""

from __future__ import annotations

import json
from typing import Annotated

import pyarrow as pa
import pyarrow.compute as pc
import typer
from rich.panel import Panel

from talentatlas.cli.options import (
    Engine,
    Fmt,
    Output,
    Plot,
    Since,
    Until,
    Venue,
    Warehouse,
    command,
    console,
    emit,
    err,
    find_institution,
    open_atlas,
    plot_chart,
    settings,
)

Areas = Annotated[
    list[str] | None,
    typer.Option("--area", "--areas", help="Areas (repeatable or comma-separated): ml,cv,nlp …"),
]
Countries = Annotated[
    list[str] | None, typer.Option("--country", help="Country (repeatable): KR, United States …")
]
Top = Annotated[int, typer.Option("--top", help="How many rows.")]

#: what a people table shows in a terminal (files get every column)
SHOWN = ("rank", "name", "works", "adjusted", "first_author", "last_author", "top_tier",
         "citations", "institution", "country", "stage", "areas", "identity")  # fmt: skip


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for x in values or () for v in x.split(",") if v.strip())


def _years(year: int | None, since: int | None, until: int | None) -> tuple[int | None, int | None]:
    if year is not None and (since is not None or until is not None):
        err.print("[red]error:[/] --year or --since/--until, not both")
        raise typer.Exit(2)
    return (year, year) if year is not None else (since, until)


@command()
def people(
    name: Annotated[str | None, typer.Option(help="A name, or part of one (fuzzy).")] = None,
    area: Areas = None,
    venue: Venue = None,
    year: Annotated[int | None, typer.Option(help="Only works of this year.")] = None,
    since: Since = None,
    until: Until = None,
    country: Countries = None,
    org: Annotated[
        str | None, typer.Option("--org", help="An organisation (name or id), with its labs.")
    ] = None,
    sector: Annotated[str | None, typer.Option(help="academia, industry, …")] = None,
    stage: Annotated[
        str | None,
        typer.Option(
            help="phd, student, postdoc, faculty, leader, engineer, researcher "
            "(stated), or early, mid, senior (years since the first paper)."
        ),
    ] = None,
    min_works: Annotated[int, typer.Option(help="At least this many works.")] = 0,
    sort: Annotated[
        str,
        typer.Option(help="adjusted, works, first_author, last_author, top_tier or citations."),
    ] = "adjusted",
    top: Top = 20,
    page: Annotated[int, typer.Option(help="Page of --top rows (1 = the first).")] = 1,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Find and rank researchers: by name, area, venue, years, country, organisation,
    sector, career stage and output. `--output shortlist.csv` writes a shortlist with
    every column (identifiers, identity evidence)."""
    from talentatlas.discovery.search import PeopleQuery

    s = settings(warehouse=warehouse, engine=engine)
    atlas = open_atlas(s)
    lo, hi = _years(year, since, until)
    institutions: tuple[str, ...] = ()
    if org:
        institutions = tuple(atlas.descendants(find_institution(atlas, org)["institution_id"]))
    try:
        q = PeopleQuery(
            name=name, areas=_split(area), venues=_split(venue), year_min=lo, year_max=hi,
            countries=_split(country), institutions=institutions, sector=sector, stage=stage,
            min_works=min_works, sort=sort, limit=top, offset=(max(page, 1) - 1) * top,
        )  # fmt: skip
    except ValueError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e
    found, total = atlas.people(q)
    if not total:
        err.print("no one matches")
        raise typer.Exit(1)
    table = found.select([c for c in SHOWN if c in found.column_names]) if (
        fmt == "table" and output is None) else found  # fmt: skip
    end = q.offset + found.num_rows
    emit(table, fmt, output, f"People {q.offset + 1}–{end} of {total:,}, by {sort}",
         "adjusted: each work gives 1/N to each of its N authors. top_tier: orals and "
         "spotlights. place: the latest placed year"
         + (f" up to {hi}" if hi else "") + ". identity: how the person's authorships "
         "were linked (`talentatlas person` shows the evidence).")  # fmt: skip


@command()
def rank(
    what: Annotated[str, typer.Argument(help="orgs (institutions/organisations) or people.")],
    area: Areas = None,
    since: Since = None,
    until: Until = None,
    country: Countries = None,
    sector: Annotated[str | None, typer.Option(help="academia, industry, …")] = None,
    level: Annotated[
        str, typer.Option(help="institution, or organisation (labs rolled up).")
    ] = "institution",
    credit: Annotated[
        str,
        typer.Option(
            help="current: the author's institution now (CSRankings); paper: the "
            "institution on the paper (time-aware)."
        ),
    ] = "current",
    sort: Annotated[str, typer.Option(help="people: the measure to rank by.")] = "adjusted",
    top: Top = 25,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Rankings: institutions or organisations by the CSRankings rule (geometric mean
    over the areas of adjusted count + 1), or people by a measure."""
    if what == "people":
        people(area=area, since=since, until=until, country=country, sector=sector,
               sort=sort, top=top, fmt=fmt, output=output, warehouse=warehouse,
               engine=engine, name=None, venue=None, year=None, org=None, stage=None,
               min_works=0, page=1)  # fmt: skip
        return
    if what != "orgs":
        err.print(f"[red]error:[/] rank orgs or rank people, not {what!r}")
        raise typer.Exit(2)
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    try:
        t = atlas.rank_units(
            _split(area), year_min=since, year_max=until, countries=_split(country),
            sector=sector, level=level, credit_on=credit, limit=top,
        )  # fmt: skip
    except ValueError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e
    areas = ", ".join(_split(area)) or "every area"
    emit(t, fmt, output, f"{level.capitalize()}s by the CSRankings rule: {areas}",
         "score: geometric mean over the areas of (adjusted count + 1); each work gives 1/N "
         f"to each of its N authors, credited to the {'institution on the paper' if credit == 'paper' else 'author’s latest institution'}.")  # fmt: skip


@command()
def moves(
    org: Annotated[str | None, typer.Option("--org", help="An organisation (name or id).")] = None,
    country: Annotated[str | None, typer.Option(help="A country.")] = None,
    since: Since = None,
    until: Until = None,
    direction: Annotated[str | None, typer.Option(help="joined or left (default both).")] = None,
    top: Top = 50,
    fmt: Fmt = "table",
    output: Output = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Movement watch: who joined or left an organisation (with its labs) or a country,
    from where and to where, latest first."""
    if bool(org) == bool(country):
        err.print("[red]error:[/] give --org or --country")
        raise typer.Exit(2)
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    inst = find_institution(atlas, org)["institution_id"] if org else None
    t = atlas.movements(institution_id=inst, country=country, year_min=since, year_max=until)
    if direction:
        t = t.filter(pc.equal(t["direction"], direction))
    t = t.slice(0, top) if fmt == "table" and output is None else t
    shown = ["year", "direction", "name", "from_institution", "from_country", "to_institution",
             "to_country", "identity"]  # fmt: skip
    view = t.select(shown) if fmt == "table" and output is None else t
    emit(view, fmt, output, f"Moves {'at ' + org if org else 'of ' + str(country)}",
         "a move: a change of modal institution (or country) between two consecutive "
         "observed years, dated at the later one; moves between an organisation's own labs "
         "are left out.")  # fmt: skip


def show_profile(atlas, person_id: str, fmt: str) -> dict:
    """Print a person's profile (or return it for a file)."""
    p = atlas.profile(person_id)
    s = p["summary"]
    if fmt != "table":
        return {k: (v.to_pylist() if isinstance(v, pa.Table) else v) for k, v in p.items()}
    ids = "; ".join(f"{r['kind']} {r['value']}" for r in p["identifiers"].to_pylist())
    ev = ", ".join(f"{r['key_kind']} {r['authorships']}" for r in p["identity"].to_pylist())
    console.print(Panel.fit(
        f"[bold]{s['name']}[/] — {s['person_id']}\n"
        f"now: {s['institution'] or '—'} ({s['country'] or '—'}, {s['sector'] or '—'}), "
        f"as of {s['place_year'] or '—'}; stage {s['stage']} ({s['stage_evidence']})\n"
        f"{s['works']} works {s['first_year']}–{s['last_year']}; adjusted "
        f"{s['adjusted']:.2f}; first-author {s['first_author']}, last-author "
        f"{s['last_author']}, oral/spotlight {s['top_tier']}; citations "
        f"{s['citations'] if s['citations'] is not None else 'not carried'}; areas {s['areas']}\n"
        f"identity (authorships, by how each was linked): {ev}\nidentifiers: {ids or '—'}",
        title="profile",
    ))  # fmt: skip
    emit(p["timeline"].select(["year", "institution", "country", "sector", "role", "works",
                               "observed"]), "table", None, "Career", "")  # fmt: skip
    emit(p["venues"], "table", None, "Works by venue and year", "")
    emit(p["coauthors"].slice(0, 10), "table", None, "Most frequent co-authors", "")
    if p["moves"].num_rows:
        emit(p["moves"], "table", None, "Moves", "")
    return {}


@command()
def person(
    name: Annotated[str, typer.Argument(help="A person's name (or id, or part of a name).")],
    limit: Annotated[int, typer.Option(help="Candidates listed when the name is shared.")] = 5,
    fmt: Fmt = "table",
    output: Output = None,
    plot: Plot = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """A person's profile: place and stage now, output, career timeline, works by venue
    and tier, co-authors, moves, identifiers and the evidence behind the identity. When
    several people match, the best match is shown and the others listed. ``--plot``
    draws the career on a world map."""
    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    idx = atlas.table("person_index")
    by_id = idx.filter(idx.person_id == name).count().to_pyarrow().as_py()
    if by_id and name not in atlas.suppressed:
        pid = name
    else:
        found = atlas.find_persons(name, limit=limit)
        ids = found["person_id"].to_pylist()
        indexed = set(
            idx.filter(idx.person_id.isin(ids)).select("person_id").to_pyarrow()["person_id"]
            .to_pylist()
        )  # fmt: skip
        rows = [r for r in found.to_pylist() if r["person_id"] in indexed]
        if not rows:
            err.print(f"[red]no person named {name!r}[/]")
            raise typer.Exit(1)
        pid = rows[0]["person_id"]
        if rows[1:]:
            err.print(
                f"[bold]{len(rows)} people[/] match {name!r}; showing {rows[0]['name']} "
                f"({pid}, {rows[0]['authorships']} authorships). Others: "
                + "; ".join(f"{r['name']} ({r['person_id']}, {r['authorships']})" for r in rows[1:])
            )
    from talentatlas.discovery.views import PersonNotFound

    try:
        data = show_profile(atlas, pid, "table" if output is None and fmt == "table" else "json")
    except PersonNotFound as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(1) from e
    if plot is not None:
        who = idx.filter(idx.person_id == pid).select("name")
        plot_chart("career_map", atlas.timeline(pid), plot,
                   title=f"Career of {who.to_pyarrow()['name'][0].as_py()}")  # fmt: skip
    if data:
        text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
        if output is None:
            print(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
            err.print(f"wrote {output}", style="dim")


@command()
def rising(
    year: Annotated[
        int | None,
        typer.Option(help="Score with data up to this year (default: the last complete one)."),
    ] = None,
    country: Countries = None,
    top: Top = 30,
    fmt: Fmt = "table",
    output: Output = None,
    shared_names: Annotated[
        bool,
        typer.Option(
            help="Also list people known only by a name other persons carry too "
            "(possibly several people merged)."
        ),
    ] = False,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Rising stars: people in their first five years of publishing, ranked by a score
    built only from data up to the year, with the score's backtest against simple
    baselines (precision@50 and Spearman on the next three years' adjusted count)."""
    from talentatlas.discovery.rising import HORIZON, K

    atlas = open_atlas(settings(warehouse=warehouse, engine=engine))
    ranked, tested = atlas.rising(
        year, countries=_split(country), limit=top, shared_names=shared_names
    )
    shown = ["rank", "name", "score", "years", "adjusted", "works", "works_in_t",
             "first_author", "top_tier", "institution", "country", "stage", "identity"]  # fmt: skip
    view = ranked.select(shown) if fmt == "table" and output is None else ranked
    emit(view, fmt, output, f"Rising stars (first {K} years of publishing)",
         f"score: the expected log(1 + adjusted count) in the next {HORIZON} years, from a "
         "model fitted on earlier cohorts whose outcomes were known by then.")  # fmt: skip
    cols = ["year", "eligible", "p_at_k_score", "p_at_k_works_so_far", "p_at_k_works_last_year",
            "spearman_score", "spearman_works_so_far", "spearman_works_last_year"]  # fmt: skip
    if fmt == "table" and tested.num_rows:
        emit(tested.select(cols), "table", None, "How well the score has done (backtest)",
             f"for each year t: the score built from data up to t against what happened in "
             f"t+1..t+{HORIZON}; p_at_k: share of the top 50 by each ranking among the top 50 "
             "by adjusted count; baselines: works so far, works in t.")  # fmt: skip
