"""An answer as JSON or CSV, a page at a time.

JSON: ``{"columns": [...], "rows": [{...}], "total": n, "offset": o, "limit": l,
"meta": {...}}`` where ``meta`` is what the table says about itself (coverage, filters,
the interval's method; ``indicators.result``). CSV: the page's rows with a header.
Not-a-number becomes null (JSON has no NaN).
"""

from __future__ import annotations

import io
from typing import Any, Literal

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv

from talentatlas.indicators.result import describe
from talentatlas.web.service import Answer

Format = Literal["json", "csv"]
JSON = "application/json"
CSV = "text/csv; charset=utf-8"


def dumps(value: Any) -> bytes:
    """JSON bytes (NaN and infinities as null; Arrow tables as records)."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)


def _default(value: Any) -> Any:
    if isinstance(value, pa.Table):
        return value.to_pylist()
    if isinstance(value, frozenset | set | tuple):
        return sorted(value) if isinstance(value, frozenset | set) else list(value)
    return str(value)


def page(table: pa.Table, offset: int, limit: int | None) -> pa.Table:
    if offset >= table.num_rows:
        return table.slice(0, 0)
    return table.slice(offset, limit if limit is not None else table.num_rows - offset)


def table_answer(
    table: pa.Table,
    fmt: Format = "json",
    offset: int = 0,
    limit: int | None = None,
    total: int | None = None,
    meta: dict[str, Any] | None = None,
) -> Answer:
    """A page of ``table`` (rows ``offset`` .. ``offset + limit``). ``total``: the rows
    in all when ``table`` is already the page (a search that pages in the engine)."""
    part = table if total is not None else page(table, offset, limit)
    plain = part.replace_schema_metadata(None)
    if fmt == "csv":
        buf = io.BytesIO()
        pacsv.write_csv(_csv_ready(plain), buf)
        return Answer(buf.getvalue(), CSV)
    body = {
        "columns": plain.column_names,
        "rows": plain.to_pylist(),
        "total": table.num_rows if total is None else total,
        "offset": offset,
        "limit": limit,
        "meta": {**describe(table), **(meta or {})},
    }
    return Answer(dumps(body), JSON)


def _csv_ready(t: pa.Table) -> pa.Table:
    """Lists (a person's areas) as ``;``-joined text: CSV has no nested values."""
    cols = []
    for col in t.columns:
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            col = pa.array(
                [None if v is None else ";".join(map(str, v)) for v in col.to_pylist()],
                pa.string(),
            )
        cols.append(col)
    return pa.table(cols, names=t.column_names)


def json_answer(value: Any) -> Answer:
    return Answer(dumps(value), JSON)
