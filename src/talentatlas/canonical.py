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


def title_key(title: ibis.Value) -> ibis.Value:
    """A title's letters and digits, lower case: what two sources' copies share."""
    return title.lower().re_replace(r"[^a-z0-9]+", "")


def retired_works(retired: Table) -> Table:
    """``work_id, into, why, source``: the works their source withdrew (merged into
    ``into``, or deleted)."""
    r = retired.select(
        "work_id",
        "into",
        why=retired.into.isnull().ifelse("source-deleted", "source-merged"),
        source=retired.source,
    )
    return r.group_by("work_id").agg(into=r.into.min(), why=r.why.min(), source=r.source.min())


def author_keys(landing_works: Table, landing_authorships: Table, retired: Table) -> Table:
    """``work_id, source, venue, year, titled, full, surnames``: in the venue-years
    where one source records works without a title and another with one, each work's
    authors as one string each way: their normalised names, and their last names, each
    sorted (the order of authors differs between a paper list and OpenReview's record
    of the same paper). (Store it: :func:`same_authors` reads it four times.)"""
    w = landing_works.anti_join(retired, "work_id")
    w = w.filter(w.venue.notnull())
    w = w.select("work_id", "source", "venue", "year", titled=w.title.notnull()).distinct()
    both = w.group_by(["venue", "year"]).agg(untitled=(~w.titled).any(), titled=w.titled.any())
    both = both.filter(both.untitled & both.titled).select("venue", "year")
    w = w.join(both, ["venue", "year"])
    a = landing_authorships.semi_join(w, ["work_id", "source"])
    a = a.select("work_id", "source", "position", "name_norm").distinct()
    a = a.mutate(surname=a.name_norm.fill_null("").re_extract(r"(\S*)$", 1))
    g = a.group_by(["work_id", "source"]).agg(
        full=a.name_norm.fill_null("").collect(), surnames=a.surname.collect()
    )
    g = g.select(
        "work_id", "source", full=g.full.sort().join("|"), surnames=g.surnames.sort().join("|")
    )
    return w.join(g, ["work_id", "source"])


def same_authors(keys: Table) -> Table:
    """``work_id, source, into``: works a source records without a title (OpenReview's
    author records) that are, under another id, a titled work of another source in the
    same venue and year (a paper list scraped from the conference site, whose ids are
    not OpenReview's): the same authors (:func:`author_keys`), by their names or by
    their surnames, the key unique among the untitled works and among the titled ones
    of that venue-year, and each work paired once. Their rows are then read under the
    titled work's id (:func:`rekeyed`), so the paper list gives the status and
    OpenReview the authors' ids, affiliations and positions."""
    pairs = []
    for kind in ("full", "surnames"):
        side = keys.select("work_id", "source", "venue", "year", "titled", key=keys[kind])
        n = side.group_by(["venue", "year", "titled", "key"]).agg(n=_.work_id.nunique())
        unique = side.join(n.filter(n.n == 1).drop("n"), ["venue", "year", "titled", "key"])
        left = unique.filter(~unique.titled).select(
            "work_id", "source", l_venue="venue", l_year="year", l_key="key"
        )
        right = unique.filter(unique.titled).select(
            into="work_id", r_source="source", r_venue="venue", r_year="year", r_key="key"
        )
        j = left.join(
            right,
            [left.l_venue == right.r_venue, left.l_year == right.r_year,
             left.l_key == right.r_key, left.source != right.r_source],
        )  # fmt: skip
        pairs.append(j.select("work_id", "source", "into"))
    p = pairs[0].union(pairs[1], distinct=True).filter(_.work_id != _.into)
    once_l = p.group_by("work_id").agg(n=_.into.nunique())
    once_r = p.group_by("into").agg(n=_.work_id.nunique())
    p = p.semi_join(once_l.filter(once_l.n == 1), "work_id")
    return p.semi_join(once_r.filter(once_r.n == 1), "into")


def rekeyed(t: Table, same: Table) -> Table:
    """``t`` with the works of :func:`same_authors` under the id they are the same as."""
    s = same.select(s_work="work_id", s_source="source", s_into="into")
    j = t.left_join(s, [t.work_id == s.s_work, t.source == s.s_source])
    return j.mutate(work_id=j.s_into.fill_null(j.work_id)).select(*t.columns)


def shared_keys(landing_works: Table, retired: Table) -> Table:
    """``work_id, source, scope, key, why``: the works (not withdrawn by their source)
    that share a key with another work id, the only candidates for copies (store it:
    the rest reads it twice). The keys: the title's letters and digits
    (:func:`title_key`) within a venue and year (``same-title``), and the DOI
    (``same-doi``)."""
    w = landing_works.anti_join(retired, "work_id")
    t = w.filter(w.venue.notnull() & w.title.notnull())
    titled = t.select(
        "work_id", "source", scope=t.venue.concat(":", t.year.cast("string")),
        key=title_key(t.title), why=ibis.literal("same-title"),
    )  # fmt: skip
    d = w.filter(w.doi.notnull())
    doi = d.select("work_id", "source", scope=ibis.literal("doi"), key=d.doi,
                   why=ibis.literal("same-doi"))  # fmt: skip
    keyed = titled.filter(titled.key != "").union(doi, distinct=True)
    multi = keyed.group_by(["scope", "key"]).agg(n=keyed.work_id.nunique())
    multi = multi.filter(multi.n >= 2).drop("n")
    return keyed.join(multi, ["scope", "key"])


def withdrawn_works(retired: Table, shared: Table, prec: Table) -> Table:
    """``work_id, into, why, source``: works left out of the canonical tables.
    ``source-merged`` and ``source-deleted``: their source withdrew them
    (:func:`retired_works`). ``same-doi`` and ``same-title``: a copy, under another
    source's id, of a work of a source earlier in precedence with the same DOI, or the
    same venue, year and title (letters and digits; ``shared``: :func:`shared_keys`),
    ``into`` the first such work; copies within one source are all kept, and a work
    first in precedence under one of its keys is kept."""
    group = ["scope", "key"]
    w = shared.join(prec, "source")
    top = w.group_by(group).agg(top=_["rank"].min())
    w = w.join(top, group)
    first = w.filter(w["rank"] == w.top)
    first = first.group_by(group).agg(into=first.work_id.min())
    w = w.join(first, group)
    per = w.group_by("work_id").agg(
        kept=(w["rank"] == w.top).any(), into=w.into.argmin(w.why), why=w.why.min(),
        source=w.source.min(),
    )  # fmt: skip
    dup = per.filter(~per.kept).select("work_id", "into", "why", "source")
    return retired.union(dup.select(*retired.columns), distinct=False)


def works(landing_works: Table, prec: Table, withdrawn: Table | None = None) -> Table:
    w = landing_works.join(prec, "source")
    if withdrawn is not None:  # merged, deleted or copies (:func:`withdrawn_works`)
        w = w.anti_join(withdrawn, "work_id")
    win = ibis.window(
        group_by="work_id",
        # the source that knows the status, then precedence; of two versions of a work
        # in one source, the later one (``updated``), then the first file and record
        order_by=[
            w.status.isnull().cast("int8"),
            w["rank"],
            w.updated.isnull().cast("int8"),
            ibis.desc(w.updated),
            w.file,
            w.record,
        ],
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


def chosen_sources(
    landing_authorships: Table, landing_works: Table, prec: Table, withdrawn: Table | None = None
) -> Table:
    """``work_id, source, file``: the source whose authorships a work uses (the first in
    precedence that has any), and of that source's versions of the work the latest
    (``updated``), else the first file."""
    a = landing_authorships.select("work_id", "source", "file").distinct()
    if withdrawn is not None:
        a = a.anti_join(withdrawn, "work_id")
    v = landing_works.select(v_w="work_id", v_s="source", v_f="file", updated="updated")
    a = a.left_join(v, [a.work_id == v.v_w, a.source == v.v_s, a.file == v.v_f])
    a = a.drop("v_w", "v_s", "v_f").join(prec, "source")
    win = ibis.window(
        group_by="work_id",
        order_by=[a["rank"], a.updated.isnull().cast("int8"), ibis.desc(a.updated), a.file],
    )
    a = a.mutate(rk=ibis.row_number().over(win))
    return a.filter(a.rk == 0).select("work_id", "source", "file")


def authorships(landing_authorships: Table, chosen: Table) -> Table:
    return landing_authorships.semi_join(chosen, ["work_id", "source", "file"])


def affiliations(landing_affiliations: Table, chosen: Table) -> Table:
    return landing_affiliations.semi_join(chosen, ["work_id", "source", "file"])


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
        ror_src=ibis.null("string"),
        inst_src_id=ibis.null("string"),
        inst_type=ibis.null("string"),
        source=ibis.literal("author_map"),
        file=ibis.null("string"),
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


def education(entries: Table, keys: Table) -> Table:
    """``person_id, orcid, degree, organisation, org_id, country, start_year, end_year,
    role_title, file``: the education and qualification entries of the ORCID records of
    persons known by that iD (a record whose iD two persons carry counts for both)."""
    e = entries.filter(entries.section.isin(["education", "qualification"]))
    k = keys.filter(keys.kind == "orcid").select(k_p="person_id", k_v="value").distinct()
    j = e.join(k, e.orcid == k.k_v)
    return j.select(
        person_id=j.k_p, orcid=j.orcid, section=j.section, degree=j.degree,
        organisation=j.organisation, org_id=j.org_id, country=j.country,
        start_year=j.start_year, end_year=j.end_year, role_title=j.role_title, file=j.file,
    )  # fmt: skip


def _latest(t: Table, key: str) -> ibis.Value:
    """The window that puts each ``key``'s latest version first (``updated``, then the
    last file and record)."""
    return ibis.window(
        group_by=key,
        order_by=[t.updated.isnull().cast("int8"), ibis.desc(t.updated), ibis.desc(t.file),
                  ibis.desc(t.record)],
    )  # fmt: skip


def openalex_entities(entities: Table, kind: str) -> Table:
    """The latest version of each OpenAlex institution or source (``kind``):
    ``openalex_id, name, type, country, ror_id, parent_id, lineage, venue, issn_l,
    updated, file`` (``parent_id``: the nearest of ``lineage``)."""
    e = entities.filter(entities.kind == kind)
    e = e.mutate(rk=ibis.row_number().over(_latest(e, "entity_id")))
    e = e.filter(e.rk == 0)
    return e.select(
        openalex_id=e.entity_id, name=e.name, type=e.type, country=e.country_src,
        ror_id=e.ror_src, parent_id=e.lineage.re_extract(r"^([^;]+)", 1).nullif(""),
        lineage=e.lineage, venue=e.venue, issn_l=e.issn_l, updated=e.updated, file=e.file,
    )  # fmt: skip


def author_years(years: Table) -> Table:
    """The affiliation years of each OpenAlex author's latest profile (the rows of its
    latest file and record)."""
    v = years.select("author_id", "updated", "file", "record").distinct()
    v = v.mutate(rk=ibis.row_number().over(_latest(v, "author_id")))
    v = v.filter(v.rk == 0).select(v_a="author_id", v_f="file", v_r="record")
    j = years.join(v, (years.author_id == v.v_a) & (years.file == v.v_f) & (years.record == v.v_r))
    return j.select(*years.columns)
