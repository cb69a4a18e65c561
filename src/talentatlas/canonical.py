"""Canonical tables from the landing entries: works, authorships, affiliations, persons.

A work whose status is unknown (an OpenReview record absent from the venue's paper
list) counts as accepted only when no paper list covers its venue and year.

When two sources carry the same work (``venue:year:paper id``), the work row comes
from the source that knows its status (paperlists), and the authorships and their
affiliations come from the first source in the registry that has any (OpenReview: one
aligned slot per author). Persons are linked later (``resolve.people``); ``persons``
and ``person_keys`` here summarise authorships that carry their ``person_id``.
"""

from __future__ import annotations

import ibis
import pyarrow as pa
from ibis import _
from ibis.expr.types import Table

from talentatlas.sources import REGISTRY

#: how a person was identified, most reliable first (a person's best kind is reported)
KEY_KINDS = ("openreview", "orcid", "dblp", "google_scholar", "linked", "name")
#: person key kinds that identify a person reliably (not inferred from a name)
RELIABLE_KEYS = KEY_KINDS[:4]


def precedence() -> pa.Table:
    names = list(REGISTRY)
    return pa.table({"source": names, "rank": list(range(len(names)))})


def works(landing_works: Table, prec: Table) -> Table:
    w = landing_works.join(prec, "source")
    win = ibis.window(
        group_by="work_id",
        order_by=[w.status.isnull().cast("int8"), w["rank"], w.file, w.record],
    )
    w = w.mutate(rk=ibis.row_number().over(win))
    w = w.filter(w.rk == 0).drop("rk", "rank")
    # A work of unknown status counts as accepted only where no source lists that
    # venue-year with statuses (otherwise it is absent from the accepted list).
    listed = w.filter(w.status.notnull()).select("venue", "year").distinct()
    listed = listed.mutate(listed=True)
    w = w.left_join(listed, ["venue", "year"]).drop("venue_right", "year_right")
    accepted = w.status.isnull().ifelse(w.listed.isnull(), w.accepted)
    # tier (sources.tiers): a work of unknown status that counts as accepted has tier
    # "accepted"; one absent from its venue-year's list has none
    tier = w.tier.fill_null(accepted.ifelse(ibis.literal("accepted"), ibis.null("string")))
    return w.mutate(accepted=accepted, tier=tier).drop("listed")


def chosen_sources(landing_authorships: Table, prec: Table) -> Table:
    """``work_id, source``: the source whose authorships a work uses."""
    a = landing_authorships.select("work_id", "source").distinct().join(prec, "source")
    best = a.group_by("work_id").agg(rank=_["rank"].min())
    return best.join(prec, "rank").select("work_id", "source")


def authorships(landing_authorships: Table, chosen: Table) -> Table:
    return landing_authorships.semi_join(chosen, ["work_id", "source"])


def affiliations(landing_affiliations: Table, chosen: Table) -> Table:
    return landing_affiliations.semi_join(chosen, ["work_id", "source"])


def author_map_hits(auth: Table, works_t: Table, maps: Table) -> Table:
    """``work_id, position, oid, country``: authorships of a mapped venue-year whose
    normalised name is borne by exactly one entry of the venue-year's author map."""
    one = maps.group_by(["venue", "year", "name_norm"]).agg(
        n=_.openreview_id.nunique(), oid=_.openreview_id.min(), country=_.country.min()
    )
    one = one.filter(one.n == 1).drop("n")
    a = auth.select("work_id", "position", "name_norm").join(
        works_t.select("work_id", "venue", "year"), "work_id"
    )
    hit = a.join(one, ["venue", "year", "name_norm"])
    return hit.select("work_id", "position", "oid", "country")


def with_author_maps(auth: Table, aff: Table, hits: Table) -> tuple[Table, Table]:
    """Authorships with the map's OpenReview id where they carry none, and affiliations
    with a country-only row (source ``author_map``) for mapped authorships that have no
    affiliation of their own."""
    h = hits.select(h_w="work_id", h_p="position", h_oid="oid")
    j = auth.left_join(h, [auth.work_id == h.h_w, auth.position == h.h_p])
    auth2 = j.mutate(openreview_id=j.openreview_id.fill_null(j.h_oid)).drop("h_w", "h_p", "h_oid")
    own = aff.filter(aff.position >= 0).select("work_id", "position").distinct()
    new = hits.anti_join(own, ["work_id", "position"])
    rows = new.select(
        "work_id",
        position=new.position.cast("int32"),
        aff_pos=ibis.literal(0, "int32"),
        raw=ibis.null("string"),
        inst_src=ibis.null("string"),
        country_src=new.country,
        domain=ibis.null("string"),
        source=ibis.literal("author_map"),
    )
    return auth2, aff.union(rows.select(*aff.columns), distinct=False)


def persons(auth: Table, works_t: Table) -> Table:
    """One row per person: display name (most frequent spelling), key kind, works, years."""
    a = auth.filter(auth.person_id.notnull()).join(works_t.select("work_id", "year"), "work_id")
    names = a.group_by(["person_id", "name", "name_norm"]).agg(n=_.count())
    w = ibis.window(group_by="person_id", order_by=[ibis.desc("n"), ibis.asc("name")])
    names = names.mutate(rk=ibis.row_number().over(w))
    top = names.filter(names.rk == 0).select("person_id", "name", "name_norm")
    rank = a.key_kind.cases(*[(k, i) for i, k in enumerate(KEY_KINDS)], else_=len(KEY_KINDS))
    a = a.mutate(kind_rank=rank)
    agg = a.group_by("person_id").agg(
        kind_rank=_.kind_rank.min(),
        authorships=_.count(),
        first_year=_.year.min(),
        last_year=_.year.max(),
    )
    kind = agg.kind_rank.cases(*[(i, k) for i, k in enumerate(KEY_KINDS)], else_="name")
    return agg.mutate(key_kind=kind).drop("kind_rank").join(top, "person_id")


def person_keys(auth: Table) -> Table:
    """``person_id, kind, value``: every identifier seen for a person."""
    a = auth.filter(auth.person_id.notnull())
    parts = []
    for kind, col in [
        ("openreview", "openreview_id"),
        ("openreview", "openreview_alias"),
        ("dblp", "dblp"),
        ("orcid", "orcid"),
        ("google_scholar", "google_scholar"),
        ("email_hash", "email_key"),
        ("venue_author_id", "source_author_id"),
    ]:
        t = a.filter(a[col].notnull())
        parts.append(t.select("person_id", kind=ibis.literal(kind), value=t[col]))
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out.distinct()
