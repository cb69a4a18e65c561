"""Writing result tables: to the terminal (rich), or as CSV, JSON or Parquet files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

Format = Literal["table", "csv", "json", "parquet"]


def _cell(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.4f}".rstrip("0").rstrip(".") if abs(v) < 1 else f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    return str(v)


def render(table: pa.Table, title: str | None = None, caption: str | None = None) -> Table:
    t = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for name in table.column_names:
        numeric = pa.types.is_integer(table.schema.field(name).type) or pa.types.is_floating(
            table.schema.field(name).type
        )
        t.add_column(name, justify="right" if numeric else "left")
    for row in table.to_pylist():
        t.add_row(*[_cell(v) for v in row.values()])
    return t


def write(
    table: pa.Table,
    fmt: Format,
    output: Path | None,
    console: Console,
    title: str | None = None,
    caption: str | None = None,
) -> None:
    """Print or save ``table`` in the requested format (CSV/JSON to stdout if no file)."""
    if fmt == "table" and output is not None:  # the file's suffix says the format
        suffix = output.suffix.lower().lstrip(".")
        if suffix not in ("csv", "json", "parquet"):
            raise ValueError("--output needs a .csv, .json or .parquet file, or --format")
        fmt = suffix  # type: ignore[assignment]
    if fmt == "table":
        console.print(render(table, title, caption))
        return
    if fmt == "parquet":
        if output is None:
            raise ValueError("--format parquet needs --output FILE")
        pq.write_table(table, output)
    elif fmt == "csv":
        if output is None:
            buf = pa.BufferOutputStream()
            pacsv.write_csv(table, buf)
            sys.stdout.write(buf.getvalue().to_pybytes().decode())
        else:
            pacsv.write_csv(table, output)
    elif fmt == "json":
        text = json.dumps(table.to_pylist(), ensure_ascii=False, indent=1, default=str)
        if output is None:
            sys.stdout.write(text + "\n")
        else:
            output.write_text(text + "\n", encoding="utf-8")
    else:
        raise ValueError(f"unknown format {fmt!r}")
    if output is not None:
        console.print(f"wrote {table.num_rows} rows to {output}", style="dim")
