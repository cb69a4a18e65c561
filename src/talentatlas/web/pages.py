"""The dashboard: its pages, its assets and the charts it draws.

Every page is the same shell (``static/index.html``) whose script reads the address
(path and query) and asks the API for what the page shows, so a page's state is its
URL. Charts are the command line's own figures (``talentatlas.charts``) sent as plotly
JSON; plotly.js comes from the installed plotly package and the map outlines are in the
figures, so nothing is fetched from outside.
"""

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import plotly
import pyarrow as pa
import pyarrow.compute as pc
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response

from talentatlas.api import Atlas
from talentatlas.charts import (
    career_map_figure,
    choropleth_figure,
    retention_figure,
    sankey_figure,
    trend_figure,
)
from talentatlas.charts.export import HTML_CONFIG
from talentatlas.charts.theme import country_name, interval_note
from talentatlas.indicators.sectors import sector_series
from talentatlas.vocabulary import country_code
from talentatlas.web.methodology import methodology
from talentatlas.web.service import Answer, NotFound
from talentatlas.web.tables import dumps

STATIC = resources.files("talentatlas.web") / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
#: the dashboard's pages (each the same shell; its script draws the page from the URL)
PAGES = ("/", "/country/{code}", "/flows", "/organisation/{institution_id}", "/people",
         "/person/{person_id:path}", "/rankings", "/pay", "/methodology")  # fmt: skip
ASSETS = {"app.js": "text/javascript", "style.css": "text/css"}
MapValue = Literal["net_rate", "stock"]
#: the coverage chart's series: the share of each year's authorships resolved to …
COVERAGE_SERIES = {"cov_country": "a country", "cov_institution": "an institution",
                   "cov_sector": "a sector", "cov_key": "a person by a reliable key"}  # fmt: skip
#: the map (and a country's rate chart) leaves out country-years with fewer
#: researchers: a rate over a handful of people swamps the scale and says nothing
MAP_MIN_STOCK = 50


def at_least(t: pa.Table, min_stock: int, what: str) -> tuple[pa.Table, str]:
    """The rows of ``t`` with a ``stock`` of at least ``min_stock``, and what they are;
    all rows when none has as many (a small world), saying so."""
    kept = t.filter(pc.greater_equal(t["stock"], min_stock))
    if kept.num_rows:
        return kept, f"{what} with {min_stock:,}+ researchers"
    return t, f"every one of the {what} (none has {min_stock:,}+ researchers)"


def figure_answer(fig: object) -> Answer:
    """A figure as the page draws it: ``{data, layout, config}``."""
    body = fig.to_plotly_json()  # type: ignore[attr-defined]
    body["config"] = {k: v for k, v in HTML_CONFIG.items()}
    return Answer(dumps(body), "application/json")


def add_pages(app: FastAPI, send: Callable[[Request, Callable[[Atlas], Answer]], Response]) -> None:
    """The pages, assets and chart endpoints, on ``app``; ``send`` answers a request
    (kept per build, with the build's ETag)."""
    shell = (STATIC / "index.html").read_text()

    def page(_request: Request) -> HTMLResponse:
        return HTMLResponse(shell)

    for p in PAGES:
        app.add_api_route(p, page, methods=["GET"], include_in_schema=False)

    @app.get("/assets/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    @app.get("/assets/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in ASSETS:
            raise HTTPException(404, f"no asset {name!r}")
        return Response((STATIC / name).read_bytes(), media_type=ASSETS[name])

    @app.get("/api/methodology", tags=["build"], summary="What every number means (docs/methodology.md as HTML)")  # fmt: skip
    def methodology_doc() -> Response:
        return Response(dumps(methodology()), media_type="application/json")

    @app.get("/api/charts/map", tags=["charts"], summary="World map of a country measure in a year")  # fmt: skip
    def map_chart(request: Request, value: MapValue = "net_rate",
                  year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                  min_stock: Annotated[int, Query(ge=0, le=100_000)] = MAP_MIN_STOCK) -> Response:  # fmt: skip
        def make(a: Atlas) -> Answer:
            y = year or a.latest_complete_year()
            if value == "net_rate":
                t = a.migration(year=y)
                t, which = at_least(t, min_stock, "countries")
                sub = f"{y} · {which}"
                return figure_answer(choropleth_figure(
                    t, value=value, title="Net migration of AI researchers", subtitle=sub,
                    colorbar_title="per 10,000"))  # fmt: skip
            t = a.world_share(year=y).select(["country", "year", "stock"])
            return figure_answer(choropleth_figure(
                t, value=value, title="Where AI researchers work", subtitle=f"{y}",
                colorbar_title="researchers"))  # fmt: skip

        return send(request, make)

    @app.get("/api/charts/country/{code}", tags=["charts"], summary="A country's trend: net migration rate or stock")  # fmt: skip
    def country_chart(request: Request, code: Annotated[str, PathParam(max_length=60)],
                      value: Literal["net_rate", "stock"] = "net_rate") -> Response:  # fmt: skip
        def make(a: Atlas) -> Answer:
            t = a.migration(code)
            name = country_name(country_code(code, a.countries))
            if value == "net_rate":
                t, which = at_least(t, MAP_MIN_STOCK, "years")
                return figure_answer(trend_figure(
                    t, y="net_rate", lo="net_rate_lo", hi="net_rate_hi",
                    title=f"Net migration rate of AI researchers, {name}",
                    subtitle=f"{which} · shaded: {interval_note(t) or 'interval'}",
                    y_title="per 10,000 researchers"))  # fmt: skip
            return figure_answer(trend_figure(
                t, y="stock", title=f"AI researchers placed in {name}", y_title="researchers"))  # fmt: skip

        return send(request, make)

    @app.get("/api/charts/sectors", tags=["charts"], summary="Academia -> industry: industry share of researchers (of a country)")  # fmt: skip
    def sectors_chart(request: Request,
                      country: Annotated[str | None, Query(max_length=60)] = None) -> Response:  # fmt: skip
        def make(a: Atlas) -> Answer:
            summary = a.sectors(country=country)["summary"]
            code = country_code(country, a.countries) if country else None
            where = f" in {country_name(code)}" if code else ""
            return figure_answer(trend_figure(
                sector_series(summary), y="value", lo="lo", hi="hi", series="series",
                title=f"Academia → industry{where}", y_title="share",
                subtitle=f"shaded: {interval_note(summary) or 'interval'}"))  # fmt: skip

        return send(request, make)

    @app.get("/api/charts/coverage", tags=["charts"], summary="Coverage of the sources per year")  # fmt: skip
    def coverage_chart(request: Request) -> Response:
        def make(a: Atlas) -> Answer:
            c = a.table("coverage_by_year").to_pyarrow()
            long = pa.concat_tables([
                pa.table({"year": c["year"], "series": [label] * c.num_rows,
                          "value": c[col].cast(pa.float64())})
                for col, label in COVERAGE_SERIES.items()
            ])  # fmt: skip
            return figure_answer(trend_figure(
                long, y="value", series="series", percent=True, y_title="share of authorships",
                title="What the sources resolve: share of each year's authorships placed in …"))  # fmt: skip

        return send(request, make)

    @app.get("/api/charts/person/{person_id:path}", tags=["charts"], summary="A person's career on a world map")  # fmt: skip
    def person_chart(request: Request,
                     person_id: Annotated[str, PathParam(min_length=1, max_length=300)]) -> Response:  # fmt: skip
        def make(a: Atlas) -> Answer:
            name = a.person_row(person_id)["name"]
            return figure_answer(career_map_figure(a.timeline(person_id), title=f"Career of {name}"))  # fmt: skip

        return send(request, make)

    @app.get("/api/charts/flows", tags=["charts"], summary="Moves between countries (Sankey)")
    def flows_chart(request: Request,
                    year_min: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                    year_max: Annotated[int | None, Query(ge=1900, le=2100)] = None) -> Response:  # fmt: skip
        def make(a: Atlas) -> Answer:
            t = a.flows()
            if year_min is not None:
                t = t.filter(pc.greater_equal(t["year"], year_min))
            if year_max is not None:
                t = t.filter(pc.less_equal(t["year"], year_max))
            g = t.group_by(["origin", "destination"], use_threads=False).aggregate([("moves", "sum")])  # fmt: skip
            g = pa.table({"origin": g["origin"], "workplace": g["destination"],
                          "persons": g["moves_sum"]})  # fmt: skip
            g = g.sort_by([("persons", "descending"), ("origin", "ascending"),
                           ("workplace", "ascending")])  # fmt: skip
            return figure_answer(sankey_figure(g, title="Moves of AI researchers between countries",
                                               unit="moves"))  # fmt: skip

        return send(request, make)

    @app.get("/api/charts/pathways", tags=["charts"], summary="A venue-year's authors: origin -> first academic country -> workplace (Sankey)")  # fmt: skip
    def pathways_chart(request: Request, year: Annotated[int, Query(ge=1900, le=2100)],
                       venue: Annotated[str | None, Query(max_length=40)] = None) -> Response:  # fmt: skip
        def make(a: Atlas) -> Answer:
            t = a.paths(venue, year)
            t = t.filter(pc.equal(t["tier"], "all"))
            keys = ["origin", "first_academic", "workplace"]
            g = t.group_by(keys, use_threads=False).aggregate([("persons", "sum")])
            g = g.rename_columns([*keys, "persons"])
            g = g.sort_by([("persons", "descending")] + [(k, "ascending") for k in keys])
            where = venue.upper() if venue else "every venue"
            return figure_answer(sankey_figure(g, title=f"Pathways of {where} {year} authors"))

        return send(request, make)

    @app.get("/api/charts/organisation/{institution_id}/{chart}", tags=["charts"], summary="An organisation's headcount, output or retention")  # fmt: skip
    def org_chart(request: Request, institution_id: Annotated[str, PathParam(max_length=100)],
                  chart: Literal["headcount", "retention", "output"]) -> Response:  # fmt: skip
        def make(a: Atlas) -> Answer:
            found = a.find_institutions(institution_id, limit=1).to_pylist()
            if not found or found[0]["institution_id"] != institution_id:
                raise NotFound(f"no organisation {institution_id!r}")
            name = found[0]["name"]
            if chart == "retention":
                return figure_answer(retention_figure(a.retention(institution_id),
                                                      title=f"Retention at {name}"))  # fmt: skip
            if chart == "output":
                return figure_answer(trend_figure(
                    a.headcount(institution_id), y="works", title=f"Output of {name}",
                    subtitle="in-scope papers with an author placed there (labs rolled up)",
                    y_title="papers"))  # fmt: skip
            return figure_answer(trend_figure(a.headcount(institution_id), y="headcount",
                                              title=f"AI researchers at {name}",
                                              y_title="researchers"))  # fmt: skip

        return send(request, make)
