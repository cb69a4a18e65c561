"""The atlas's person-level questions (mixed into :class:`talentatlas.api.Atlas`):
finding people, their profiles, rankings of people and institutions, movement watch.
Every answer leaves out the suppressed (``discovery.suppression``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from talentatlas.discovery import movement, ranking, search
from talentatlas.discovery.credit import credits
from talentatlas.discovery.names import NameIndex
from talentatlas.discovery.search import PeopleQuery
from talentatlas.discovery.suppression import read_entries, suppressed_ids
from talentatlas.resolve.roles import KINDS, role_kinds


class PersonNotFound(LookupError):
    """No person of that id (or the person is suppressed)."""


class PeopleViews:
    """Person-level views over a warehouse (needs ``table``, ``suppressions``,
    ``venues``, ``years``, ``_country``, ``descendants`` from the atlas)."""

    suppressions: Path | None

    def table(self, name: str) -> ibis.Table:  # pragma: no cover - the atlas's
        raise NotImplementedError

    # -- who is left out, and names ------------------------------------------------------
    @cached_property
    def suppressed(self) -> frozenset[str]:
        """The person ids no person-level output shows."""
        p = self.suppressions
        if p is None or not p.exists():
            return frozenset()
        return suppressed_ids(read_entries(p), self.table)

    @cached_property
    def _names(self) -> NameIndex:
        t = self.table("persons").select("person_id", "name_norm").to_pyarrow()
        return NameIndex(t["person_id"].to_pylist(), t["name_norm"].to_pylist())

    def _visible(self, t: ibis.Table) -> ibis.Table:
        return t.filter(~t.person_id.isin(sorted(self.suppressed))) if self.suppressed else t

    # -- finding people ---------------------------------------------------------------------
    def find_persons(self, name: str, limit: int = 10) -> pa.Table:
        """Persons whose name matches ``name`` (``discovery.names``: order-, accent- and
        case-insensitive, forgiving of typos), best match first, then most active."""
        matches = self._names.find(name)
        if not matches:
            return self.table("persons").limit(0).mutate(match=ibis.null("float64")).to_pyarrow()
        m = ibis.memtable(pa.table({"m_p": list(matches), "match": list(matches.values())}))
        p = self._visible(self.table("persons"))
        hits = p.join(m, p.person_id == m.m_p).drop("m_p")
        order = [ibis.desc("match"), ibis.desc("authorships"), "person_id"]
        return hits.order_by(order).limit(limit).to_pyarrow()

    def people(self, q: PeopleQuery) -> tuple[pa.Table, int]:
        """A page of the people a query finds, and how many there are in all
        (``discovery.search``); suppressed people are never among them."""
        q = replace(
            q,
            areas=tuple(self.area(a) for a in q.areas),
            venues=tuple(self._venue(v) for v in q.venues),
            countries=tuple(c for c in (self._country(c) for c in q.countries) if c),
            exclude=q.exclude | self.suppressed,
        )
        for y in (q.year_min, q.year_max):
            self._year(y)
        matches = self._names.find(q.name) if q.name else None
        if matches is not None and not matches:
            empty, _total = search.search(self.table, replace(q, name=None, limit=1), {})
            return empty.slice(0, 0), 0
        return search.search(self.table, q, matches)

    @cached_property
    def areas(self) -> list[str]:
        """The areas of the in-scope works."""
        f = self.table("scoped_facts").select("area").distinct().to_pyarrow()
        return sorted(a for a in f["area"].to_pylist() if a)

    def area(self, value: str) -> str:
        """An area as the warehouse spells it (``nlp`` -> ``NLP``), else a QueryError."""
        from talentatlas.vocabulary import QueryError

        by_lower = {a.lower(): a for a in self.areas}
        found = by_lower.get(value.strip().lower())
        if found is None:
            raise QueryError(f"unknown area {value!r}; the areas are {', '.join(self.areas)}")
        return found

    def _venue(self, v: str) -> str:
        from talentatlas.vocabulary import venue_code

        return venue_code(v, self.venues)

    # -- a person -----------------------------------------------------------------------------
    def profile(self, person_id: str) -> dict[str, Any]:
        """Everything the atlas knows about a person: ``summary`` (the person index row),
        ``timeline``, ``works`` (venue, year, tier, credit, citations), ``venues`` (works
        per venue and year, by tier), ``coauthors``, ``identifiers``, ``moves`` and
        ``identity`` (how the person's authorships were linked: per key kind)."""
        summary = self.person_row(person_id)
        f = self.table("scoped_facts")
        f = f.filter(f.person_id == person_id)
        c = credits(f, self.table("works"), self.table("authorships"))
        w = self.table("works").select("work_id", "title")
        links = self.table("person_links")
        links = links.filter(links.person_id == person_id).select(
            "work_id", "position", linked_by="key_kind"
        )
        works = (
            c.join(w, "work_id")
            .join(links, ["work_id", "position"])
            .select("year", "venue", "area", "tier", "title", "position", "n_authors", "credit",
                    "citations", "institution", "country", "linked_by", "work_id")
            .order_by([ibis.desc("year"), "venue", "work_id"])
            .to_pyarrow()
        )  # fmt: skip
        venues = (
            c.group_by(["venue", "year"])
            .agg(works=_.count(), orals=(_.tier == "oral").cast("int64").sum(),
                 spotlights=(_.tier == "spotlight").cast("int64").sum(),
                 posters=(_.tier == "poster").cast("int64").sum())
            .order_by([ibis.desc("year"), "venue"])
            .to_pyarrow()
        )  # fmt: skip
        return {
            "summary": summary,
            "timeline": self.timeline(person_id),
            "works": works,
            "venues": venues,
            "coauthors": self.coauthors(person_id),
            "identifiers": self.identifiers(person_id),
            "moves": self._person_moves(person_id),
            "identity": self.identity_evidence(person_id),
        }

    def person_row(self, person_id: str) -> dict[str, Any]:
        """The person's row of ``person_index`` (name, place, stage, output); raises
        :class:`PersonNotFound` for an unknown or suppressed person."""
        if person_id in self.suppressed:
            raise PersonNotFound(f"no person {person_id!r}")
        idx = self.table("person_index")
        row = idx.filter(idx.person_id == person_id).to_pyarrow().to_pylist()
        if not row:
            raise PersonNotFound(f"no person {person_id!r} with in-scope work")
        return row[0]

    def coauthors(self, person_id: str, limit: int = 20) -> pa.Table:
        """``person_id, name, works, last_year, identity``: the person's most frequent
        in-scope co-authors (suppressed people left out)."""
        f = self.table("scoped_facts")
        mine = f.filter(f.person_id == person_id).select(m_w="work_id")
        co = f.join(mine, f.work_id == mine.m_w).filter(_.person_id != person_id)
        g = co.group_by("person_id").agg(works=_.work_id.nunique(), last_year=_.year.max())
        g = self._visible(g)
        p = self.table("person_index").select(p_id="person_id", name="name", identity="identity")
        g = g.join(p, g.person_id == p.p_id).drop("p_id")
        return (
            g.order_by([ibis.desc("works"), ibis.desc("last_year"), "person_id"]).limit(limit)
            .select("person_id", "name", "works", "last_year", "identity").to_pyarrow()
        )  # fmt: skip

    def identifiers(self, person_id: str) -> pa.Table:
        """``kind, value``: every identifier the person's authorships carry (e-mail
        hashes are never shown), and the OpenAlex author ids linked to them."""
        k = self.table("person_keys")
        k = k.filter((k.person_id == person_id) & (k.kind != "email_hash")).select("kind", "value")
        oa = self.table("author_affiliations")
        oa = oa.filter(oa.person_id == person_id).select(
            kind=ibis.literal("openalex"), value=oa.author_id
        )
        return k.union(oa).distinct().order_by(["kind", "value"]).to_pyarrow()

    def identity_evidence(self, person_id: str) -> pa.Table:
        """``key_kind, authorships``: how the person's authorships were linked to them."""
        links = self.table("person_links")
        links = links.filter(links.person_id == person_id)
        return (
            links.group_by("key_kind").agg(authorships=_.count())
            .order_by([ibis.desc("authorships"), "key_kind"]).to_pyarrow()
        )  # fmt: skip

    def _person_moves(self, person_id: str) -> pa.Table:
        m = self.table("moves")
        m = m.filter((m.person_id == person_id) & m.dimension.isin(["country", "institution"]))
        return m.order_by(["year", "dimension"]).drop("person_id").to_pyarrow()

    def timeline(self, person_id: str) -> pa.Table:
        """A person's years: institution (name), country, sector, works that year; every
        year the person published at the scoped venues has a row (its place empty when
        no evidence places them), and years between observed ones are padded."""
        if person_id in self.suppressed:
            raise PersonNotFound(f"no person {person_id!r}")
        py = self.table("person_years")
        py = py.filter(py.person_id == person_id)
        inst = self.table("institutions").select(
            i_id="institution_id", institution_name="name", org_name="org_name"
        )
        py = py.left_join(inst, py.institution == inst.i_id).drop("i_id")
        f = self.table("authorship_facts")
        works = (
            f.filter(f.person_id == person_id)
            .group_by("year")
            .agg(works=_.work_id.nunique())
            .rename(w_year="year")
        )
        py = py.left_join(works, py.year == works.w_year).drop("w_year")
        t = (
            py.select(
                "year",
                institution=py.institution_name,
                institution_id=py.institution,
                organisation=py.org_name,
                country=py.country,
                sector=py.sector,
                works=py.works.fill_null(0),
                observed=py.country_observed.fill_null(False),
            )
            .order_by("year")
            .to_pyarrow()
        )
        roles = self._stated_roles(person_id)
        return t.append_column(
            "role", pa.array([roles.get(y) for y in t["year"].to_pylist()], pa.string())
        )

    def _stated_roles(self, person_id: str) -> dict[int, str]:
        """Year -> the kinds of role the person stated that year (``resolve.roles``),
        the most frequent first (``"doctoral"``, ``"doctoral, intern"``)."""
        f = self.table("authorship_facts")
        f = f.filter(f.person_id == person_id).select("work_id", "position", "year")
        a = self.table("authorships").select("work_id", "position", "role")
        rows = f.join(a, ["work_id", "position"]).filter(_.role.notnull()).to_pyarrow()
        counts: dict[int, Counter] = {}
        for year, role in zip(rows["year"].to_pylist(), rows["role"].to_pylist(), strict=True):
            counts.setdefault(year, Counter()).update(role_kinds(role))
        order = {k: i for i, k in enumerate(KINDS)}
        return {
            y: ", ".join(sorted(c, key=lambda k: (-c[k], order[k]))) for y, c in counts.items() if c
        }

    # -- rising stars ------------------------------------------------------------------------
    def rising(
        self,
        year: int | None = None,
        *,
        countries: Sequence[str] = (),
        limit: int = 50,
        shared_names: bool = False,
    ) -> tuple[pa.Table, pa.Table]:
        """People early in their careers by the rising-star score built from data up to
        ``year`` (default: the last complete year), with their name, place and stage, and
        the score's backtest (``discovery.rising``) over the years whose outcome is known.
        A person known by their name alone whose name other persons carry too (``name:
        lin wang#7``: possibly several people merged) is left out unless
        ``shared_names``; the score and the backtest are the same either way."""
        from talentatlas.discovery import rising

        last = self.latest_complete_year()
        at = self._year(year) if year is not None else last
        d = rising.person_year_output(self.table, lambda e: e.to_pyarrow())
        ranked = rising.rising(d, at)
        if self.suppressed:
            keep = pa.compute.invert(
                pa.compute.is_in(ranked["person_id"], pa.array(sorted(self.suppressed)))
            )
            ranked = ranked.filter(keep)  # fmt: skip
        index = self.table("person_index")
        idx = index.select(
            "person_id", "name", "institution", "country", "stage", "areas", "identity"
        )
        if not shared_names:
            n = index.group_by("name_norm").agg(n=_.count())
            shared = index.filter(index.key_kind == "name").semi_join(
                n.filter(n.n > 1), "name_norm"
            )
            idx = idx.anti_join(shared.select("person_id"), "person_id")
        codes = [self._country(c) for c in countries]
        if codes:
            idx = idx.filter(idx.country.isin([c for c in codes if c]))
        people = idx.to_pyarrow()
        out = ranked.join(people, "person_id", join_type="inner", use_threads=False)
        out = out.sort_by([("score", "descending"), ("person_id", "ascending")]).slice(0, limit)
        out = out.add_column(0, "rank", pa.array(range(1, out.num_rows + 1), pa.int64()))
        first = max(last - rising.HORIZON - 5, int(d["year"].min()) + rising.HORIZON + 1)
        tested = rising.backtest(d, list(range(first, last - rising.HORIZON + 1)))
        return out, tested

    def latest_complete_year(self) -> int:  # pragma: no cover - the atlas's
        raise NotImplementedError

    # -- rankings and movement -------------------------------------------------------------
    def rank_units(
        self,
        areas: Sequence[str] = (),
        *,
        year_min: int | None = None,
        year_max: int | None = None,
        countries: Sequence[str] = (),
        sector: str | None = None,
        level: str = "institution",
        credit_on: str = "current",
        limit: int = 50,
    ) -> pa.Table:
        """Institutions or organisations by the CSRankings rule (``discovery.ranking``)."""
        for y in (year_min, year_max):
            self._year(y)
        return ranking.rank_units(
            self.table, [self.area(a) for a in areas], year_min=year_min, year_max=year_max,
            countries=[c for c in (self._country(c) for c in countries) if c], sector=sector,
            level=level, credit_on=credit_on, limit=limit,
        )  # fmt: skip

    def movements(
        self,
        *,
        institution_id: str | None = None,
        country: str | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
    ) -> pa.Table:
        """Who joined or left an organisation (with its units) or a country
        (``discovery.movement``); suppressed people left out."""
        return movement.movements(
            self.table,
            institutions=self.descendants(institution_id) if institution_id else (),
            country=self._country(country) if country else None,
            year_min=year_min, year_max=year_max, exclude=self.suppressed,
        )  # fmt: skip

    # provided by the atlas
    def descendants(self, institution_id: str) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    def _country(self, value: str | None) -> str | None:  # pragma: no cover
        raise NotImplementedError

    def _year(self, year: int | None) -> int | None:  # pragma: no cover
        raise NotImplementedError

    venues: set[str]
