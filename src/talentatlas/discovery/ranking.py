"""Institution and organisation rankings by the CSRankings rule (DESIGN.md,
"Researcher ranking"; docs/methodology.md, "People").

Each in-scope work gives ``1/N`` to each of its ``N`` authors; a unit's adjusted count
in an area is the sum over its authors' works in that area and window; its score is
the geometric mean over the chosen areas of ``adjusted + 1`` (an area without output
counts 1). A work is credited to

- ``current`` (CSRankings' rule): the institution the author is at in the window's
  last year (the latest placed year up to it), whatever the paper says;
- ``paper`` (time-aware): the institution on the paper itself, so a lab keeps the
  credit for work done there after its authors leave.

Units are institutions, or organisations (an institution with its labs and units rolled
up to the top organisation, placed at its headquarters).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _
from ibis.expr.types import Table

from talentatlas.discovery.credit import credits

CREDIT_ON = ("current", "paper")
LEVELS = ("institution", "organisation")


def rank_units(
    table: Callable[[str], Table],
    areas: Sequence[str],
    *,
    year_min: int | None = None,
    year_max: int | None = None,
    countries: Sequence[str] = (),
    sector: str | None = None,
    level: str = "institution",
    credit_on: str = "current",
    limit: int = 50,
) -> pa.Table:
    """``rank, unit_id, name, country, sector, score, adjusted, researchers, works`` and
    the adjusted count of each area (``adjusted_<area>``), best score first.
    ``areas``: the areas whose geometric mean is taken (every area when empty)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if credit_on not in CREDIT_ON:
        raise ValueError(f"credit_on must be one of {', '.join(CREDIT_ON)}, not {credit_on!r}")
    f = table("scoped_facts")
    if year_min is not None:
        f = f.filter(f.year >= year_min)
    if year_max is not None:
        f = f.filter(f.year <= year_max)
    chosen = list(areas) or sorted(
        table("scoped_facts").select("area").distinct().to_pyarrow()["area"].to_pylist()
    )
    f = f.filter(f.area.isin(chosen))
    c = credits(f, table("works"), table("authorships"))
    inst = table("institutions")
    if credit_on == "current":
        last = year_max if year_max is not None else int(f.year.max().to_pyarrow().as_py() or 0)
        py = table("person_years")
        py = py.filter(py.institution.notnull() & (py.year <= last))
        place = py.group_by("person_id").agg(_cur=py.institution.argmax(py.year))
        c = c.join(place, "person_id").mutate(unit_inst=_._cur)
    else:
        c = c.filter(c.institution.notnull()).mutate(unit_inst=_.institution)
    if level == "organisation":
        o = inst.select(_ui="institution_id", _org="org_id")
        c = c.join(o, c.unit_inst == o._ui).mutate(unit_id=_._org)
    else:
        c = c.mutate(unit_id=c.unit_inst)
    per = c.group_by(["unit_id", "area"]).agg(a=_.credit.sum())
    logs = per.a.__add__(1).ln()
    score = per.group_by("unit_id").agg(s=logs.sum(), adjusted=per.a.sum())
    k = float(len(chosen))
    score = score.mutate(score=(score.s / k).exp()).drop("s")
    totals = c.group_by("unit_id").agg(researchers=_.person_id.nunique(), works=_.work_id.nunique())
    by_area = per.group_by("unit_id").agg(
        **{f"adjusted_{a.lower()}": per.a.sum(where=per.area == a) for a in chosen}
    )
    about = inst.select(
        _id="institution_id", name="name",
        country=inst.hq_country if level == "organisation" else inst.country,
        sector="sector",
    )  # fmt: skip
    t = score.join(totals, "unit_id").join(by_area, "unit_id")
    t = t.left_join(about, t.unit_id == about._id).drop("_id")
    if countries:
        t = t.filter(t.country.isin(list(countries)))
    if sector:
        t = t.filter(t.sector == sector)
    cols = ["unit_id", "name", "country", "sector", "score", "adjusted", "researchers", "works",
            *(f"adjusted_{a.lower()}" for a in chosen)]  # fmt: skip
    out = t.order_by([ibis.desc("score"), "unit_id"]).limit(limit).select(cols).to_pyarrow()
    for col in ("score", "adjusted", *(f"adjusted_{a.lower()}" for a in chosen)):
        i = out.column_names.index(col)
        out = out.set_column(i, col, pc.round(pc.fill_null(out[col], 0.0), 2))
    return out.add_column(0, "rank", pa.array(range(1, out.num_rows + 1), pa.int64()))
