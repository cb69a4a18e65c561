"""Pay over HTTP: the ``talentatlas pay`` questions (distributions by employer, family,
place and year; an occupation's OEWS wages; prevailing-wage levels; areas compared; an
organisation's pay) and their charts.

Every answer's ``meta`` says which kind of figure it is (``kind``: an offered base wage
on a visa filing, OEWS's distribution of all employees, a prevailing-wage floor, the
user's offers), the currency and how amounts were converted (``currency``, ``rates``).
A warehouse built without pay files answers 404 saying so.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pyarrow as pa
from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from talentatlas.api import Atlas
from talentatlas.charts.pay import pay_ranges_figure
from talentatlas.pay.views import GROUPS, PayQuery, pay_meta
from talentatlas.vocabulary import QueryError
from talentatlas.web.pages import figure_answer
from talentatlas.web.service import Answer, NotFound
from talentatlas.web.tables import Format, table_answer

Send = Callable[[Request, Callable[[Atlas], Answer]], Response]
Short = Annotated[str | None, Query(min_length=1, max_length=100)]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="A calendar year.")]
Currency = Annotated[
    str, Query(min_length=3, max_length=4, description="ISO code of the figures' currency.")
]
Group = Literal[tuple(GROUPS)]  # type: ignore[valid-type]
Source = Literal["lca", "offers"]
SOURCES = {"lca": "dol_lca", "offers": "offers"}
#: what a chart's subtitle says each source is
NOTES = {"dol_lca": "LCA: offered base wage on visa filings", "offers": "user-supplied offers"}


@dataclass(frozen=True)
class PayFilters:
    """What a pay question filters on, as sent (resolved against the warehouse by
    :meth:`query`)."""

    employer: str | None = None
    institution: str | None = None
    family: str | None = None
    seniority: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    state: str | None = None
    city: str | None = None
    area: str | None = None

    def query(self, a: Atlas) -> tuple[PayQuery, str]:
        """The :class:`PayQuery` these filters make, and the filters in words (an
        institution by its name)."""
        name = _org(a, self.institution)["name"] if self.institution else None
        q, _best = a.pay_query(
            employer=self.employer, institution_id=self.institution, area=self.area,
            family=self.family, seniority=self.seniority, since=self.year_min,
            until=self.year_max, state=self.state, city=self.city,
        )  # fmt: skip
        parts = [(k, name if k == "institution" else v) for k, v in vars(self).items()
                 if v is not None]  # fmt: skip
        return q, ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in parts) or "all records"


def pay_filters(
    employer: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="An employer or organisation by name (and its labs).",
        ),
    ] = None,
    institution: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="An institution id (and its labs)."),
    ] = None,
    family: Annotated[
        str | None, Query(min_length=1, max_length=60, description="A role family.")
    ] = None,
    seniority: Short = None,
    year_min: Year = None,
    year_max: Year = None,
    state: Short = None,
    city: Short = None,
    area: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="An OEWS area's worksites: a state or a metro by a city.",
        ),
    ] = None,
) -> PayFilters:
    return PayFilters(employer, institution, family, seniority, year_min, year_max, state,
                      city, area)  # fmt: skip


Filters = Annotated[PayFilters, Depends(pay_filters)]


def _answer(t: pa.Table, fmt: Format, offset: int = 0, limit: int | None = None,
            **meta: Any) -> Answer:  # fmt: skip
    return table_answer(t, fmt, offset, limit, meta={**pay_meta(t), **meta})


def _with_pay(a: Atlas) -> Atlas:
    if not a.has_pay():
        raise NotFound("this warehouse holds no pay records: add pay files and rebuild it")
    return a


def add_pay(app: FastAPI, send: Send) -> None:
    """The pay endpoints and charts, on ``app``."""
    fmt_q = Annotated[Format, Query(alias="format", description="json (default) or csv.")]

    @app.get("/api/pay", tags=["pay"],
             summary="Pay distributions by employer, family, seniority, year or place")  # fmt: skip
    def pay(
        request: Request,
        f: Filters,
        by: Annotated[list[Group] | None, Query(description="Group by (repeatable).")] = None,
        source: Source = "lca",
        currency: Currency = "USD",
        top: Annotated[int, Query(ge=1, le=500, description="Groups (most records first).")] = 50,
        fmt: fmt_q = "json",
    ) -> Response:
        def make(a: Atlas) -> Answer:
            q, what = f.query(_with_pay(a))
            t = a.pay_summary(
                q, by=tuple(by or ()), source=SOURCES[source], currency=currency,
                top=top,
            )  # fmt: skip
            return _answer(t, fmt, filters=what)

        return send(request, make)

    @app.get("/api/pay/occupations", tags=["pay"],
             summary="An occupation's OEWS wage percentiles in an area")  # fmt: skip
    def occupations(
        request: Request,
        occupation: Annotated[
            str,
            Query(
                min_length=1,
                max_length=100,
                description="A SOC code (15-1221), words of a title, or a family.",
            ),
        ],
        area: Short = None,
        currency: Currency = "USD",
        fmt: fmt_q = "json",
    ) -> Response:
        return send(request, lambda a: _answer(
            _with_pay(a).occupation_wages(occupation, area, currency), fmt))  # fmt: skip

    @app.get("/api/pay/levels", tags=["pay"],
             summary="Prevailing-wage levels I-IV of an occupation in a county or a state")  # fmt: skip
    def levels(
        request: Request,
        occupation: Annotated[str, Query(min_length=1, max_length=100)],
        area: Annotated[
            str, Query(min_length=2, max_length=100, description="'County, ST' or a state code.")
        ],
        fmt: fmt_q = "json",
    ) -> Response:
        return send(request, lambda a: _answer(
            _with_pay(a).prevailing_levels(occupation, area), fmt))  # fmt: skip

    @app.get("/api/pay/compare", tags=["pay"],
             summary="A role family's pay in several areas: OEWS and LCA filings")  # fmt: skip
    def compare(
        request: Request,
        family: Annotated[str, Query(min_length=1, max_length=60)],
        area: Annotated[
            list[str], Query(min_length=1, max_length=12, description="Areas (repeat for several).")
        ],
        currency: Currency = "USD",
        year_min: Year = None,
        fmt: fmt_q = "json",
    ) -> Response:
        return send(request, lambda a: _answer(
            _compare(a, family, area, currency, year_min), fmt))  # fmt: skip

    @app.get("/api/organisations/{institution_id}/pay", tags=["organisations"],
             summary="An organisation's offered wages on LCA filings, by role family")  # fmt: skip
    def org_pay(
        request: Request,
        institution_id: Annotated[str, PathParam(min_length=1, max_length=100)],
        year_min: Year = None,
        currency: Currency = "USD",
        fmt: fmt_q = "json",
    ) -> Response:
        def make(a: Atlas) -> Answer:
            _org(_with_pay(a), institution_id)
            ids = a.descendants(institution_id)
            return _answer(a.org_pay(ids, since=year_min, currency=currency), fmt)

        return send(request, make)

    # -- charts --------------------------------------------------------------------------
    @app.get("/api/charts/pay", tags=["charts"],
             summary="Pay distributions as ranges (10th-90th, 25th-75th percentile, median)")  # fmt: skip
    def pay_chart(
        request: Request,
        f: Filters,
        by: Annotated[Group, Query(description="One range per group.")] = "family",
        source: Source = "lca",
        currency: Currency = "USD",
        top: Annotated[int, Query(ge=1, le=50)] = 15,
    ) -> Response:
        def make(a: Atlas) -> Answer:
            src = SOURCES[source]
            q, what = f.query(_with_pay(a))
            t = a.pay_summary(q, by=(by,), source=src, currency=currency,
                                         top=top)  # fmt: skip
            if not t.num_rows:
                raise QueryError(f"no {'LCA filings' if src == 'dol_lca' else 'offers'} with "
                                 f"an amount match {what}")  # fmt: skip
            title = f"Pay by {by}" + (f" — {what}" if what != "all records" else "")
            cur = pay_meta(t).get("currency", currency)
            return figure_answer(pay_ranges_figure(t, label=by, title=title,
                                                   unit=f"{cur} a year", note=NOTES[src]))  # fmt: skip

        return send(request, make)

    @app.get("/api/charts/pay/compare", tags=["charts"],
             summary="A role family's pay in several areas (OEWS and LCA filings)")  # fmt: skip
    def compare_chart(
        request: Request,
        family: Annotated[str, Query(min_length=1, max_length=60)],
        area: Annotated[list[str], Query(min_length=1, max_length=12)],
        currency: Currency = "USD",
        year_min: Year = None,
    ) -> Response:
        def make(a: Atlas) -> Answer:
            t = _compare(a, family, area, currency, year_min)
            cur = pay_meta(t).get("currency", currency)
            return figure_answer(pay_ranges_figure(
                t, label=["area", "source", "years"], colour_by="source", title=f"{family}: pay by area",
                unit=f"{cur} a year",
                note="bls_oews: all employees of the occupation; dol_lca: offered base wage "
                     "on visa filings at the area's worksites"))  # fmt: skip

        return send(request, make)


def _compare(a: Atlas, family: str, areas: list[str], currency: str,
             since: int | None) -> pa.Table:  # fmt: skip
    return _with_pay(a).pay_compare(family, areas, currency=currency, since=since)


def _org(a: Atlas, institution_id: str) -> dict:
    """The institution of this id (its ``find_institutions`` row); 404 when none."""
    found = a.find_institutions(institution_id, limit=1).to_pylist()
    if not found or found[0]["institution_id"] != institution_id:
        raise NotFound(f"no organisation {institution_id!r}; find one at /api/organisations")
    return found[0]
