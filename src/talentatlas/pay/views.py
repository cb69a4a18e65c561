"""The atlas's pay questions (mixed into :class:`talentatlas.api.Atlas`): wage
distributions of LCA filings and user offers by employer, role family, place and year;
an occupation's OEWS wages in an area; prevailing-wage levels; areas compared; an
organisation's pay. Every answer names the kind of figure it is (``KINDS``).

Percentiles are the engine's continuous quantiles over the records; amounts are
converted record by record at the ECB yearly average of the record's year
(:mod:`talentatlas.pay.currency`) before they are summarised.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import ibis
import pyarrow as pa
from ibis import _

from talentatlas.pay.areas import Area, PayAreas, in_area
from talentatlas.pay.currency import PPP, Rates, currency_code
from talentatlas.pay.employers import employer_key
from talentatlas.pay.families import FAMILY_SOC, family_code, soc_code
from talentatlas.pay.read import state_code
from talentatlas.tables import flat, union_all
from talentatlas.vocabulary import QueryError

#: what each source's figure is
KINDS = {
    "dol_lca": "offered base wage on certified H-1B/E-3 LCA filings (DOL): a visa filing's "
    "wage, yearly, without bonus or equity; not every filing is a hire",
    "offers": "user-supplied offers (base + bonus + equity per year, as given)",
    "bls_oews": "BLS OEWS: the wage distribution of all employees in an occupation and area "
    "(employer survey; base pay, no equity)",
    "dol_oflc": "DOL OFLC prevailing-wage levels I-IV: the floor an H-1B employer must pay "
    "(set from OEWS), not a wage anyone was paid",
}
#: the years a record's amount can be converted at (records outside: no amount)
RATE_YEARS = range(1999, 2036)
PERCENTILES = (("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9))
GROUPS = {
    "employer": "employer_name",
    "family": "family",
    "seniority": "seniority",
    "year": "year",
    "state": "state",
    "city": "city",
}


@dataclass
class PayQuery:
    """What a pay question filters on."""

    employer: str | None = None
    family: str | None = None
    seniority: str | None = None
    since: int | None = None
    until: int | None = None
    state: str | None = None
    city: str | None = None
    #: institutions whose records count (an organisation and its labs)
    institution_ids: list[str] = field(default_factory=list)
    #: an area (:meth:`PayViews.pay_area`): its worksites
    area: Area | None = None


class PayViews(PayAreas):
    """Pay views over a warehouse (needs ``table``, ``find_institutions`` and
    ``descendants`` from the atlas)."""

    def table(self, name: str) -> ibis.Table:  # pragma: no cover - the atlas's
        raise NotImplementedError

    def find_institutions(self, name: str, limit: int = 10) -> pa.Table:  # pragma: no cover
        raise NotImplementedError

    def descendants(self, institution_id: str) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    @cached_property
    def _has_pay(self) -> bool:
        if "pay_filings" not in self.tables():  # type: ignore[attr-defined]
            return False  # built before pay existed
        return any(self.table(t).limit(1).count().to_pyarrow().as_py()
                   for t in ("pay_filings", "pay_offers", "pay_occupation_wages",
                             "pay_prevailing_wages"))  # fmt: skip

    def has_pay(self) -> bool:
        """Whether the warehouse holds pay records (a build with pay files)."""
        return self._has_pay

    # -- records ----------------------------------------------------------------------
    def _records(self, source: str, q: PayQuery) -> ibis.Table:
        """The records of ``dol_lca`` (offers among the filings) or ``offers`` with the
        columns the summaries use: ``employer_name, family, seniority, year, state,
        city, amount`` (yearly, the record's currency: USD for filings)."""
        if source == "dol_lca":
            t = self.table("pay_filings")
            t = t.filter(t.is_offer)
            t = t.select(
                employer_name=ibis.coalesce(t.institution, t.employer_key, t.employer),
                employer_key=t.employer_key, institution_id=t.institution_id,
                family=t.family, seniority=t.seniority, year=t.year, state=t.state,
                city=t.city.upper(), amount=t.annual_wage, currency=ibis.literal("USD"),
                country=ibis.literal("US"),
            )  # fmt: skip
        elif source == "offers":
            t = self.table("pay_offers")
            t = t.select(
                employer_name=ibis.coalesce(t.institution, t.company),
                employer_key=t.employer_key, institution_id=t.institution_id,
                family=t.family, seniority=t.seniority, year=t.year, state=t.state,
                city=t.location.split(",")[0].strip().upper(), amount=t.total,
                currency=t.currency,
                country=t.country,
            )  # fmt: skip
        else:
            raise ValueError(f"unknown pay source {source!r}")
        if q.family:
            t = t.filter(t.family == family_code(q.family))
        if q.seniority:
            t = t.filter(t.seniority == q.seniority.lower())
        if q.since is not None:
            t = t.filter(t.year >= q.since)
        if q.until is not None:
            t = t.filter(t.year <= q.until)
        if q.state:
            code = state_code(q.state) or q.state.upper()
            t = t.filter(t.state == code)
        if q.city:
            t = t.filter(t.city == q.city.upper())
        if q.area is not None:
            t = t.filter(in_area(t, q.area))
        # an employer: its institution and labs, and the employer names that start with
        # the name's words ("google" -> "google", "google payment"; not "googleplex")
        ek = employer_key(q.employer) if q.employer else None
        named = t.employer_key.re_search(f"^{re.escape(ek)}( |$)") if ek else None
        if q.institution_ids:
            cond = t.institution_id.isin(q.institution_ids)
            t = t.filter(cond | named if named is not None else cond)
        elif named is not None:
            t = t.filter(named)
        return flat(t)

    def employer_institutions(self, name: str) -> tuple[dict | None, list[str]]:
        """The institution an employer name means (``find_institutions``) and it with
        its labs; ``(None, [])`` when none matches."""
        found = self.find_institutions(name, limit=1).to_pylist()
        if not found:
            return None, []
        best = found[0]
        return best, self.descendants(best["institution_id"])

    def pay_query(
        self, employer: str | None = None, institution_id: str | None = None,
        area: str | None = None, **filters: object,
    ) -> tuple[PayQuery, dict | None]:  # fmt: skip
        """A question's filters made a :class:`PayQuery`: ``employer`` a name (its
        institution, labs, and employer names starting with it), ``institution_id`` an
        institution and its labs, ``area`` an OEWS area's worksites; the rest as
        :class:`PayQuery` has them. Returns the query and the institution the employer
        name was taken for (``None``: none)."""
        if employer and institution_id:
            raise QueryError("give an employer's name or an institution id, not both")
        if employer is not None and not employer_key(employer):
            raise QueryError(f"no employer name in {employer!r}")
        best, ids = self.employer_institutions(employer) if employer else (None, [])
        if institution_id:
            ids = self.descendants(institution_id)
        q = PayQuery(employer=employer, institution_ids=ids,
                     area=self.pay_area(area) if area else None, **filters)  # type: ignore[arg-type]  # fmt: skip
        return q, best

    @cached_property
    def _pay_currencies(self) -> list[str]:
        o = self.table("pay_offers").select("currency").distinct().to_pyarrow()
        return sorted({"USD", *(c for c in o["currency"].to_pylist() if c)})

    def _convert(self, t: ibis.Table, currency: str, rates: Rates, ppp: bool) -> ibis.Table:
        """``amount`` in ``currency`` at the yearly rate of each record's year; for
        ``PPP$`` (international dollars), the amount in its own currency divided by its
        country's PPP factor of the year (a record of a country the table lacks: no
        amount)."""
        if ppp:  # each country's factor of the year, else of its nearest year
            keys = [(c, y) for c in sorted({c for c, _y in rates.ppp}) for y in RATE_YEARS]
            facts = [rates.ppp_factor(c, y) for c, y in keys]
            tab = pa.table({"ctry": pa.array([k[0] for k in keys], pa.string()),
                            "yr": pa.array([k[1] for k in keys], pa.int32()),
                            "f": pa.array([1.0 / f for f in facts], pa.float64())})  # fmt: skip
            r = ibis.memtable(tab)
            j = t.left_join(r, [t.country == r.ctry, t.year == r.yr])
            return j.select(*[c for c in t.columns if c != "amount"], amount=j.amount * j.f)
        if currency == "USD" and self._pay_currencies == ["USD"]:
            return t
        rows = []
        for c in self._pay_currencies:
            for y in RATE_YEARS:
                rows.append((c, y, rates.convert(1.0, c, currency, y, quiet=True)))
        tab = pa.table({"cur": pa.array([r[0] for r in rows], pa.string()),
                        "yr": pa.array([r[1] for r in rows], pa.int32()),
                        "f": pa.array([r[2] for r in rows], pa.float64())})  # fmt: skip
        r = ibis.memtable(tab)
        j = t.left_join(r, [t.currency == r.cur, t.year == r.yr])
        return j.select(*[c for c in t.columns if c != "amount"], amount=j.amount * j.f)

    def pay_summary(
        self,
        q: PayQuery,
        by: Sequence[str] = (),
        source: str = "dol_lca",
        currency: str = "USD",
        rates: Rates | None = None,
        top: int | None = None,
        min_records: int = 1,
    ) -> pa.Table:
        """The distribution of yearly amounts per group: ``<by...>, records, employers,
        years, p10, p25, median, p75, p90, mean, currency`` (groups with the most
        records first; ``top`` of them), with the source's kind in the metadata."""
        cur = currency_code(currency)
        rates = rates or Rates()
        _need_ppp(cur, rates)
        bad = [b for b in by if b not in GROUPS]
        if bad:
            raise QueryError(f"cannot group pay by {bad}; by one of {', '.join(GROUPS)}")
        t = self._convert(self._records(source, q), cur, rates, cur == PPP)
        t = t.filter(t.amount.notnull())
        keys = [GROUPS[b] for b in by]
        aggs = {
            "records": _.count(),
            "employers": _.employer_name.nunique(),
            "first_year": _.year.min(),
            "last_year": _.year.max(),
            **{name: _.amount.quantile(p) for name, p in PERCENTILES},
            "mean": _.amount.mean(),
        }
        g = t.group_by(keys).agg(**aggs) if keys else t.agg(**aggs)
        g = g.filter(g.records >= min_records)
        g = g.order_by([ibis.desc("records"), *keys]) if keys else g
        if top:
            g = g.limit(top)
        out = g.to_pyarrow()
        _note_years(rates, cur, out["first_year"].to_pylist() + out["last_year"].to_pylist())
        if "employer" in by:
            out = out.drop_columns(["employers"])
        out = _rounded(out).rename_columns(
            [("employer" if c == "employer_name" else c) for c in out.column_names]
        )
        return _with_meta(out, kind=KINDS[source], currency=cur, rates=rates.note())

    # -- OEWS and prevailing wages ------------------------------------------------------
    def occupation_codes(self, text: str) -> list[str]:
        """Occupation codes from a code (``15-1221``) or words of a title (``data
        scientists``), or a role family's main occupations."""
        code = soc_code(text)
        if code:
            return [code]
        try:
            return list(FAMILY_SOC[family_code(text)])
        except (ValueError, KeyError):
            pass
        occ = self.table("pay_occupations")
        hits = occ.filter(occ.occupation.lower().contains(text.strip().lower()))
        codes = hits.select("soc_code").to_pyarrow()["soc_code"].to_pylist()
        if not codes:
            raise QueryError(f"no occupation matches {text!r} (give a SOC code such as 15-1221)")
        return sorted(codes)[:10]

    def occupation_wages(
        self, occupation: str, area: str | None = None, currency: str = "USD",
        industry: str = "000000", rates: Rates | None = None,
    ) -> pa.Table:  # fmt: skip
        """OEWS cells: ``soc_code, occupation, area, area_type, employment, p10, p25,
        median, p75, p90, mean, hourly_median, year, top_coded`` (yearly wages)."""
        codes = self.occupation_codes(occupation)
        w = self.table("pay_occupation_wages")
        t = w.filter(w.soc_code.isin(codes), w.industry_code == industry)
        if area:
            a = self.pay_area(area)
            t = t.filter(t.area_code == a.area_code)
        else:
            t = t.filter(t.area_type == "national")
        cur = currency_code(currency)
        rates = rates or Rates()
        _need_ppp(cur, rates)
        out = t.select(
            "soc_code", "occupation", area=t.area_name, area_type=t.area_type,
            employment=t.employment, p10=t.annual_p10, p25=t.annual_p25, median=t.annual_p50,
            p75=t.annual_p75, p90=t.annual_p90, mean=t.annual_mean,
            hourly_median=t.hourly_p50, year=t.year, top_coded=t.annual_top_coded,
        ).order_by(["soc_code", "area"]).to_pyarrow()  # fmt: skip
        if cur != "USD" and out.num_rows:
            f = _usd_factor(rates, cur, out["year"][0].as_py())
            out = _scaled(out, ("p10", "p25", "median", "p75", "p90", "mean", "hourly_median"), f)
        return _with_meta(out, kind=KINDS["bls_oews"], currency=cur, rates=rates.note())

    def prevailing_levels(self, occupation: str, area: str) -> pa.Table:
        """OFLC levels I-IV (yearly USD) for an occupation in a county (``Santa Clara,
        CA``) or across a state's counties (``CA``: lowest, median and highest county)."""
        codes = self.occupation_codes(occupation)
        p = self.table("pay_prevailing_wages")
        parts = [x.strip() for x in area.split(",")]
        st = state_code(parts[-1])
        if st is None:
            raise QueryError(f"give the area as 'County, ST' or a state code, not {area!r}")
        t = p.filter(p.soc_code.isin(codes), p.state == st)
        if len(parts) > 1:
            county = parts[0].lower().removesuffix(" county").strip()
            t = t.filter(t.county == county)
            out = t.select("soc_code", "soc_title", "state", "county", "level_1", "level_2",
                           "level_3", "level_4").order_by("soc_code").to_pyarrow()  # fmt: skip
        else:
            out = (
                t.group_by(["soc_code", "state"]).agg(
                    counties=_.count(),
                    **{f"{lv}_{s}": getattr(_[lv], f)() if f != "median" else _[lv].median()
                       for lv in ("level_1", "level_2", "level_3", "level_4")
                       for s, f in (("lowest", "min"), ("median", "median"), ("highest", "max"))},
                ).order_by("soc_code").to_pyarrow()
            )  # fmt: skip
        return _with_meta(out, kind=KINDS["dol_oflc"], currency="USD", rates="")

    def pay_compare(
        self, family: str, areas: Sequence[str], currency: str = "USD",
        since: int | None = None, rates: Rates | None = None,
    ) -> pa.Table:  # fmt: skip
        """Per area, two rows: the family's main occupation in OEWS (``source`` =
        ``bls_oews``; ``count`` = employment) and the family's offered wages on LCA
        filings at the area's worksites (``dol_lca``; ``count`` = filings): ``area,
        source, what, count, p10, p25, median, p75, p90, years`` (yearly amounts)."""
        fam = family_code(family)
        codes = FAMILY_SOC.get(fam)
        cur = currency_code(currency)
        rates = rates or Rates()
        _need_ppp(cur, rates)
        pct = [name for name, _p in PERCENTILES]
        found = [(text, self.pay_area(text)) for text in areas]
        labels = [f"{t} ({a.label})" if t.lower() != a.label.lower() else a.label for t, a in found]
        # OEWS: one query for every area
        oews: dict[str, dict] = {}
        if codes:
            w = self.table("pay_occupation_wages")
            cells = w.filter(w.soc_code == codes[0], w.industry_code == "000000",
                             w.area_code.isin([a.area_code for _t, a in found]))  # fmt: skip
            for r in cells.to_pyarrow().to_pylist():
                oews[r["area_code"]] = r
        # LCA: one query, the family's offers at each area's worksites (an area each)
        recs = self._records("dol_lca", PayQuery(family=fam, since=since))
        parts = [recs.filter(in_area(recs, a)).mutate(k=ibis.literal(i))
                 for i, (_t, a) in enumerate(found)]  # fmt: skip
        both = self._convert(union_all(parts), cur, rates, cur == PPP).filter(_.amount.notnull())
        stats = both.group_by("k").agg(
            n=_.count(), y0=_.year.min(), y1=_.year.max(),
            **{name: _.amount.quantile(p) for name, p in PERCENTILES},
        ).to_pyarrow().to_pylist()  # fmt: skip
        by_k = {r["k"]: r for r in stats}
        rows = []
        for i, ((_text, a), label) in enumerate(zip(found, labels, strict=True)):
            r = oews.get(a.area_code)
            if r is not None:
                f = _usd_factor(rates, cur, r["year"])
                vals = {"p10": r["annual_p10"], "p25": r["annual_p25"], "median": r["annual_p50"],
                        "p75": r["annual_p75"], "p90": r["annual_p90"]}  # fmt: skip
                rows.append({"area": label, "source": "bls_oews", "what": r["occupation"],
                             "count": r["employment"],
                             **{k: None if v is None else v * f for k, v in vals.items()},
                             "years": str(r["year"])})  # fmt: skip
            s = by_k.get(i) or {"n": 0, "y0": None, "y1": None, **dict.fromkeys(pct)}
            cities = list(dict.fromkeys(c for c, _st in a.cities))
            where = f"worksites in {', '.join(cities) if cities else a.label}"
            _note_years(rates, cur, [s["y0"], s["y1"]])
            rows.append({"area": label, "source": "dol_lca",
                         "what": f"{fam} offers, {where}", "count": s["n"],
                         **{k: s[k] for k in pct},
                         "years": (f"{s['y0']}-{s['y1']}" if s["y0"] != s["y1"] else str(s["y0"]))
                         if s["n"] else None})  # fmt: skip
        schema = pa.schema([("area", pa.string()), ("source", pa.string()), ("what", pa.string()),
                            ("count", pa.float64()), *((k, pa.float64()) for k in pct),
                            ("years", pa.string())])  # fmt: skip
        out = _rounded(pa.Table.from_pylist(rows, schema=schema))
        kind = f"bls_oews: {KINDS['bls_oews']}; dol_lca: {KINDS['dol_lca']}"
        return _with_meta(out, kind=kind, currency=cur, rates=rates.note())

    def org_pay(self, institution_ids: list[str], since: int | None = None,
                currency: str = "USD") -> pa.Table:  # fmt: skip
        """An organisation's (and its labs') LCA offered wages by role family."""
        q = PayQuery(institution_ids=institution_ids, since=since)
        return self.pay_summary(q, by=("family",), currency=currency)


def _need_ppp(currency: str, rates: Rates) -> None:
    if currency == PPP and not rates.ppp:
        raise QueryError("international dollars (PPP$) need a PPP table (--ppp FILE)")


def _usd_factor(rates: Rates, currency: str, year: int) -> float:
    """What one US dollar of ``year`` is in ``currency`` (PPP$: through the US factor)."""
    if currency == "USD":
        return 1.0
    if currency == PPP:
        us = rates.ppp_factor("US", year)
        if us is None:
            raise QueryError("the PPP table has no factor for the US")
        return 1.0 / us
    return rates.convert(1.0, "USD", currency, year)


def _note_years(rates: Rates, currency: str, years: Sequence[int | None]) -> None:
    """Note the years in this range that the ECB series does not cover."""
    ys = [y for y in years if y is not None]
    if ys and currency != PPP:
        for y in range(min(ys), max(ys) + 1):
            rates.factor(currency, y)
            rates.factor("EUR", y)


def _rounded(t: pa.Table) -> pa.Table:
    """Amounts and counts as whole numbers."""
    for i, name in enumerate(t.column_names):
        if pa.types.is_floating(t.schema.field(name).type):
            vals = [None if v is None else round(v) for v in t[name].to_pylist()]
            t = t.set_column(i, name, pa.array(vals, pa.int64()))
    return t


def _scaled(t: pa.Table, cols: Sequence[str], factor: float) -> pa.Table:
    for c in cols:
        i = t.column_names.index(c)
        vals = [None if v is None else round(v * factor, 2) for v in t[c].to_pylist()]
        t = t.set_column(i, c, pa.array(vals, pa.float64()))
    return t


def pay_meta(t: pa.Table) -> dict[str, str]:
    """What a pay answer says of itself: ``kind`` (of figure), ``currency`` and
    ``rates`` (how amounts were converted), where it says them."""
    md = t.schema.metadata or {}
    keys = [(k, f"pay_{k}".encode()) for k in ("kind", "currency", "rates")]
    return {k: md[b].decode() for k, b in keys if b in md}


def _with_meta(t: pa.Table, **meta: str) -> pa.Table:
    md = dict(t.schema.metadata or {})
    md.update({f"pay_{k}".encode(): v.encode() for k, v in meta.items() if v})
    return t.replace_schema_metadata(md)
