"""Author countries checked against an independent map: ICML 2024 (or NeurIPS 2024).

    python benchmarks/eval_countries.py [--warehouse warehouse/atlas.duckdb]
        [--reference ../shared/data/affiliations/lossfunk_icml-2024-cc-authors.json]
        [--venue icml --year 2024]

The reference (Lossfunk's indiaml-tracker) was compiled elsewhere from the venue's
OpenReview profiles: OpenReview id -> affiliation country. It is never a source of the
atlas; here it only checks it. For every author of the venue-year the atlas places
(the modal country of the author's own authorships there; and, as a second view, the
person's country that year, which also counts other papers and padding) and the
reference places too, the two countries are compared by OpenReview id (ids and
aliases). Printed: agreement overall, the disagreements by country pair and by cause
(:func:`causes`), and a last line of ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path

import ibis
from rich.console import Console
from rich.table import Table as RichTable

ROOT = Path(__file__).resolve().parents[1]
#: every authorship's OpenReview ids (paper id and profile alias), as ``work_id, position, oid``
IDS = """SELECT work_id, position, openreview_id AS oid FROM authorships
         UNION SELECT work_id, position, openreview_alias FROM authorships"""


def default_reference(venue: str, year: int) -> Path:
    env = os.environ.get("TALENTATLAS_SHARED_DATA")
    base = Path(env) if env else ROOT / ".." / "shared" / "data"
    name = {"icml": "icml", "neurips": "neurips"}[venue]
    return (base / "affiliations" / f"lossfunk_{name}-{year}-cc-authors.json").resolve()


def atlas_countries(warehouse: Path, venue: str, year: int) -> tuple[dict, dict]:
    """OpenReview id -> (own-affiliation country, person-year country) of the venue-year's
    authors, from the built warehouse as it is."""
    con = ibis.duckdb.connect(str(warehouse), read_only=True)
    rows = con.sql(
        f"""
        WITH a AS (
          SELECT f.person_id, f.country, k.oid
          FROM authorship_facts f
          JOIN ({IDS}) k USING (work_id, position)
          WHERE f.venue = '{venue}' AND f.year = {int(year)} AND k.oid IS NOT NULL
        ), own AS (
          SELECT oid, person_id, mode(country) AS own FROM a
          WHERE country IS NOT NULL GROUP BY oid, person_id
        )
        SELECT a.oid, any_value(own.own) AS own, any_value(p.value) AS person_year
        FROM a LEFT JOIN own USING (oid)
        LEFT JOIN padded_country p ON p.person_id = a.person_id AND p.year = {int(year)}
        GROUP BY a.oid
        """
    ).to_pyarrow()
    own = {r["oid"]: r["own"] for r in rows.to_pylist() if r["own"]}
    py = {r["oid"]: r["person_year"] for r in rows.to_pylist() if r["person_year"]}
    return own, py


#: codes the reference gives that are not where a person works (".ai" read as Anguilla,
#: ".io", North Korea for South Korean universities, ...)
NOT_LOCATIONS = {"AI", "IO", "KP", "ML", "MU", "TV", "ME", "CC"}
GREATER_CHINA = {"CN", "HK", "MO"}


def causes(warehouse: Path, venue: str, year: int, ours: dict, ref: dict) -> Counter:
    """The disagreements of ``ours`` with ``ref`` by cause: a reference code that is not
    a location; China vs Hong Kong/Macao; placed at a multinational's seat (no other
    evidence that year); the reference's country is the person's in another year (the
    reference reads current profiles, the atlas the paper); other."""
    con = ibis.duckdb.connect(str(warehouse), read_only=True)
    rows = (
        con.sql(
            f"""
        WITH k AS ({IDS})
        SELECT k.oid, bool_or(f.country_evidence = 'seat') AS seat,
               list(DISTINCT o.value) FILTER (WHERE o.year <> {int(year)}) AS other
        FROM authorship_facts f JOIN k USING (work_id, position)
        LEFT JOIN observed_country o ON o.person_id = f.person_id
        WHERE f.venue = '{venue}' AND f.year = {int(year)} AND k.oid IS NOT NULL
        GROUP BY k.oid
        """
        )
        .to_pyarrow()
        .to_pylist()
    )
    info = {r["oid"]: r for r in rows}
    out: Counter = Counter()
    for oid in ours:
        if oid not in ref or ref[oid] == ours[oid]:
            continue
        r = info.get(oid, {})
        if ref[oid] in NOT_LOCATIONS:
            out["reference code is not a location (AI = .ai, IO, KP ...)"] += 1
        elif {ref[oid], ours[oid]} <= GREATER_CHINA:
            out["China vs Hong Kong / Macao"] += 1
        elif r.get("seat"):
            out["placed at a multinational's seat, no other evidence that year"] += 1
        elif ref[oid] in (r.get("other") or []):
            out["reference country is the person's in another year"] += 1
        else:
            out["other"] += 1
    return out


def compare(ours: dict[str, str], ref: dict[str, str]) -> tuple[int, int, Counter]:
    both = [k for k in ours if k in ref]
    pairs = Counter((ref[k], ours[k]) for k in both if ref[k] != ours[k])
    return len(both), len(both) - sum(pairs.values()), pairs


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--warehouse", type=Path, default=Path("warehouse/atlas.duckdb"))
    ap.add_argument("--venue", default="icml", choices=["icml", "neurips"])
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--reference", type=Path)
    ap.add_argument("--top", type=int, default=15, help="disagreeing country pairs shown")
    args = ap.parse_args()
    path = args.reference or default_reference(args.venue, args.year)
    ref = {
        r["openreview_id"]: r["affiliation_country"].upper()
        for r in json.loads(path.read_text(encoding="utf-8"))
        if r.get("openreview_id") and r.get("affiliation_country")
    }
    ref = {k: ("GB" if v == "UK" else v) for k, v in ref.items()}
    own, person_year = atlas_countries(args.warehouse, args.venue, args.year)
    out = Console()
    vals: dict[str, object] = {"reference_authors": len(ref)}
    for label, ours in (("own", own), ("person_year", person_year)):
        n, agree, pairs = compare(ours, ref)
        share = agree / n if n else float("nan")
        vals.update({f"{label}_both": n, f"{label}_agreement": f"{share:.4f}"})
        t = RichTable(
            title=f"{args.venue} {args.year}: {label} country vs reference — {agree:,} of"
            f" {n:,} authors agree ({share:.1%})"
        )
        for col in ("reference", "atlas", "authors"):
            t.add_column(col, justify="right" if col == "authors" else "left")
        for (a, b), k in pairs.most_common(args.top):
            t.add_row(a, b, str(k))
        out.print(t)
    why = causes(args.warehouse, args.venue, args.year, own, ref)
    t = RichTable(title=f"{args.venue} {args.year}: own-country disagreements by cause")
    t.add_column("cause")
    t.add_column("authors", justify="right")
    for k, v in why.most_common():
        t.add_row(k, str(v))
    out.print(t)
    vals["disagree_seat"] = sum(v for k, v in why.items() if "seat" in k)
    vals["atlas_placed_own"] = len(own)
    print(" ".join(f"{k}={v}" for k, v in vals.items()))


if __name__ == "__main__":
    main()
