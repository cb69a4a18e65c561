"""OEWS areas and the worksites of filings in them: an area from what a user types
(``national``, a state code or name, a metro by one of its cities, the largest metro
when several share the city), and the records at its worksites."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import ibis

from talentatlas.pay.read import state_code
from talentatlas.vocabulary import QueryError


@dataclass
class Area:
    """An area as OEWS knows it, and the worksites of filings in it."""

    label: str
    area_code: str
    area_type: str
    state: str | None
    #: (city, state) pairs of the worksites that count for filings (metros: the cities
    #: its name lists)
    cities: list[tuple[str, str | None]]
    states: list[str]


class PayAreas:
    """The area questions of the pay views (needs ``table`` from the atlas)."""

    def table(self, name: str) -> ibis.Table:  # pragma: no cover - the atlas's
        raise NotImplementedError

    @cached_property
    def _pay_areas(self) -> list[dict]:
        w = self.table("pay_occupation_wages")
        return (
            w.select("area_code", "area_type", "area_name", "state").distinct()
            .order_by("area_code").to_pyarrow().to_pylist()
        )  # fmt: skip

    @cached_property
    def _area_jobs(self) -> dict[str, float]:
        """Jobs per area (all occupations, all industries), where the release has them."""
        w = self.table("pay_occupation_wages")
        t = w.filter(w.soc_code == "00-0000", w.industry_code == "000000")
        rows = t.select("area_code", "employment").to_pyarrow().to_pylist()
        return {r["area_code"]: r["employment"] or 0 for r in rows}

    def pay_area(self, text: str) -> Area:
        """An OEWS area from a name: ``national``/``US``; a state code (``CA``); a metro
        area by one of its cities (``San Jose``, ``New York``); a state name; else the
        first area whose name contains the text."""
        areas = self._pay_areas
        t = " ".join(text.lower().replace(".", "").split())
        if not any(ch.isalnum() for ch in t):
            raise QueryError(f"no OEWS area in {text!r}: give a state, a city or 'national'")
        if t in {"national", "us", "usa", "united states", "nation"}:
            a = next((a for a in areas if a["area_type"] == "national"), None)
            # (a build without OEWS: the nation still holds every worksite)
            code = a["area_code"] if a else "N0000000"
            return Area("United States", code, "national", None, [], [])
        if len(t) == 2 and state_code(t):
            return self._state_area(areas, state_code(t))
        metros = []
        for a in areas:
            if a["area_type"] != "metro":
                continue
            cities, states = metro_parts(a["area_name"])
            if t in [c.lower() for c in cities] or t == a["area_name"].lower():
                metros.append((a, cities, states))
        if metros:  # several ("Portland"): the one with the most jobs
            a, cities, states = max(metros, key=lambda m: self._area_jobs.get(m[0]["area_code"], 0))
            return Area(a["area_name"], a["area_code"], "metro", states[0] if states else None,
                        [(c, s) for c in cities for s in states], states)  # fmt: skip
        if state_code(t):
            return self._state_area(areas, state_code(t))
        for a in areas:
            if t in a["area_name"].lower():
                cities, states = metro_parts(a["area_name"])
                return Area(a["area_name"], a["area_code"], a["area_type"], a["state"],
                            [(c, s) for c in cities for s in states], states)  # fmt: skip
        raise QueryError(f"no OEWS area matches {text!r} (a state code, a state, or a city)")

    @staticmethod
    def _state_area(areas: list[dict], code: str) -> Area:
        a = next((a for a in areas if a["area_type"] == "state" and a["state"] == code), None)
        if a is None:
            raise QueryError(f"no OEWS figures for the state {code}")
        return Area(a["area_name"], a["area_code"], "state", code, [], [code])


def in_area(t: ibis.Table, a: Area) -> ibis.Value:
    """Records at the area's worksites: a metro's listed cities (in its states), a
    state's, or all (national)."""
    if a.area_type == "metro":
        cond = ibis.literal(False)
        for c, st in a.cities:
            cond = cond | ((t.city == c.upper()) & (t.state == st))
        return cond
    if a.area_type == "state":
        return t.state == a.state
    return ibis.literal(True)


def metro_parts(name: str) -> tuple[list[str], list[str]]:
    """``San Jose-Sunnyvale-Santa Clara, CA`` -> (cities, states)."""
    head, _sep, tail = name.rpartition(", ")
    if not head:
        return [], []
    return [c.strip() for c in head.split("-")], [s.strip() for s in tail.split("-")]
