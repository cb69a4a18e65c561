"""Landing: what each source file yielded, kept per file and keyed by content hash.

For every input file the adapter's output is written to
``<landing>/<source>/<sha256[:24]>-v<adapter version>.<table>.parquet`` (one file per
table the input yields rows for) and a small JSON manifest, written last and
atomically, marks the entry complete. A build re-reads only
files whose content (or adapter version) changed; a build killed midway leaves at most
incomplete entries without a manifest, which the next build simply redoes.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from talentatlas.files import write_atomic
from talentatlas.sources import REGISTRY
from talentatlas.sources.base import SCHEMAS
from talentatlas.workers import clean_context

_HASH_CHUNK = 1 << 22


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class InputFile:
    source: str
    path: Path
    rel: str
    sha256: str

    def entry(self, landing: Path) -> Path:
        version = REGISTRY[self.source].version
        return landing / self.source / f"{self.sha256[:24]}-v{version}"

    def table_path(self, landing: Path, table: str) -> Path:
        return self.entry(landing).with_name(self.entry(landing).name + f".{table}.parquet")

    def manifest_path(self, landing: Path) -> Path:
        return self.entry(landing).with_name(self.entry(landing).name + ".json")


def discover(data_dir: Path, sources: list[str] | None = None) -> list[InputFile]:
    """Every input file of every registered source under ``data_dir``, with its hash."""
    out: list[InputFile] = []
    for name, adapter in REGISTRY.items():
        if sources and name not in sources:
            continue
        for p in adapter.discover(data_dir):
            rel = p.relative_to(data_dir).as_posix()
            out.append(InputFile(name, p, rel, file_sha256(p)))
    return out


def is_landed(f: InputFile, landing: Path) -> bool:
    return f.manifest_path(landing).exists()


def read_manifest(f: InputFile, landing: Path) -> dict:
    return json.loads(f.manifest_path(landing).read_text())


def land_one(f: InputFile, landing: Path) -> dict:
    """Parse one file and write its landing entry; returns the manifest. An adapter
    that reads in batches (``parse_batches``) has each batch appended to the entry's
    Parquet files as it comes, so memory stays bounded whatever the file's size."""
    adapter = REGISTRY[f.source]
    (landing / f.source).mkdir(parents=True, exist_ok=True)
    batches = getattr(adapter, "parse_batches", None)
    parts = batches(f.path, f.rel) if batches else [adapter.parse(f.path, f.rel)]
    tmp = {t: f.table_path(landing, t).with_name(
        f.table_path(landing, t).name + f".tmp{os.getpid()}") for t in SCHEMAS}  # fmt: skip
    counts = dict.fromkeys(SCHEMAS, 0)
    records, unknown, problems = 0, set(), []
    # a table the file yields no rows for gets no file (most files feed three of nine)
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for result in parts:
            for table, data in result.tables().items():
                if data.num_rows:
                    if table not in writers:
                        writers[table] = pq.ParquetWriter(
                            tmp[table], SCHEMAS[table], compression="zstd"
                        )
                    writers[table].write_table(data)
                counts[table] += data.num_rows
            records += result.records
            unknown |= result.unknown_fields
            problems.extend(result.problems)
    except BaseException:
        for t, w in writers.items():  # no half-written files left behind
            w.close()
            tmp[t].unlink(missing_ok=True)
        raise
    for w in writers.values():
        w.close()
    for t in writers:
        os.replace(tmp[t], f.table_path(landing, t))
    manifest = {
        "source": f.source,
        "file": f.rel,
        "sha256": f.sha256,
        "adapter_version": adapter.version,
        "records": records,
        "counts": counts,
        "unknown_fields": sorted(unknown),
        "problems": problems,
    }
    write_atomic(f.manifest_path(landing), json.dumps(manifest, indent=1).encode())
    return manifest


def _land_job(args: tuple[InputFile, Path]) -> dict:
    return land_one(*args)


def _pending(files: list[InputFile], landing: Path) -> list[InputFile]:
    """The files not landed yet, largest first (the longest tasks start first)."""
    todo = [f for f in files if not is_landed(f, landing)]
    return sorted(todo, key=lambda f: f.path.stat().st_size, reverse=True)


def land(
    files: list[InputFile],
    landing: Path,
    workers: int = 2,
    on_done: Callable[[InputFile, dict], None] | None = None,
) -> list[InputFile]:
    """Parse every file not yet landed (largest first, in ``workers`` processes)."""
    todo = _pending(files, landing)
    if not todo:
        return []
    if workers <= 1 or len(todo) == 1:
        for f in todo:
            m = land_one(f, landing)
            if on_done:
                on_done(f, m)
        return todo
    with ProcessPoolExecutor(max_workers=workers, mp_context=clean_context()) as pool:
        futures = {pool.submit(_land_job, (f, landing)): f for f in todo}
        for fut in as_completed(futures):
            m = fut.result()
            if on_done:
                on_done(futures[fut], m)
    return todo


def land_on_spark(
    files: list[InputFile],
    landing: Path,
    session: Any,
    on_done: Callable[[InputFile, dict], None] | None = None,
) -> list[InputFile]:
    """:func:`land` with Spark's executors doing the parsing: every file not yet landed
    is one task running the same reader (:func:`land_one`), so a snapshot too large for
    one machine is read by a cluster, each task in bounded memory (the landing
    directory and the inputs must then be on storage every executor sees). The tasks
    run as one job; progress is reported as their landing entries appear."""
    todo = _pending(files, landing)
    if not todo:
        return []
    jobs = session.sparkContext.parallelize([(f, landing) for f in todo], numSlices=len(todo))
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["manifests"] = jobs.map(_land_job).collect()
        except BaseException as e:  # re-raised by the caller's thread
            outcome["error"] = e

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    reported: set[int] = set()
    while worker.is_alive():
        worker.join(0.5)
        for i, f in enumerate(todo):
            if i not in reported and is_landed(f, landing):
                reported.add(i)
                if on_done:
                    on_done(f, read_manifest(f, landing))
    if "error" in outcome:
        raise outcome["error"]
    for i, (f, m) in enumerate(zip(todo, outcome["manifests"], strict=True)):
        if i not in reported and on_done:
            on_done(f, m)
    return todo


def landed_paths(files: list[InputFile], landing: Path, table: str) -> list[str]:
    """Parquet files of one landing table for the given inputs (all must be landed; a
    landed file that yielded no rows for the table has no file for it)."""
    paths = (f.table_path(landing, table) for f in files)
    return [str(p) for p in paths if p.exists()]


def files_table(files: list[InputFile], landing: Path) -> pa.Table:
    """The ``files`` table: one row per input file from its landing manifest (source,
    file, hash, records, works, authorships, quarantined records, unknown fields,
    problems), ordered by source and file."""
    manifests = [read_manifest(f, landing) for f in files]
    return pa.Table.from_pylist(
        [
            {
                "source": m["source"],
                "file": m["file"],
                "sha256": m["sha256"],
                "records": m["records"],
                "works": m["counts"]["works"],
                "authorships": m["counts"]["authorships"],
                "quarantined": m["counts"]["quarantine"],
                "unknown_fields": ", ".join(m["unknown_fields"]),
                "problems": "; ".join(m["problems"]),
            }
            for m in sorted(manifests, key=lambda m: (m["source"], m["file"]))
        ]
    )
