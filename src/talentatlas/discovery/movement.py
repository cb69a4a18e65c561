"""Movement watch: who joined or left an organisation or a country in a window, from
where and to where (docs/methodology.md, "People").

A move is a change of modal institution (or country) between two consecutive observed
years, dated at the later year (DESIGN.md). For an organisation, moves between its own
labs and units are not arrivals or departures; ``joined`` moves end in it, ``left``
moves start in it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ibis
import pyarrow as pa
from ibis.expr.types import Table

DIRECTIONS = ("joined", "left")


def movements(
    table: Callable[[str], Table],
    *,
    institutions: Sequence[str] = (),
    country: str | None = None,
    year_min: int | None = None,
    year_max: int | None = None,
    exclude: frozenset[str] = frozenset(),
) -> pa.Table:
    """``year, direction, person_id, name, from_year, from_institution, from_country,
    to_institution, to_country, identity`` for the moves into or out of
    ``institutions`` (ids: an organisation and its units) or ``country``, latest first."""
    if bool(institutions) == bool(country):
        raise ValueError("give an organisation or a country")
    m = table("moves")
    dim = "institution" if institutions else "country"
    m = m.filter(m.dimension == dim)
    if year_min is not None:
        m = m.filter(m.year >= year_min)
    if year_max is not None:
        m = m.filter(m.year <= year_max)
    inside = list(institutions) if institutions else [country]
    into, out_of = m.destination.isin(inside), m.origin.isin(inside)
    m = m.filter(into != out_of)  # within the organisation is no move here
    m = m.mutate(direction=into.ifelse("joined", "left"))
    if exclude:
        m = m.filter(~m.person_id.isin(sorted(exclude)))
    # both ends with their institution and country (the person's observed years)
    inst = table("observed_institution").select(_p="person_id", _y="year", _i="value")
    ctry = table("observed_country").select(_p2="person_id", _y2="year", _c="value")
    names = table("institutions").select(_n_id="institution_id", _n="name")
    j = m
    for side in ("from", "to"):
        year = j.from_year if side == "from" else j.year
        j = j.left_join(inst, [j.person_id == inst._p, year == inst._y]).drop("_p", "_y")
        j = j.left_join(ctry, [j.person_id == ctry._p2, year == ctry._y2]).drop("_p2", "_y2")
        j = j.left_join(names, j._i == names._n_id).drop("_n_id")
        j = j.rename(**{f"{side}_institution_id": "_i", f"{side}_country": "_c",
                        f"{side}_institution": "_n"})  # fmt: skip
    idx = table("person_index").select("person_id", "name", "identity")
    j = j.left_join(idx, "person_id").drop("person_id_right")
    return (
        j.select(
            "year", "direction", "person_id", "name", "from_year", "from_institution",
            "from_country", "to_institution", "to_country", "from_institution_id",
            "to_institution_id", "identity",
        )
        .order_by([ibis.desc("year"), "direction", "name", "person_id"])
        .to_pyarrow()
    )  # fmt: skip
