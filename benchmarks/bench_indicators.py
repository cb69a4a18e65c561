"""Indicator benchmark: every indicator table on the real corpus, and on a simulated
world of millions of authorships.

    python benchmarks/bench_indicators.py [--warehouse W] [--data-dir ../shared/data]
                                          [--sim-authorships 5000000]

- **real**: a copy of a built real-corpus warehouse (built first when ``--warehouse``
  is absent) recomputes every indicator table of the build (``stage_indicators``).
- **sim**: a seeded simulated world (planted identities and institutions, so no
  parsing, matching or linking) is written as authorship facts; a fresh process then
  computes the careers and every indicator table from them.

Each case runs in its own process so that its peak memory (max RSS) is its own. The
last line is ``name=value`` pairs for comparison from run to run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from bench_build import real_warehouse
from child import peak_of

REAL = r"""
import json, sys, time
from pathlib import Path
from talentatlas.pipeline import stage_indicators
from talentatlas.store import DuckDBEngine
args = json.loads(sys.argv[1])
engine = DuckDBEngine(Path(args["wh"]))
t = time.perf_counter()
per = stage_indicators(engine)
out = {"seconds": time.perf_counter() - t, "tables": per}
engine.close()
print(json.dumps(out))
"""

GENERATE = r"""
import json, sys, time
import pyarrow.parquet as pq
from talentatlas.sources.simulated import simulate
args = json.loads(sys.argv[1])
t = time.perf_counter()
n_people = max(100, args["authorships"] // 25)  # about 25 authorships a person
w = simulate(seed=1, n_people=n_people, years=(2000, 2024), n_institutions=400,
             venues=("icml", "cvpr", "acl", "neurips", "iclr"))
facts = w.authorship_facts()
pq.write_table(facts, args["facts"])
pq.write_table(w.institutions_table(), args["institutions"])
print(json.dumps({"seconds": time.perf_counter() - t, "authorships": facts.num_rows}))
"""

SIM = r"""
import json, sys, time
from pathlib import Path
import pyarrow.parquet as pq
from talentatlas.config import Settings
from talentatlas.pipeline import stage_careers, stage_indicators
from talentatlas.store import DuckDBEngine
args = json.loads(sys.argv[1])
Path(args["wh"]).parent.mkdir(parents=True, exist_ok=True)
engine = DuckDBEngine(Path(args["wh"]))
engine.materialize("authorship_facts",
                   engine.read_parquet("facts_src", [args["facts"]], pq.read_schema(args["facts"])))
engine.materialize("institutions", engine.from_arrow("inst_src", pq.read_table(args["institutions"])))
# the stated positions of the world's authorships (it states none)
import ibis
f = engine.table("authorship_facts")
engine.materialize("authorships", f.select("work_id", "position", role=ibis.null("string")))
t = time.perf_counter()
stage_careers(engine, Settings(data_dir=Path(args["wh"]).parent))
careers = time.perf_counter() - t
t = time.perf_counter()
per = stage_indicators(engine)
out = {"careers_s": careers, "seconds": time.perf_counter() - t, "tables": per}
engine.close()
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--warehouse", type=Path, help="A built real-corpus warehouse.")
    ap.add_argument(
        "--data-dir", type=Path, default=Path(__file__).parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--sim-authorships", type=int, default=5_000_000)
    ap.add_argument("--facts", type=Path, help="Keep (and reuse) the simulated facts here.")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-sim", action="store_true")
    a = ap.parse_args()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="talentatlas-bench-") as tmp:
        root = Path(tmp)
        if not a.skip_real:
            wh = real_warehouse(a.warehouse, a.data_dir, root)
            copy = root / "copy.duckdb"
            shutil.copy(wh, copy)
            real = peak_of(REAL, {"wh": str(copy)})
            print(f"real corpus: every indicator table in {real['seconds']:.1f}s "
                  f"({real['peak_rss_mb']:.0f} MB peak)")  # fmt: skip
            for name, secs in real["tables"].items():
                print(f"  {name:16s} {secs:6.2f}s")
            figures |= {"real_indicators_s": round(real["seconds"], 1),
                        "real_peak_rss_mb": round(real["peak_rss_mb"])}  # fmt: skip
        if not a.skip_sim:
            facts = a.facts or root / "facts.parquet"
            inst = facts.with_name(facts.stem + "_institutions.parquet")
            if not (facts.exists() and inst.exists()):
                gen = peak_of(GENERATE, {"authorships": a.sim_authorships, "facts": str(facts),
                                         "institutions": str(inst)})  # fmt: skip
                print(f"simulated world: {gen['authorships']:,} authorships generated in "
                      f"{gen['seconds']:.0f}s")  # fmt: skip
            n_facts = pq.read_metadata(facts).num_rows
            sim = peak_of(SIM, {"wh": str(root / "sim" / "atlas.duckdb"), "facts": str(facts),
                                "institutions": str(inst)})  # fmt: skip
            total = sim["careers_s"] + sim["seconds"]
            print(f"simulated world: careers {sim['careers_s']:.1f}s + every indicator table "
                  f"{sim['seconds']:.1f}s = {total:.1f}s ({sim['peak_rss_mb']:.0f} MB peak)")  # fmt: skip
            for name, secs in sim["tables"].items():
                print(f"  {name:16s} {secs:6.2f}s")
            figures |= {"sim_authorships": n_facts,
                        "sim_careers_s": round(sim["careers_s"], 1),
                        "sim_indicators_s": round(sim["seconds"], 1),
                        "sim_peak_rss_mb": round(sim["peak_rss_mb"])}  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
