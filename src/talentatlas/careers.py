"""Careers: one row per person and year, and the moves derived from it (DESIGN.md).

- **Person-year** (per dimension: country, institution, sector, and country at the
  headquarters of the top organisation): for each person and
  each year with at least one authorship resolved on that dimension, the modal value
  of that year's authorships; ties go to the value also seen in the nearest other
  year, then alphabetically. The dimensions describe one place (:data:`WITHIN`): the
  modal institution is taken among the authorships in the modal country, and sector
  and headquarters country among those at the modal institution (in the modal country
  when no institution is known), so a row never pairs one place's institution with
  another's country or sector. Years between two observed years are padded with the
  earlier year's value; a person is in the population from the first to the last
  observed year of that dimension.
- **Move**: a change of modal value between two consecutive observed person-years,
  dated at the later year.

Every function takes and returns Ibis tables, so the same code runs on DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
from ibis import _
from ibis.expr.types import Table

#: ``hq_country`` is the country of the institution's top organisation (headquarters rule)
DIMENSIONS = ("country", "institution", "sector", "hq_country")
_FAR = 10_000  # distance used when a value is seen in no other year
#: the dimensions whose modal values a dimension's authorships must agree with
WITHIN: dict[str, tuple[str, ...]] = {
    "country": (),
    "institution": ("country",),
    "sector": ("country", "institution"),
    "hq_country": ("country", "institution"),
}


def scoped(facts: Table, scope: Any) -> Table:
    """The authorships in scope (DESIGN.md): linked to a person, accepted (unless the
    scope says otherwise), within the scope's years, at a venue of the field or (an
    OpenAlex work elsewhere) with a primary topic in one of the field's subfields, with
    the venue's or subfield's area (``area``)."""
    f = facts.filter(facts.person_id.notnull())
    if scope.accepted_only:
        f = f.filter(f.accepted.fill_null(True))
    if scope.year_min is not None:
        f = f.filter(f.year >= scope.year_min)
    if scope.year_max is not None:
        f = f.filter(f.year <= scope.year_max)
    area = f.venue.substitute(scope.venue_areas(), else_=ibis.null("string"))
    subfields = scope.subfield_areas()
    if "subfield" in f.columns and subfields:  # OpenAlex works outside the venues
        area = area.fill_null(f.subfield.substitute(subfields, else_=ibis.null("string")))
    f = f.mutate(area=area)
    return f.filter(f.area.notnull())


def cells(facts: Table) -> Table:
    """Authorships counted per person, year and combination of the dimensions' values
    (``person_id, year, <DIMENSIONS>, n``): every dimension's modal values follow from
    these counts, so the authorships are read once for all of them."""
    dims = [d for d in DIMENSIONS if d in facts.columns]
    return facts.group_by(["person_id", "year", *dims]).agg(n=_.count())


def modal(facts: Table, dim: str) -> Table:
    """Observed person-years of one dimension: ``person_id, year, value, n, n_total``.

    ``facts`` has one row per authorship (``person_id, year, <dim>``; null =
    unresolved) or, with a column ``n``, per ``n`` authorships (:func:`cells`).
    """
    weight = facts.n if "n" in facts.columns else ibis.literal(1)
    f = facts.filter(facts[dim].notnull()).select("person_id", "year", value=facts[dim], w=weight)
    counts = f.group_by(["person_id", "year", "value"]).agg(n=_.w.sum())
    # the nearest other year with the same value is the previous or the next one
    same = ibis.window(group_by=["person_id", "value"], order_by="year")
    before = (counts.year - counts.year.lag().over(same)).fill_null(_FAR)
    after = (counts.year.lead().over(same) - counts.year).fill_null(_FAR)
    dist = counts.mutate(d=ibis.least(before, after))
    w = ibis.window(
        group_by=["person_id", "year"], order_by=[ibis.desc("n"), ibis.asc("d"), ibis.asc("value")]
    )
    tot = ibis.window(group_by=["person_id", "year"])
    ranked = dist.mutate(rk=ibis.row_number().over(w), n_total=dist.n.sum().over(tot))
    return ranked.filter(ranked.rk == 0).select("person_id", "year", "value", "n", "n_total")


def observed(facts: Table, dim: str, observed_of: Callable[[str], Table]) -> Table:
    """Observed person-years of ``dim`` (:func:`modal`) over the authorships that agree
    with the person-year's modal values of the dimensions in :data:`WITHIN` (given by
    ``observed_of``; a person-year where such a dimension is unobserved keeps all)."""
    f = facts
    for parent in WITHIN[dim]:
        o = observed_of(parent)
        o = o.select(w_p=o.person_id, w_y=o.year, w_v=o.value)
        j = f.left_join(o, [f.person_id == o.w_p, f.year == o.w_y])
        f = j.filter(j.w_v.isnull() | (j[parent] == j.w_v)).drop("w_p", "w_y", "w_v")
    return modal(f, dim)


def padded(observed: Table) -> Table:
    """Fill years between observed years with the earlier year's value.

    Returns ``person_id, year, value, observed``.
    """
    w = ibis.window(group_by="person_id", order_by="year")
    o = observed.mutate(next_year=observed.year.lead().over(w))
    o = o.mutate(until=o.next_year.fill_null(o.year + 1))
    # one row per year of [year, until): an unnested range, not a join on the calendar
    y = o.select("person_id", "value", first=o.year, y=ibis.range(o.year, o.until).unnest())
    return y.select("person_id", year=y.y.cast("int32"), value=y.value, observed=(y.y == y.first))


def observed_of(person_years: Table, dim: str) -> Table:
    """One dimension's observed person-years (:func:`observed`) read back from the
    ``person_years`` table (:mod:`talentatlas.career_stage`): ``person_id, year, value,
    n, n_total``."""
    t = person_years.filter(person_years[f"{dim}_observed"])
    return t.select("person_id", "year", value=t[dim], n=t[f"{dim}_n"], n_total=t[f"{dim}_n_total"])


def padded_of(person_years: Table, dim: str) -> Table:
    """One dimension's padded person-years (:func:`padded`) read back from the
    ``person_years`` table (:mod:`talentatlas.career_stage`), which holds them side by
    side: ``person_id, year, value, observed``."""
    t = person_years.filter(person_years[dim].notnull())
    return t.select("person_id", "year", value=t[dim], observed=t[f"{dim}_observed"])


def moves(observed: Table) -> Table:
    """Changes of value between consecutive observed years: ``person_id, year, from_year,
    origin, destination``."""
    w = ibis.window(group_by="person_id", order_by="year")
    o = observed.mutate(prev=observed.value.lag().over(w), from_year=observed.year.lag().over(w))
    m = o.filter(o.prev.notnull() & (o.prev != o.value))
    return m.select(
        "person_id",
        year=m.year.cast("int32"),
        from_year=m.from_year.cast("int32"),
        origin=m.prev,
        destination=m.value,
    )


def employment(entries: Table, keys: Table, country: Table, institution: Table) -> Table:
    """The ORCID employment entries of persons known by iD, each beside the publication
    evidence for the same years, which it never replaces: ``person_id, orcid,
    organisation, org_id, country, start_year, end_year, role_title, file,
    years_observed, years_same_country, years_same_institution, evidence``.

    ``country`` and ``institution`` are the observed careers (:func:`observed`). An
    entry's years run from its start to its end, or, while it lasts, to the person's
    last observed year. ``years_observed``: those years in which the person's papers
    place them; of these, ``years_same_country`` have the entry's country and
    ``years_same_institution`` its institution (ROR entries only). ``evidence``:
    ``agrees`` (every observed year in the entry's country), ``partly``, ``differs``
    (none), ``unobserved`` (no paper in those years) or ``undated`` (no start year)."""
    e = entries.filter(entries.section == "employment")
    k = keys.filter(keys.kind == "orcid").select(k_p="person_id", k_v="value").distinct()
    j = e.join(k, e.orcid == k.k_v)
    j = j.select(
        person_id=j.k_p, orcid=j.orcid, organisation=j.organisation, org_id=j.org_id,
        country=j.country, start_year=j.start_year, end_year=j.end_year,
        role_title=j.role_title, file=j.file, record=j.record,
    )  # fmt: skip
    last = country.group_by("person_id").agg(last=country.year.max())
    d = j.filter(j.start_year.notnull()).left_join(last, "person_id").drop("person_id_right")
    until = d.end_year.fill_null(ibis.greatest(d.last.fill_null(d.start_year), d.start_year))
    span = d.select(
        "person_id", "file", "record", e_country="country", e_org="org_id",
        y=ibis.range(d.start_year, until + 1).unnest(),
    )  # fmt: skip
    span = span.mutate(year=span.y.cast("int32")).drop("y")  # Spark: no cast around unnest
    c = country.select("person_id", "year", c_value="value")
    i = institution.select("person_id", "year", i_value="value")
    o = span.join(c, ["person_id", "year"]).left_join(i, ["person_id", "year"])
    same_inst = (o.i_value == o.e_org).ifelse(1, 0)
    per = o.group_by(["person_id", "file", "record"]).agg(
        years_observed=o.count(),
        years_same_country=(o.c_value == o.e_country).ifelse(1, 0).sum(),
        years_same_institution=o.e_org.isnull().ifelse(ibis.null("int64"), same_inst).sum(),
    )
    out = j.left_join(per, ["person_id", "file", "record"])
    n, same = out.years_observed.fill_null(0), out.years_same_country.fill_null(0)
    evidence = ibis.cases(
        (out.start_year.isnull(), "undated"),
        (n == 0, "unobserved"),
        (same == n, "agrees"),
        (same == 0, "differs"),
        else_="partly",
    )
    return out.select(
        "person_id", "orcid", "organisation", "org_id", "country", "start_year", "end_year",
        "role_title", "file", years_observed=n.cast("int32"),
        years_same_country=same.cast("int32"),
        years_same_institution=out.org_id.isnull().ifelse(
            ibis.null("int32"), out.years_same_institution.fill_null(0).cast("int32")
        ),
        evidence=evidence,
    )  # fmt: skip


def author_affiliations(
    years: Table, authorships: Table, links: Table, country: Table, institution: Table
) -> Table:
    """OpenAlex author profiles' affiliation years (:func:`canonical.author_years`) of
    the authors the atlas knows, each beside the publication evidence of that year,
    which it never replaces: ``person_id, author_id, year, institution_id (ROR),
    openalex_institution, institution, country, observed, same_country,
    same_institution, file``.

    The person of an OpenAlex author id is the one most of its authorships are linked
    to. ``observed``: the person's papers place them that year; ``same_country`` and
    ``same_institution`` (ROR entries only) compare with that year's modal values
    (empty when not observed)."""
    a = authorships.filter(authorships.source_author_id.notnull())
    a = a.join(links, ["work_id", "position"])
    n = a.group_by(["source_author_id", "person_id"]).agg(n=a.count())
    w = ibis.window(group_by="source_author_id", order_by=[ibis.desc(n.n), n.person_id])
    n = n.mutate(rk=ibis.row_number().over(w))
    person = n.filter(n.rk == 0).select(p_a="source_author_id", p_p="person_id")
    y = years.join(person, years.author_id == person.p_a)
    y = y.select(
        person_id=y.p_p, author_id=y.author_id, year=y.year, institution_id=y.ror_src,
        openalex_institution=y.inst_src_id, institution=y.inst_src, country=y.country_src,
        file=y.file,
    )  # fmt: skip
    c = country.select("person_id", "year", c_value="value")
    i = institution.select("person_id", "year", i_value="value")
    o = y.left_join(c, ["person_id", "year"]).left_join(i, ["person_id", "year"])
    observed = o.c_value.notnull()
    return o.select(
        "person_id", "author_id", "year", "institution_id", "openalex_institution",
        "institution", "country", observed=observed,
        same_country=observed.ifelse(o.c_value == o.country, ibis.null("boolean")),
        same_institution=(observed & o.institution_id.notnull()).ifelse(
            o.i_value == o.institution_id, ibis.null("boolean")
        ),
        file=o.file,
    )  # fmt: skip
