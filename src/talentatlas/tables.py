"""Ibis helpers shared by the stages: flatten a join, union many tables, trim, blank to
null, the value at the largest key."""

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


# DuckDB (arg_max, aliased max_by) and Spark name this alike. Ibis's argmax becomes an
# ordered FIRST on DuckDB, two to three times slower, and over a window its
# last(include_null=False) keeps the nulls. Both engines skip rows whose key is null;
# DuckDB also skips rows whose value is null, Spark does not: use it where the value is
# null only when the key is (or never).


@ibis.udf.agg.builtin
def max_by(arg: str, key: int) -> str:  # type: ignore[empty-body]
    """``arg`` at the row with the largest ``key`` (an aggregate, or over a window: the
    last observed value carried forward, as fast as a running maximum)."""
