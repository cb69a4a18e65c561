"""People benchmark: person search and rankings on the real-corpus warehouse.

    python benchmarks/bench_people.py [--warehouse W] [--data-dir ../shared/data]
                                      [--queries 200] [--seed 0]

A built real-corpus warehouse (built first, not timed, when ``--warehouse`` is absent)
is opened once, as a user's session would; then, each timed on its own:

- **name search**: ``--queries`` names drawn (seeded) from the persons table, each
  asked as written, in reversed order, lower-case without accents, and with one letter
  dropped (a typo) -- median and p95 latency, and the share whose person comes first;
- **filtered search**: area + country, venue + year + stage, organisation;
- **ranking over all persons** (no filter, and one area over a window) and the
  institution ranking (CSRankings rule).

The name index is built by the first search (its time is reported apart). The last
line is ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench_build import real_warehouse

from talentatlas.api import Atlas
from talentatlas.discovery.search import PeopleQuery
from talentatlas.resolve.names import normalise_name


def _variants(name: str, rng: random.Random) -> list[str]:
    words = name.split()
    typo = name
    longest = max(words, key=len)
    if len(longest) > 4:
        i = rng.randrange(1, len(longest) - 1)
        typo = name.replace(longest, longest[:i] + longest[i + 1 :], 1)
    return [name, " ".join(reversed(words)), normalise_name(name), typo]


def _timed(f) -> tuple[float, object]:
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, help="A built real-corpus warehouse.")
    ap.add_argument(
        "--data-dir", type=Path, default=Path(__file__).parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="talentatlas-bench-") as tmp:
        wh = real_warehouse(a.warehouse, a.data_dir, Path(tmp))
        atlas = Atlas.open(wh)
        rng = random.Random(a.seed)
        p = atlas.table("persons")
        indexed = atlas.table("person_index").select("person_id")
        people = p.semi_join(indexed, "person_id").select("person_id", "name").to_pyarrow()
        picks = rng.sample(range(people.num_rows), min(a.queries, people.num_rows))
        index_s, _ = _timed(lambda: atlas.find_persons("warm up"))
        times, first = [], 0
        asked = 0
        for i in picks:
            pid, name = people["person_id"][i].as_py(), people["name"][i].as_py()
            for v in _variants(name, rng):
                s, (t, _n) = _timed(lambda v=v: atlas.people(PeopleQuery(name=v, limit=10)))
                times.append(s)
                asked += 1
                first += bool(t.num_rows) and pid in t["person_id"].to_pylist()[:10]
        times.sort()
        median = statistics.median(times)
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"name search: {asked} queries, median {median * 1000:.0f} ms, p95 "
              f"{p95 * 1000:.0f} ms; the person among the first 10 in {first / asked:.1%} "
              f"(name index built in {index_s:.2f}s)")  # fmt: skip
        google = atlas.find_institutions("Google")["institution_id"][0].as_py()
        filtered = {
            "area+country": PeopleQuery(areas=("NLP",), countries=("KR",)),
            "venue+year+stage": PeopleQuery(
                venues=("icml",), year_min=2024, year_max=2024, stage="phd"
            ),
            "organisation": PeopleQuery(institutions=tuple(atlas.descendants(google))),
        }
        fs = {}
        for label, q in filtered.items():
            fs[label], (t, n) = _timed(lambda q=q: atlas.people(q))
            print(f"filtered search ({label}): {fs[label] * 1000:.0f} ms, {n:,} people")
        all_s, (_t, n_all) = _timed(lambda: atlas.people(PeopleQuery(limit=100)))
        win_s, _ = _timed(
            lambda: atlas.people(PeopleQuery(areas=("ML",), year_min=2020, sort="first_author"))
        )
        org_s, _ = _timed(lambda: atlas.rank_units(["ml", "cv", "nlp"], countries=["US"]))
        print(f"ranking over all {n_all:,} persons: {all_s:.2f}s; one area over a window: "
              f"{win_s:.2f}s; institutions (CSRankings rule): {org_s:.2f}s")  # fmt: skip
        figures = {
            "queries": asked, "search_median_ms": round(median * 1000, 1),
            "search_p95_ms": round(p95 * 1000, 1), "found_share": round(first / asked, 4),
            "name_index_s": round(index_s, 2),
            **{f"filtered_{k.replace('+', '_')}_ms": round(v * 1000) for k, v in fs.items()},
            "persons": n_all, "rank_all_s": round(all_s, 2), "rank_window_s": round(win_s, 2),
            "rank_orgs_s": round(org_s, 2),
        }  # fmt: skip
        atlas.close()
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
