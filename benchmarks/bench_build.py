"""Build benchmark: full real-corpus build, no-change rebuild, a rebuild after one file
changed, and a simulated world.

    python benchmarks/bench_build.py [--data-dir ../shared/data] [--sim-authorships 1000000]

The real corpus is read through a mirror of links (so that one file can be taken away
without touching the data). Each case runs in a fresh process, and its peak memory is
that process's own (``wait4``, ``benchmarks/child.py``). The last line is ``name=value``
pairs for comparison from run to run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from child import peak_of

CHILD = r"""
import json, sys, time
from pathlib import Path
from talentatlas.config import Settings
from talentatlas.pipeline import build
from talentatlas.api import Atlas
args = json.loads(sys.argv[1])
s = Settings(data_dir=Path(args["data"]), warehouse=Path(args["wh"]), engine=args["engine"])
t = time.perf_counter()
r = build(s, force=args["force"])
secs = time.perf_counter() - t
out = {"seconds": secs, "skipped": r.skipped, "parsed": r.parsed}
if args["count"]:
    with Atlas.open(s.resolved_warehouse()) as a:
        out["authorships"] = a.counts()["authorships"]
print(json.dumps(out))
"""


def run_case(data: Path, wh: Path, force: bool, count: bool, engine: str = "duckdb") -> dict:
    """One build in a fresh process: its result, wall time and its own peak memory."""
    args = {"data": str(data), "wh": str(wh), "force": force, "count": count, "engine": engine}
    return peak_of(CHILD, args)


def real_warehouse(given: Path | None, data: Path, scratch: Path) -> Path:
    """``given``, else a real-corpus warehouse built now (not timed) under ``scratch``,
    in a process of its own: a child forked from a process that built would report
    that build's peak memory as its own (Linux keeps the peak RSS across fork and exec)."""
    if given is not None:
        return given
    print("building the real-corpus warehouse first (not timed) …", flush=True)
    wh = scratch / "real" / "atlas.duckdb"
    run_case(data.resolve(), wh, force=True, count=False)
    return wh


def mirror(data: Path, into: Path) -> Path:
    """A copy of the data directory made of symbolic links to its files."""
    for dirpath, _dirs, names in os.walk(data):
        here = into / Path(dirpath).relative_to(data)
        here.mkdir(parents=True, exist_ok=True)
        for n in names:
            (here / n).symlink_to(Path(dirpath) / n)
    return into


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--data-dir", type=Path, default=Path(__file__).parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--sim-authorships", type=int, default=1_000_000)
    ap.add_argument("--skip-sim", action="store_true")
    a = ap.parse_args()
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory(prefix="talentatlas-bench-") as tmp:
        root = Path(tmp)
        wh = root / "real" / "atlas.duckdb"
        data = mirror(a.data_dir.resolve(), root / "data")
        full = run_case(data, wh, force=True, count=True)
        print(f"full real build: {full['wall_s']:.1f}s wall, {full['peak_rss_mb']:.0f} MB peak, "
              f"{full['authorships']:,} authorships")  # fmt: skip
        same = run_case(data, wh, force=False, count=False)
        assert same["skipped"], "no-change rebuild did not skip"
        print(f"no-change rebuild: {same['wall_s']:.2f}s wall")
        # one file fewer (a venue-year of a paper list): everything after landing again
        (data / "paperlists" / "www" / "www2024.json.gz").unlink()
        one = run_case(data, wh, force=False, count=False)
        assert not one["skipped"] and one["parsed"] == 0
        print(f"rebuild after one file changed: {one['wall_s']:.1f}s wall")
        figures |= {"build_s": round(full["wall_s"], 1), "peak_rss_mb": round(full["peak_rss_mb"]),
                    "authorships": full["authorships"], "rebuild_s": round(same["wall_s"], 2),
                    "one_file_rebuild_s": round(one["wall_s"], 1)}  # fmt: skip
        if not a.skip_sim:
            from talentatlas.sources.simulated import simulate

            t = time.perf_counter()
            n_people = max(100, a.sim_authorships // 25)  # ~25 authorships a person
            world = simulate(seed=1, n_people=n_people, years=(2000, 2024), n_institutions=400,
                             venues=("icml", "neurips", "cvpr", "acl", "aaai", "icra"))  # fmt: skip
            world.write(root / "sim")
            gen = time.perf_counter() - t
            sim = run_case(root / "sim", root / "simwh" / "atlas.duckdb", force=True, count=True)
            print(f"simulated world ({sim['authorships']:,} authorships, generated in {gen:.0f}s): "
                  f"{sim['wall_s']:.1f}s wall, {sim['peak_rss_mb']:.0f} MB peak")  # fmt: skip
            figures |= {"sim_authorships": sim["authorships"], "sim_build_s": round(sim["wall_s"], 1),
                        "sim_peak_rss_mb": round(sim["peak_rss_mb"])}  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
