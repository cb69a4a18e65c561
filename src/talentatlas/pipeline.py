"""The build: sources -> landing -> canonical tables -> resolution -> careers -> indicators.

Each stage is a function over the engine that materialises named tables; nothing here
touches rows in Python except the per-distinct-affiliation resolver (an edge step).
A build is skipped when nothing it depends on changed (its fingerprint), and it is
written to a temporary location and swapped in only when complete.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from talentatlas import __version__, canonical, career_stage, careers
from talentatlas import facts as facts_
from talentatlas.catalogue import catalogue_table
from talentatlas.config import DOMAIN_TABLE, Settings
from talentatlas.discovery import credit as discovery_credit
from talentatlas.discovery import index as discovery_index
from talentatlas.discovery import stages as discovery_stages
from talentatlas.indicators import countries, graduates, organisations, pathways, sectors
from talentatlas.indicators.frame import Filters, Frame
from talentatlas.indicators.result import describe
from talentatlas.landing import (
    InputFile,
    discover,
    file_sha256,
    files_table,
    land,
    land_on_spark,
    landed_paths,
)
from talentatlas.pay import landing as pay_landing
from talentatlas.pay.stage import stage_pay
from talentatlas.resolve import corrections
from talentatlas.resolve.affiliations import KEY_COLUMNS, join_resolution
from talentatlas.resolve.corrections import Corrections
from talentatlas.resolve.memo import ResolutionMemo, resolver_digest
from talentatlas.resolve.people import resolve_people
from talentatlas.resolve.people.components import local_components
from talentatlas.resolve.prepared import Preparation
from talentatlas.sources import REGISTRY, orcid, ror
from talentatlas.sources.base import SCHEMAS
from talentatlas.store import Engine, SparkEngine, commit, open_engine
from talentatlas.tables import union_all

#: bump when stage logic changes, so that unchanged inputs still rebuild
PIPELINE_VERSION = 14

Report = Callable[[str], None]


@dataclass
class BuildResult:
    warehouse: Path
    skipped: bool
    files: int
    parsed: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    #: (stage, table written or "(results read back)", seconds), in build order
    steps: list[tuple[str, str, float]] = field(default_factory=list)

    def profile(self) -> pa.Table:
        """Where the time went: per stage its total, the tables it wrote (and results
        read back) by time, and the rest of the stage (work in Python: parsing,
        matching, linking, intervals): ``stage, step, seconds, share`` of the build."""
        rows: list[tuple[str, str, float]] = []
        for stage, total in self.timings.items():
            rows.append((stage, "(stage total)", total))
            per: dict[str, float] = {}
            for st, what, secs in self.steps:
                if st == stage:
                    per[what] = per.get(what, 0.0) + secs
            for what, secs in sorted(per.items(), key=lambda kv: -kv[1]):
                rows.append((stage, what, secs))
            if per and total - sum(per.values()) > 0.05:
                rows.append((stage, "(other work, in Python)", total - sum(per.values())))
        whole = self.seconds or 1.0
        return pa.table({
            "stage": [r[0] for r in rows], "step": [r[1] for r in rows],
            "seconds": [round(r[2], 2) for r in rows],
            "share": [round(r[2] / whole, 4) for r in rows],
        })  # fmt: skip


def fingerprint(
    settings: Settings,
    files: list[InputFile],
    fixes: Corrections,
    pay_files: list[pay_landing.PayFile] | None = None,
) -> str:
    h = hashlib.sha256()
    h.update(f"{__version__}/{PIPELINE_VERSION}/{settings.engine}/{settings.infer_places}".encode())
    h.update(settings.scope.model_dump_json().encode())
    for f in sorted(files, key=lambda f: (f.source, f.rel)):
        # the adapter's version too: a changed reader re-reads its files
        h.update(f"{f.source}|v{REGISTRY[f.source].version}|{f.rel}|{f.sha256}\n".encode())
    for p in ror.discover(settings.data_dir):
        h.update(f"ror|{p.name}|{file_sha256(p)}\n".encode())
    for p in orcid.record_files(settings.data_dir):
        h.update(f"orcid|{p.parent.name}/{p.name}|{file_sha256(p)}\n".encode())
    h.update(f"corrections|{fixes.digest}".encode())
    for pf in pay_files or []:
        h.update(f"pay|v{pay_landing.PAY_VERSION}|{pf.source}|{pf.rel}|{pf.sha256}\n".encode())
    table = settings.data_dir / DOMAIN_TABLE
    if table.exists():
        h.update(hashlib.sha256(table.read_bytes()).digest())
    return h.hexdigest()


def manifest_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".manifest.json")


def build(
    settings: Settings,
    *,
    force: bool = False,
    keep_scratch: bool = False,
    report: Report | None = None,
    on_parsed: Callable[[InputFile, dict], None] | None = None,
    on_files: Callable[[int], None] | None = None,
) -> BuildResult:
    say = report or (lambda _msg: None)
    t0 = time.perf_counter()
    target = settings.resolved_warehouse()
    files = discover(settings.data_dir)
    if not files:
        raise FileNotFoundError(
            f"no input files under {settings.data_dir}: run `talentatlas fetch` first "
            "(or point TALENTATLAS_DATA_DIR at a data directory)"
        )
    fixes = corrections.load(settings.corrections, defaults=settings.default_corrections)
    pay_files = pay_landing.discover(settings.data_dir)
    fp = fingerprint(settings, files, fixes, pay_files)
    mpath = manifest_path(target)
    if (
        not force
        and target.exists()
        and mpath.exists()
        and json.loads(mpath.read_text()).get("fingerprint") == fp
    ):
        say("warehouse is up to date: nothing changed since the last build")
        return BuildResult(target, True, len(files), 0, time.perf_counter() - t0)

    timings: dict[str, float] = {}
    t = time.perf_counter()
    if on_files:
        on_files(len(files))
    engine = open_engine(
        settings.engine, target, keep_scratch=keep_scratch, spark_master=settings.spark_master
    )
    state: dict[str, Any] = {}
    # the registry and the matcher, read and indexed while the sources are parsed
    prepared = Preparation(
        settings.data_dir,
        settings.landing_dir,
        settings.data_dir / DOMAIN_TABLE,
        fixes,
        settings.workers,
    )
    # the pay files, read (or taken from the cache) meanwhile
    pay = pay_landing.PayLanding(pay_files, settings.landing_dir)
    try:
        if isinstance(engine, SparkEngine):  # the executors parse the files
            parsed = land_on_spark(files, settings.landing_dir, engine.session, on_parsed)
        else:
            parsed = land(files, settings.landing_dir, settings.workers, on_parsed)
        timings["landing"] = time.perf_counter() - t
        say(f"landed {len(files)} files ({len(parsed)} parsed, {len(files) - len(parsed)} cached)")
        for name, stage in [
            (
                "canonical",
                lambda: state.update(
                    read=stage_canonical(
                        engine,
                        files,
                        settings.landing_dir,
                        infer=settings.infer_places,
                        data_dir=settings.data_dir,
                    )
                ),
            ),
            (
                "institutions",
                lambda: stage_institutions(engine, prepared, say),
            ),
            ("resolve", lambda: stage_resolve(engine, settings, fixes, prepared, say)),
            (
                "people",
                lambda: state.update(
                    linkage=stage_people(engine, fixes, infer=settings.infer_places)
                ),
            ),
            ("careers", lambda: stage_careers(engine, settings)),
            ("evidence", lambda: stage_evidence(engine)),
            ("discovery", lambda: stage_discovery(engine)),
            ("indicators", lambda: stage_indicators(engine)),
            (
                "pay",
                lambda: stage_pay(engine, pay.result(), prepared.result().matcher, *state["read"]),
            ),
        ]:
            t = time.perf_counter()
            engine.stage = name
            stage()
            timings[name] = time.perf_counter() - t
            say(f"{name}: {timings[name]:.1f}s")
        t = time.perf_counter()
        engine.stage = "finish"
        info = pa.table(
            {
                "key": ["fingerprint", "version", "engine", "scope", "built_at", "files",
                        "corrections"],
                "value": [
                    fp, __version__, settings.engine, settings.scope.model_dump_json(),
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), str(len(files)),
                    f"{settings.corrections or ''} {fixes.digest[:12]}".strip(),
                ],
            }
        )  # fmt: skip
        linkage = state.get("linkage", {})
        info = pa.concat_tables(
            [info, pa.table({"key": list(linkage), "value": list(linkage.values())})]
        )
        engine.materialize("build_info", engine.from_arrow("build_info_src", info))
        cat = catalogue_table(lambda t: list(engine.table(t).columns))
        engine.materialize("catalogue", engine.from_arrow("catalogue_src", cat))
        timings["finish"] = time.perf_counter() - t
    finally:
        engine.close()
    commit(target)
    mpath.write_text(json.dumps({"fingerprint": fp, "files": len(files)}))
    return BuildResult(
        target, False, len(files), len(parsed), time.perf_counter() - t0, timings, engine.steps
    )


def stage_canonical(
    engine: Engine,
    files: list[InputFile],
    landing: Path,
    infer: bool = True,
    data_dir: Path | None = None,
) -> tuple[ibis.Table, ibis.Table]:
    """The canonical tables; returns what was read (``files``) and could not be
    (``quarantine``), which the pay stage writes with the pay files'."""
    raw = {
        table: engine.read_parquet(
            f"landing_{table}", landed_paths(files, landing, table), SCHEMAS[table]
        )
        for table in SCHEMAS
    }
    files_src = engine.from_arrow("files_src", files_table(files, landing))
    # the ORCID records fetched for the persons known by iD (`fetch-orcid`)
    entries = orcid.read_records(data_dir).tables() if data_dir else orcid.OrcidResult().tables()
    engine.materialize(
        "orcid_entries", engine.from_arrow("orcid_src", entries["orcid_affiliations"])
    )
    q_orcid = engine.from_arrow("orcid_quarantine", entries["quarantine"])
    quarantine = union_all([raw["quarantine"], q_orcid])
    prec = engine.from_arrow("source_precedence", canonical.precedence())
    retired = engine.scratch("retired_works", canonical.retired_works(raw["retired"]))
    # OpenReview's author records of papers a site-scraped list names under other ids
    keys = engine.scratch(
        "author_keys", canonical.author_keys(raw["works"], raw["authorships"], retired)
    )
    same = engine.scratch("same_authors", canonical.same_authors(keys))
    for table in ("works", "authorships", "affiliations"):
        raw[table] = canonical.rekeyed(raw[table], same)
    shared = engine.scratch("shared_keys", canonical.shared_keys(raw["works"], retired))
    withdrawn = engine.materialize(
        "withdrawn_works", canonical.withdrawn_works(retired, shared, prec)
    )
    works = engine.materialize("works", canonical.works(raw["works"], prec, withdrawn))
    chosen = engine.materialize(
        "work_sources",
        canonical.chosen_sources(raw["authorships"], raw["works"], prec, withdrawn),
    )
    auth = canonical.authorships(raw["authorships"], chosen)
    aff = canonical.affiliations(raw["affiliations"], chosen)
    if infer:  # author maps fill places the paper lists lack (inferred evidence)
        hits = engine.scratch(
            "author_map_hits", canonical.author_map_hits(auth, works, raw["author_countries"])
        )
        auth, aff = canonical.with_author_maps(auth, aff, hits)
    engine.materialize("authorships", auth)
    engine.materialize("affiliations", aff)
    # OpenAlex institutions, sources and author profiles (latest versions)
    for kind in ("institution", "source"):
        engine.materialize(f"openalex_{kind}s", canonical.openalex_entities(raw["entities"], kind))
    engine.scratch("openalex_author_years", canonical.author_years(raw["author_years"]))
    return files_src, quarantine


def stage_institutions(engine: Engine, prepared: Preparation, say: Report) -> None:
    """The ROR registry copy (+ local institutions and overrides from the corrections),
    prepared in the background (:mod:`talentatlas.resolve.prepared`)."""
    ready = prepared.result()
    for p in ready.problems[:20]:
        say(f"ror: {p}")
    for p in ready.fixed:
        say(f"corrections: {p}")
    say(f"institutions: registry read and matcher indexed in the background ({ready.seconds:.1f}s)")
    engine.materialize("institutions", engine.from_arrow("institutions_src", ready.institutions))
    for name, table in ready.tables.items():
        engine.materialize(name, engine.from_arrow(f"{name}_src", table))


def stage_resolve(
    engine: Engine, settings: Settings, fixes: Corrections, prepared: Preparation, say: Report
) -> None:
    """Each distinct affiliation key resolved once (the strings an earlier build with
    the same registry, corrections and code resolved are remembered: ``resolve.memo``),
    then joined back to every affiliation."""
    aff = engine.table("affiliations")
    distinct = engine.to_arrow(aff.select(*KEY_COLUMNS).distinct())
    table = settings.data_dir / DOMAIN_TABLE
    memo = ResolutionMemo(
        settings.landing_dir / "resolution",
        resolver_digest([*ror.discover(settings.data_dir), table], fixes.digest),
    )
    known, missing = memo.split(distinct)
    if memo.problem:
        say(f"resolve: {memo.problem}")
    parts = [known]
    if missing.num_rows:
        ready = prepared.result()
        parts.append(ready.resolver().resolve_table(missing, settings.workers, ready.payload))
    resolved_rows = pa.concat_tables(parts)
    memo.save(resolved_rows)
    say(
        f"resolve: {missing.num_rows:,} affiliation strings resolved, {known.num_rows:,} remembered"
    )
    resolved = engine.from_arrow("affiliation_lookup", resolved_rows)
    engine.materialize("affiliation_resolution", resolved)
    j = join_resolution(aff, resolved)
    engine.materialize("affiliations_resolved", j)


def stage_people(engine: Engine, fixes: Corrections, infer: bool = True) -> dict[str, str]:
    """Authorships -> persons: reliable keys, then probabilistic linking, then corrections."""
    ra, auth = engine.table("affiliations_resolved"), engine.table("authorships")
    main = facts_.main_affiliations(ra, auth, engine.to_arrow, engine.from_arrow)
    firsts = engine.materialize("authorship_affiliation", facts_.first_affiliations(ra, main))
    works = engine.table("works").select(
        "work_id", "venue", "year", "accepted", "status", "tier", "subfield"
    )
    mentions = facts_.mentions(auth, works, firsts)

    def local(edges: ibis.Table, name: str) -> ibis.Table:
        return engine.from_arrow(name, local_components(engine.to_arrow(edges)))

    # on DuckDB the data sits on this machine: components in one graph search
    on_spark = isinstance(engine, SparkEngine)
    people = resolve_people(mentions, materialize=engine.scratch, local=None if on_spark else local)
    model = people.model  # kept, so that a user can see why two mentions were joined
    engine.materialize("linkage_weights", engine.from_arrow("lw_src", model.weights_table()))
    engine.materialize("linkage_prior", engine.from_arrow("lp_src", model.prior_table()))
    c = people.conflicts
    engine.materialize(
        "key_conflicts",
        c.group_by(key=c.key, name=c.name).agg(mentions=_.count()).order_by(ibis.desc("mentions")),
    )
    links = fixes.apply_to_links(
        people.table,
        engine.from_arrow("person_splits", fixes.person_splits()),
        engine.from_arrow("person_merges", fixes.person_merges()),
    )
    links = engine.materialize("person_links", links)

    linked = auth.join(links, ["work_id", "position"])
    engine.materialize("persons", canonical.persons(linked, engine.table("works")))
    keys = engine.materialize("person_keys", canonical.person_keys(linked))
    engine.materialize("education", canonical.education(engine.table("orcid_entries"), keys))

    facts = facts_.observed(links, works, firsts)
    if infer:  # fill places the sources leave empty (inferred, marked)
        facts = engine.scratch("facts_observed", facts)
        facts = facts_.paper_level(facts, engine.table("affiliations_resolved"))
        facts = facts_.seat_located(engine.scratch("facts_paper_level", facts))
    engine.materialize("authorship_facts", facts)
    return model.summary()


def stage_careers(engine: Engine, settings: Settings) -> None:
    # a stored query over authorship_facts, not a second copy of it
    facts = engine.view(
        "scoped_facts", careers.scoped(engine.table("authorship_facts"), settings.scope)
    )
    cells = engine.scratch("career_cells", careers.cells(facts))
    career_stage.run(cells, engine)
    engine.release("career_cells")


def stage_evidence(engine: Engine) -> None:
    """Supporting evidence set beside the careers, never replacing them: ORCID
    employment entries and OpenAlex author profiles' affiliation years."""
    engine.materialize(
        "employment",
        careers.employment(
            engine.table("orcid_entries"), engine.table("person_keys"),
            engine.table("observed_country"), engine.table("observed_institution"),
        ),
    )  # fmt: skip
    # OpenAlex author profiles' affiliation years, likewise beside the careers
    engine.materialize(
        "author_affiliations",
        careers.author_affiliations(
            engine.table("openalex_author_years"), engine.table("authorships"),
            engine.table("person_links"), engine.table("observed_country"),
            engine.table("observed_institution"),
        ),
    )  # fmt: skip


def stage_discovery(engine: Engine) -> None:
    """The person-level tables searches and rankings read: stated career stages per
    person-year and the person index."""
    facts = engine.table("scoped_facts")
    auth = engine.table("authorships")
    stages = engine.materialize(
        "person_stages",
        discovery_stages.person_stages(facts, auth, engine.to_arrow, engine.from_arrow),
    )
    # every authorship's credit, read three times below: worked out once
    credit = engine.scratch(
        "discovery_credits", discovery_credit.credits(facts, engine.table("works"), auth)
    )
    engine.materialize(
        "person_index",
        discovery_index.person_index(
            credit, engine.table("persons"), engine.table("person_links"),
            engine.table("person_years"), engine.table("institutions"), stages,
            engine.table("person_keys"), engine.table("author_affiliations"),
        ),
    )  # fmt: skip


def indicator_tables(engine: Engine) -> dict[str, Callable[[Frame], pa.Table | ibis.Table]]:
    """The warehouse's indicator tables, each computed on the unfiltered population
    (the ``_hq`` ones on the headquarters basis: one frame for them all)."""
    hq = Frame(
        engine.table, Filters(basis="headquarters"), cache=engine.scratch, to_arrow=engine.to_arrow
    )
    return {
        "stock_share": countries.stock_share,
        "stock_share_hq": lambda _f: countries.stock_share(hq),
        "migration": countries.migration,
        "flows": countries.flows,
        "migration_hq": lambda _f: countries.migration(hq),
        "flows_hq": lambda _f: countries.flows(hq),
        "pathways": lambda f: pathways.pathway_counts(f),
        "sector_summary": sectors.summary,
        "sector_flows": sectors.sector_flows,
        "graduate_summary": graduates.warehouse_summary,
        "org_headcount": organisations.all_headcounts,
        "org_flows": organisations.all_flows,
        "coverage_by_year": lambda f: f.coverage_by_year(),
    }


def stage_indicators(engine: Engine, report: Report | None = None) -> dict[str, float]:
    """Materialise every indicator table; returns seconds per table."""
    frame = Frame(engine.table, cache=engine.scratch, to_arrow=engine.to_arrow)
    seconds = {}
    meta: dict[str, str] = {}
    for name, make in indicator_tables(engine).items():
        t = time.perf_counter()
        mark = len(engine.steps)
        out = make(frame)
        if isinstance(out, pa.Table):
            meta[name] = json.dumps(describe(out))
            out = engine.from_arrow(f"{name}_src", out.replace_schema_metadata(None))
        engine.materialize(name, out)
        seconds[name] = time.perf_counter() - t
        # one step per table: its queries, its work in Python and its writing together
        del engine.steps[mark:]
        engine.timed(f"{name} (computed and written)", t)
        if report:
            report(f"  {name}: {seconds[name]:.1f}s")
    # what each table says about itself, which a warehouse table cannot carry
    m = pa.table({"name": list(meta), "meta": list(meta.values())})
    engine.materialize("indicator_meta", engine.from_arrow("indicator_meta_src", m))
    return seconds
