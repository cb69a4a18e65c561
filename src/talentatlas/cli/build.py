"""Commands that fetch, build and describe the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
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
    progress_bar,
    settings,
)
from talentatlas.config import Settings


def _many(what: str) -> Any:
    return typer.Option(help=f"openalex: {what} (repeatable; replaces the field's subfields)")


@command()
def fetch(
    what: Annotated[
        str,
        typer.Argument(
            help="`conferences`: paper lists and OpenReview authors (the default); "
            "`openalex`: the works of a field from the OpenAlex API; `openalex-snapshot`: "
            "the works partitions of OpenAlex's snapshot not yet copied; "
            "`openalex-authors`, `openalex-institutions`, `openalex-sources`: the OpenAlex "
            "records of those the warehouse refers to."
        ),
    ] = "conferences",
    data_dir: DataDir = None,
    warehouse: Warehouse = None,
    field: Annotated[
        str | None, typer.Option(help="openalex: the field whose subfields are fetched.")
    ] = None,
    years: Annotated[
        str | None, typer.Option(help="openalex: publication years, e.g. 2015-2025.")
    ] = None,
    topic: Annotated[list[str] | None, _many("an OpenAlex topic id, e.g. T10320")] = None,
    source: Annotated[list[str] | None, _many("an OpenAlex source id, e.g. S4306420609")] = None,
    institution: Annotated[
        list[str] | None, typer.Option(help="openalex: only works with this institution id")
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option(help="openalex: only works with an author in this country")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="openalex: fetch without asking to confirm.")
    ] = False,
    snapshot: Annotated[
        str | None,
        typer.Option("--from", help="openalex-snapshot: s3://, a URL or a directory."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="openalex-snapshot: only partitions from this date (YYYY-MM-DD)."),
    ] = None,
    snapshot_format: Annotated[
        str, typer.Option("--format", help="openalex-snapshot: jsonl or parquet.")
    ] = "jsonl",
    entity: Annotated[
        list[str] | None,
        typer.Option(
            help="openalex-snapshot: works (the default), authors, institutions, sources; "
            "repeatable."
        ),
    ] = None,
) -> None:
    """Download sources into the data dir: the default conference sources, or OpenAlex
    works (an estimate of the metered list calls first; run again to continue)."""
    s = settings(data_dir, warehouse)
    if what == "openalex":
        _fetch_openalex(s, field, years, topic, source, institution, country, yes)
        return
    if what == "openalex-snapshot":
        _sync_openalex(
            s, snapshot or s.openalex_snapshot, since, tuple(entity or ("works",)), snapshot_format
        )
        return
    entity = what.removeprefix("openalex-")
    if entity in ("authors", "institutions", "sources"):
        _fetch_openalex_entities(s, entity, yes)
        return
    if what != "conferences":
        err.print(
            f"[red]error:[/] unknown source {what!r}: conferences, openalex, "
            "openalex-snapshot, openalex-authors, openalex-institutions or openalex-sources"
        )
        raise typer.Exit(2)
    from talentatlas.fetch import fetch as do_fetch

    where = s.mirror or "upstream repositories"
    err.print(f"fetching the {s.scope.field!r} venues from {where} into {s.data_dir}")
    with progress_bar() as progress:
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


def _fetch_openalex_entities(s: Settings, entity: str, yes: bool) -> None:
    import httpx

    from talentatlas.sources.openalex_api import (
        IDS_PER_CALL,
        OpenAlexClient,
        fetch_entities,
    )

    ids = open_atlas(s).openalex_ids(entity)
    calls = -(-len(ids) // IDS_PER_CALL)
    err.print(f"{len(ids):,} OpenAlex {entity} in the warehouse: at most {calls:,} call(s)")
    if not ids:
        return
    if not yes and not typer.confirm(f"fetch their records in up to {calls:,} calls?", err=True):
        err.print("nothing fetched (add --yes to fetch without asking)")
        raise typer.Exit(1)
    client = OpenAlexClient(s.openalex_api, api_key=s.openalex_api_key, mailto=s.openalex_mailto)
    with progress_bar() as progress:
        task = progress.add_task(entity, total=len(ids), item="")
        try:
            state = fetch_entities(
                client, entity, ids, s.data_dir,
                on_page=lambda st: progress.update(
                    task, completed=len(st.fetched), item=f"{st.records:,} records"
                ),
            )  # fmt: skip
        except httpx.HTTPError as e:
            err.print(f"[red]error:[/] {e} (run again to continue)")
            raise typer.Exit(1) from e
    err.print(
        f"{state.records:,} {entity} records in {state.pages:,} pages so far; "
        "run `talentatlas build` next"
    )


def _sync_openalex(
    s: Settings, base: str, since: str | None, entities: tuple[str, ...], fmt: str
) -> None:
    import httpx

    from talentatlas.sources.openalex_sync import FORMATS, sync_snapshot

    bad = sorted(set(entities) - {"works", "authors", "institutions", "sources"})
    if bad or fmt not in FORMATS:
        err.print(f"[red]error:[/] --entity {', '.join(bad)}" if bad else
                  f"[red]error:[/] --format {fmt!r}: jsonl or parquet")  # fmt: skip
        raise typer.Exit(2)
    err.print(
        f"copying the {', '.join(entities)} of the OpenAlex snapshot at {base} ({fmt}) "
        f"into {s.data_dir}"
    )
    with progress_bar() as progress:
        task = progress.add_task("snapshot", total=None, item="")
        try:
            got = sync_snapshot(
                base, s.data_dir, since=since, entities=entities, fmt=fmt,
                on_plan=lambda n: progress.update(task, total=n),
                on_file=lambda p: progress.update(task, advance=1, item=p),
            )  # fmt: skip
        except (FileNotFoundError, httpx.HTTPError) as e:
            err.print(f"[red]error:[/] {e} (run again to continue)")
            raise typer.Exit(1) from e
    err.print(
        f"{len(got.fetched)} parts copied ({got.bytes / 1e6:,.1f} MB), {len(got.present)} "
        f"already present, {len(got.skipped)} older than --since; run `talentatlas build` next"
    )


def _years(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    lo, _, hi = text.partition("-")
    try:
        first, last = int(lo), int(hi or lo)
    except ValueError:
        err.print(f"[red]error:[/] --years {text!r}: a year or a range such as 2015-2025")
        raise typer.Exit(2) from None
    return (first, last)


def _fetch_openalex(
    s: Settings,
    field: str | None,
    years: str | None,
    topics: list[str] | None,
    sources: list[str] | None,
    institutions: list[str] | None,
    countries: list[str] | None,
    yes: bool,
) -> None:
    import httpx

    from talentatlas.sources.openalex_api import (
        OpenAlexClient,
        WorksQuery,
        fetch_works,
        list_calls,
        load_state,
    )

    scope = s.scope.model_copy(update={"field": field} if field else {})
    subfields = () if topics or sources else tuple(sorted(set(scope.subfield_areas())))
    query = WorksQuery(
        subfields=subfields, topics=tuple(topics or ()), sources=tuple(sources or ()),
        institutions=tuple(institutions or ()), countries=tuple(countries or ()),
        years=_years(years),
    )  # fmt: skip
    try:
        wanted = query.filter()
    except ValueError as e:
        err.print(f"[red]error:[/] {e}: give --field, --topic, --source or --years")
        raise typer.Exit(2) from e
    client = OpenAlexClient(s.openalex_api, api_key=s.openalex_api_key, mailto=s.openalex_mailto)
    state = load_state(s.data_dir, query)
    try:
        count = client.count(query)
    except httpx.HTTPError as e:
        err.print(f"[red]error:[/] OpenAlex did not answer: {e}")
        raise typer.Exit(1) from e
    calls = list_calls(count)
    done = state.pages if state else 0
    err.print(
        f"{count:,} OpenAlex works where {wanted}: about {calls:,} list call(s)"
        + (f" ({done:,} pages already fetched)" if done else "")
    )
    if state and state.done:
        err.print("already complete: nothing to fetch")
        return
    if not yes and not typer.confirm(f"fetch about {max(calls - done, 1):,} pages?", err=True):
        err.print("nothing fetched (add --yes to fetch without asking)")
        raise typer.Exit(1)
    with progress_bar() as progress:
        task = progress.add_task("openalex", total=calls, completed=done, item="")
        try:
            final = fetch_works(
                client, query, s.data_dir,
                on_page=lambda st: progress.update(
                    task, completed=st.pages, item=f"{st.works:,} works"
                ),
            )  # fmt: skip
        except httpx.HTTPError as e:
            err.print(f"[red]error:[/] {e} (run again to continue)")
            raise typer.Exit(1) from e
    err.print(f"{final.works:,} works in {final.pages:,} pages; run `talentatlas build` next")


@command("fetch-orcid")
def fetch_orcid(
    data_dir: DataDir = None,
    warehouse: Warehouse = None,
    fmt: Annotated[str, typer.Option("--format", help="xml or json.")] = "xml",
    limit: Annotated[
        int | None, typer.Option(help="Only the first N iDs (sorted), e.g. to try it.")
    ] = None,
    public_file: Annotated[
        list[Path] | None,
        typer.Option(
            help="Read the records from ORCID's annual public data file(s) (tar.gz) "
            "instead of the API; repeatable."
        ),
    ] = None,
) -> None:
    """Download the ORCID records (educations, employments, qualifications) of the
    persons the warehouse knows by ORCID iD into the data dir; run again to continue.
    With ``--public-file``, copy those records out of ORCID's public data file."""
    from talentatlas.sources.orcid import SECTIONS, OrcidClient, fetch_records, record_dir

    s = settings(data_dir, warehouse)
    if public_file:
        _orcid_from_public_files(s, public_file, limit)
        return
    try:
        client = OrcidClient(s.orcid_api, token=s.orcid_token, fmt=fmt)
    except ValueError as e:  # an unknown format
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(2) from e
    ids = open_atlas(s).orcids()[:limit]
    err.print(f"{len(ids):,} ORCID iDs: {len(SECTIONS)} sections each from {s.orcid_api}")
    with progress_bar() as progress:
        task = progress.add_task("orcid", total=len(ids), item="")
        got = fetch_records(
            client, ids, s.data_dir, on_record=lambda i: progress.update(task, advance=1, item=i)
        )
    err.print(
        f"{len(got['fetched'])} sections fetched, {len(got['present'])} already present, "
        f"{len(got['missing'])} iDs unknown to ORCID; kept under {record_dir(s.data_dir)}"
    )


def _orcid_from_public_files(s: Settings, paths: list[Path], limit: int | None) -> None:
    from talentatlas.sources.orcid import extract_public_data_file, record_dir

    missing = [p for p in paths if not p.is_file()]
    if missing:
        err.print(f"[red]error:[/] no such file: {', '.join(map(str, missing))}")
        raise typer.Exit(2)
    ids = open_atlas(s).orcids()[:limit]
    err.print(f"{len(ids):,} ORCID iDs, looked up in {len(paths)} public data file(s)")
    found: set[str] = set()
    written = present = 0
    with progress_bar() as progress:
        for path in paths:
            task = progress.add_task("orcid", total=path.stat().st_size, item=path.name)
            with path.open("rb") as raw, progress.wrap_file(raw, task_id=task) as f:
                got = extract_public_data_file(f, path.name, ids, s.data_dir)
            found |= got["orcids"]
            written, present = written + got["written"], present + got["present"]
            for problem in got["problems"]:
                err.print(f"[yellow]warning:[/] {problem}")
    err.print(
        f"{len(found):,} of {len(ids):,} iDs found: {written:,} files written, {present:,} "
        f"already present; kept under {record_dir(s.data_dir)}; run `talentatlas build` next"
    )


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
    profile: Annotated[
        bool, typer.Option("--profile", help="Print where the time went, stage by stage.")
    ] = False,
) -> None:
    """Ingest everything under the data dir into the warehouse; compute careers and indicators."""
    from talentatlas.pipeline import build as do_build

    s = settings(data_dir, warehouse, engine)
    with progress_bar() as progress:
        # shown once there is something to parse (an up-to-date warehouse has nothing)
        task = progress.add_task("parse", total=None, item="", visible=False)
        try:
            result = do_build(
                s,
                force=force,
                keep_scratch=keep_scratch,
                report=lambda msg: progress.console.print(msg, style="dim"),
                on_files=lambda n: progress.update(task, total=n, completed=0, visible=True),
                on_parsed=lambda f, m: progress.update(task, advance=1, item=f.rel),
            )
        except FileNotFoundError as e:
            err.print(f"[red]error:[/] {e}")
            raise typer.Exit(2) from e
        progress.update(task, completed=progress.tasks[0].total or 0, item="")
    verb = "unchanged" if result.skipped else "built"
    err.print(f"[green]{verb}[/] {result.warehouse} in {result.seconds:.1f}s")
    if profile and not result.skipped:
        from talentatlas.export import render

        console.print(render(result.profile(), "Where the build's time went",
                             "share: of the whole build; a stage's tables are the ones it "
                             "wrote, with the results it read back; the rest of a stage is "
                             "work in Python"))  # fmt: skip


@command()
def status(warehouse: Warehouse = None, engine: Engine = None) -> None:
    """What is in the warehouse: sources, counts, coverage, quarantined records."""
    from talentatlas.export import render

    s = settings(warehouse=warehouse, engine=engine)
    atlas = open_atlas(s)
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


@command()
def run(
    data_dir: DataDir = None,
    warehouse: Warehouse = None,
    engine: Engine = None,
) -> None:
    """Fetch, build, and print a headline summary of the atlas."""
    from talentatlas.cli.lookup import summary

    fetch("conferences", data_dir=data_dir)
    build(data_dir, warehouse, engine, force=False)
    summary(warehouse, engine)
