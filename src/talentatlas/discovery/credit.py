"""Credit for a work: each in-scope authorship with its share of the work (DESIGN.md,
"Researcher ranking").

- **Adjusted count**: a work gives ``1/N`` to each of its ``N`` authors (CSRankings'
  rule), ``N`` being the larger of the source's author count and the authorships read.
- **First author**: position 0. **Last author**: the last position of a work with two
  or more authors (often the senior author in machine learning).
- **Top tier**: an oral or spotlight (``sources.tiers``).
- **Citations**: the work's count where a source carries one (a paper list's Google
  Scholar count, OpenAlex ``cited_by_count``); unknown otherwise, never zero.
"""

from __future__ import annotations

import ibis
from ibis import _
from ibis.expr.types import Table

#: tiers that count as top-tier works
TOP_TIERS = ("oral", "spotlight")


def credits(facts: Table, works: Table, authorships: Table) -> Table:
    """One row per in-scope authorship (``scoped_facts``): ``person_id, work_id, year,
    venue, area, tier, position, n_authors, credit, first_author, last_author, top_tier,
    citations, institution, org, country, sector``."""
    counted = authorships.group_by("work_id").agg(n_read=_.count())
    w = works.select("work_id", n_src="n_authors", cites="citations")
    w = w.join(counted, "work_id")
    f = facts.join(w, "work_id")
    n = ibis.greatest(f.n_src.fill_null(0), f.n_read)
    return f.select(
        "person_id", "work_id", year=f.year.cast("int32"), venue=f.venue, area=f.area,
        tier=f.tier, position=f.position, n_authors=n.cast("int32"),
        credit=1.0 / n.cast("float64"), first_author=f.position == 0,
        last_author=(f.position == n - 1) & (n > 1),
        top_tier=f.tier.isin(list(TOP_TIERS)).fill_null(False), citations=f.cites,
        institution=f.institution, org=f.org, country=f.country, sector=f.sector,
    )  # fmt: skip


def output(credit: Table, by: list[str]) -> Table:
    """The output measures of :func:`credits` rows summed per ``by``: ``works,
    adjusted, first_author, last_author, top_tier, citations`` (null when no work
    carries a count). ``adjusted`` is rounded to 9 decimals: a sum of fractions in
    whatever order the engine adds them differs in its last bits from build to build."""
    return credit.group_by(by).agg(
        works=_.work_id.nunique(),
        adjusted=_.credit.sum().round(9),
        first_author=_.first_author.cast("int64").sum(),
        last_author=_.last_author.cast("int64").sum(),
        top_tier=_.top_tier.cast("int64").sum(),
        citations=_.citations.sum(),
    )
