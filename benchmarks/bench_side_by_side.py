"""The country dimension of the migration table three ways, on the same simulated facts:
talentatlas, hand-written DuckDB SQL, and plain pandas.

    python benchmarks/bench_side_by_side.py [--sim-authorships 5000000] [--facts F] [--repeat 3]

The simulated world is the indicator benchmark's (``bench_indicators.py``): planted
identities and institutions, written as authorship facts (kept at ``--facts`` when
given, and reused when the file exists). Each of the three then computes, in its own
process (so that its peak memory is its own), ``--repeat`` times (the median time
is reported, and the largest peak):

- the modal country per person-year (ties: the value also seen in the nearest other
  year, then alphabetical), the padded population, the moves;
- the migration table: stock, inflow, outflow, net and net rate per 10,000 per
  country-year.

talentatlas runs its careers code for the country dimension and its migration
indicator (which also computes bootstrap intervals and rates). Each clock starts once
the libraries a version uses are imported (the atlas's pandas and SciPy, which the
package imports on first use, are imported beforehand, as the other two import
theirs). The three must agree
exactly on every move and every row of the table; the last line is ``name=value``
pairs.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from bench_indicators import GENERATE
from child import peak_of

ATLAS = r"""
import json, sys, time
from pathlib import Path
import pandas, scipy.sparse  # loaded on first use; imported here as the others import theirs
import pyarrow.parquet as pq
from talentatlas import career_stage, careers
from talentatlas.config import Settings
from talentatlas.indicators import countries
from talentatlas.indicators.frame import Frame
from talentatlas.store import DuckDBEngine
args = json.loads(sys.argv[1])
engine = DuckDBEngine(Path(args["wh"]))
engine.materialize("authorship_facts",
                   engine.read_parquet("facts_src", [args["facts"]], pq.read_schema(args["facts"])))
t = time.perf_counter()
scope = Settings(data_dir=Path(args["wh"]).parent).scope
facts = engine.view("scoped_facts", careers.scoped(engine.table("authorship_facts"), scope))
# the build's careers stage (career_stage.py), on the country dimension alone
cells = engine.scratch("career_cells", careers.cells(facts.select("person_id", "year", "country")))
career_stage.run(cells, engine)
mv = engine.table("moves")
careers_s = time.perf_counter() - t
t = time.perf_counter()
mig = countries.migration(Frame(engine.table, to_arrow=engine.to_arrow))
migration_s = time.perf_counter() - t
pq.write_table(mig.select(["country", "year", "stock", "inflow", "outflow", "net", "net_rate"])
               .replace_schema_metadata(None), args["migration"])
pq.write_table(engine.to_arrow(mv.select("person_id", "year", "origin", "destination")), args["moves"])
engine.close()
print(json.dumps({"seconds": careers_s + migration_s, "careers_s": careers_s,
                  "migration_s": migration_s}))
"""

SQL = r"""
import json, sys, time
import duckdb
args = json.loads(sys.argv[1])
con = duckdb.connect(args["db"])
t = time.perf_counter()
con.execute(f'''
CREATE TABLE obs AS
WITH c AS (
  SELECT person_id, year, country AS value, count(*) AS n
  FROM read_parquet('{args["facts"]}')
  WHERE person_id IS NOT NULL AND country IS NOT NULL AND accepted
  GROUP BY ALL),
d AS (
  SELECT *, least(coalesce(year - lag(year) OVER w, 10000),
                  coalesce(lead(year) OVER w - year, 10000)) AS d
  FROM c WINDOW w AS (PARTITION BY person_id, value ORDER BY year))
SELECT person_id, year, value FROM d
QUALIFY row_number() OVER (PARTITION BY person_id, year ORDER BY n DESC, d, value) = 1''')
con.execute('''
CREATE TABLE padded AS
SELECT person_id, unnest(generate_series(year, until - 1)) AS year, value
FROM (SELECT *, coalesce(lead(year) OVER (PARTITION BY person_id ORDER BY year), year + 1)
                AS until FROM obs)''')
con.execute('''
CREATE TABLE moves AS
SELECT person_id, year, origin, value AS destination
FROM (SELECT *, lag(value) OVER (PARTITION BY person_id ORDER BY year) AS origin FROM obs)
WHERE origin IS NOT NULL AND origin <> value''')
con.execute('''
CREATE TABLE stock AS
SELECT value AS country, year, count(*) AS stock FROM padded GROUP BY ALL''')
con.execute('''
CREATE TABLE migration AS
WITH i AS (SELECT destination AS country, year, count(*) AS inflow FROM moves GROUP BY ALL),
     o AS (SELECT origin AS country, year, count(*) AS outflow FROM moves GROUP BY ALL),
     a AS (SELECT country, year, coalesce(s.stock, 0) AS stock, coalesce(i.inflow, 0) AS inflow,
                  coalesce(o.outflow, 0) AS outflow
           FROM stock s FULL JOIN i USING (country, year) FULL JOIN o USING (country, year))
SELECT *, inflow - outflow AS net,
       CASE WHEN stock > 0 THEN round_even((inflow - outflow) * 10000.0 / stock, 2) END AS net_rate
FROM a''')
seconds = time.perf_counter() - t
con.execute(f"COPY migration TO '{args['migration']}' (FORMAT parquet)")
con.execute(f"COPY moves TO '{args['moves']}' (FORMAT parquet)")
print(json.dumps({"seconds": seconds}))
"""

PANDAS = r"""
import json, sys, time
import numpy as np, pandas as pd
args = json.loads(sys.argv[1])
t = time.perf_counter()
f = pd.read_parquet(args["facts"], columns=["person_id", "year", "country", "accepted"])
f = f[f.accepted & f.person_id.notna() & f.country.notna()]
c = f.groupby(["person_id", "year", "country"]).size().rename("n").reset_index()
c = c.sort_values(["person_id", "country", "year"])
g = c.groupby(["person_id", "country"]).year
c["d"] = np.minimum((c.year - g.shift(1)).fillna(10000), (g.shift(-1) - c.year).fillna(10000))
c = c.sort_values(["person_id", "year", "n", "d", "country"], ascending=[True, True, False, True, True])
obs = c.drop_duplicates(["person_id", "year"])[["person_id", "year", "country"]]
obs = obs.sort_values(["person_id", "year"]).reset_index(drop=True)
nxt = obs.groupby("person_id").year.shift(-1).fillna(obs.year + 1).astype(int)
span = (nxt - obs.year).to_numpy()
padded = obs.loc[obs.index.repeat(span)].reset_index(drop=True)
padded["year"] = padded.year + padded.groupby(np.repeat(np.arange(len(obs)), span)).cumcount()
prev = obs.groupby("person_id").country.shift(1)
mv = obs[prev.notna() & (prev != obs.country)].assign(origin=prev)
moves = mv.rename(columns={"country": "destination"})[["person_id", "year", "origin", "destination"]]
stock = padded.groupby(["country", "year"]).size().rename("stock")
inflow = moves.groupby(["destination", "year"]).size().rename("inflow").rename_axis(["country", "year"])
outflow = moves.groupby(["origin", "year"]).size().rename("outflow").rename_axis(["country", "year"])
m = pd.concat([stock, inflow, outflow], axis=1).fillna(0).astype("int64").reset_index()
m["net"] = m.inflow - m.outflow
m["net_rate"] = np.where(m.stock > 0, (m.net * 10000.0 / m.stock.where(m.stock > 0, 1)).round(2), np.nan)
seconds = time.perf_counter() - t
m.to_parquet(args["migration"], index=False)
moves.to_parquet(args["moves"], index=False)
print(json.dumps({"seconds": seconds}))
"""


def _moves(path: Path) -> set[tuple]:
    t = pq.read_table(path).to_pydict()
    return set(zip(t["person_id"], t["year"], t["origin"], t["destination"], strict=True))


def _migration(path: Path) -> dict[tuple, tuple]:
    rows = pq.read_table(path).to_pylist()
    out = {}
    for r in rows:
        rate = r["net_rate"]
        rate = None if rate is None or rate != rate else round(float(rate), 2)
        out[(r["country"], int(r["year"]))] = (
            int(r["stock"]), int(r["inflow"]), int(r["outflow"]), int(r["net"]), rate,
        )  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim-authorships", type=int, default=5_000_000)
    ap.add_argument("--facts", type=Path, help="Keep (and reuse) the simulated facts here.")
    ap.add_argument("--repeat", type=int, default=3, help="Runs of each version (median kept).")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="talentatlas-side-") as tmp:
        root = Path(tmp)
        facts = a.facts or root / "facts.parquet"
        if not facts.exists():
            inst = facts.with_name(facts.stem + "_institutions.parquet")
            gen = peak_of(GENERATE, {"authorships": a.sim_authorships, "facts": str(facts),
                                     "institutions": str(inst)})  # fmt: skip
            print(f"simulated world: {gen['authorships']:,} authorships in {gen['seconds']:.0f}s")
        n = pq.read_metadata(facts).num_rows
        runs = {}
        for name, code in (("atlas", ATLAS), ("sql", SQL), ("pandas", PANDAS)):
            tries = []
            for r in range(a.repeat):  # each in a fresh process, on fresh files
                d = root / f"{name}{r}"
                d.mkdir()
                args = {"facts": str(facts), "wh": str(d / "atlas.duckdb"),
                        "db": str(d / "sql.duckdb"), "migration": str(d / "migration.parquet"),
                        "moves": str(d / "moves.parquet")}  # fmt: skip
                tries.append(peak_of(code, args) | {"dir": d})
            tries.sort(key=lambda t: t["seconds"])
            runs[name] = tries[len(tries) // 2] | {
                "peak_rss_mb": max(t["peak_rss_mb"] for t in tries),
                "all_s": [round(t["seconds"], 2) for t in tries],
            }
            print(
                f"{name:7s} {runs[name]['seconds']:6.1f}s  {runs[name]['peak_rss_mb']:6.0f} MB peak"
                f"  (runs: {', '.join(f'{x:.2f}' for x in runs[name]['all_s'])} s)",
                flush=True,
            )
        moves = {k: _moves(r["dir"] / "moves.parquet") for k, r in runs.items()}
        mig = {k: _migration(r["dir"] / "migration.parquet") for k, r in runs.items()}
        agree_moves = moves["atlas"] == moves["sql"] == moves["pandas"]
        agree_table = mig["atlas"] == mig["sql"] == mig["pandas"]
        for k in ("sql", "pandas"):
            if mig[k] != mig["atlas"]:
                diff = sorted(set(mig[k].items()) ^ set(mig["atlas"].items()))[:5]
                print(f"migration differs, atlas vs {k}: {diff}")
        atlas = runs["atlas"]
        print(f"atlas: careers (country) {atlas['careers_s']:.1f}s + migration table "
              f"{atlas['migration_s']:.1f}s; {len(moves['atlas']):,} moves; "
              f"{atlas['seconds'] / runs['sql']['seconds']:.1f}x the SQL")  # fmt: skip
    figures = {
        "authorships": n, "moves": len(moves["atlas"]), "agree_moves": agree_moves,
        "agree_table": agree_table,
        **{f"{k}_s": round(r["seconds"], 2) for k, r in runs.items()},
        **{f"{k}_peak_mb": round(r["peak_rss_mb"]) for k, r in runs.items()},
        "atlas_over_sql": round(atlas["seconds"] / runs["sql"]["seconds"], 2),
    }  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
