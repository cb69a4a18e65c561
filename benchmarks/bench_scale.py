"""Scale run: careers and every indicator table on a simulated world of tens of millions
of authorships, on DuckDB in bounded memory and on local Spark.

    python benchmarks/bench_scale.py [--authorships 50000000] [--chunk 5000000]
                                     [--facts-dir D] [--memory-limit 10GB]
                                     [--engines duckdb,spark]

The world is built in chunks (``--chunk`` authorships each, two at a time): each chunk
is the indicator benchmark's world (``bench_indicators.py``) with its own seed, its
people and works named apart (``c<k>:``), and the same institutions, so the chunks
together are one world of independent populations sharing the institutions. The
chunks are written as Parquet files (kept in ``--facts-dir`` when given, and reused).

Each engine then runs in a fresh process: it stores the facts, computes the careers
(``stage_careers``) and every indicator table (``stage_indicators``), and reports
the time of each and its peak memory. DuckDB runs with ``memory_limit`` and a spill
directory; Spark runs locally on two cores with a 6 GB driver (the JVM's heap is its
bound; the peak reported is the Python process's own). The last line is
``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
from child import peak_of

CHUNK = r"""
import json, sys, time
import pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
from talentatlas.sources.simulated import simulate
args = json.loads(sys.argv[1])
t = time.perf_counter()
n_people = max(100, args["authorships"] // 25)  # about 25 authorships a person
w = simulate(seed=args["seed"], n_people=n_people, years=(2000, 2024), n_institutions=400,
             venues=("icml", "cvpr", "acl", "neurips", "iclr"))
facts = w.authorship_facts()
tag = f"c{args['seed']}:"
for col in ("work_id", "person_id"):
    facts = facts.set_column(facts.schema.get_field_index(col), col,
                             pc.binary_join_element_wise(tag, facts[col], ""))
pq.write_table(facts, args["facts"])
if args["institutions"]:
    pq.write_table(w.institutions_table(), args["institutions"])
print(json.dumps({"seconds": time.perf_counter() - t, "authorships": facts.num_rows}))
"""

RUN = r"""
import json, sys, time
from pathlib import Path
import ibis, pyarrow.parquet as pq
from talentatlas.config import Settings
from talentatlas.pipeline import stage_careers, stage_indicators
args = json.loads(sys.argv[1])
root = Path(args["root"])
(root / "spill").mkdir(parents=True, exist_ok=True)
if args["engine"] == "duckdb":
    from talentatlas.store import DuckDBEngine
    engine = DuckDBEngine(root / "atlas.duckdb")
    engine.con.raw_sql(f"SET memory_limit = '{args['memory_limit']}'")
    engine.con.raw_sql(f"SET temp_directory = '{root / 'spill'}'")
else:
    from pyspark.sql import SparkSession
    from talentatlas.store import SparkEngine
    session = (SparkSession.builder.master("local[2]").appName("talentatlas-scale")
               .config("spark.sql.shuffle.partitions", "32")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.memory", "6g")
               .config("spark.sql.ansi.enabled", "false")
               .config("spark.local.dir", str(root / "spill"))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    (root / "warehouse").mkdir()
    engine = SparkEngine(root / "warehouse", session=session)
files = args["facts"]
t = time.perf_counter()
facts = engine.materialize("authorship_facts",
                           engine.read_parquet("facts_src", files, pq.read_schema(files[0])))
engine.materialize("institutions",
                   engine.from_arrow("inst_src", pq.read_table(args["institutions"])))
f = engine.table("authorship_facts")
# the world states no positions
engine.materialize("authorships", f.select("work_id", "position", role=ibis.null("string")))
load = time.perf_counter() - t
t = time.perf_counter()
stage_careers(engine, Settings(data_dir=root))
careers = time.perf_counter() - t
t = time.perf_counter()
per = stage_indicators(engine)
out = {"load_s": load, "careers_s": careers, "seconds": time.perf_counter() - t, "tables": per}
engine.close()
print(json.dumps(out))
"""


def _chunk(args: dict) -> dict:
    return peak_of(CHUNK, args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authorships", type=int, default=50_000_000)
    ap.add_argument("--chunk", type=int, default=5_000_000)
    ap.add_argument("--facts-dir", type=Path, help="Keep (and reuse) the chunks here.")
    ap.add_argument("--memory-limit", default="10GB", help="DuckDB's memory_limit.")
    ap.add_argument("--engines", default="duckdb,spark")
    a = ap.parse_args()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="talentatlas-scale-") as tmp:
        root = Path(tmp)
        facts_dir = a.facts_dir or root / "facts"
        facts_dir.mkdir(parents=True, exist_ok=True)
        n = max(1, round(a.authorships / a.chunk))
        inst = facts_dir / "institutions.parquet"
        jobs = []
        for k in range(1, n + 1):
            path = facts_dir / f"facts_{n}x{a.chunk}_{k:03d}.parquet"
            if not path.exists():
                jobs.append({"seed": k, "authorships": a.chunk, "facts": str(path),
                             "institutions": str(inst) if k == 1 else ""})  # fmt: skip
        if jobs:
            print(f"simulating {len(jobs)} chunks of {a.chunk:,} authorships …", flush=True)
            with ProcessPoolExecutor(2) as pool:
                for done in pool.map(_chunk, jobs):
                    print(f"  chunk: {done['authorships']:,} in {done['seconds']:.0f}s", flush=True)
        files = sorted(str(p) for p in facts_dir.glob(f"facts_{n}x{a.chunk}_*.parquet"))
        total = sum(pq.read_metadata(p).num_rows for p in files)
        print(f"world: {total:,} authorships in {len(files)} chunks", flush=True)
        figures["authorships"] = total
        for engine in a.engines.split(","):
            run = peak_of(RUN, {"engine": engine, "root": str(root / engine), "facts": files,
                                "institutions": str(inst), "memory_limit": a.memory_limit})  # fmt: skip
            both = run["careers_s"] + run["seconds"]
            print(f"{engine}: facts stored in {run['load_s']:.0f}s; careers {run['careers_s']:.0f}s"
                  f" + every indicator table {run['seconds']:.0f}s = {both:.0f}s "
                  f"({run['peak_rss_mb'] / 1024:.1f} GB peak)", flush=True)  # fmt: skip
            for name, secs in run["tables"].items():
                print(f"  {name:16s} {secs:7.1f}s")
            figures |= {f"{engine}_careers_s": round(run["careers_s"]),
                        f"{engine}_indicators_s": round(run["seconds"]),
                        f"{engine}_total_s": round(both),
                        f"{engine}_peak_gb": round(run["peak_rss_mb"] / 1024, 1)}  # fmt: skip
            (root / engine / "atlas.duckdb").unlink(missing_ok=True)
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
