"""Pay benchmark: ingest of the 2.7M-row prevailing-wage table, and pay queries on a
built warehouse.

    python benchmarks/bench_pay.py [--data-dir ../shared/data] [--warehouse W] [--repeat 7]

Ingest: the OFLC county table read (DuckDB), its units settled, written to the landing
cache (Parquet), then loaded as a warehouse table, from an empty landing directory.
Queries: the commands' questions (an employer's pay, an occupation in an area, a family
by employer, areas compared in KRW, prevailing levels, an organisation's pay) on the
warehouse given (else the real corpus is built first into a temporary directory), each
run ``--repeat`` times on an open atlas; the median of each and of all is reported.
The last line is ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from talentatlas.api import Atlas
from talentatlas.config import Settings
from talentatlas.pay.landing import PayFile, land_one
from talentatlas.pay.prevailing import SOURCE as OFLC
from talentatlas.pay.views import PayQuery
from talentatlas.pipeline import build

TABLE = "compensation/oflc_prevailing_wage_levels_by_county.csv.gz"


def ingest(data: Path) -> tuple[float, int]:
    """Seconds to read the county table into the landing cache and load it into a
    warehouse table; rows loaded."""
    path = data / TABLE
    with tempfile.TemporaryDirectory(prefix="talentatlas-bench-pay-") as tmp:
        t = time.perf_counter()
        landed = land_one(PayFile(OFLC, path, TABLE, "bench"), Path(tmp))
        con = duckdb.connect(str(Path(tmp) / "w.duckdb"))
        con.execute(f"CREATE TABLE pay_prevailing_wages AS SELECT * FROM '{landed.rows}'")
        n = con.execute("SELECT count(*) FROM pay_prevailing_wages").fetchone()[0]
        con.close()
        return time.perf_counter() - t, n


def queries(atlas: Atlas) -> dict:
    def employer() -> None:
        _best, ids = atlas.employer_institutions("Google")
        q = PayQuery(employer="Google", institution_ids=ids, family="software-engineer",
                     since=2012)  # fmt: skip
        atlas.pay_summary(q)

    google = atlas.employer_institutions("Google")[1]
    return {
        "employer_family_since": employer,
        "occupation_area": lambda: atlas.occupation_wages("15-1221", "San Jose"),
        "family_by_employer_top20": lambda: atlas.pay_summary(
            PayQuery(family="software-engineer"), by=("employer",), top=20
        ),
        "compare_3_areas_krw": lambda: atlas.pay_compare(
            "research-scientist", ["San Francisco", "Seattle", "New York"], currency="KRW"
        ),
        "prevailing_levels_county": lambda: atlas.prevailing_levels("15-1221", "Santa Clara, CA"),
        "org_pay": lambda: atlas.org_pay(google),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data-dir", type=Path, default=Path(__file__).parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--warehouse", type=Path)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    data = a.data_dir.resolve()
    secs, rows = ingest(data)
    print(f"prevailing-wage ingest: {rows:,} rows in {secs:.2f}s (floor 15 s)")
    tmp = None
    wh = a.warehouse
    if wh is None:
        tmp = tempfile.TemporaryDirectory(prefix="talentatlas-bench-pay-wh-")
        wh = Path(tmp.name) / "atlas.duckdb"
        t = time.perf_counter()
        build(Settings(data_dir=data, warehouse=wh, landing_dir=Path(tmp.name) / "landing"))
        print(f"built the real corpus in {time.perf_counter() - t:.1f}s")
    medians = {}
    with Atlas.open(wh) as atlas:
        for name, q in queries(atlas).items():
            q()  # warm: the first call reads the table schemas
            times = []
            for _ in range(a.repeat):
                t = time.perf_counter()
                q()
                times.append(time.perf_counter() - t)
            medians[name] = statistics.median(times) * 1000
            print(f"{name:28} median {medians[name]:7.1f} ms (of {a.repeat})")
    overall = statistics.median(medians.values())
    print(f"median over the queries: {overall:.1f} ms (floor 100 ms)")
    if tmp is not None:
        tmp.cleanup()
    pairs = [f"oflc_ingest_s={secs:.2f}", f"oflc_rows={rows}", f"query_median_ms={overall:.1f}",
             *(f"{k}_ms={v:.1f}" for k, v in medians.items())]  # fmt: skip
    print(" ".join(pairs))


if __name__ == "__main__":
    main()
