"""The build: sources -> landing -> canonical tables -> resolution -> careers -> indicators.

Each stage is a function over the engine that materialises named tables; nothing here
touches rows in Python except the per-distinct-affiliation resolver (an edge step).
A build is skipped when nothing it depends on changed (its fingerprint), and it is
written to a temporary location and swapped in only when complete.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pyarrow as pa
from ibis import _

from talentatlas import __version__, canonical, careers
from talentatlas.config import DOMAIN_TABLE, Settings
from talentatlas.indicators import countries, organisations, pathways, sectors
from talentatlas.indicators.frame import Filters, Frame
from talentatlas.indicators.stock import stock
from talentatlas.landing import (
    InputFile,
    discover,
    file_sha256,
    land,
    landed_paths,
    read_manifest,
)
from talentatlas.resolve import corrections
from talentatlas.resolve.affiliations import KEY_COLUMNS, AffiliationResolver
from talentatlas.resolve.corrections import Corrections
from talentatlas.resolve.countries import DomainTable
from talentatlas.resolve.institutions import AffiliationMatcher, Institutions, institutions_table
from talentatlas.resolve.people import resolve_people
from talentatlas.sources import ror
from talentatlas.sources.base import SCHEMAS
from talentatlas.store import Engine, commit, open_engine

#: bump when stage logic changes, so that unchanged inputs still rebuild
PIPELINE_VERSION = 5

Report = Callable[[str], None]


@dataclass
class BuildResult:
    warehouse: Path
    skipped: bool
    files: int
    parsed: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def fingerprint(settings: Settings, files: list[InputFile], fixes: Corrections) -> str:
    h = hashlib.sha256()
    h.update(f"{__version__}/{PIPELINE_VERSION}/{settings.engine}/{settings.infer_places}".encode())
    h.update(settings.scope.model_dump_json().encode())
    for f in sorted(files, key=lambda f: (f.source, f.rel)):
        h.update(f"{f.source}|{f.rel}|{f.sha256}\n".encode())
    for p in ror.discover(settings.data_dir):
        h.update(f"ror|{p.name}|{file_sha256(p)}\n".encode())
    h.update(f"corrections|{fixes.digest}".encode())
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
    fp = fingerprint(settings, files, fixes)
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
    parsed = land(files, settings.landing_dir, settings.workers, on_parsed)
    timings["landing"] = time.perf_counter() - t
    say(f"landed {len(files)} files ({len(parsed)} parsed, {len(files) - len(parsed)} cached)")

    engine = open_engine(settings.engine, target, keep_scratch=keep_scratch)
    state: dict[str, Institutions] = {}
    try:
        for name, stage in [
            (
                "canonical",
                lambda: stage_canonical(
                    engine, files, settings.landing_dir, infer=settings.infer_places
                ),
            ),
            (
                "institutions",
                lambda: state.update(reg=stage_institutions(engine, settings, fixes, say)),
            ),
            ("resolve", lambda: stage_resolve(engine, settings, fixes, state["reg"])),
            ("people", lambda: stage_people(engine, fixes, infer=settings.infer_places)),
            ("careers", lambda: stage_careers(engine, settings)),
            ("indicators", lambda: stage_indicators(engine)),
        ]:
            t = time.perf_counter()
            stage()
            timings[name] = time.perf_counter() - t
            say(f"{name}: {timings[name]:.1f}s")
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
        engine.materialize("build_info", engine.from_arrow("build_info_src", info))
    finally:
        engine.close()
    commit(target)
    mpath.write_text(json.dumps({"fingerprint": fp, "files": len(files)}))
    return BuildResult(target, False, len(files), len(parsed), time.perf_counter() - t0, timings)


def stage_canonical(
    engine: Engine, files: list[InputFile], landing: Path, infer: bool = True
) -> None:
    raw = {
        table: engine.read_parquet(
            f"landing_{table}", landed_paths(files, landing, table), SCHEMAS[table]
        )
        for table in SCHEMAS
    }
    manifests = [read_manifest(f, landing) for f in files]
    files_src = engine.from_arrow(
        "files_src",
        pa.Table.from_pylist(
            [
                {
                    "source": m["source"],
                    "file": m["file"],
                    "sha256": m["sha256"],
                    "records": m["records"],
                    "works": m["counts"]["works"],
                    "authorships": m["counts"]["authorships"],
                    "quarantined": m["counts"]["quarantine"],
                    "unknown_fields": ", ".join(m["unknown_fields"]),
                    "problems": "; ".join(m["problems"]),
                }
                for m in sorted(manifests, key=lambda m: (m["source"], m["file"]))
            ]
        ),
    )
    engine.materialize("files", files_src)
    engine.materialize("quarantine", raw["quarantine"])
    prec = engine.from_arrow("source_precedence", canonical.precedence())
    works = engine.materialize("works", canonical.works(raw["works"], prec))
    chosen = engine.materialize("work_sources", canonical.chosen_sources(raw["authorships"], prec))
    auth = canonical.authorships(raw["authorships"], chosen)
    aff = canonical.affiliations(raw["affiliations"], chosen)
    if infer:  # author maps fill places the paper lists lack (inferred evidence)
        hits = engine.scratch(
            "author_map_hits", canonical.author_map_hits(auth, works, raw["author_countries"])
        )
        auth, aff = canonical.with_author_maps(auth, aff, hits)
    engine.materialize("authorships", auth)
    engine.materialize("affiliations", aff)


def stage_institutions(
    engine: Engine, settings: Settings, fixes: Corrections, say: Report
) -> Institutions:
    """The ROR registry copy (+ local institutions and overrides from the corrections)."""
    paths = ror.discover(settings.data_dir)
    tables, problems = ror.load(paths, settings.landing_dir / "registry")
    for p in problems[:20]:
        say(f"ror: {p}")
    reg = Institutions.from_tables(tables)
    for p in fixes.apply_to_registry(reg):
        say(f"corrections: {p}")
    engine.materialize(
        "institutions", engine.from_arrow("institutions_src", institutions_table(reg))
    )
    for name in ("institution_names", "institution_relations"):
        engine.materialize(name, engine.from_arrow(f"{name}_src", tables[name]))
    return reg


def _keyed(t: ibis.Table) -> ibis.Table:
    return t.mutate(**{f"k_{c}": t[c].fill_null("") for c in KEY_COLUMNS})


def stage_resolve(
    engine: Engine, settings: Settings, fixes: Corrections, reg: Institutions
) -> None:
    aff = engine.table("affiliations")
    distinct = engine.to_arrow(aff.select(*KEY_COLUMNS).distinct())
    hints = DomainTable(settings.data_dir / DOMAIN_TABLE)
    matcher = AffiliationMatcher(
        reg, hints=hints, forced=fixes.forced(), forbidden=fixes.forbidden()
    )
    resolver = AffiliationResolver(hints, matcher)
    resolved = _keyed(engine.from_arrow("affiliation_lookup", resolver.resolve_table(distinct)))
    engine.materialize("affiliation_resolution", resolved.drop(*[f"k_{c}" for c in KEY_COLUMNS]))
    a = _keyed(aff)
    j = a.join(
        resolved.drop(*KEY_COLUMNS), [a[f"k_{c}"] == resolved[f"k_{c}"] for c in KEY_COLUMNS]
    )
    # a country taken from an author map is inferred, not read off the paper
    evidence = (j.source == "author_map").ifelse("author-map", j.country_evidence)
    j = j.select(
        "work_id", "position", "aff_pos", "raw", "inst_src", "domain", "institution_id",
        "institution", "org_id", "country", "hq_country", "sector",
        country_evidence=evidence, sector_evidence=j.sector_evidence,
        match_score=j.match_score, match_evidence=j.match_evidence,
    )  # fmt: skip
    engine.materialize("affiliations_resolved", j)


#: authorship-level values: the first affiliation (by position) that resolves each one
FACT_COLUMNS = {
    "country": "country", "institution": "institution_id", "sector": "sector",
    "hq_country": "hq_country", "org": "org_id", "domain": "domain",
    "institution_text": "institution", "country_evidence": "country_evidence",
}  # fmt: skip


def _firsts(engine: Engine) -> ibis.Table:
    ra = engine.table("affiliations_resolved")
    per_author = ra.filter(ra.position >= 0)
    keys = per_author.select("work_id", "position").distinct()
    text = per_author.raw.notnull() | per_author.inst_src.notnull()
    has = per_author.group_by(["work_id", "position"]).agg(
        has_affiliation=_.aff_pos.count() > 0,
        has_affiliation_text=text.cast("int8").max() == 1,
    )
    out = keys.join(has, ["work_id", "position"])
    for name, col in FACT_COLUMNS.items():
        t = per_author.filter(per_author[col].notnull())
        first = t.group_by(["work_id", "position"]).agg(**{name: t[col].argmin(t.aff_pos)})
        out = out.left_join(first, ["work_id", "position"]).drop("work_id_right", "position_right")
    return out


def stage_people(engine: Engine, fixes: Corrections, infer: bool = True) -> None:
    """Authorships -> persons: reliable keys, then probabilistic linking, then corrections."""
    firsts = engine.materialize("authorship_affiliation", _firsts(engine))
    auth = engine.table("authorships")
    works = engine.table("works").select("work_id", "venue", "year", "accepted", "status", "tier")
    f = firsts.select(
        "work_id", "position", "domain",
        institution=firsts.institution.fill_null("txt:" + firsts.institution_text.lower()),
    )  # fmt: skip
    mentions = auth.select(
        "work_id",
        "position",
        "name_norm",
        "openreview_id",
        "openreview_alias",
        "orcid",
        "dblp",
        "google_scholar",
    ).join(works.select("work_id", "venue", "year"), "work_id")
    mentions = mentions.left_join(f, ["work_id", "position"]).drop(
        "work_id_right", "position_right"
    )
    people = resolve_people(mentions, materialize=engine.scratch)
    c = people.conflicts
    engine.materialize(
        "key_conflicts",
        c.group_by(key=c.key, name=c.name).agg(mentions=_.count()).order_by(ibis.desc("mentions")),
    )
    links = people.table
    splits = engine.from_arrow("person_splits", fixes.person_splits())
    merges = engine.from_arrow("person_merges", fixes.person_merges())
    links = links.left_join(splits, ["person_id", "work_id"]).drop(
        "person_id_right", "work_id_right"
    )
    links = links.mutate(person_id=links.new_id.fill_null(links.person_id)).drop("new_id")
    links = links.left_join(merges, "person_id").drop("person_id_right")
    links = links.mutate(person_id=links.new_id.fill_null(links.person_id)).drop("new_id")
    links = engine.materialize("person_links", links)

    linked = auth.join(links, ["work_id", "position"])
    engine.materialize("persons", canonical.persons(linked, engine.table("works")))
    engine.materialize("person_keys", canonical.person_keys(linked))

    facts = links.join(works, "work_id")
    facts = facts.left_join(firsts, ["work_id", "position"]).drop("work_id_right", "position_right")
    facts = facts.mutate(
        has_affiliation=facts.has_affiliation.fill_null(False),
        has_affiliation_text=facts.has_affiliation_text.fill_null(False),
    )
    if infer:  # paper-level affiliations fill authors without their own (inferred)
        facts = engine.scratch("facts_observed", facts)
        facts = _paper_level(facts, engine.table("affiliations_resolved"))
        facts = _seat_located(engine.scratch("facts_paper_level", facts))
    engine.materialize("authorship_facts", facts)


def _seat_located(facts: ibis.Table) -> ibis.Table:
    """Authorships placed only at a multinational's seat (``country_evidence = 'seat'``:
    a bare "Google DeepMind" or "Meta", whose record gives one country of many) take the
    person's modal located country of the same year (other papers, other affiliations),
    marked ``person-year``; with none they keep the seat. Other years are not used: a
    person who joins a multinational from abroad would be placed where they were."""
    ev = facts.country_evidence.fill_null("")
    located = facts.filter(facts.country.notnull() & (ev != "seat") & facts.person_id.notnull())
    counts = located.group_by(l_p=_.person_id, l_y=_.year, l_c=_.country).agg(n=_.count())
    w = ibis.window(group_by=["l_p", "l_y"], order_by=[ibis.desc("n"), "l_c"])
    modal = counts.mutate(rk=ibis.row_number().over(w))
    modal = modal.filter(modal.rk == 0).select("l_p", "l_y", "l_c")
    f = facts.left_join(modal, [facts.person_id == modal.l_p, facts.year == modal.l_y])
    hit = (f.country_evidence == "seat") & f.l_c.notnull()
    f = f.mutate(
        country=hit.ifelse(f.l_c, f.country),
        country_evidence=hit.ifelse(ibis.literal("person-year"), f.country_evidence),
    )
    return f.select(*facts.columns)


def _paper_level(facts: ibis.Table, ra: ibis.Table) -> ibis.Table:
    """Authorships without a value of their own, filled from the affiliations a paper
    lists without saying whose (CVPR/ICCV lists of distinct affiliations, ``position
    = -1``), marked in ``country_evidence`` as inferred:

    - ``paper-institution``: the author's other papers that year name exactly one of the
      paper's institutions: that institution, with its country and sector;
    - ``paper-country``: otherwise, when every affiliation of the paper resolves to one
      and the same country: that country (and only the country).
    """
    wl = ra.filter(ra.position == -1)
    # (1) an institution of the paper that the author's other papers that year name
    own = (
        facts.filter(facts.institution.notnull())
        .select(o_p="person_id", o_y="year", o_i="institution")
        .distinct()
    )
    open_ = facts.filter(facts.institution.isnull() & facts.person_id.notnull())
    insts = wl.filter(wl.institution_id.notnull()).select(
        c_w="work_id", inst="institution_id", c_country="country", c_sector="sector",
        c_hq="hq_country", c_org="org_id", c_text="institution",
    )  # fmt: skip
    o = open_.select("work_id", "position", "person_id", "year")
    c = o.join(insts, o.work_id == insts.c_w)
    c = c.join(own, [c.person_id == own.o_p, c.year == own.o_y, c.inst == own.o_i])
    one = c.group_by(i_w=c.work_id, i_p=c.position).agg(
        k=c.inst.nunique(), inst=c.inst.min(), c_country=c.c_country.min(),
        c_sector=c.c_sector.min(), c_hq=c.c_hq.min(), c_org=c.c_org.min(), c_text=c.c_text.min(),
    )  # fmt: skip
    one = one.filter(one.k == 1).drop("k")
    # (2) a paper whose affiliations all resolve to one country
    pc = wl.group_by(p_w="work_id").agg(
        n=_.count(), nn=_.country.count(), nc=_.country.nunique(), p_country=_.country.min()
    )
    pc = pc.filter((pc.nc == 1) & (pc.nn == pc.n)).select("p_w", "p_country")
    f = facts.left_join(one, [facts.work_id == one.i_w, facts.position == one.i_p])
    f = f.left_join(pc, f.work_id == pc.p_w)
    by_inst = f.institution.isnull() & f.inst.notnull()
    by_country = f.country.isnull() & ~by_inst & f.p_country.notnull()
    evidence = ibis.cases(
        (by_inst, "paper-institution"), (by_country, "paper-country"), else_=f.country_evidence
    )
    filled = {
        "institution": by_inst.ifelse(f.inst, f.institution),
        "country": ibis.cases((by_inst, f.c_country), (by_country, f.p_country), else_=f.country),
        "sector": by_inst.ifelse(f.c_sector, f.sector),
        "hq_country": by_inst.ifelse(f.c_hq, f.hq_country),
        "org": by_inst.ifelse(f.c_org, f.org),
        "institution_text": by_inst.ifelse(f.c_text, f.institution_text),
    }
    f = f.mutate(**filled, country_evidence=evidence)
    return f.select(*facts.columns)


def stage_careers(engine: Engine, settings: Settings) -> None:
    scope = settings.scope
    venue_areas = scope.venue_areas()
    areas = engine.from_arrow(
        "scope_venues",
        pa.table({"venue": list(venue_areas), "area": list(venue_areas.values())}),
    )
    f = engine.table("authorship_facts")
    f = f.filter(f.person_id.notnull())
    if scope.accepted_only:
        f = f.filter(f.accepted.fill_null(True))
    if scope.year_min is not None:
        f = f.filter(f.year >= scope.year_min)
    if scope.year_max is not None:
        f = f.filter(f.year <= scope.year_max)
    f = f.join(areas, "venue")
    facts = engine.materialize("scoped_facts", f)
    bounds = engine.to_arrow(facts.agg(lo=_.year.min(), hi=_.year.max())).to_pylist()[0]
    lo, hi = bounds["lo"] or 2000, bounds["hi"] or 2000
    calendar = engine.from_arrow(
        "calendar", pa.table({"y": pa.array(range(lo, hi + 2), pa.int32())})
    )

    padded_by_dim = {}
    move_parts = []
    stock_parts = []
    for dim in careers.DIMENSIONS:
        obs = engine.materialize(
            f"observed_{dim}",
            careers.observed(facts, dim, lambda d: engine.table(f"observed_{d}")),
        )
        pad = engine.materialize(f"padded_{dim}", careers.padded(obs, calendar))
        padded_by_dim[dim] = pad
        mv = careers.moves(obs)
        move_parts.append(mv.mutate(dimension=ibis.literal(dim)))
        st = stock(pad)
        stock_parts.append(st.mutate(dimension=ibis.literal(dim)))
    active = facts.select("person_id", year=facts.year.cast("int32")).distinct()
    engine.materialize("person_years", careers.person_years(padded_by_dim, active))
    engine.materialize("moves", functools.reduce(ibis.Table.union, move_parts))
    engine.materialize("stock", functools.reduce(ibis.Table.union, stock_parts))


def indicator_tables(engine: Engine) -> dict[str, Callable[[Frame], pa.Table | ibis.Table]]:
    """The warehouse's indicator tables, each computed on the unfiltered population."""
    return {
        "stock_share": countries.stock_share,
        "migration": countries.migration,
        "flows": countries.flows,
        "migration_hq": lambda _f: countries.migration(_hq(engine)),
        "flows_hq": lambda _f: countries.flows(_hq(engine)),
        "pathways": lambda f: pathways.pathway_counts(f),
        "sector_summary": sectors.summary,
        "sector_flows": sectors.sector_flows,
        "org_headcount": organisations.all_headcounts,
        "org_flows": organisations.all_flows,
        "coverage_by_year": lambda f: f.coverage_by_year(),
    }


def _hq(engine: Engine) -> Frame:
    return Frame(engine.table, Filters(basis="headquarters"), to_arrow=engine.to_arrow)


def stage_indicators(engine: Engine, report: Report | None = None) -> dict[str, float]:
    """Materialise every indicator table; returns seconds per table."""
    frame = Frame(engine.table, to_arrow=engine.to_arrow)
    seconds = {}
    for name, make in indicator_tables(engine).items():
        t = time.perf_counter()
        out = make(frame)
        if isinstance(out, pa.Table):
            out = engine.from_arrow(f"{name}_src", out.replace_schema_metadata(None))
        engine.materialize(name, out)
        seconds[name] = time.perf_counter() - t
        if report:
            report(f"  {name}: {seconds[name]:.1f}s")
    return seconds
