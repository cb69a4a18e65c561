"""The REST API: every question the command line answers, over HTTP.

Every table endpoint answers JSON (default) or CSV (``format=csv``), a page at a time
(``offset``, ``limit``), with the table's coverage and filters in ``meta``. Query values
are validated (types and ranges here, names against the warehouse in
:class:`talentatlas.api.Atlas`): an unknown country, venue, area or year is a 400 whose
message says what exists, an unknown person or organisation a 404. Answers are kept per
build and carry the build's id as their ETag (``If-None-Match`` gets a 304); a rebuild
of the warehouse is picked up by the next request. No SQL is built from what a client
sends: values reach the engine as literals of Ibis expressions.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from talentatlas import __version__
from talentatlas.api import Atlas
from talentatlas.config import canonical_venue
from talentatlas.discovery.search import METRICS, PeopleQuery
from talentatlas.discovery.stages import STAGES as CAREER_STAGES
from talentatlas.discovery.views import PersonNotFound
from talentatlas.indicators.frame import STAGES, Filters
from talentatlas.resolve.registry import SECTORS
from talentatlas.vocabulary import QueryError
from talentatlas.web.pages import add_pages
from talentatlas.web.pay import add_pay
from talentatlas.web.service import Answer, NotFound, Warehouse, key_of
from talentatlas.web.tables import Format, json_answer, table_answer
from talentatlas.web.warm import keep_warm

Year = Annotated[int | None, Query(ge=1900, le=2100, description="A calendar year.")]
Text = Annotated[str, Query(min_length=1, max_length=200)]
Limit = Annotated[int, Query(ge=1, le=1000, description="Rows per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]
Fmt = Annotated[Format, Query(alias="format", description="json (default) or csv.")]
Names = Annotated[list[str] | None, Query(description="Repeat for several.")]
Sector = Literal["academia", "industry", "government", "nonprofit", "other"]
Stage = Literal["early", "mid", "senior"]
Basis = Literal["location", "headquarters"]
CareerStage = Literal[CAREER_STAGES]  # type: ignore[valid-type]
Metric = Literal[METRICS]  # type: ignore[valid-type]
Country = Annotated[
    str | None,
    Query(max_length=60, description="Only researchers placed in this country that year."),
]
OrgId = Annotated[str, PathParam(min_length=1, max_length=100)]
assert set(Sector.__args__) == set(SECTORS) and set(Stage.__args__) == set(STAGES)  # type: ignore[attr-defined]


def filters(
    area: Names = None,
    venue: Names = None,
    year_min: Year = None,
    year_max: Year = None,
    stage: Stage | None = None,
    sector: Sector | None = None,
    basis: Basis = "location",
) -> Filters:
    """The filters every indicator takes (as ``--area``, ``--venue``, ``--since``,
    ``--until``, ``--stage``, ``--sector`` and ``--basis`` on the command line)."""
    return Filters(
        areas=tuple(area or ()),
        venues=tuple(canonical_venue(v) for v in venue or ()),
        year_min=year_min,
        year_max=year_max,
        stage=stage,
        sector=sector,
        basis=basis,
    )


Filtered = Annotated[Filters, Depends(filters)]


@dataclass(frozen=True)
class Page:
    """How a table is sent: its format and the rows of the page."""

    fmt: Format = "json"
    offset: int = 0
    limit: int | None = 1000


def page_of(fmt: Fmt = "json", offset: Offset = 0, limit: Limit = 1000) -> Page:
    """The paging every table endpoint takes (``format``, ``offset``, ``limit``)."""
    return Page(fmt, offset, limit)


Paged = Annotated[Page, Depends(page_of)]


def create_app(
    warehouse: Path, connections: int = 2, suppressions: Path | None = None, warm: bool = True
) -> FastAPI:
    """The application over ``warehouse`` (a built DuckDB file); ``warm``: answer the
    dashboard's first questions of every build before anyone asks (``web.warm``)."""
    wh = Warehouse(warehouse, connections, suppressions)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(keep_warm(app, wh)) if warm else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        wh.close()

    app = FastAPI(
        lifespan=lifespan,
        title="talentatlas",
        version=__version__,
        description="The global market for AI researchers, measured from open data: "
        "stock, migration, flows, pathways, organisations and people.",
    )
    app.state.warehouse = wh

    @app.exception_handler(QueryError)
    async def _query_error(_r: Request, e: QueryError) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=400)

    @app.exception_handler(ValueError)
    async def _value_error(_r: Request, e: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=400)

    @app.exception_handler(PersonNotFound)
    async def _no_person(_r: Request, e: PersonNotFound) -> JSONResponse:
        return JSONResponse({"detail": str(e.args[0] if e.args else e)}, status_code=404)

    @app.exception_handler(NotFound)
    async def _not_found(_r: Request, e: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=404)

    def send(request: Request, make: Callable[[Atlas], Answer]) -> Response:
        """The answer to this request (kept per build), or 304 when the client has it."""
        wh.refresh()
        etag = f'"{wh.build_id}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == etag:  # the client has this build's
            return Response(status_code=304, headers=headers)
        out = wh.answer(key_of(request.url.path, request.url.query), make)
        return Response(out.body, media_type=out.media_type, headers=headers)

    def org(a: Atlas, institution_id: str) -> str:
        inst = a.table("institutions")
        hit = inst.filter(inst.institution_id == institution_id).count().to_pyarrow().as_py()
        if not hit:
            raise NotFound(f"no organisation {institution_id!r}; find one at /api/organisations")
        return institution_id

    def tabled(t: pa.Table, page: Page) -> Answer:
        return table_answer(t, page.fmt, page.offset, page.limit)

    # -- the build -------------------------------------------------------------------------
    @app.get("/api/build", tags=["build"], summary="The build: its id, inputs, counts, coverage")
    def build(request: Request) -> Response:
        def make(a: Atlas) -> Answer:
            info = a.build_info()
            return json_answer(
                {
                    "build_id": wh.build_id,
                    "version": info.get("version"),
                    "built_at": info.get("built_at"),
                    "engine": info.get("engine"),
                    "files": info.get("files"),
                    "counts": a.counts(),
                    "coverage": asdict(a.coverage()),
                    "coverage_in_scope": asdict(a.coverage(True)),
                    "years": list(a.years),
                    "latest_complete_year": a.latest_complete_year(),
                    "venues": sorted(a.venues),
                    "areas": a.areas,
                    "pay": a.has_pay(),
                }
            )

        return send(request, make)

    @app.get("/api/coverage", tags=["build"], summary="Coverage of the sources per year")
    def coverage(request: Request, page: Paged) -> Response:
        return send(request, lambda a: tabled(a.table("coverage_by_year").to_pyarrow(), page))

    # -- countries -------------------------------------------------------------------------
    @app.get(
        "/api/countries",
        tags=["countries"],
        summary="Researchers per country and year, with world share",
    )
    def countries(
        request: Request,
        page: Paged,
        f: Filtered,
        year: Year = None,
    ) -> Response:
        return send(request, lambda a: tabled(a.world_share(None, f, year), page))

    @app.get(
        "/api/migration",
        tags=["countries"],
        summary="Stock, inflow, outflow and net migration per country and year",
    )
    def migration(
        request: Request,
        page: Paged,
        f: Filtered,
        country: Annotated[str | None, Query(max_length=60)] = None,
        year: Year = None,
    ) -> Response:
        return send(request, lambda a: tabled(a.migration(country, year, f), page))

    @app.get("/api/flows", tags=["countries"], summary="Moves between countries per year")
    def flows(
        request: Request,
        page: Paged,
        f: Filtered,
        country: Annotated[str | None, Query(max_length=60)] = None,
        year: Year = None,
    ) -> Response:
        return send(request, lambda a: tabled(a.flows(country, year, f), page))

    @app.get(
        "/api/countries/{country}/partners",
        tags=["countries"],
        summary="A country's balance with each partner",
    )
    def partners(
        request: Request,
        page: Paged,
        f: Filtered,
        country: Annotated[str, PathParam(max_length=60)],
    ) -> Response:
        return send(request, lambda a: tabled(a.partners(country, f), page))

    # -- sectors, pathways, graduates ------------------------------------------------------
    @app.get(
        "/api/sectors",
        tags=["sectors"],
        summary="Academia and industry per year: stocks, shares, moves",
    )
    def sectors(request: Request, page: Paged, f: Filtered, country: Country = None) -> Response:
        return send(request, lambda a: tabled(a.sectors(f, country=country)["summary"], page))

    @app.get("/api/sectors/flows", tags=["sectors"], summary="Moves between sectors per year")
    def sector_flows(request: Request, page: Paged, f: Filtered, country: Country = None) -> Response:  # fmt: skip
        return send(request, lambda a: tabled(a.sectors(f, country=country)["flows"], page))

    @app.get(
        "/api/pathways/{table}",
        tags=["pathways"],
        summary="Where a venue-year's authors come from and work",
    )
    def pathways(
        request: Request,
        page: Paged,
        f: Filtered,
        table: Literal["shares", "outside_origin", "stay_rates", "paths"],
        year: Annotated[int, Query(ge=1900, le=2100)],
        venue: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Response:
        return send(
            request,
            lambda a: tabled(
                a.paths(venue, year, f) if table == "paths" else a.pathways(venue, year, f)[table],
                page,
            ),
        )

    @app.get(
        "/api/graduates", tags=["graduates"], summary="From PhD to first job, per graduation year"
    )
    def graduates(
        request: Request,
        page: Paged,
        f: Filtered,
        table: Literal["summary", "destinations", "roles"] = "summary",
    ) -> Response:
        return send(request, lambda a: tabled(a.graduates(f)[table], page))

    # -- organisations ---------------------------------------------------------------------
    @app.get(
        "/api/organisations", tags=["organisations"], summary="Find organisations by name or id"
    )
    def organisations(
        request: Request,
        q: Text,
        fmt: Fmt = "json",
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> Response:
        return send(request, lambda a: tabled(a.find_institutions(q, limit), Page(fmt, 0, None)))

    @app.get(
        "/api/organisations/{institution_id}/headcount",
        tags=["organisations"],
        summary="Researchers per year, labs rolled up",
    )
    def headcount(
        request: Request,
        page: Paged,
        f: Filtered,
        institution_id: OrgId,
        roll_up: bool = True,
    ) -> Response:
        return send(
            request,
            lambda a: tabled(a.headcount(org(a, institution_id), roll_up, f), page),
        )

    @app.get(
        "/api/organisations/{institution_id}/flows",
        tags=["organisations"],
        summary="Inflow and outflow by counterpart organisation",
    )
    def org_flows(
        request: Request,
        page: Paged,
        f: Filtered,
        institution_id: OrgId,
        roll_up: bool = True,
        by_year: bool = False,
    ) -> Response:
        return send(
            request,
            lambda a: tabled(a.org_flows(org(a, institution_id), roll_up, f, by_year), page),
        )

    @app.get(
        "/api/organisations/{institution_id}/retention",
        tags=["organisations"],
        summary="Share still there k years after joining",
    )
    def retention(
        request: Request,
        page: Paged,
        f: Filtered,
        institution_id: OrgId,
        roll_up: bool = True,
        max_k: Annotated[int, Query(ge=1, le=20)] = 5,
    ) -> Response:
        return send(
            request,
            lambda a: tabled(a.retention(org(a, institution_id), roll_up, f, max_k), page),
        )

    @app.get(
        "/api/organisations/{institution_id}/labs",
        tags=["organisations"],
        summary="Units below an organisation with researchers",
    )
    def labs(
        request: Request,
        page: Paged,
        institution_id: OrgId,
    ) -> Response:
        return send(request, lambda a: tabled(a.child_labs(org(a, institution_id)), page))

    @app.get(
        "/api/moves",
        tags=["organisations"],
        summary="Who joined or left an organisation or a country",
    )
    def moves(
        request: Request,
        page: Paged,
        institution: Annotated[str | None, Query(max_length=100)] = None,
        country: Annotated[str | None, Query(max_length=60)] = None,
        year_min: Year = None,
        year_max: Year = None,
    ) -> Response:
        if institution is None and country is None:
            raise ValueError("give an institution or a country")

        def make(a: Atlas) -> Answer:
            inst = org(a, institution) if institution else None
            t = a.movements(
                institution_id=inst, country=country, year_min=year_min, year_max=year_max
            )
            return tabled(t, page)

        return send(request, make)

    # -- people and rankings ---------------------------------------------------------------
    @app.get(
        "/api/people", tags=["people"], summary="Search people by name, area, place and record"
    )
    def people(
        request: Request,
        q: Annotated[str | None, Query(min_length=1, max_length=200, description="A name.")] = None,
        area: Names = None,
        venue: Names = None,
        country: Names = None,
        institution: Names = None,
        sector: Sector | None = None,
        stage: CareerStage | None = None,
        year_min: Year = None,
        year_max: Year = None,
        min_works: Annotated[int, Query(ge=0, le=100_000)] = 0,
        sort: Metric = "adjusted",
        fmt: Fmt = "json",
        offset: Offset = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> Response:
        def make(a: Atlas) -> Answer:
            insts: list[str] = []
            for i in institution or ():
                insts.extend(a.descendants(org(a, i)))
            query = PeopleQuery(
                name=q,
                areas=tuple(area or ()),
                venues=tuple(venue or ()),
                countries=tuple(country or ()),
                institutions=tuple(insts),
                sector=sector,
                stage=stage,
                year_min=year_min,
                year_max=year_max,
                min_works=min_works,
                sort=sort,
                limit=limit,
                offset=offset,
            )
            t, total = a.people(query)
            return table_answer(t, fmt, offset, limit, total=total)

        return send(request, make)

    @app.get(
        "/api/people/{person_id:path}/timeline",
        tags=["people"],
        summary="A person's career, year by year: institution, country, sector, works, role",
    )
    def timeline(
        request: Request,
        page: Paged,
        person_id: Annotated[str, PathParam(min_length=1, max_length=300)],
    ) -> Response:
        def make(a: Atlas) -> Answer:
            a.person_row(person_id)
            return tabled(a.timeline(person_id), page)

        return send(request, make)

    @app.get(
        "/api/people/{person_id:path}",
        tags=["people"],
        summary="A person's profile: summary, timeline, works, co-authors, identity",
    )
    def person(
        request: Request, person_id: Annotated[str, PathParam(min_length=1, max_length=300)]
    ) -> Response:
        return send(request, lambda a: json_answer(a.profile(person_id)))

    @app.get(
        "/api/rankings/{level}",
        tags=["people"],
        summary="Institutions or organisations by the CSRankings rule",
    )
    def rankings(
        request: Request,
        level: Literal["institution", "organisation"],
        area: Names = None,
        country: Names = None,
        year_min: Year = None,
        year_max: Year = None,
        sector: Sector | None = None,
        credit_on: Literal["current", "paper"] = "current",
        fmt: Fmt = "json",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Response:
        return send(
            request,
            lambda a: tabled(
                a.rank_units(
                    area or (),
                    year_min=year_min,
                    year_max=year_max,
                    countries=country or (),
                    sector=sector,
                    level=level,
                    credit_on=credit_on,
                    limit=limit,
                ),
                Page(fmt, 0, None),
            ),
        )

    add_pages(app, send)
    add_pay(app, send)
    app.add_middleware(KeptAnswers, warehouse=wh)
    return app


class KeptAnswers:
    """ASGI middleware: an answer this build has already made is sent at once, without
    routing, validation or a worker thread (it was validated when it was made)."""

    def __init__(self, app: ASGIApp, warehouse: Warehouse) -> None:
        self.app = app
        self.wh = warehouse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            hit = self.wh.kept(key_of(scope["path"], scope["query_string"]))
            if hit is not None:
                etag = f'"{self.wh.build_id}"'.encode()
                headers = [(b"etag", etag), (b"cache-control", b"no-cache")]
                fresh = dict(scope["headers"]).get(b"if-none-match") == etag
                if not fresh:
                    headers += [(b"content-type", hit.media_type.encode()),
                                (b"content-length", str(len(hit.body)).encode())]  # fmt: skip
                status = 304 if fresh else 200
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": b"" if fresh else hit.body})
                return
        await self.app(scope, receive, send)
