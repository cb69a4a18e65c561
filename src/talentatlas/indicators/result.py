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
