"""The pay stage of the build: the pay files read in the background become the pay
tables, employers are linked to institutions, and the pay files join the ``files`` and
``quarantine`` tables."""

from __future__ import annotations

import ibis
import pyarrow as pa
from ibis import _
from ibis.expr.types import Table

from talentatlas.pay import employers
from talentatlas.pay.families import family_of, soc_family
from talentatlas.pay.landing import TABLES, Landed, files_rows
from talentatlas.resolve.matcher import AffiliationMatcher
from talentatlas.sources.base import QUARANTINE_SCHEMA
from talentatlas.store import Engine
from talentatlas.tables import union_all

EMPLOYERS = "pay_employers"
OCCUPATIONS = "pay_occupations"


def stage_pay(
    engine: Engine,
    landed: list[Landed],
    matcher: AffiliationMatcher,
    files: Table,
    quarantine: Table,
) -> None:
    """Write the pay tables, ``pay_employers``, ``pay_occupations``, and ``files`` and
    ``quarantine`` (the paper sources' rows given, the pay files' added)."""
    raw: dict[str, Table] = {}
    for source, (table, schema) in TABLES.items():
        paths = [str(x.rows) for x in landed if x.file.source == source and x.manifest["rows"]]
        raw[table] = engine.read_parquet(f"landing_{table}", paths, schema)
    links = _employer_links(engine, raw, matcher)
    inst = engine.table("institutions").select(
        "institution_id", institution="name", org_id="org_id", org_name="org_name"
    )
    emp = links.left_join(inst, links.institution_id == inst.institution_id)
    emp = emp.select(*links.columns, "institution", "org_id", "org_name")
    emp = engine.materialize(EMPLOYERS, emp)
    # a case filed in several files (overlapping releases): its latest decision
    f = raw["pay_filings"]
    latest = ibis.window(group_by=f.case_number,
                         order_by=[ibis.desc(f.decision_date), ibis.desc(f.file), ibis.desc(f.record)])  # fmt: skip
    f = f.mutate(case_n=ibis.row_number().over(latest))
    raw["pay_filings"] = f.filter(f.case_number.isnull() | (f.case_n == 0)).drop("case_n")
    for table, country in (("pay_filings", ibis.literal("US")), ("pay_offers", None)):
        t = raw[table]
        by = emp.select("employer", "country", "employer_key", "institution_id", "institution",
                        "org_id")  # fmt: skip
        key = t.company if table == "pay_offers" else t.employer
        ctry = t.country if country is None else country
        j = t.left_join(by, [key == by.employer, ctry.fill_null("") == by.country.fill_null("")])
        cols = ("employer_key", "institution_id", "institution", "org_id")
        engine.materialize(table, j.select(*t.columns, *cols))
    for table in ("pay_occupation_wages", "pay_prevailing_wages"):
        engine.materialize(table, raw[table])
    engine.materialize(OCCUPATIONS, _occupations(engine, raw))
    pay_files = engine.from_arrow("pay_files_src", files_rows(landed)) if landed else None
    engine.materialize("files", union_all([files, pay_files]) if pay_files is not None else files)
    qpaths = [str(x.quarantine) for x in landed if x.manifest["quarantined"]]
    pay_q = engine.read_parquet("landing_pay_quarantine", qpaths, QUARANTINE_SCHEMA)
    engine.materialize("quarantine", union_all([quarantine, pay_q]))


def _employer_links(engine: Engine, raw: dict[str, Table], matcher: AffiliationMatcher) -> Table:
    """``employer, country, employer_key, institution_id, how, filings, offers``: each
    distinct employer (LCA: in the US; offers: in the offer's country) and its link."""
    f = raw["pay_filings"]
    o = raw["pay_offers"]
    fil = f.filter(f.employer.notnull()).group_by("employer").agg(filings=_.count())
    fil = fil.mutate(country=ibis.literal("US"), offers=ibis.literal(0).cast("int64"))
    off = o.group_by(employer=o.company, country=o.country).agg(offers=_.count())
    off = off.mutate(filings=ibis.literal(0).cast("int64"))
    cols = ["employer", "country", "filings", "offers"]
    both = union_all([fil.select(*cols), off.select(*cols)])
    both = both.group_by(["employer", "country"]).agg(
        filings=both.filings.sum(), offers=both.offers.sum()
    )
    names = engine.to_arrow(both.order_by(["employer", "country"]))
    linked = employers.link(matcher, names["employer"].to_pylist(), names["country"].to_pylist())
    linked = linked.append_column("filings", names["filings"].cast(pa.int64()))
    linked = linked.append_column("offers", names["offers"].cast(pa.int64()))
    return engine.from_arrow("pay_employer_links", linked)


def _occupations(engine: Engine, raw: dict[str, Table]) -> Table:
    """``soc_code, occupation, family``: each occupation code the pay tables know, its
    title (OEWS, else the prevailing-wage table's) and its role family."""
    w = raw["pay_occupation_wages"]
    p = raw["pay_prevailing_wages"]
    a = w.group_by("soc_code").agg(occupation=w.occupation.max())
    b = p.group_by("soc_code").agg(title=p.soc_title.max())
    both = engine.to_arrow(
        a.outer_join(b, a.soc_code == b.soc_code).select(
            soc_code=ibis.coalesce(a.soc_code, b.soc_code),
            occupation=ibis.coalesce(a.occupation, b.title),
        )
    )
    codes = both["soc_code"].to_pylist()
    titles = both["occupation"].to_pylist()
    fams = [soc_family(c) or family_of(t) for c, t in zip(codes, titles, strict=True)]
    out = pa.table({"soc_code": pa.array(codes, pa.string()),
                    "occupation": pa.array(titles, pa.string()),
                    "family": pa.array(fams, pa.string())})  # fmt: skip
    return engine.from_arrow("pay_occupations_src", out.sort_by("soc_code"))
