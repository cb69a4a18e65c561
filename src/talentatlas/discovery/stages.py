"""Career stage of a person in a year (docs/methodology.md, "People").

- **Stated** (OpenReview positions): each part of a stated position (``resolve.roles``)
  is read as ``phd`` (doctoral), ``student`` (master's, undergraduate, other students;
  an internship), ``postdoc``, ``faculty``, ``leader``, ``engineer`` or ``researcher``.
  A position of several parts often lists a profile's history, in no fixed order
  ("PhD student+Assistant Professor", "Postdoc+PhD student"), so its main part
  (``resolve.roles.main_part``: the most senior, a visiting or adjunct part below the
  rest) is the stage. A person-year's
  stage is the one most of that year's stated authorships give (ties: the more
  senior). A year's stage is the one stated that year, else the year before
  (positions go stale).
- **Otherwise, seniority**: years since the person's first in-scope authorship:
  ``early`` 0-2, ``mid`` 3-7, ``senior`` 8+ (the indicators' career stages).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ibis
import pyarrow as pa
from ibis import _
from ibis.expr.types import Table

from talentatlas.indicators.frame import STAGES as SENIORITY
from talentatlas.resolve.roles import SENIORITY as KIND_SENIORITY
from talentatlas.resolve.roles import main_kind

#: stated kind of role -> career stage
STAGE_OF_KIND = {
    "doctoral": "phd", "masters": "student", "undergraduate": "student", "student": "student",
    "postdoc": "postdoc", "faculty": "faculty", "leadership": "leader", "engineer": "engineer",
    "researcher": "researcher",
}  # fmt: skip
STATED = ("phd", "student", "postdoc", "faculty", "leader", "engineer", "researcher")
#: seniority of a stated stage (a person-year's stage is the one most of its authorships
#: state; ties: the more senior, then alphabetical)
SENIORITY_OF = {STAGE_OF_KIND[k]: v for k, v in KIND_SENIORITY.items() if k in STAGE_OF_KIND}
#: every career stage, stated ones first
STAGES = (*STATED, *SENIORITY)
#: a stated position counts for its year and this many years after
STALE_AFTER = 1


def stage_of(stated: str | None) -> str | None:
    """The career stage of one stated position: that of its main part (an internship is
    a student's), or None."""
    kind = main_kind(stated)
    return None if kind is None else STAGE_OF_KIND.get(kind, "student")


def stage_map(roles: Sequence[str]) -> pa.Table:
    """``role, stage, stage_rank`` for each distinct stated position with a stage."""
    rows = [(r, stage_of(r)) for r in roles]
    rows = [(r, s) for r, s in rows if s is not None]
    return pa.table(
        {"role": [r for r, _s in rows], "stage": [s for _r, s in rows],
         "stage_rank": pa.array([-SENIORITY_OF[s] for _r, s in rows], pa.int32())},
        schema=pa.schema([("role", pa.string()), ("stage", pa.string()),
                          ("stage_rank", pa.int32())]),
    )  # fmt: skip


def person_stages(
    facts: Table,
    authorships: Table,
    to_arrow: Callable[[Table], pa.Table],
    from_arrow: Callable[[str, pa.Table], Table],
) -> Table:
    """``person_id, year, stage, authorships``: each person-year with a stated position
    among its in-scope authorships, and the stage most of them state (ties: the more
    senior, then the first in alphabetical order: faculty before leader, engineer before
    researcher, which are equally senior)."""
    a = authorships.filter(authorships.role.notnull()).select("work_id", "position", "role")
    distinct = to_arrow(a.select("role").distinct())["role"].to_pylist()
    stages = from_arrow("stage_map_src", stage_map(distinct))
    f = facts.select("person_id", "work_id", "position", year=facts.year.cast("int32"))
    j = f.join(a, ["work_id", "position"]).join(stages, "role")
    n = j.group_by(["person_id", "year", "stage", "stage_rank"]).agg(authorships=_.count())
    w = ibis.window(
        group_by=["person_id", "year"],
        order_by=[ibis.desc("authorships"), "stage_rank", "stage"],
    )
    n = n.mutate(rk=ibis.row_number().over(w))
    return n.filter(n.rk == 0).select("person_id", "year", "stage", "authorships")


def stage_at(people: Table, stages: Table, year: ibis.Value | int) -> Table:
    """``people`` (``person_id, first_year`` and a year column or a year) with the career
    stage in that year: ``stage, stage_evidence`` (``stated <year>`` or ``<k> years since
    the first paper``)."""
    y = people[year] if isinstance(year, str) else ibis.literal(year)
    p = people.mutate(_at=y.cast("int32"))
    s = stages.select(_s_p="person_id", _s_y="year", _s_stage="stage")
    j = p.left_join(s, [p.person_id == s._s_p, s._s_y <= p._at, s._s_y >= p._at - STALE_AFTER])
    keys = [c for c in p.columns]
    g = j.group_by(keys).agg(stated=j._s_stage.argmax(j._s_y), stated_year=j._s_y.max())
    since = g._at - g.first_year
    seniority = ibis.cases(
        *(((since >= lo) & (since <= (hi if hi is not None else 10_000)), name)
          for name, (lo, hi) in SENIORITY.items()),
        else_=ibis.null("string"),
    )  # fmt: skip
    stage = g.stated.fill_null(seniority)
    evidence = g.stated.isnull().ifelse(
        since.cast("string") + " years since the first paper",
        "stated " + g.stated_year.cast("string"),
    )
    return g.mutate(stage=stage, stage_evidence=evidence).drop("stated", "stated_year", "_at")
