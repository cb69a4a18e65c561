"""People search: find researchers by name, area, venue, years, place, sector, career
stage and output, sorted by any measure, a page at a time (docs/methodology.md,
"People").

Without area, venue or year filters a search reads the person index alone; with them,
each person's measures are recomputed over the works that pass (``credit.credits``),
and place and stage are read in the window's last year (the latest placed year up to
it; the stage stated that year or the one before, else seniority)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis.expr.types import Table

from talentatlas.discovery.credit import credits, output
from talentatlas.discovery.stages import STAGES, stage_at
from talentatlas.resolve.registry import SECTORS

#: measures a search or ranking sorts by (all descending)
METRICS = ("adjusted", "works", "first_author", "last_author", "top_tier", "citations")
#: columns every person-level result carries, after the measures
DESCRIBE = (
    "institution", "organisation", "country", "sector", "stage", "stage_evidence", "areas",
    "first_year", "last_year", "identity", "openreview", "orcid", "dblp", "google_scholar",
    "openalex",
)  # fmt: skip


@dataclass(frozen=True)
class PeopleQuery:
    """What a people search asks. ``institutions``: institution ids (an organisation
    with its labs); ``countries``: ISO codes; years bound the works counted."""

    name: str | None = None
    areas: tuple[str, ...] = ()
    venues: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    countries: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()
    sector: str | None = None
    stage: str | None = None
    min_works: int = 0
    sort: str = "adjusted"
    limit: int = 20
    offset: int = 0
    exclude: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.sort not in METRICS:
            raise ValueError(f"sort must be one of {', '.join(METRICS)}, not {self.sort!r}")
        if self.stage is not None and self.stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {self.stage!r}")
        if self.sector is not None and self.sector not in SECTORS:
            raise ValueError(f"sector must be one of {', '.join(SECTORS)}, not {self.sector!r}")
        if self.limit < 1 or self.offset < 0 or self.min_works < 0:
            raise ValueError("limit must be positive; offset and min_works not negative")

    @property
    def windowed(self) -> bool:
        """Whether the measures are those of a subset of the works."""
        return bool(self.areas or self.venues or self.year_min or self.year_max)


def _place_at(person_years: Table, institutions: Table, people: Table, year: int) -> Table:
    """``person_id, institution_id, institution, organisation, country, sector`` of
    ``people`` in their latest placed year up to ``year``."""
    py = person_years.filter(person_years.country.notnull() & (person_years.year <= year))
    py = py.semi_join(people, "person_id")
    g = py.group_by("person_id").agg(
        institution_id=py.institution.argmax(py.year),
        country=py.country.argmax(py.year),
        sector=py.sector.argmax(py.year),
    )
    inst = institutions.select(_i="institution_id", institution="name", organisation="org_name")
    j = g.left_join(inst, g.institution_id == inst._i)
    return j.select("person_id", "institution_id", "institution", "organisation", "country",
                    "sector")  # fmt: skip


def candidates(
    table: Callable[[str], Table], q: PeopleQuery, matches: dict[str, float] | None
) -> Table:
    """The people a query finds, with their measures, place and stage, unsorted."""
    idx = table("person_index")
    if matches is not None:
        ids = ibis.memtable(
            pa.table(
                {"m_p": list(matches), "match": pa.array(list(matches.values()), pa.float64())}
            )
        )
        idx = idx.join(ids, idx.person_id == ids.m_p).drop("m_p")
    else:
        idx = idx.mutate(match=ibis.null("float64"))
    if q.exclude:
        idx = idx.filter(~idx.person_id.isin(sorted(q.exclude)))
    if not q.windowed:
        t = idx
    else:
        f = table("scoped_facts")
        if q.areas:
            f = f.filter(f.area.isin(list(q.areas)))
        if q.venues:
            f = f.filter(f.venue.isin(list(q.venues)))
        if q.year_min is not None:
            f = f.filter(f.year >= q.year_min)
        if q.year_max is not None:
            f = f.filter(f.year <= q.year_max)
        f = f.semi_join(idx, "person_id")
        c = credits(f, table("works"), table("authorships"))
        out = output(c, ["person_id"])
        keep = [x for x in idx.columns if x not in (*METRICS, *PLACE, "stage", "stage_evidence")]
        t = out.join(idx.select(keep), "person_id")
        at = q.year_max
        if at is not None:
            place = _place_at(table("person_years"), table("institutions"), t, at)
            t = t.left_join(place, "person_id").drop("person_id_right")
            t = stage_at(t, table("person_stages"), at)
        else:  # the person's own last year: the index's place and stage
            t = t.join(idx.select("person_id", *PLACE, "stage", "stage_evidence"), "person_id")
    if q.countries:
        t = t.filter(t.country.isin(list(q.countries)))
    if q.institutions:
        t = t.filter(t.institution_id.isin(list(q.institutions)))
    if q.sector:
        t = t.filter(t.sector == q.sector)
    if q.stage:
        t = t.filter(t.stage == q.stage)
    if q.min_works:
        t = t.filter(t.works >= q.min_works)
    return t


#: the place columns of the person index
PLACE = ("institution_id", "institution", "organisation", "country", "sector")


def search(
    table: Callable[[str], Table], q: PeopleQuery, matches: dict[str, float] | None = None
) -> tuple[pa.Table, int]:
    """A page of the people ``q`` finds (``matches``: person id -> name score, when the
    query names someone; the best matches first, then by ``q.sort``), and how many
    there are in all: ``rank, person_id, name, match, <METRICS>, <DESCRIBE>``."""
    t = candidates(table, q, matches)
    columns = ["person_id", "name", "match", *METRICS, *DESCRIBE]
    if matches is not None:  # a few candidates: read them all once, sort them here
        found = t.select(columns).to_pyarrow()
        # measures are never negative: an unknown one (citations) sorts last as -1
        key = pc.fill_null(pc.cast(found[q.sort], pa.float64()), -1.0)
        found = found.append_column("_key", key)
        order = [("match", "descending"), ("_key", "descending"), ("adjusted", "descending")]
        found = found.sort_by([*order, ("person_id", "ascending")]).drop_columns(["_key"])
        page = found.slice(q.offset, q.limit)
        rank = pa.array(range(q.offset + 1, q.offset + 1 + page.num_rows), pa.int64())
        return page.add_column(0, "rank", rank), found.num_rows
    keys = []
    keys += [t[q.sort].isnull().name("_unknown"), ibis.desc(t[q.sort])]  # unknown last
    if q.sort != "adjusted":
        keys.append(ibis.desc(t.adjusted))
    keys.append(t.person_id)
    total = int(t.count().to_pyarrow().as_py())
    page = t.order_by(keys).limit(q.limit, offset=q.offset).select(columns).to_pyarrow()
    rank = pa.array(range(q.offset + 1, q.offset + 1 + page.num_rows), pa.int64())
    return page.add_column(0, "rank", rank), total
