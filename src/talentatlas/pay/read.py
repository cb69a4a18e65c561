"""What a pay reader returns, and the helpers the readers share: one private DuckDB
connection per read, quarantine rows with file and record, US state codes."""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pycountry

from talentatlas.sources.base import QUARANTINE_SCHEMA

#: hours in a working year: DOL and BLS turn hourly wages into yearly ones with it
HOURS_PER_YEAR = 2080


@dataclass
class PayRead:
    """One pay file read: its rows, the rows that could not be read (``quarantine``:
    source, file, record, reason, raw), how many records it had, and problems with the
    file as a whole (unknown columns, a layout read by inference)."""

    source: str
    rows: pa.Table
    quarantine: pa.Table = field(default_factory=QUARANTINE_SCHEMA.empty_table)
    records: int = 0
    problems: list[str] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)


@contextmanager
def connection(threads: int = 2) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    try:
        yield con
    finally:
        con.close()


@contextmanager
def plain_file(path: Path) -> Iterator[Path]:
    """``path`` itself, or for ``.gz`` a decompressed temporary copy (a truncated
    archive raises ``EOFError``/``gzip.BadGzipFile``, which the caller reports)."""
    if path.suffix != ".gz":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="talentatlas-pay-") as tmp:
        out = Path(tmp) / path.stem
        with gzip.open(path, "rb") as src, out.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield out


def check_gzip(path: Path) -> None:
    """Read a gzip file to its end: a truncated or corrupt archive raises ``EOFError``
    or ``gzip.BadGzipFile`` (DuckDB's reader stops at the break without a word)."""
    with gzip.open(path, "rb") as f:
        while f.read(1 << 22):
            pass


def literal(value: str | None) -> str:
    """A SQL string literal (queries are not parameterised: DuckDB runs a statement
    with parameters far slower on large scans)."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def quarantine_rows(source: str, file: str, rows: list[tuple[int, str, str]]) -> pa.Table:
    """Quarantine rows ``(record, reason, raw)`` of one file."""
    return pa.table(
        {
            "source": pa.array([source] * len(rows), pa.string()),
            "file": pa.array([file] * len(rows), pa.string()),
            "record": pa.array([r[0] for r in rows], pa.int64()),
            "reason": pa.array([r[1] for r in rows], pa.string()),
            "raw": pa.array([r[2] for r in rows], pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
    )


@lru_cache(maxsize=1)
def us_states() -> dict[str, str]:
    """Lower-case state (and territory) names and codes -> USPS code (``california`` ->
    CA, ``ca`` -> CA, ``district of columbia`` -> DC)."""
    out: dict[str, str] = {}
    for s in pycountry.subdivisions.get(country_code="US") or []:
        code = s.code.split("-")[1]
        out[s.name.lower()] = code
        out[code.lower()] = code
    for code, name in {"PR": "puerto rico", "GU": "guam", "VI": "virgin islands",
                       "AS": "american samoa", "MP": "northern mariana islands"}.items():  # fmt: skip
        out[name] = code
        out[code.lower()] = code
    out["u.s. virgin islands"] = "VI"
    return out


def state_code(value: str | None) -> str | None:
    """USPS code of a US state or territory given by name or code, else None."""
    return us_states().get(" ".join((value or "").lower().split()))


def states_table() -> pa.Table:
    """``name, code`` for :func:`state_code` lookups inside the engine."""
    items = sorted(us_states().items())
    return pa.table({"name": [k for k, _v in items], "code": [v for _k, v in items]})
