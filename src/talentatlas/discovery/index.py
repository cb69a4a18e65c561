"""The person index: one row per person with what a search shows and filters on
(docs/methodology.md, "People"), built once per build (``person_index``)."""

from __future__ import annotations

import ibis
from ibis import _
from ibis.expr.types import Table

from talentatlas.canonical import KEY_KINDS
from talentatlas.discovery.credit import output
from talentatlas.discovery.stages import stage_at

#: identifiers a profile names, by ``person_keys`` kind (e-mail hashes are never shown)
IDENTIFIERS = ("openreview", "orcid", "dblp", "google_scholar")


def identity(links: Table) -> Table:
    """``person_id, identity``: how a person's authorships were linked, by the kind
    that linked most of them (``openreview: 120 of 123 authorships``)."""
    n = links.group_by(["person_id", "key_kind"]).agg(n=_.count())
    # ties go to the more reliable kind (canonical.KEY_KINDS order)
    rank = n.key_kind.cases(*[(k, i) for i, k in enumerate(KEY_KINDS)], else_=len(KEY_KINDS))
    key = n.n.cast("int64") * 64 + (63 - rank)
    g = n.group_by("person_id").agg(kind=n.key_kind.argmax(key), top=n.n.max(), total=n.n.sum())
    return g.select(
        "person_id",
        identity=g.kind
        + ": "
        + g.top.cast("string")
        + " of "
        + g.total.cast("string")
        + " authorships",
    )


def current_place(person_years: Table, institutions: Table) -> Table:
    """``person_id, place_year, institution_id, institution, organisation, country,
    sector``: the person's latest placed year (padded) and its values."""
    py = person_years.filter(person_years.country.notnull())
    g = py.group_by("person_id").agg(
        place_year=py.year.max(),
        institution_id=py.institution.argmax(py.year),
        country=py.country.argmax(py.year),
        sector=py.sector.argmax(py.year),
    )
    inst = institutions.select(_i="institution_id", institution="name", organisation="org_name")
    j = g.left_join(inst, g.institution_id == inst._i)
    return j.select(
        "person_id", "place_year", "institution_id", "institution", "organisation", "country",
        "sector",
    )  # fmt: skip


def identifiers(keys: Table, author_affiliations: Table) -> Table:
    """``person_id, <IDENTIFIERS>, openalex``: one value of each kind a person carries
    (the smallest, when several; a profile lists them all)."""
    k = keys.filter(keys.kind.isin(list(IDENTIFIERS)))
    g = k.group_by("person_id").agg(
        **{kind: k.value.min(where=k.kind == kind) for kind in IDENTIFIERS}
    )
    oa = author_affiliations.group_by("person_id").agg(openalex=_.author_id.min())
    return g.outer_join(oa, "person_id").select(
        person_id=ibis.coalesce(g.person_id, oa.person_id),
        **{kind: g[kind] for kind in IDENTIFIERS},
        openalex=oa.openalex,
    )


def person_index(
    credit: Table,
    persons: Table,
    links: Table,
    person_years: Table,
    institutions: Table,
    stages: Table,
    keys: Table,
    author_affiliations: Table,
) -> Table:
    """One row per person with in-scope work: ``person_id, name, name_norm, key_kind,
    identity, first_year, last_year, works, adjusted, first_author, last_author,
    top_tier, citations, areas, place_year, institution_id, institution,
    organisation, country, sector, stage, stage_evidence, <IDENTIFIERS>, openalex``.
    ``areas``: the person's areas, most adjusted output first."""
    out = output(credit, ["person_id"])
    years = credit.group_by("person_id").agg(first_year=_.year.min(), last_year=_.year.max())
    by_area = credit.group_by(["person_id", "area"]).agg(a=_.credit.sum())
    # most output first, then by name: a sorted list of (-output, area), on every engine
    key = ibis.struct({"neg": -by_area.a.round(6), "area": by_area.area})
    areas = by_area.group_by("person_id").agg(k=key.collect())
    areas = areas.select("person_id", areas=areas.k.sort().map(lambda x: x["area"]).join(", "))
    p = persons.select("person_id", "name", "name_norm", "key_kind")
    t = out.join(years, "person_id").join(areas, "person_id").join(p, "person_id")
    t = t.left_join(identity(links), "person_id").drop("person_id_right")
    t = t.left_join(current_place(person_years, institutions), "person_id")
    t = t.drop("person_id_right")
    t = t.left_join(identifiers(keys, author_affiliations), "person_id").drop("person_id_right")
    # the stage on the narrow (person, first and last year) table, then joined
    st = stage_at(years, stages, "last_year").select("person_id", "stage", "stage_evidence")
    t = t.join(st, "person_id")
    return t.select(
        "person_id", "name", "name_norm", "key_kind", "identity", "first_year", "last_year",
        "works", "adjusted", "first_author", "last_author", "top_tier", "citations", "areas",
        "place_year", "institution_id", "institution", "organisation", "country", "sector",
        "stage", "stage_evidence", *IDENTIFIERS, "openalex",
    )  # fmt: skip
