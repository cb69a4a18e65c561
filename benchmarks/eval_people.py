"""Well-known researchers as a user finds them: one dominant person, their own
identifiers, and a timeline that agrees with what their own papers state.

    python benchmarks/eval_people.py [--warehouse W] [--data-dir ../shared/data]
                                     [--names "Yoshua Bengio" ...]

For each name, the search's best match (``Atlas.find_persons``) is taken as a user
would, and checked on the built warehouse as it is:

- **dominant**: the match's share of the authorships of every person found under that
  exact name (a famous name split in five, or shared with students, shows here);
- **identifiers**: the kinds the person carries (OpenReview, ORCID, DBLP, Scholar);
- **years agreeing**: of the timeline's observed years, those whose institution is one
  of the institutions the person's own papers of that year state (any affiliation of
  any of their authorships, as resolved).

The last line is ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench_build import real_warehouse

from talentatlas.api import Atlas
from talentatlas.discovery.names import token_key

NAMES = (
    "Yoshua Bengio", "Sergey Levine", "Kaiming He", "Fei-Fei Li", "Percy Liang",
    "Pieter Abbeel", "Chelsea Finn", "Kyunghyun Cho", "Luc Van Gool", "Dacheng Tao",
)  # fmt: skip


def check(atlas: Atlas, name: str) -> dict:
    found = atlas.find_persons(name, limit=50).to_pylist()
    if not found:
        return {"name": name, "found": False}
    top = found[0]
    same = [r for r in found if token_key(r["name_norm"] or "") == token_key(name)]
    same = same or [top]
    total = sum(r["authorships"] for r in same)
    pid = top["person_id"]
    ids = atlas.identifiers(pid)["kind"].to_pylist()
    timeline = atlas.timeline(pid).to_pylist()
    f = atlas.table("authorship_facts")
    f = f.filter(f.person_id == pid).select("work_id", "position", "year")
    r = atlas.table("affiliations_resolved").select("work_id", "position", "institution_id")
    stated: dict[int, set[str]] = {}
    for row in f.join(r, ["work_id", "position"]).to_pyarrow().to_pylist():
        if row["institution_id"]:
            stated.setdefault(row["year"], set()).add(row["institution_id"])
    observed = [t for t in timeline if t["observed"] and t["institution_id"]]
    agree = [t for t in observed if t["institution_id"] in stated.get(t["year"], set())]
    return {
        "name": name, "found": True, "person_id": pid, "authorships": top["authorships"],
        "dominant": top["authorships"] / total, "others": len(same) - 1,
        "identifiers": sorted(set(ids) - {"venue_author_id"}),
        "years_observed": len(observed), "years_agreeing": len(agree),
        "now": next((t["institution"] for t in reversed(timeline) if t["institution"]), None),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, help="A built real-corpus warehouse.")
    ap.add_argument(
        "--data-dir", type=Path, default=Path(__file__).parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--names", nargs="*", default=list(NAMES))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="talentatlas-eval-") as tmp:
        wh = real_warehouse(a.warehouse, a.data_dir, Path(tmp))
        with Atlas.open(wh) as atlas:
            rows = [check(atlas, n) for n in a.names]
    for r in rows:
        if not r["found"]:
            print(f"{r['name']}: not found")
            continue
        print(f"{r['name']:16s} {r['person_id']:26s} {r['authorships']:4d} authorships, "
              f"{r['dominant']:.0%} of the name's ({r['others']} others); ids "
              f"{','.join(r['identifiers']) or '—'}; years agreeing "
              f"{r['years_agreeing']}/{r['years_observed']}; now {r['now']}")  # fmt: skip
    found = [r for r in rows if r["found"]]
    obs = sum(r["years_observed"] for r in found)
    figures = {
        "names": len(rows), "found": len(found),
        "dominant_min": round(min((r["dominant"] for r in found), default=0), 3),
        "with_openreview": sum("openreview" in r["identifiers"] for r in found),
        "years_agreeing_share": round(sum(r["years_agreeing"] for r in found) / (obs or 1), 4),
    }  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
