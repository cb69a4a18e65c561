"""The population an indicator is computed on: in-scope authorships, careers, filters.

A :class:`Frame` hands indicators the careers tables for a set of :class:`Filters`.
Filters that change *which authorships count* (areas, venues) rebuild the careers from
the in-scope authorships with the same Ibis code the build uses (``careers.py``);
without them the careers the build materialised are used as they are. Filters on the
*person-year* (career stage, sector) and on years restrict the rows an indicator
counts, never the careers themselves: a researcher in industry in 2020 who moved from
academia in 2019 keeps that move.

- **Country basis**: ``location`` (default) reads country at the institution's own
  location; ``headquarters`` at the headquarters of its top organisation (MacroPolo's
  rule: Microsoft Research Asia counts as US).
- **Career stage** of a person-year: years since the person's first in-scope
  authorship (any venue of the field): ``early`` 0..2, ``mid`` 3..7, ``senior`` 8+.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Literal

import pyarrow as pa
from ibis import _
from ibis.expr.types import Table

from talentatlas import careers
from talentatlas.canonical import RELIABLE_KEYS
from talentatlas.resolve.registry import SECTORS

#: career stage -> (first, last) years since the first in-scope authorship
STAGES: dict[str, tuple[int, int | None]] = {"early": (0, 2), "mid": (3, 7), "senior": (8, None)}
Basis = Literal["location", "headquarters"]


@dataclass(frozen=True)
class Filters:
    """Which people, years and authorships an indicator counts."""

    areas: tuple[str, ...] = ()
    venues: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    stage: str | None = None
    sector: str | None = None
    basis: Basis = "location"

    def __post_init__(self) -> None:
        if self.stage is not None and self.stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {self.stage!r}")
        if self.sector is not None and self.sector not in SECTORS:
            raise ValueError(f"sector must be one of {', '.join(SECTORS)}, not {self.sector!r}")
        if self.basis not in ("location", "headquarters"):
            raise ValueError(f"basis must be location or headquarters, not {self.basis!r}")

    @property
    def reshapes_careers(self) -> bool:
        return bool(self.areas or self.venues)

    @property
    def key(self) -> str:
        return hashlib.sha1(repr(sorted(asdict(self).items())).encode()).hexdigest()[:10]

    def describe(self) -> str:
        parts = [f"country at {'headquarters' if self.basis == 'headquarters' else 'location'}"]
        if self.areas:
            parts.append("areas " + ", ".join(self.areas))
        if self.venues:
            parts.append("venues " + ", ".join(self.venues))
        if self.year_min is not None or self.year_max is not None:
            parts.append(f"years {self.year_min or '…'}–{self.year_max or '…'}")
        if self.stage:
            lo, hi = STAGES[self.stage]
            parts.append(f"{self.stage}-career ({lo}–{hi if hi is not None else ''} years)")
        if self.sector:
            parts.append(f"sector {self.sector}")
        return "; ".join(parts)


class Frame:
    """Careers tables under a set of filters.

    ``table`` opens a warehouse table by name; ``cache`` (optional) materialises an
    expression under a name and returns the table (a temporary table when querying, a
    warehouse table when building); ``to_arrow`` executes an expression. ``derive``:
    compute careers from ``scoped_facts`` even without filters that reshape them (a
    frame over bare authorship facts, as in tests).
    """

    def __init__(
        self,
        table: Callable[[str], Table],
        filters: Filters | None = None,
        *,
        cache: Callable[[str, Table], Table] | None = None,
        to_arrow: Callable[[Table], pa.Table] | None = None,
        derive: bool = False,
    ) -> None:
        self._table = table
        self.filters = filters or Filters()
        self._cache = cache or (lambda _name, t: t)
        self._to_arrow = to_arrow or (lambda t: t.to_pyarrow())
        self._memo: dict[str, Table] = {}
        self._coverage: dict[str, float | int] | None = None
        #: derive careers from ``scoped_facts`` rather than read the build's tables
        self.derive = derive or self.filters.reshapes_careers

    def to_arrow(self, t: Table) -> pa.Table:
        return self._to_arrow(t)

    def table(self, name: str) -> Table:
        return self._table(name)

    def cached(self, name: str, make: Callable[[], Table]) -> Table:
        """``make()``, computed once per frame: a working table where the frame was
        given a cache (the build's, the atlas's temporary tables), else the query."""
        if name not in self._memo:
            self._memo[name] = self._cache(f"q_{self.filters.key}_{name}", make())
        return self._memo[name]

    # -- authorships --------------------------------------------------------------------
    @cached_property
    def facts(self) -> Table:
        """In-scope authorships (``scoped_facts``) under the area and venue filters."""
        f = self._table("scoped_facts")
        if self.filters.areas:
            f = f.filter(f.area.isin(list(self.filters.areas)))
        if self.filters.venues:
            f = f.filter(f.venue.isin(list(self.filters.venues)))
        return f

    def dim(self, name: str) -> str:
        """The careers dimension behind an indicator's dimension (country basis)."""
        if name == "country" and self.filters.basis == "headquarters":
            return "hq_country"
        return name

    # -- careers --------------------------------------------------------------------------
    def observed(self, name: str) -> Table:
        return self._observed(self.dim(name))

    def _observed(self, d: str) -> Table:
        if not self.derive:
            return self._table(f"observed_{d}")
        return self.cached(
            f"observed_{d}",
            lambda: careers.observed(
                self.cached("cells", lambda: careers.cells(self.facts)), d, self._observed
            ),
        )

    def padded(self, name: str) -> Table:
        d = self.dim(name)
        if not self.derive:
            return self._table(f"padded_{d}")
        return self.cached(f"padded_{d}", lambda: careers.padded(self.observed(name)))

    def moves(self, name: str) -> Table:
        d = self.dim(name)
        if not self.derive:
            m = self._table("moves")
            return m.filter(m.dimension == d).drop("dimension")
        return careers.moves(self.observed(name))

    def values_at(self, t: Table, year: str, **columns: tuple[str, str]) -> Table:
        """``t`` (with ``person_id`` and a year column ``year``) with careers values of
        each person in that year: ``name=(kind, dimension)``, kind ``observed`` or
        ``padded`` (null where there is none). The build's careers give them all in one
        join with ``person_years``; derived careers, one join a value."""
        if self.derive:
            for name, (kind, dim) in columns.items():
                v = self.observed(dim) if kind == "observed" else self.padded(dim)
                v = v.select(_p=v.person_id, _y=v.year, **{name: v.value})
                t = t.left_join(v, [t.person_id == v._p, t[year] == v._y]).drop("_p", "_y")
            return t
        py = self._table("person_years")
        values = {}
        for name, (kind, dim) in columns.items():
            d = self.dim(dim)
            values[name] = py[d] if kind == "padded" else py[f"{d}_observed"].ifelse(py[d], None)
        v = py.select(_p=py.person_id, _y=py.year, **values)
        return t.left_join(v, [t.person_id == v._p, t[year] == v._y]).drop("_p", "_y")

    @cached_property
    def first_year(self) -> Table:
        """``person_id, first_year``: the first in-scope authorship (any venue of the field)."""
        f = self._table("scoped_facts")
        return f.group_by("person_id").agg(first_year=f.year.min().cast("int32"))

    # -- person-year filters ------------------------------------------------------------
    def restrict(self, t: Table, year: str = "year") -> Table:
        """Rows of ``t`` (``person_id`` and a year column) whose person-year passes the
        stage, sector and year filters."""
        f = self.filters
        if f.year_min is not None:
            t = t.filter(t[year] >= f.year_min)
        if f.year_max is not None:
            t = t.filter(t[year] <= f.year_max)
        if f.sector is not None:
            s = self.padded("sector")
            s = s.filter(s.value == f.sector).select(s_p=s.person_id, s_y=s.year)
            t = t.semi_join(s, [t.person_id == s.s_p, t[year] == s.s_y])
        if f.stage is not None:
            lo, hi = STAGES[f.stage]
            fy = self.first_year.rename(f_p="person_id")
            j = t.join(fy, t.person_id == fy.f_p)
            since = j[year] - j.first_year
            cond = since >= lo if hi is None else (since >= lo) & (since <= hi)
            t = j.filter(cond).drop("f_p", "first_year")
        return t

    # -- coverage -------------------------------------------------------------------------
    def coverage_by_year(self) -> pa.Table:
        """``year, authorships, cov_country, cov_institution, cov_sector, cov_key``: shares
        of the year's in-scope authorships resolved to each (``cov_key``: linked by a
        reliable person key, not by name)."""
        return self._coverage_table.drop_columns(["c", "i", "s", "k"])

    def _coverage_counts(self) -> Table:
        """:meth:`coverage_by_year` with the counts behind its shares (``c, i, s, k``)."""
        g = self._year_counts(self.facts)
        n = g.authorships.cast("float64")
        return g.mutate(
            cov_country=(g.c / n).round(4),
            cov_institution=(g.i / n).round(4),
            cov_sector=(g.s / n).round(4),
            cov_key=(g.k / n).round(4),
        )

    @cached_property
    def _coverage_table(self) -> pa.Table:
        """:meth:`coverage_by_year` with its counts, read once per frame."""
        return self.to_arrow(self._coverage_counts())

    def with_coverage(self, t: pa.Table, on: str) -> pa.Table:
        """``t`` (with a ``year``) joined with ``coverage``: the share of that year's
        in-scope authorships resolved on ``on`` (country, institution or sector)."""
        c = self._coverage_table
        cov = pa.table({
            "year": c["year"].cast(t.schema.field("year").type),
            "coverage": c[f"cov_{on}"].cast(pa.float64()),
        })  # fmt: skip
        return t.join(cov, "year", join_type="left outer", use_threads=False)

    def coverage(self, facts: Table | None = None) -> dict[str, float | int]:
        """Overall coverage of ``facts`` (default: the frame's authorships, from the
        counts of :meth:`coverage_by_year`)."""
        if facts is not None:
            return self._coverage_of(facts)
        if self._coverage is None:
            t = self._coverage_table
            r = {c: sum(v or 0 for v in t.column(c).to_pylist()) for c in ("c", "i", "s", "k")}
            self._coverage = _shares(sum(t.column("authorships").to_pylist()), r)
        return self._coverage

    def _year_counts(self, f: Table) -> Table:
        """``year, authorships, c, i, s, k``: authorships of ``f`` per year, and those
        resolved to a country, institution, sector, and linked by a reliable key."""
        country = f[self.dim("country")]
        reliable = f.key_kind.isin(list(RELIABLE_KEYS))
        return (
            f.group_by("year")
            .agg(
                authorships=_.count(),
                c=country.notnull().cast("int64").sum(),
                i=f.institution.notnull().cast("int64").sum(),
                s=f.sector.notnull().cast("int64").sum(),
                k=reliable.cast("int64").sum(),
            )
            .mutate(year=_.year.cast("int32"))
        )

    def _coverage_of(self, f: Table) -> dict[str, float | int]:
        r = self.to_arrow(
            self._year_counts(f).agg(
                n=_.authorships.sum(), c=_.c.sum(), i=_.i.sum(), s=_.s.sum(), k=_.k.sum()
            )
        ).to_pylist()[0]
        return _shares(r["n"] or 0, r)


def _shares(n: int, counts: dict[str, int | None]) -> dict[str, float | int]:
    """Overall coverage from the counts of :meth:`Frame._year_counts` (summed)."""
    d = n or 1
    names = {"c": "country", "i": "institution", "s": "sector", "k": "person_key"}
    return {"authorships": n} | {v: round((counts[c] or 0) / d, 4) for c, v in names.items()}
