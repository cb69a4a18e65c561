"""Ibis helpers shared by the stages: flatten a join, union many tables, trim, blank to null."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ibis
from ibis.expr.types import Table


def flat(t: Table) -> Table:
    """A join's result as a plain projection, so that it can start another join."""
    return t.select(*t.columns)


def trim(col: Any) -> Any:
    # not Value.strip(): ibis compiles it for Spark as TRIM(' \t\n\r\v\f' ...), where
    # Spark reads '\v' as 'v' and strips the letter v from both ends
    return col.re_replace(r"^\s+|\s+$", "")


def blank_null(col: Any) -> Any:
    s = trim(col.cast("string"))
    return (s == "").ifelse(ibis.null("string"), s)


def union_all(parts: Iterable[Table]) -> Table:
    parts = list(parts)
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p, distinct=False)
    return out
