"""Authorship facts: each authorship's values (country, institution, sector,
headquarters country, organisation) from its affiliations, the linker's mentions, and
the inferences that fill what the sources leave empty (marked in ``country_evidence``)."""

from __future__ import annotations

from collections.abc import Callable

import ibis
import pyarrow as pa
from ibis import _

from talentatlas.resolve.roles import placing_part

#: authorship-level values: the first affiliation (by position) that resolves each one
FACT_COLUMNS = {
    "country": "country", "institution": "institution_id", "sector": "sector",
    "hq_country": "hq_country", "org": "org_id", "domain": "domain",
    "institution_text": "institution", "country_evidence": "country_evidence",
}  # fmt: skip


def main_affiliations(
    ra: ibis.Table,
    auth: ibis.Table,
    to_arrow: Callable[[ibis.Table], pa.Table],
    from_arrow: Callable[[str, pa.Table], ibis.Table],
) -> ibis.Table:
    """``work_id, position, main_pos``: authorships whose stated position has several
    parts aligned one to one with their affiliations (as many parts as affiliations,
    ``aff_pos`` 0, 1, ...) and whose placing part (``resolve.roles.placing_part``) is
    not the first: the affiliation at ``main_pos`` places them. A profile lists its
    positions in no fixed order ("PhD student+Assistant Professor" with Carnegie Mellon;
    Illinois: the professorship, not the doctorate of years ago, is where the author
    works)."""
    joined = auth.filter(auth.role.contains("+")).select("work_id", "position", "role")
    rows = []
    for role in to_arrow(joined.select("role").distinct())["role"].to_pylist():
        i = placing_part(role)
        if i:  # (0: the first affiliation places the authorship as usual)
            rows.append((role, role.count("+") + 1, i))
    schema = pa.schema([("role", pa.string()), ("parts", pa.int32()), ("main_pos", pa.int32())])
    mapping = from_arrow(
        "main_part_src",
        pa.table(
            [list(c) for c in zip(*rows, strict=True)] if rows else [[], [], []], schema=schema
        ),
    )
    cand = joined.join(mapping, "role").select("work_id", "position", "parts", "main_pos")
    per_author = ra.filter(ra.position >= 0)
    counts = (
        per_author.semi_join(cand, ["work_id", "position"])
        .group_by(["work_id", "position"])
        .agg(n=_.count(), top=_.aff_pos.max())
    )
    aligned = cand.join(counts, ["work_id", "position"])
    aligned = aligned.filter((aligned.n == aligned.parts) & (aligned.top == aligned.parts - 1))
    return aligned.select("work_id", "position", "main_pos")


def first_affiliations(ra: ibis.Table, main: ibis.Table | None = None) -> ibis.Table:
    """Per authorship, the first affiliation (by position) that resolves each value of
    :data:`FACT_COLUMNS`, and whether it has any affiliation (text). With ``main``
    (:func:`main_affiliations`), an authorship's main affiliation comes first."""
    per_author = ra.filter(ra.position >= 0)
    order = per_author.aff_pos
    if main is not None:
        per_author = per_author.left_join(main, ["work_id", "position"]).drop(
            "work_id_right", "position_right"
        )
        first = per_author.aff_pos == per_author.main_pos.fill_null(-1)
        order = first.ifelse(-1, per_author.aff_pos)
    text = per_author.raw.notnull() | per_author.inst_src.notnull()
    # one grouping for every column (the first resolved value of each is an argmin over
    # that column's non-null rows), not a grouping and a join per column
    firsts = {
        name: per_author[col].argmin(order, where=per_author[col].notnull())
        for name, col in FACT_COLUMNS.items()
    }
    return per_author.group_by(["work_id", "position"]).agg(
        has_affiliation=_.aff_pos.count() > 0,
        has_affiliation_text=text.cast("int8").max() == 1,
        **firsts,
    )


def mentions(auth: ibis.Table, works: ibis.Table, firsts: ibis.Table) -> ibis.Table:
    """The person linker's input: one row per authorship with its name, keys, venue,
    year, e-mail domain and institution (or ``txt:`` + the unmatched institution text)."""
    f = firsts.select(
        "work_id", "position", "domain",
        institution=firsts.institution.fill_null("txt:" + firsts.institution_text.lower()),
    )  # fmt: skip
    cols = ["work_id", "position", "name_norm", "openreview_id", "openreview_alias", "orcid"]
    m = auth.select(*cols, "dblp", "google_scholar")
    m = m.join(works.select("work_id", "venue", "year"), "work_id")
    return m.left_join(f, ["work_id", "position"]).drop("work_id_right", "position_right")


def observed(links: ibis.Table, works: ibis.Table, firsts: ibis.Table) -> ibis.Table:
    """Authorship facts as the sources give them: person, work attributes, first values."""
    facts = links.join(works, "work_id")
    facts = facts.left_join(firsts, ["work_id", "position"]).drop("work_id_right", "position_right")
    return facts.mutate(
        has_affiliation=facts.has_affiliation.fill_null(False),
        has_affiliation_text=facts.has_affiliation_text.fill_null(False),
    )


def seat_located(facts: ibis.Table) -> ibis.Table:
    """Authorships placed only at a multinational's seat (``country_evidence = 'seat'``:
    a bare "Google DeepMind" or "Meta", whose record gives one country of many) take the
    person's modal located country of the same year (other papers, other affiliations),
    marked ``person-year``; with none they keep the seat. Other years are not used: a
    person who joins a multinational from abroad would be placed where they were."""
    ev = facts.country_evidence.fill_null("")
    located = facts.filter(facts.country.notnull() & (ev != "seat") & facts.person_id.notnull())
    counts = located.group_by(l_p=_.person_id, l_y=_.year, l_c=_.country).agg(n=_.count())
    w = ibis.window(group_by=["l_p", "l_y"], order_by=[ibis.desc("n"), "l_c"])
    modal = counts.mutate(rk=ibis.row_number().over(w))
    modal = modal.filter(modal.rk == 0).select("l_p", "l_y", "l_c")
    f = facts.left_join(modal, [facts.person_id == modal.l_p, facts.year == modal.l_y])
    hit = (f.country_evidence == "seat") & f.l_c.notnull()
    f = f.mutate(
        country=hit.ifelse(f.l_c, f.country),
        country_evidence=hit.ifelse(ibis.literal("person-year"), f.country_evidence),
    )
    return f.select(*facts.columns)


def paper_level(facts: ibis.Table, ra: ibis.Table) -> ibis.Table:
    """Authorships without a value of their own, filled from the affiliations a paper
    lists without saying whose (CVPR/ICCV lists of distinct affiliations, ``position
    = -1``), marked in ``country_evidence`` as inferred:

    - ``paper-institution``: the author's other papers that year name exactly one of the
      paper's institutions: that institution, with its country and sector;
    - ``paper-country``: otherwise, when every affiliation of the paper resolves to one
      and the same country: that country (and only the country).
    """
    wl = ra.filter(ra.position == -1)
    # (1) an institution of the paper that the author's other papers that year name
    own = (
        facts.filter(facts.institution.notnull())
        .select(o_p="person_id", o_y="year", o_i="institution")
        .distinct()
    )
    open_ = facts.filter(facts.institution.isnull() & facts.person_id.notnull())
    insts = wl.filter(wl.institution_id.notnull()).select(
        c_w="work_id", inst="institution_id", c_country="country", c_sector="sector",
        c_hq="hq_country", c_org="org_id", c_text="institution",
    )  # fmt: skip
    o = open_.select("work_id", "position", "person_id", "year")
    c = o.join(insts, o.work_id == insts.c_w)
    c = c.join(own, [c.person_id == own.o_p, c.year == own.o_y, c.inst == own.o_i])
    one = c.group_by(i_w=c.work_id, i_p=c.position).agg(
        k=c.inst.nunique(), inst=c.inst.min(), c_country=c.c_country.min(),
        c_sector=c.c_sector.min(), c_hq=c.c_hq.min(), c_org=c.c_org.min(), c_text=c.c_text.min(),
    )  # fmt: skip
    one = one.filter(one.k == 1).drop("k")
    # (2) a paper whose affiliations all resolve to one country
    pc = wl.group_by(p_w="work_id").agg(
        n=_.count(), nn=_.country.count(), nc=_.country.nunique(), p_country=_.country.min()
    )
    pc = pc.filter((pc.nc == 1) & (pc.nn == pc.n)).select("p_w", "p_country")
    f = facts.left_join(one, [facts.work_id == one.i_w, facts.position == one.i_p])
    f = f.left_join(pc, f.work_id == pc.p_w)
    by_inst = f.institution.isnull() & f.inst.notnull()
    by_country = f.country.isnull() & ~by_inst & f.p_country.notnull()
    evidence = ibis.cases(
        (by_inst, "paper-institution"), (by_country, "paper-country"), else_=f.country_evidence
    )
    filled = {
        "institution": by_inst.ifelse(f.inst, f.institution),
        "country": ibis.cases((by_inst, f.c_country), (by_country, f.p_country), else_=f.country),
        "sector": by_inst.ifelse(f.c_sector, f.sector),
        "hq_country": by_inst.ifelse(f.c_hq, f.hq_country),
        "org": by_inst.ifelse(f.c_org, f.org),
        "institution_text": by_inst.ifelse(f.c_text, f.institution_text),
    }
    f = f.mutate(**filled, country_evidence=evidence)
    return f.select(*facts.columns)
