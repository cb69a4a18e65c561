"""Doctoral graduates' first destinations on a built warehouse, beside the survey.

    python benchmarks/eval_graduates.py [--warehouse warehouse/atlas.duckdb]
        [--country US --country CA] [--since 2018 --until 2023]

Printed: the per-year series (stated positions, heuristic, all) with 90% intervals;
the survey's figures (CRA Taulbee via the AI Index) beside the atlas's; and how well the
heuristic, run with every stated position hidden, agrees with them
(:func:`heuristic_agreement`). A last line of ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console

from talentatlas import validate as v
from talentatlas.api import Atlas
from talentatlas.export import render
from talentatlas.indicators import graduates as G
from talentatlas.indicators.frame import Filters


def heuristic_agreement(atlas: Atlas, countries: list[str]) -> dict[str, float | int]:
    """The heuristic run with every stated position hidden, against those positions:
    recall = of the graduations stated positions show (window observed), the share it
    finds with the same graduation year; precision = of the graduates it finds whose
    spell's last year has a stated position, the share stated as doctoral students."""
    frame = atlas.frame()
    last = G.complete_year(frame)
    stated = frame.to_arrow(G.graduates(frame, last_year=last, countries=countries))
    stated = stated.filter(pc.equal(stated["evidence"], "stated"))
    blind = frame.to_arrow(G.graduates(frame, last_year=last, countries=countries, positions=False))
    year_of = dict(zip(blind["person_id"].to_pylist(), blind["graduation_year"].to_pylist(),
                       strict=True))  # fmt: skip
    seen = [r for r in stated.to_pylist() if r["destination"] != "censored"]
    found = sum(year_of.get(r["person_id"]) == r["graduation_year"] for r in seen)
    ev = G.evidence_years(frame)
    ev = ev.filter(ev.doctoral | ev.working | ev.lower_degree)
    said = {(r["person_id"], r["year"]): r["doctoral"]
            for r in frame.to_arrow(ev.select("person_id", "year", "doctoral")).to_pylist()}  # fmt: skip
    checked = [said[k] for k in zip(blind["person_id"].to_pylist(),
               blind["last_student_year"].to_pylist(), strict=True) if k in said]  # fmt: skip
    return {
        "stated_graduations": len(seen),
        "heuristic_recall": round(found / len(seen), 4) if seen else float("nan"),
        "heuristic_checked": len(checked),
        "heuristic_precision": round(sum(checked) / len(checked), 4) if checked else float("nan"),
        "heuristic_graduations_blind": blind.num_rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, default=Path("warehouse/atlas.duckdb"))
    ap.add_argument("--country", action="append", default=None)
    ap.add_argument("--since", type=int, default=2018)
    ap.add_argument("--until", type=int, default=2023)
    args = ap.parse_args()
    countries = args.country or list(v.TAULBEE_COUNTRIES)
    out = Console(width=200)
    vals: dict[str, object] = {}
    with Atlas.open(args.warehouse) as atlas:
        res = atlas.graduates(Filters(year_min=args.since, year_max=args.until), countries)
        s = res["summary"]
        out.print(render(G.compact(s), f"Graduates of {', '.join(countries)}", ""))
        for r in s.to_pylist():
            if r["evidence"] == "all":
                vals[f"industry_{r['year']}"] = r["industry_share"]
        total = {e: sum(r["graduates"] for r in s.to_pylist() if r["evidence"] == e)
                 for e in ("stated", "heuristic")}  # fmt: skip
        vals |= {f"graduates_{e}": n for e, n in total.items()}
        full = atlas.graduates(None, list(v.TAULBEE_COUNTRIES), reps=50)["summary"]
        side = v.graduates_side_by_side(full)
        out.print(render(side, "Taulbee survey beside the atlas", v.TAULBEE_NOTE))
        for r in side.to_pylist():
            if (r["year"], r["evidence"]) in ((2011, "heuristic"), (2022, "stated")):
                vals[f"gap_industry_{r['year']}_{r['evidence']}"] = round(
                    r["atlas_industry"] - r["survey_industry"], 4
                )
        agree = heuristic_agreement(atlas, countries)
        out.print(render(pa.table({k: [x] for k, x in agree.items()}),
                         "The heuristic against stated positions (positions hidden)", ""))  # fmt: skip
        vals |= agree
    print(" ".join(f"{k}={x}" for k, x in vals.items()))


if __name__ == "__main__":
    main()
