"""OpenAlex ingestion benchmark: a snapshot of gzipped JSON Lines generated from a
simulated world, landed by talentatlas beside plain ``gzip -dc`` of the same files.

    python benchmarks/bench_openalex.py [--gb 2.0] [--snapshot DIR] [--workers 2] [--engine spark]

- **generate** (not timed; kept in ``--snapshot`` for the next run): a seeded simulated
  world's papers as OpenAlex works (``sources.simulated_openalex``), the fields the
  atlas does not read copied from the real OpenAlex records in
  ``../shared/data/openalex/api_pages``, so that the parts have the size and make-up
  of real snapshot parts; about ``--gb`` GB of gzip (level 6), in parts of about
  128 MB of JSON, written by two processes.
- **gzip -dc**: every part decompressed to /dev/null, one after another (one core),
  and in two halves at once (two cores).
- **ingest**: ``landing.land`` over the same parts with ``--workers`` processes:
  streamed decompression, simdjson, the mapping and the landing Parquet files, in a
  fresh process whose whole process tree's memory is sampled (peak RSS of the tree).
  The landed rows are checked against the world: one work per paper, one authorship
  per author, nothing quarantined.

Speeds are MB/s of gzipped input. The last line is ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from child import peak_of

SHARED = Path(__file__).parents[1] / ".." / "shared" / "data"

GENERATE = r"""
import json, sys, time
from pathlib import Path
from talentatlas.sources.simulated import simulate
from talentatlas.sources.simulated_openalex import write_snapshot
args = json.loads(sys.argv[1])
t = time.perf_counter()
w = simulate(seed=1, n_people=args["people"], years=(2000, 2024), n_institutions=400,
             venues=("icml", "cvpr", "acl", "neurips", "iclr"))
templates = []
for f in sorted(Path(args["templates"]).glob("*.json")):
    templates += json.loads(f.read_text())["results"]
parts = write_snapshot(w, Path(args["root"]), templates=templates, shard=tuple(args["shard"]))
print(json.dumps({"seconds": time.perf_counter() - t, "works": len(w.papers),
                  "authorships": w.n_authorships, "parts": len(parts)}))
"""

INGEST = r"""
import json, sys, time
from pathlib import Path
import pyarrow.parquet as pq
from talentatlas.landing import discover, land, land_on_spark, landed_paths
args = json.loads(sys.argv[1])
if __name__ == "__main__":
    files = discover(Path(args["data"]), ["openalex"])
    if args["engine"] == "spark":  # the session starts before the clock
        from talentatlas.store import spark_session
        session = spark_session()
    t = time.perf_counter()
    if args["engine"] == "spark":
        land_on_spark(files, Path(args["landing"]), session)
    else:
        land(files, Path(args["landing"]), workers=args["workers"])
    seconds = time.perf_counter() - t
    rows = {table: sum(pq.read_metadata(p).num_rows
                       for p in landed_paths(files, Path(args["landing"]), table))
            for table in ("works", "authorships", "quarantine")}
    print(json.dumps({"seconds": seconds, "files": len(files), "rows": rows}))
"""


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (MB), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            status = (d / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(d.name)] = int(line.split()[1])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 1024


def gzip_dc(parts: list[Path], streams: int) -> float:
    """Seconds to decompress every part to /dev/null in ``streams`` concurrent runs."""
    halves = [parts[i::streams] for i in range(streams)]
    t = time.perf_counter()
    procs = [subprocess.Popen(["gzip", "-dc", *map(str, h)], stdout=subprocess.DEVNULL)
             for h in halves if h]  # fmt: skip
    for p in procs:
        if p.wait() != 0:
            sys.exit("gzip -dc failed")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gb", type=float, default=2.0, help="Gzipped size to generate.")
    ap.add_argument("--snapshot", type=Path, help="Keep (and reuse) the snapshot here.")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                    help="spark: the parts are parsed by Spark's executors (local[2]).")  # fmt: skip
    ap.add_argument("--data-dir", type=Path, default=SHARED)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="talentatlas-bench-") as tmp:
        data = a.snapshot or Path(tmp) / "data"
        root = data / "openalex" / "snapshot"
        meta = data / "world.json"
        if not meta.exists():
            shutil.rmtree(root, ignore_errors=True)
            # about 44 kB of gzip per simulated person (25 works, real-sized records)
            people = max(200, int(a.gb * 1e9 / 44_000))
            print(f"generating about {a.gb:g} GB: {people:,} simulated people …", flush=True)
            args = {"people": people, "root": str(root),
                    "templates": str(a.data_dir / "openalex" / "api_pages")}  # fmt: skip
            runs = [threading.Thread(target=lambda k=k: gens.append(
                peak_of(GENERATE, args | {"shard": [k, 2]}))) for k in range(2)]  # fmt: skip
            gens: list[dict] = []
            for r in runs:
                r.start()
            for r in runs:
                r.join()
            world = {"works": gens[0]["works"], "authorships": gens[0]["authorships"]}
            meta.write_text(json.dumps(world))
            print(f"generated {world['works']:,} works in {max(g['seconds'] for g in gens):.0f}s")
        world = json.loads(meta.read_text())
        parts = sorted(root.rglob("part_*.gz"))
        gz_mb = sum(p.stat().st_size for p in parts) / 1e6
        print(f"snapshot: {len(parts)} parts, {gz_mb:,.0f} MB gzipped, {world['works']:,} works")

        one = gzip_dc(parts, 1)
        two = gzip_dc(parts, 2)
        print(f"gzip -dc: {gz_mb / one:.1f} MB/s one stream, {gz_mb / two:.1f} MB/s two")

        landing = Path(tmp) / "landing"
        peak = [0.0]
        done = threading.Event()
        proc: list[subprocess.Popen] = []

        def sample() -> None:
            while not done.is_set():
                if proc:
                    peak[0] = max(peak[0], tree_rss_mb(proc[0].pid))
                time.sleep(0.2)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        args = {"data": str(data), "landing": str(landing), "workers": a.workers,
                "engine": a.engine}  # fmt: skip
        t = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", INGEST, json.dumps(args)],
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
        proc.append(p)
        out_text, _ = p.communicate()
        done.set()
        if p.returncode:
            sys.exit("ingestion failed")
        got = json.loads(out_text.strip().splitlines()[-1])
        wall = time.perf_counter() - t
        speed = gz_mb / got["seconds"]
        rows = got["rows"]
        ok = (rows["works"] == world["works"] and rows["authorships"] == world["authorships"]
              and rows["quarantine"] == 0)  # fmt: skip
        how = "Spark executors, local[2]" if a.engine == "spark" else f"{a.workers} workers"
        print(f"ingest ({how}): {got['seconds']:.1f}s = {speed:.1f} MB/s "
              f"({speed / (gz_mb / one):.0%} of gzip -dc one stream, "
              f"{speed / (gz_mb / two):.0%} of two); process tree peak {peak[0]:,.0f} MB; "
              f"{wall:.1f}s with start-up")  # fmt: skip
        print(f"landed {rows['works']:,} works, {rows['authorships']:,} authorships, "
              f"{rows['quarantine']} quarantined: {'as generated' if ok else 'MISMATCH'}")  # fmt: skip
        figures = {
            "gz_mb": round(gz_mb),
            "gzip_dc_mb_s": round(gz_mb / one, 1),
            "gzip_dc2_mb_s": round(gz_mb / two, 1),
            "ingest_mb_s": round(speed, 1),
            "ratio_vs_gzip": round(speed / (gz_mb / one), 2),
            "peak_rss_mb": round(peak[0]),
            "rows_ok": ok,
        }
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
