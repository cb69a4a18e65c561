"""What a warehouse knows — its countries, venues and years — and a clear error, with
suggestions, for a query value it does not know (instead of an empty table).

Countries are ISO 3166 alpha-2 codes; a name or a code in any case is accepted where
it names one country (``Korea`` -> KR, ``kr`` -> KR). Venues go through the aliases
of :func:`talentatlas.config.canonical_venue` (``nips`` -> neurips).
"""

from __future__ import annotations

from collections.abc import Iterable

import pycountry
from rapidfuzz import fuzz, process

from talentatlas.config import canonical_venue
from talentatlas.resolve.countries import country_from_name


class QueryError(ValueError):
    """A query value the warehouse does not know; the message says what exists."""


def _name(code: str) -> str:
    c = pycountry.countries.get(alpha_2=code)
    return c.name if c else code


def _close(value: str, choices: dict[str, str], limit: int = 5) -> list[str]:
    """Labels of the choices closest to ``value`` (choices: search text -> label)."""
    found = process.extract(value.lower(), list(choices), scorer=fuzz.WRatio, limit=limit * 3)
    out: list[str] = []
    for text, score, _i in found:
        if score >= 60 and choices[text] not in out:
            out.append(choices[text])
    return out[:limit]


def country_code(value: str, known: Iterable[str]) -> str:
    """The ISO code of ``value`` (a code or a name) when the warehouse places researchers
    there; otherwise a :class:`QueryError` naming close matches among known countries."""
    known = set(known)
    code = country_from_name(value.strip())
    if code is None and len(value.strip()) == 2:
        code = value.strip().upper() if value.strip().upper() in known else None
    if code is not None and code in known:
        return code
    choices = {}
    for k in sorted(known):
        choices[k.lower()] = f"{k} ({_name(k)})"
        choices[_name(k).lower()] = f"{k} ({_name(k)})"
    hint = _close(value, choices)
    if code is not None:
        raise QueryError(
            f"no researchers are placed in {_name(code)} ({code}) in this warehouse"
            + (f"; close: {', '.join(hint)}" if hint else "")
        )
    raise QueryError(
        f"unknown country {value!r}: give an ISO 3166 alpha-2 code or a country name"
        + (f"; did you mean {', '.join(hint)}?" if hint else "")
    )


def venue_code(value: str, known: Iterable[str]) -> str:
    """The canonical venue of ``value`` (aliases such as nips -> neurips) when the
    warehouse has it; otherwise a :class:`QueryError` with the venues it has."""
    known = sorted(set(known))
    v = canonical_venue(value.strip().lower())
    if v in known:
        return v
    hint = _close(value, {k: k for k in known})
    raise QueryError(
        f"unknown venue {value!r}"
        + (f"; did you mean {', '.join(hint)}?" if hint else "")
        + f" (venues in this warehouse: {', '.join(known)})"
    )


def year_in(year: int, years: tuple[int, int], what: str = "data") -> int:
    """``year`` when it lies within the warehouse's years, else a :class:`QueryError`."""
    lo, hi = years
    if lo <= year <= hi:
        return year
    raise QueryError(f"no {what} for {year}: this warehouse covers {lo}–{hi}")
