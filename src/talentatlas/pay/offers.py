"""User-supplied offers: the CSV people keep from offer letters and salary-sharing
sites, one offer per row.

Columns (header names in any case; aliases in :data:`COLUMNS`): ``company``,
``title``, ``level`` (the company's own, e.g. L5, E6), ``base``, ``bonus`` and
``equity`` (both per year), ``location``, ``currency`` (ISO 4217), ``year``; optional
``country`` (else read from the location's last part). Amounts may carry thousands
separators, a currency sign or a ``k`` suffix (``185k``). A row is quarantined with
its file, row number and every problem found: a missing company, title, base,
currency or year; an amount that is not a non-negative number; a currency the ECB
series does not cover; a year outside 1999-2100. Columns it does not know are
reported, not read. Amounts are also stored in US dollars at the ECB yearly average
of the offer's year.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow as pa

from talentatlas.pay.currency import Rates, country_iso2, currencies
from talentatlas.pay.families import family_of, seniority_of
from talentatlas.pay.read import PayRead, quarantine_rows, state_code

SOURCE = "offers"
#: field -> accepted header names (lower case)
COLUMNS: dict[str, tuple[str, ...]] = {
    "company": ("company", "employer", "organisation", "organization"),
    "title": ("title", "job_title", "job title", "role"),
    "level": ("level", "grade"),
    "base": ("base", "base_salary", "base salary", "salary"),
    "bonus": ("bonus", "annual_bonus", "bonus_per_year"),
    "equity": ("equity", "equity_per_year", "stock", "stock_per_year", "rsu_per_year"),
    "location": ("location", "city"),
    "currency": ("currency",),
    "year": ("year", "offer_year"),
    "country": ("country",),
}
REQUIRED = ("company", "title", "base", "currency", "year")
AMOUNTS = ("base", "bonus", "equity")

SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("company", pa.string()),
        ("title", pa.string()),
        ("family", pa.string()),
        ("seniority", pa.string()),
        ("level", pa.string()),
        ("base", pa.float64()),
        ("bonus", pa.float64()),
        ("equity", pa.float64()),
        ("total", pa.float64()),
        ("currency", pa.string()),
        ("base_usd", pa.float64()),
        ("total_usd", pa.float64()),
        ("location", pa.string()),
        ("state", pa.string()),
        ("country", pa.string()),
        ("year", pa.int32()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)


def amount(text: str) -> float:
    """``185,000``, ``$185000``, ``185k``, ``1.2m`` -> a number; ValueError otherwise."""
    t = re.sub(r"[\s,$€£¥₩_']|usd|eur|krw", "", text.lower())
    mult = 1.0
    if t.endswith("k"):
        t, mult = t[:-1], 1e3
    elif t.endswith("m"):
        t, mult = t[:-1], 1e6
    value = float(t) * mult
    if value < 0 or value != value:
        raise ValueError("negative")
    return value


US_NAMES = {"us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"}


def place(location: str, country: str, currency: str) -> tuple[str | None, str | None]:
    """``(country, US state)`` of an offer: the ``country`` column when given, else the
    location's last part: a US state's name, or ``US``/``USA``, is the US; a two-letter
    code is a US state when the offer is paid in US dollars ("Mountain View, CA") and a
    country code otherwise ("Toronto, CA" in CAD, "Berlin, DE" in EUR); "City, ST, US"
    is a state of the US."""
    parts = [p.strip() for p in location.split(",") if p.strip()]
    given = country_iso2(country) if country else None
    last = parts[-1] if len(parts) > 1 else ""
    if last.lower() in US_NAMES and len(parts) > 2:
        return given or "US", state_code(parts[-2])
    if last.lower() in US_NAMES:
        return given or "US", None
    st = state_code(last) if last else None
    if st and (len(last) > 2 or currency == "USD") and given in (None, "US"):
        return "US", st
    return given or (country_iso2(last) if last else None), None


def read(path: Path, rel: str) -> PayRead:
    rows: list[dict] = []
    bad: list[tuple[int, str, str]] = []
    known = set(currencies())
    rates = Rates()
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader, [])]
        at = {fld: next((header.index(a) for a in names if a in header), None)
              for fld, names in COLUMNS.items()}  # fmt: skip
        missing = [fld for fld in REQUIRED if at[fld] is None]
        if missing:
            raise ValueError(
                f"{rel}: an offers CSV needs columns {list(REQUIRED)}; missing {missing}"
            )
        used = {i for i in at.values() if i is not None}
        unknown = [h for i, h in enumerate(header) if i not in used]
        n = 0
        for n, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue

            def get(fld: str, values: list[str] = values) -> str:
                i = at[fld]
                return values[i].strip() if i is not None and i < len(values) else ""

            problems: list[str] = []
            if len(values) != len(header):
                problems.append(f"{len(values)} fields, the header has {len(header)}")
            for fld in REQUIRED:
                if not get(fld):
                    problems.append(f"no {fld}")
            money: dict[str, float | None] = {}
            for fld in AMOUNTS:
                text = get(fld)
                try:
                    money[fld] = amount(text) if text else None
                except ValueError:
                    problems.append(f"{fld} is not a non-negative amount: {text!r}")
            cur = get("currency").upper()
            if cur and cur not in known:
                problems.append(f"unknown currency {cur!r}")
            year = None
            if get("year"):
                try:
                    year = int(float(get("year")))
                    if not 1999 <= year <= 2100:
                        problems.append(f"year {year} outside 1999-2100")
                except ValueError:
                    problems.append(f"year is not a number: {get('year')!r}")
            if problems:
                bad.append((n, "; ".join(problems), ",".join(values)))
                continue
            loc = get("location")
            country, state = place(loc, get("country"), cur)
            base = money["base"] or 0.0
            total = base + (money["bonus"] or 0.0) + (money["equity"] or 0.0)
            usd = rates.convert(1.0, cur, "USD", year)
            rows.append({
                "source": SOURCE, "company": get("company"), "title": get("title"),
                "family": family_of(get("title")), "seniority": seniority_of(get("title")),
                "level": get("level") or None, "base": base, "bonus": money["bonus"],
                "equity": money["equity"], "total": total, "currency": cur,
                "base_usd": round(base * usd, 2), "total_usd": round(total * usd, 2),
                "location": loc or None, "state": state, "country": country, "year": year,
                "file": rel, "record": n,
            })  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    return PayRead(SOURCE, table, quarantine_rows(SOURCE, rel, bad), records=n,
                   unknown_fields=unknown)  # fmt: skip
