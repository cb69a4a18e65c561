"""Pay inputs: which files are read, read once per content (cached as Parquet in the
landing directory), in a background thread while the build lands the paper sources.

Files are found under the data directory:

- ``compensation/``: a BLS OEWS release, in the first layout present of: SQLite (a
  name with ``oews``, optionally gzipped), BLS's time-series files
  (``oe.data.0.Current`` with ``oe.area``, ``oe.industry``, ``oe.occupation`` beside
  it), the flattened CSV (a name with ``oews``) — the layouts repeat each other —,
  the prevailing-wage county table, or else the DOL's export it is made from
  (``ALC_Export.csv`` with ``Geography.csv``), the OFLC prevailing-wage county table (a name with ``prevailing_wage`` and
  ``.csv``; the per-occupation JSON extracts repeat it and are not read), and LCA
  disclosure files (a name with ``lca``, ``h1b`` or ``disclosure``: CSV or
  spreadsheet);
- ``offers/``: the user's offers, ``*.csv``.

A file that cannot be read at all (a truncated archive, a table without the columns
its source needs) is reported in ``files`` with the error and one quarantine row
(record 0); the build goes on without it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from talentatlas.landing import file_sha256
from talentatlas.pay import filings, oews, offers, prevailing
from talentatlas.pay.read import PayRead, check_gzip, quarantine_rows
from talentatlas.sources.base import QUARANTINE_SCHEMA
from talentatlas.workers import clean_context

#: bump when a reader changes, so that cached reads are redone
PAY_VERSION = 2
READERS = {
    oews.SOURCE: oews.read,
    prevailing.SOURCE: prevailing.read,
    filings.SOURCE: filings.read,
    offers.SOURCE: offers.read,
}
#: source -> (warehouse table, its schema)
TABLES = {
    oews.SOURCE: ("pay_occupation_wages", oews.SCHEMA),
    prevailing.SOURCE: ("pay_prevailing_wages", prevailing.SCHEMA),
    filings.SOURCE: ("pay_filings", filings.SCHEMA),
    offers.SOURCE: ("pay_offers", offers.SCHEMA),
}
_SHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


@dataclass(frozen=True)
class PayFile:
    source: str
    path: Path
    rel: str
    sha256: str


def pay_kind(name: str) -> str | None:
    """What pay file a name is (``oews_sqlite``, ``oews_timeseries``, ``oews_csv``,
    ``dol_oflc``, ``dol_lca``), or None."""
    n = name.lower()
    tabular = n.endswith((".csv", ".csv.gz", *_SHEETS))
    if "oews" in n and (".sqlite" in n or n.endswith((".db", ".db.gz"))):
        return "oews_sqlite"
    if n == oews.TIMESERIES:
        return "oews_timeseries"
    if "oews" in n and tabular:
        return "oews_csv"
    if "prevailing_wage" in n and n.endswith((".csv", ".csv.gz")):
        return prevailing.SOURCE
    if n == prevailing.ALC:
        return "oflc_export"
    if any(w in n for w in ("lca", "h1b", "disclosure")) and tabular:
        return filings.SOURCE
    return None


#: OEWS layouts in order of preference: one release is read, in the first layout present
OEWS_LAYOUTS = ("oews_sqlite", "oews_timeseries", "oews_csv")


def discover(data_dir: Path) -> list[PayFile]:
    """The pay files under ``data_dir``, by source and path."""
    found: list[tuple[str, Path]] = []
    comp = data_dir / "compensation"
    if comp.is_dir():
        kinds = [(k, p) for p in sorted(comp.rglob("*")) if p.is_file() and (k := pay_kind(p.name))]
        present = {k for k, _p in kinds}
        layout = next((k for k in OEWS_LAYOUTS if k in present), None)
        for k, p in kinds:
            if k.startswith("oews") and k != layout:
                continue  # another layout of the same release
            if k == "oflc_export" and prevailing.SOURCE in present:
                continue  # the county table is this export, joined
            src = (
                oews.SOURCE
                if k.startswith("oews")
                else prevailing.SOURCE
                if k == "oflc_export"
                else k
            )
            found.append((src, p))
    off = data_dir / "offers"
    if off.is_dir():
        found += [(offers.SOURCE, p) for p in sorted(off.rglob("*.csv")) if p.is_file()]
    out = [PayFile(src, p, p.relative_to(data_dir).as_posix(), file_sha256(p)) for src, p in found]
    return sorted(out, key=lambda f: (f.source, f.rel))


@dataclass
class Landed:
    """One pay file read (or taken from the cache): its rows' Parquet file and its
    manifest (records, rows, quarantined, problems, unknown fields)."""

    file: PayFile
    rows: Path
    quarantine: Path
    manifest: dict


def _cache(landing: Path, f: PayFile) -> Path:
    """The cache entry of a file: its content and its path (the rows carry the path;
    a renamed or copied file is read again under its own name)."""
    where = hashlib.sha256(f.rel.encode()).hexdigest()[:8]
    return landing / "pay" / f"{f.source}-{f.sha256[:20]}-{where}-v{PAY_VERSION}"


#: what a reader raises for a file it cannot read as a whole
READ_ERRORS = (ValueError, OSError, EOFError, gzip.BadGzipFile, sqlite3.Error, duckdb.Error,
               UnicodeDecodeError, KeyError)  # fmt: skip


def _paths(landing: Path, f: PayFile) -> tuple[Path, Path, Path]:
    base = _cache(landing, f)
    rows, quar, man = (base.with_suffix(s) for s in (".parquet", ".quarantine.parquet", ".json"))
    return rows, quar, man


def _cached(f: PayFile, landing: Path) -> Landed | None:
    rows, quar, man = _paths(landing, f)
    if man.exists() and rows.exists() and quar.exists():
        return Landed(f, rows, quar, json.loads(man.read_text()))
    return None


def land_one(f: PayFile, landing: Path) -> Landed:
    """Read ``f`` unless its content was read before; the cache is written through a
    temporary name and renamed, so that a killed build leaves none half-written."""
    if (done := _cached(f, landing)) is not None:
        return done
    base = _cache(landing, f)
    rows, quar, man = _paths(landing, f)
    base.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    try:
        if f.path.suffix == ".gz":
            check_gzip(f.path)
        read = READERS[f.source](f.path, f.rel)
    except READ_ERRORS as e:
        msg = f"cannot read {f.rel}: {type(e).__name__}: {e}"
        # a machine's trouble (a full disk, memory), not the file's: reported, not cached
        transient = isinstance(e, (OSError, duckdb.OutOfMemoryException, duckdb.IOException))
        if transient and not isinstance(e, (gzip.BadGzipFile, EOFError)):
            raise
        read = PayRead(
            f.source,
            TABLES[f.source][1].empty_table(),
            quarantine_rows(f.source, f.rel, [(0, msg, "")]),
            problems=[msg],
        )
    q = read.quarantine
    if q.num_rows:  # rejected CSV lines are read without their file
        q = q.set_column(1, "file", pa.array([f.rel] * q.num_rows, pa.string()))
    for table, path in (
        (read.rows.cast(TABLES[f.source][1]), rows),
        (q.cast(QUARANTINE_SCHEMA), quar),
    ):
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        pq.write_table(table, tmp)
        tmp.replace(path)
    manifest = {
        "source": f.source, "file": f.rel, "sha256": f.sha256, "records": read.records,
        "rows": read.rows.num_rows, "quarantined": q.num_rows, "problems": read.problems,
        "unknown_fields": read.unknown_fields, "seconds": round(time.perf_counter() - t, 2),
    }  # fmt: skip
    tmp = man.with_name(f"{man.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(manifest))
    tmp.replace(man)
    return Landed(f, rows, quar, manifest)


def land_all(files: list[PayFile], landing: Path) -> list[Landed]:
    return [land_one(f, landing) for f in files]


class PayLanding:
    """:func:`land_all` in a worker process from construction on (its reading is
    mostly Python, which a thread would run under the build's interpreter lock); take
    the result with :meth:`result`. Files already read are taken from the cache without
    a process."""

    def __init__(self, files: list[PayFile], landing: Path) -> None:
        self._done: list[Landed] | None = None
        self._pool: ProcessPoolExecutor | None = None
        cached = [_cached(f, landing) for f in files]
        if all(c is not None for c in cached):
            self._done = [c for c in cached if c is not None]
            return
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=clean_context())
        self._future = self._pool.submit(land_all, files, landing)

    def result(self) -> list[Landed]:
        """The files read (waits for the process; re-raises its error)."""
        if self._done is None:
            assert self._pool is not None
            try:
                self._done = self._future.result()
            finally:
                self._pool.shutdown()
        return self._done


def files_rows(landed: list[Landed]) -> pa.Table:
    """Rows of the ``files`` table for the pay files."""
    return pa.Table.from_pylist(
        [
            {
                "source": m["source"], "file": m["file"], "sha256": m["sha256"],
                "records": m["records"], "works": 0, "authorships": 0,
                "quarantined": m["quarantined"],
                "unknown_fields": ", ".join(m["unknown_fields"]),
                "problems": "; ".join(m["problems"]),
            }
            for m in (x.manifest for x in landed)
        ]
    )  # fmt: skip
