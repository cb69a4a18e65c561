"""Indicator results: Arrow tables that carry their coverage and filters as metadata.

Every indicator table says how much of the data behind it was resolved (coverage) and
under which filters it was computed; the metadata travel with the table into Parquet
and are printed by the CLI under terminal tables and into JSON output.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

KEY = b"talentatlas"


def annotate(table: pa.Table, **meta: Any) -> pa.Table:
    """``table`` with ``meta`` (merged into what it already carries) as schema metadata."""
    merged = {**describe(table), **meta}
    old = table.schema.metadata or {}
    return table.replace_schema_metadata({**old, KEY: json.dumps(merged, default=str).encode()})


def describe(table: pa.Table) -> dict[str, Any]:
    """The metadata :func:`annotate` attached (empty when none)."""
    raw = (table.schema.metadata or {}).get(KEY)
    return json.loads(raw) if raw else {}


def coverage_note(table: pa.Table) -> str:
    """One line: the coverage shares and the filters of an annotated table."""
    meta = describe(table)
    cov = meta.get("coverage") or {}
    parts = []
    if cov:
        n = cov.get("authorships")
        shares = ", ".join(
            f"{k.replace('_', ' ')} {v:.1%}" for k, v in cov.items() if k != "authorships"
        )
        parts.append(f"coverage of {n:,} authorships: {shares}" if n is not None else shares)
    if meta.get("filters"):
        parts.append(str(meta["filters"]))
    if meta.get("interval"):
        parts.append(str(meta["interval"]))
    return " · ".join(parts)


#: a year is flagged *thin* when its coverage is below this fraction of the median
#: coverage of the table's years: its counts rest on much less data than the series'
#: usual level, and a fall there is not a trend (docs/methodology.md, Coverage)
THIN_RATIO = 0.75


def mark_thin(table: pa.Table) -> pa.Table:
    """``table`` with a boolean ``thin_coverage`` column (when it has ``year`` and a
    per-row ``coverage``): True where the year's coverage is below :data:`THIN_RATIO`
    times the median coverage of the table's distinct years."""
    names = table.column_names
    if "coverage" not in names or "year" not in names or "thin_coverage" in names:
        return table
    by_year: dict[int, float] = {}
    for y, c in zip(table["year"].to_pylist(), table["coverage"].to_pylist(), strict=True):
        if y is not None and c is not None:
            by_year.setdefault(y, c)
    if not by_year:
        return table
    values = sorted(by_year.values())
    mid = len(values) // 2
    median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
    thin = [(c is not None and c < THIN_RATIO * median) for c in table["coverage"].to_pylist()]
    out = table.append_column("thin_coverage", pa.array(thin, pa.bool_()))
    return out.replace_schema_metadata(table.schema.metadata)


def thin_years(table: pa.Table) -> list[int]:
    """The years a :func:`mark_thin` table flags."""
    if "thin_coverage" not in table.column_names:
        return []
    flags = zip(table["year"].to_pylist(), table["thin_coverage"].to_pylist(), strict=True)
    return sorted({y for y, t in flags if t})


def thin_note(table: pa.Table) -> str:
    """A footnote naming the thin years of a :func:`mark_thin` table (empty when none)."""
    years = thin_years(table)
    if not years:
        return ""
    return (
        f"† thin coverage in {', '.join(map(str, years))}: below {THIN_RATIO:.0%} of the"
        " series' median coverage; counts there rest on little data and are not a trend"
    )
