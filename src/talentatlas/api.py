"""Python API: open a built warehouse and ask it questions; results are Arrow tables.

>>> atlas = Atlas.open("warehouse/atlas.duckdb")          # doctest: +SKIP
>>> atlas.migration(country="KR").to_pandas()              # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

from talentatlas.canonical import RELIABLE_KEYS
from talentatlas.careers import DIMENSIONS
from talentatlas.discovery.views import PeopleViews
from talentatlas.indicators import countries, organisations, pathways, sectors
from talentatlas.indicators import graduates as graduation
from talentatlas.indicators.frame import Filters, Frame
from talentatlas.indicators.result import annotate
from talentatlas.indicators.stock import stock_with_share
from talentatlas.pay.views import PayViews
from talentatlas.resolve.affiliations import INFERRED_EVIDENCE
from talentatlas.store import open_warehouse
from talentatlas.vocabulary import country_code, venue_code, year_in


@dataclass
class Coverage:
    authorships: int
    with_affiliation: float
    with_country: float
    with_institution: float
    with_sector: float
    with_reliable_key: float
    #: of authorships that carry affiliation text, the share resolved to an institution
    text_resolved: float = 0.0


class Atlas(PeopleViews, PayViews):
    """A read-only view of a built warehouse. ``suppressions``: a suppression list
    (``discovery.suppression``) whose people no person-level output shows."""

    def __init__(self, con: Any, path: Path, suppressions: Path | None = None) -> None:
        self.con = con
        self.path = path
        self.suppressions = suppressions

    @classmethod
    def open(cls, path: str | Path, suppressions: Path | None = None) -> Atlas:
        p = Path(path)
        return cls(open_warehouse(p), p, suppressions)

    def close(self) -> None:
        self.con.disconnect()

    def __enter__(self) -> Atlas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the warehouse knows (query values are checked against it) ----------------
    @cached_property
    def countries(self) -> set[str]:
        """Countries where the warehouse places researchers (location or headquarters)."""
        s = self.table("stock")
        s = s.filter(s.dimension.isin(["country", "hq_country"]))
        return set(s.select("value").distinct().to_pyarrow().column(0).to_pylist()) - {None}

    @cached_property
    def venues(self) -> set[str]:
        return set(
            self.table("works").select("venue").distinct().to_pyarrow().column(0).to_pylist()
        )

    @cached_property
    def years(self) -> tuple[int, int]:
        """First and last year of the careers tables."""
        r = self.table("stock").agg(lo=_.year.min(), hi=_.year.max()).to_pyarrow().to_pylist()[0]
        return int(r["lo"] or 0), int(r["hi"] or 0)

    def _country(self, value: str | None) -> str | None:
        return country_code(value, self.countries) if value else None

    def _year(self, year: int | None) -> int | None:
        return year_in(year, self.years) if year is not None else None

    def _checked(self, filters: Filters | None) -> Filters | None:
        """Filters whose venues and years the warehouse knows (else a QueryError)."""
        if filters is None:
            return None
        venues = tuple(venue_code(v, self.venues) for v in filters.venues)
        for y in (filters.year_min, filters.year_max):
            self._year(y)
        return replace(filters, venues=venues) if venues != filters.venues else filters

    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def tables(self) -> list[str]:
        """The warehouse's tables (a Spark warehouse's Parquet datasets are views), not
        the temporary tables a session creates for its queries."""
        q = (
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary UNION "
            "SELECT view_name FROM duckdb_views() WHERE NOT temporary AND NOT internal"
        )
        return sorted(r[0] for r in self.con.raw_sql(q).fetchall())

    # -- what is in the warehouse ---------------------------------------------------
    def orcids(self) -> list[str]:
        """The ORCID iDs the persons of the warehouse carry, sorted."""
        k = self.table("person_keys")
        k = k.filter(k.kind == "orcid").select("value").distinct().order_by("value")
        return [v for v in k.to_pyarrow()["value"].to_pylist() if v]

    def openalex_ids(self, entity: str) -> list[str]:
        """The OpenAlex ids the warehouse refers to, sorted: ``authors`` (of the
        authorships), ``sources`` (venues the atlas does not name) or ``institutions``
        (of the works' affiliations and the author profiles read)."""
        if entity == "authors":
            t = self.table("authorships").select(v=_.source_author_id)
        elif entity == "sources":
            t = self.table("works").select(v=_.venue)
        elif entity == "institutions":
            t = (
                self.table("affiliations")
                .select(v=_.inst_src_id)
                .union(self.table("author_affiliations").select(v=_.openalex_institution))
            )
        else:
            raise ValueError(f"entity {entity!r}: authors, institutions or sources")
        t = t.filter(t.v.startswith("openalex:")).distinct().order_by("v")
        return [v.removeprefix("openalex:") for v in t.to_pyarrow()["v"].to_pylist()]

    def build_info(self) -> dict[str, str]:
        rows = self.table("build_info").to_pyarrow().to_pylist()
        return {r["key"]: r["value"] for r in rows}

    def latest_complete_year(self) -> int:
        """The last year whose stock is at least half the peak (later years are
        censored: their papers are not all in the sources yet); 0 when empty."""
        t = self.table("stock")
        t = t.filter(t.dimension == "country").group_by("year").agg(n=t.stock.sum())
        rows = t.to_pyarrow().to_pylist()
        if not rows:
            return 0
        peak = max(r["n"] for r in rows)
        return max(r["year"] for r in rows if r["n"] >= peak / 2)

    def headline(self, year: int, top: int = 10) -> pa.Table:
        """The ``top`` largest country stocks of ``year`` with their share, in- and
        outflow and net rate per 10,000."""
        st = self.stock(by="country", year=year).slice(0, top).to_pylist()
        mig = {r["country"]: r for r in self.migration(year=year).to_pylist()}
        rows = [
            {"country": r["country"], "stock": r["stock"], "share": r["share"],
             "in": mig.get(r["country"], {}).get("inflow"),
             "out": mig.get(r["country"], {}).get("outflow"),
             "net_rate": mig.get(r["country"], {}).get("net_rate")}
            for r in st
        ]  # fmt: skip
        return pa.Table.from_pylist(rows)

    def counts(self) -> dict[str, int]:
        out = {}
        for name in ["works", "authorships", "persons", "affiliations", "quarantine"]:
            out[name] = int(self.table(name).count().to_pyarrow().as_py())
        inst = self.table("padded_institution").select("value").distinct().count()
        out["institutions"] = int(inst.to_pyarrow().as_py())
        out["files"] = int(self.table("files").count().to_pyarrow().as_py())
        return out

    def coverage(self, scoped: bool = False) -> Coverage:
        """Shares of authorships with an affiliation, a country, an institution, a
        sector, and a reliable person key (OpenReview id). ``scoped``: only the
        authorships that enter careers (accepted works at the scope's venues)."""
        f = self.table("scoped_facts" if scoped else "authorship_facts")
        agg = f.agg(
            n=_.count(),
            aff=_.has_affiliation.cast("int64").sum(),
            country=_.country.notnull().cast("int64").sum(),
            inst=_.institution.notnull().cast("int64").sum(),
            sector=_.sector.notnull().cast("int64").sum(),
            key=_.key_kind.isin(RELIABLE_KEYS).cast("int64").sum(),
            text=_.has_affiliation_text.cast("int64").sum(),
            text_inst=(_.has_affiliation_text & _.institution.notnull()).cast("int64").sum(),
        )
        r = agg.to_pyarrow().to_pylist()[0]
        n = r["n"] or 1
        return Coverage(
            authorships=r["n"],
            with_affiliation=(r["aff"] or 0) / n,
            with_country=(r["country"] or 0) / n,
            with_institution=(r["inst"] or 0) / n,
            with_sector=(r["sector"] or 0) / n,
            with_reliable_key=(r["key"] or 0) / n,
            text_resolved=(r["text_inst"] or 0) / (r["text"] or 1),
        )

    def linkage(self) -> tuple[dict[str, str], pa.Table]:
        """The person linker's estimated model: the ``linkage_*`` figures of
        ``build_info`` (candidate pairs, EM iterations and convergence) and the level
        weights (``linkage_weights``: m, u, weight in bits)."""
        info = {k: v for k, v in self.build_info().items() if k.startswith("linkage_")}
        w = self.table("linkage_weights")
        w = w.mutate(bits=(w.weight / 100).round(2)).order_by(["feature", "given_level", "level"])
        return info, w.select("feature", "label", "given_label", "m", "u", "bits").to_pyarrow()

    def key_conflicts(self, limit: int = 20) -> pa.Table:
        """Keys left out of linking for mentions whose names share no word with them
        (``key_conflicts``), most mentions first."""
        k = self.table("key_conflicts")
        return k.order_by([ibis.desc("mentions"), "key", "name"]).limit(limit).to_pyarrow()

    def inferred_share(self, scoped: bool = True) -> dict[str, float]:
        """Of the (in-scope) authorships, the share placed in a country by each kind of
        inferred evidence (:data:`INFERRED_EVIDENCE`)."""
        f = self.table("scoped_facts" if scoped else "authorship_facts")
        kinds = INFERRED_EVIDENCE
        if "country_evidence" not in f.columns:
            return dict.fromkeys(kinds, 0.0)
        agg = f.agg(
            n=_.count(), **{k: (f.country_evidence == k).cast("int64").sum() for k in kinds}
        )
        r = agg.to_pyarrow().to_pylist()[0]
        return {k: (r[k] or 0) / (r["n"] or 1) for k in kinds}

    def unmatched(self, limit: int = 50) -> pa.Table:
        """The most frequent affiliation strings that no institution matched, with the
        number of authorships carrying them."""
        a = self.table("affiliations_resolved")
        a = a.filter(a.institution_id.isnull() & (a.position >= 0))
        text = a.raw.fill_null(a.inst_src)
        a = a.filter(text.notnull()).mutate(affiliation=text)
        return (
            a.group_by("affiliation")
            .agg(authorships=_.count(), evidence=_.match_evidence.max())
            .order_by([ibis.desc("authorships"), "affiliation"])
            .limit(limit)
            .to_pyarrow()
        )

    def sources(self) -> pa.Table:
        """Per source: files, records, works and authorships read, quarantined records,
        and what it contributes to the atlas: works kept (``works_kept``: a work in two
        sources counts for the first in precedence) and works withdrawn (merged or
        deleted by the source, or copies of another source's works)."""
        f = self.table("files")
        read = f.group_by("source").agg(
            files=_.count(),
            records=_.records.sum(),
            works=_.works.sum(),
            authorships=_.authorships.sum(),
            quarantined=_.quarantined.sum(),
        )
        kept = self.table("works").group_by(k_s="source").agg(works_kept=_.count())
        out = read.left_join(kept, read.source == kept.k_s).drop("k_s")
        if "withdrawn_works" in self.tables():
            wd = self.table("withdrawn_works").group_by(w_s="source").agg(withdrawn=_.count())
            out = out.left_join(wd, out.source == wd.w_s).drop("w_s")
        else:  # a warehouse built before withdrawn works were kept
            out = out.mutate(withdrawn=ibis.literal(0, "int64"))
        return (
            out.mutate(works_kept=out.works_kept.fill_null(0), withdrawn=out.withdrawn.fill_null(0))
            .order_by("source")
            .to_pyarrow()
        )

    def quarantined(self, limit: int = 20) -> pa.Table:
        q = self.table("quarantine")
        return (
            q.group_by(["file", "reason"])
            .agg(records=_.count(), first_record=_.record.min())
            .order_by([ibis.desc("records"), "file"])
            .limit(limit)
            .to_pyarrow()
        )

    # -- indicators -----------------------------------------------------------------
    def stock(
        self, by: str = "country", year: int | None = None, value: str | None = None
    ) -> pa.Table:
        """Persons per country / institution / sector and year, with world share (for
        countries with its bootstrap interval and the year's coverage)."""
        if by not in DIMENSIONS:
            raise ValueError(f"--by must be one of {', '.join(DIMENSIONS)}, not {by!r}")
        if by == "country":
            return _in_year(self.world_share(value), self._year(year))
        s = self.table("stock")
        s = stock_with_share(s.filter(s.dimension == by))
        s = s.mutate(share=s.share.round(4))
        if year is not None:
            s = s.filter(s.year == year)
        if value is not None:
            s = s.filter(s.value == value)
        s = s.select(**{by: s.value}, year=s.year, stock=s.stock, share=s.share)
        if by == "institution":  # a name beside every id
            names = self.table("institutions").select(i_id="institution_id", name="name")
            s = s.left_join(names, s.institution == names.i_id).drop("i_id")
            s = s.select("institution", "name", "year", "stock", "share")
        return s.order_by([ibis.asc("year"), ibis.desc("stock"), ibis.asc(by)]).to_pyarrow()

    def frame(self, filters: Filters | None = None) -> Frame:
        """The careers under ``filters``; derived tables are cached as temporary tables.
        The frames of the last :data:`FRAMES` filters are kept, with what they computed
        (coverage, derived careers), for the questions that follow."""
        f = self._checked(filters) or Filters()
        frames = self.__dict__.setdefault("_frames", OrderedDict())
        if f.key in frames:
            frames.move_to_end(f.key)
        else:
            frames[f.key] = Frame(self.table, f, cache=self._temporary)
            while len(frames) > FRAMES:
                frames.popitem(last=False)
        return frames[f.key]

    def _temporary(self, name: str, expr: ibis.Table) -> ibis.Table:
        return self.con.create_table(name, expr, temp=True, overwrite=True)

    @cached_property
    def _indicator_meta(self) -> dict[str, dict]:
        """What the build's indicator tables say about themselves (empty in a warehouse
        built before ``indicator_meta``)."""
        if "indicator_meta" not in self.tables():
            return {}
        rows = self.table("indicator_meta").to_pyarrow().to_pylist()
        return {r["name"]: json.loads(r["meta"]) for r in rows}

    def _built(
        self, kind: str, filters: Filters | None, interval: dict[str, Any], code: str | None
    ) -> pa.Table | None:
        """The build's own table for ``kind`` when the question is the one the build
        answered (every person and year, default intervals; location or headquarters
        basis), narrowed to country ``code`` and in the computed table's order, with
        what it says about itself; None when it must be computed."""
        f = filters or Filters()
        if interval or replace(f, basis="location") != Filters():
            return None
        name = BUILT.get((kind, f.basis))
        if name is None or name not in self._indicator_meta:
            return None
        t = self.table(name).to_pyarrow()
        if code:  # a country's rows (flows: from or to it)
            cols = ("origin", "destination") if kind == "flows" else ("country",)
            t = t.filter(functools.reduce(pc.or_, [pc.equal(t[c], code) for c in cols]))
        order = {"migration": countries.MIGRATION_ORDER, "flows": countries.FLOWS_ORDER,
                 "stock": countries.STOCK_ORDER}[kind]  # fmt: skip
        return annotate(countries.sorted_by(t, order), **self._indicator_meta[name])

    def migration(
        self,
        country: str | None = None,
        year: int | None = None,
        filters: Filters | None = None,
        **interval: Any,
    ) -> pa.Table:
        """Stock, in, out, net, net rate per 10,000 (with its interval), in and out rates
        and churn per country and year."""
        code = self._country(country)
        t = self._built("migration", filters, interval, code)
        if t is None:
            t = countries.migration(self.frame(filters), code, **interval)
        return _in_year(t, self._year(year))

    def flows(
        self, country: str | None = None, year: int | None = None, filters: Filters | None = None
    ) -> pa.Table:
        """Bilateral moves per year (``origin, destination, year, moves``)."""
        code = self._country(country)
        t = self._built("flows", filters, {}, code)
        if t is None:
            t = countries.flows(self.frame(filters), code)
        return _in_year(t, self._year(year))

    def partners(
        self, country: str, filters: Filters | None = None, flows: pa.Table | None = None
    ) -> pa.Table:
        """A country's balance with each partner over the filtered years (from ``flows``
        when given)."""
        f = self.flows(country, filters=filters) if flows is None else flows
        return countries.partners(f, self._country(country) or "")

    def world_share(
        self,
        country: str | None = None,
        filters: Filters | None = None,
        year: int | None = None,
        **interval: Any,
    ) -> pa.Table:
        """Researchers per country and year with their world share (and its interval)."""
        code = self._country(country)
        t = self._built("stock", filters, interval, code)
        if t is None:
            t = countries.stock_share(self.frame(filters), code, **interval)
        return _in_year(t, self._year(year))

    def pathways(
        self,
        venue: str | None,
        year: int,
        filters: Filters | None = None,
        *,
        workplace: str | None = None,
        lag: int = 5,
        **interval: Any,
    ) -> dict[str, pa.Table]:
        """The pathway tables of a venue-year's authors: ``shares`` (origin, first academic
        country, workplace), ``outside_origin``, ``stay_rates``, ``paths`` (counts of
        origin -> first academic -> workplace), and ``origin_mix`` when ``workplace``."""
        f = self.frame(filters)
        v = venue_code(venue, self.venues) if venue else None
        self._year(year)
        out = {
            "shares": pathways.shares(f, v, year, **interval),
            "outside_origin": pathways.outside_origin(f, v, year, **interval),
            "stay_rates": pathways.stay_rates(f, v, year, lag, **interval),
            "paths": self.paths(venue, year, filters),
        }
        if workplace:
            out["origin_mix"] = pathways.shares(
                f, v, year, workplace=self._country(workplace), **interval
            )
        return out

    def paths(self, venue: str | None, year: int, filters: Filters | None = None) -> pa.Table:
        """Counts of a venue-year's authors by origin -> first academic country ->
        workplace (and countries of study), for all accepted authors and the oral tier."""
        v = venue_code(venue, self.venues) if venue else None
        self._year(year)
        t = pathways.pathway_counts(self.frame(filters), v, year)
        order = ["venue", "year", "tier", ibis.desc("persons"), *pathways.PATH_STAGES]
        return t.order_by(order).to_pyarrow()

    def sectors(
        self,
        filters: Filters | None = None,
        early_years: int = 3,
        country: str | None = None,
        **interval: Any,
    ) -> dict[str, pa.Table]:
        """``summary`` per year (stocks, industry share, sector moves, early-career next
        sector) and ``flows`` between sectors; of the person-years placed in ``country``
        when given."""
        f = self.frame(filters)
        code = self._country(country)
        return {
            "summary": sectors.summary(f, early_years, country=code, **interval),
            "flows": sectors.sector_flows(f, code),
        }

    def graduates(
        self,
        filters: Filters | None = None,
        countries: list[str] | tuple[str, ...] = (),
        *,
        window: int = graduation.WINDOW,
        last_year: int | None = None,
        top: int = 15,
        **interval: Any,
    ) -> dict[str, pa.Table]:
        """From PhD to first job (``indicators.graduates``): ``summary`` per graduation
        year and evidence (counts per destination, industry/academia/left-publishing
        shares with intervals), ``graduates`` (one row per graduate), ``destinations``
        (top organisations) and ``roles`` (stated positions after graduating).
        ``countries``: graduates of institutions in these countries (names or codes);
        the filters' years are graduation years."""
        codes = [self._country(c) for c in countries]
        return graduation.report(
            self.frame(filters), window=window, last_year=last_year,
            countries=[c for c in codes if c], top=top, **interval,
        )  # fmt: skip

    # -- organisations -------------------------------------------------------------
    def find_institutions(self, name: str, limit: int = 10) -> pa.Table:
        """Institutions by id, exact name or alias, else names containing the text;
        those with the most researchers first."""
        inst = self.table("institutions")
        by_id = inst.filter(inst.institution_id == name.strip())
        if int(by_id.count().to_pyarrow().as_py()):
            return by_id.to_pyarrow()
        q = name.strip().lower()
        names = self.table("institution_names").select("ror_id", "name")
        names = names.union(inst.select(ror_id=inst.institution_id, name=inst.name))
        names = names.mutate(n=names.name.lower())
        exact = names.filter(names.n == q).select("ror_id").distinct()
        if not int(exact.count().to_pyarrow().as_py()):
            exact = names.filter(names.n.contains(q)).select("ror_id").distinct()
        hc = self.table("stock")
        hc = (
            hc.filter(hc.dimension == "institution")
            .group_by("value")
            .agg(person_years=_.stock.sum())
        )
        found = inst.semi_join(exact, inst.institution_id == exact.ror_id)
        found = found.left_join(hc, found.institution_id == hc.value).drop("value")
        found = found.mutate(person_years=found.person_years.fill_null(0))
        return (
            found.order_by([ibis.desc("person_years"), "institution_id"]).limit(limit)
            .to_pyarrow()
        )  # fmt: skip

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        """Institution -> the labs and units whose parent it is."""
        rows = self.table("institutions").select("institution_id", "parent_id").to_pyarrow()
        children: dict[str, list[str]] = {}
        for c, p in zip(rows.column(0).to_pylist(), rows.column(1).to_pylist(), strict=True):
            if p:
                children.setdefault(p, []).append(c)
        return children

    def descendants(self, institution_id: str) -> list[str]:
        """The institution and every lab or unit below it (by parent links)."""
        children = self._children
        out, todo = [], [institution_id]
        while todo:
            x = todo.pop()
            if x in out:
                continue
            out.append(x)
            todo.extend(children.get(x, []))
        return out

    def headcount(
        self, institution_id: str, roll_up: bool = True, filters: Filters | None = None
    ) -> pa.Table:
        """Researchers per year at an institution (padded), with its child labs rolled
        up when ``roll_up``: ``year, headcount, own, works, coverage`` (own = at the
        institution itself; works = its in-scope output)."""
        ids = self.descendants(institution_id) if roll_up else [institution_id]
        return organisations.headcount(self.frame(filters), ids, institution_id)

    def child_labs(self, institution_id: str) -> pa.Table:
        """Units below an institution with researchers: id, name, person-years, peak."""
        ids = [i for i in self.descendants(institution_id) if i != institution_id]
        pad = self.table("padded_institution")
        pad = pad.filter(pad.value.isin(ids))
        per = pad.group_by(["value", "year"]).agg(n=_.person_id.nunique())
        agg = per.group_by("value").agg(person_years=_.n.sum(), peak=_.n.max())
        inst = self.table("institutions").select("institution_id", "name", "country")
        agg = agg.join(inst, agg.value == inst.institution_id)
        return (
            agg.select("institution_id", "name", "country", "person_years", "peak")
            .order_by([ibis.desc("person_years"), "institution_id"])
            .to_pyarrow()
        )

    def org_flows(
        self,
        institution_id: str,
        roll_up: bool = True,
        filters: Filters | None = None,
        by_year: bool = False,
    ) -> pa.Table:
        """Inflow, outflow and net by counterpart organisation."""
        ids = self.descendants(institution_id) if roll_up else [institution_id]
        return organisations.counterparts(self.frame(filters), ids, by_year)

    def org_balance(
        self,
        institution_id: str,
        other_id: str,
        roll_up: bool = True,
        filters: Filters | None = None,
    ) -> pa.Table:
        """Moves between two organisations per year (net > 0: the first gains)."""
        ids = self.descendants(institution_id) if roll_up else [institution_id]
        other = self.descendants(other_id) if roll_up else [other_id]
        return organisations.balance(self.frame(filters), ids, other)

    def retention(
        self,
        institution_id: str,
        roll_up: bool = True,
        filters: Filters | None = None,
        max_k: int = 5,
        **interval: Any,
    ) -> pa.Table:
        """Retention by entry cohort (and pooled) k years after entry."""
        ids = self.descendants(institution_id) if roll_up else [institution_id]
        return organisations.retention(self.frame(filters), ids, max_k, **interval)

    def attrition(
        self,
        institution_id: str,
        roll_up: bool = True,
        filters: Filters | None = None,
        **interval: Any,
    ) -> pa.Table:
        ids = self.descendants(institution_id) if roll_up else [institution_id]
        return organisations.attrition(self.frame(filters), ids, **interval)


#: frames (one per set of filters) an Atlas keeps
FRAMES = 16

#: the build's indicator tables: (indicator, basis) -> table (``pipeline.indicator_tables``)
BUILT = {
    ("migration", "location"): "migration",
    ("migration", "headquarters"): "migration_hq",
    ("flows", "location"): "flows",
    ("flows", "headquarters"): "flows_hq",
    ("stock", "location"): "stock_share",
    ("stock", "headquarters"): "stock_share_hq",
}


def _in_year(t: pa.Table, year: int | None) -> pa.Table:
    if year is None:
        return t
    meta = t.schema.metadata
    return t.filter(pc.equal(t["year"], year)).replace_schema_metadata(meta)
