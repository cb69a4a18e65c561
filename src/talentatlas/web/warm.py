"""Answers made before anyone asks: when a build is opened, the server asks itself what
the dashboard's pages ask first, one question at a time, so a visitor's first world map,
country page or organisation page is read from the kept answers (milliseconds) rather
than computed (up to seconds each on the real corpus, more while many wait).

The questions are the pages' own (``static/app.js``): the world page of the last
complete year, the page of every country with at least :data:`MAP_MIN_STOCK`
researchers that year (largest first; in a world where none has, the ten largest), the flows, people and rankings pages, and the
pages of the :data:`ORGANISATIONS` largest organisations (with their pay, and the pay
page, when the build has pay records). One question runs at a time,
so the other connections of the pool stay free for visitors; a rebuild starts over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import quote, urlencode

import httpx
import ibis
from fastapi import FastAPI

from talentatlas.api import Atlas
from talentatlas.web.pages import MAP_MIN_STOCK
from talentatlas.web.service import Warehouse

#: countries warmed when none has MAP_MIN_STOCK researchers (a small world)
SMALL_WORLD = 10
#: organisations whose pages are warmed (the largest by person-years)
ORGANISATIONS = 20
#: seconds between checks for a rebuild
POLL = 5.0
log = logging.getLogger("talentatlas.web")


def _url(path: str, **params: object) -> str:
    kept = {k: v for k, v in params.items() if v is not None and v != ""}
    return f"{path}?{urlencode(kept, doseq=True)}" if kept else path


def country_paths(code: str, year: int) -> list[str]:
    """What a country's page asks (``countryPage`` in ``app.js``)."""
    c = quote(code, safe="")
    return [
        _url("/api/migration", country=code, year=year),
        _url("/api/countries", year=year, limit=1000),
        _url(f"/api/charts/country/{c}", value="net_rate"),
        _url(f"/api/charts/country/{c}", value="stock"),
        _url("/api/migration", country=code),
        f"/api/countries/{c}/partners",
        _url("/api/charts/sectors", country=code),
        _url("/api/sectors", country=code),
        _url("/api/rankings/organisation", country=code, limit=15),
        "/api/charts/coverage",
        "/api/coverage",
    ]


def organisation_paths(institution_id: str, pay: bool = False) -> list[str]:
    """What an organisation's page asks (``organisationPage`` in ``app.js``); ``pay``:
    the warehouse has pay tables."""
    o = quote(institution_id, safe="")
    pays = [_url("/api/charts/pay", institution=institution_id, by="family"),
            f"/api/organisations/{o}/pay"] if pay else []  # fmt: skip
    return [
        _url("/api/organisations", q=institution_id, limit=1),
        f"/api/charts/organisation/{o}/headcount",
        f"/api/charts/organisation/{o}/output",
        f"/api/organisations/{o}/headcount",
        *pays,
        _url(f"/api/organisations/{o}/flows", limit=30),
        f"/api/charts/organisation/{o}/retention",
        f"/api/organisations/{o}/retention",
        _url(f"/api/organisations/{o}/labs", limit=50),
        _url("/api/moves", institution=institution_id, limit=50),
    ]


#: what the pay page shows first (``payPage`` in ``app.js``)
PAY_FAMILY = "software-engineer"
PAY_AREAS = ("San Jose", "Seattle", "New York")


def pay_paths(family: str = PAY_FAMILY, areas: tuple[str, ...] = PAY_AREAS,
              currency: str = "USD") -> list[str]:  # fmt: skip
    """What the pay page asks (``payPage`` in ``app.js``)."""
    both = {"family": family, "area": list(areas), "currency": currency}
    return [
        _url("/api/charts/pay/compare", **both),
        _url("/api/pay/compare", **both),
        _url("/api/charts/pay", family=family, by="employer", currency=currency),
        _url("/api/pay", family=family, by="employer", currency=currency, top=30),
    ]


def warm_paths(a: Atlas, organisations: int = ORGANISATIONS) -> list[str]:
    """The questions to answer before anyone asks, in the order they are asked."""
    year = a.latest_complete_year()
    out = [
        "/api/build",
        _url("/api/charts/map", value="net_rate", year=year),
        _url("/api/migration", year=year),
    ]
    stock = a.world_share(year=year).to_pylist()
    ranked = sorted(stock, key=lambda r: (-(r["stock"] or 0), r["country"]))
    big = [r for r in ranked if (r["stock"] or 0) >= MAP_MIN_STOCK] or ranked[:SMALL_WORLD]
    for r in big:
        out += country_paths(r["country"], year)
    out += [
        "/api/charts/flows",
        _url("/api/flows", limit=200),
        _url("/api/charts/pathways", year=year),
        _url("/api/pathways/paths", year=year, limit=200),
        _url("/api/people", limit=50),
        _url("/api/rankings/institution", limit=100),
        _url("/api/rankings/organisation", limit=100),
    ]
    s = a.table("stock")
    top = (
        s.filter(s.dimension == "institution").group_by("value")
        .agg(n=s.stock.sum()).order_by([ibis.desc("n"), "value"]).limit(organisations)
        .to_pyarrow()["value"].to_pylist()
    )  # fmt: skip
    pay = a.has_pay()
    if pay:
        out += pay_paths()
    for i in top:
        out += organisation_paths(i, pay)
    return list(dict.fromkeys(out))


async def keep_warm(app: FastAPI, wh: Warehouse) -> None:
    """Warm every build the server opens (runs until cancelled)."""
    transport = httpx.ASGITransport(app=app)
    warmed = ""
    async with httpx.AsyncClient(transport=transport, base_url="http://atlas") as client:
        while True:
            await asyncio.to_thread(wh.refresh)
            build = wh.build_id
            if build != warmed:
                paths = await asyncio.to_thread(_paths, wh)
                for p in paths:
                    if wh.build_id != build:
                        break
                    with contextlib.suppress(httpx.HTTPError):
                        r = await client.get(p)
                        if r.status_code >= 500:
                            log.warning("warming %s: %s", p, r.status_code)
                else:
                    warmed = build
                    wh.warmed = len(paths)
            await asyncio.sleep(POLL)


def _paths(wh: Warehouse) -> list[str]:
    with wh.atlas() as a:
        return warm_paths(a)
