"""Role families and seniority against the hand-labelled titles.

    python benchmarks/eval_families.py [--labels tests/data/pay/role_titles.csv] [--errors]

The labelled set holds real titles from the shared samples (SOC titles of the LCA
filings, the 2012 H-1B sample's job words, authors' stated OpenReview positions), each
labelled by hand with a family and a seniority (docs/methodology.md, "Pay"). Reported:
precision and recall per family (the issue's floor: precision >= 0.95 for every family
with 20 or more titles), accuracy of families and of seniority; ``--errors`` lists the
titles the rules read otherwise. The last line is ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from talentatlas.pay.families import FAMILIES, family_of, seniority_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--labels",
        type=Path,
        default=Path(__file__).parents[1] / "tests" / "data" / "pay" / "role_titles.csv",
    )
    ap.add_argument("--errors", action="store_true")
    a = ap.parse_args()
    rows = list(csv.DictReader(a.labels.open()))
    pred = [family_of(r["title"]) for r in rows]
    pairs = []
    worst = 1.0
    print(f"{len(rows)} labelled titles")
    print(f"{'family':20} {'titles':>6} {'precision':>9} {'recall':>7}")
    for fam in FAMILIES:
        n = sum(r["family"] == fam for r in rows)
        said = [r["family"] == fam for r, p in zip(rows, pred, strict=True) if p == fam]
        prec = sum(said) / len(said) if said else float("nan")
        rec = sum(p == fam for r, p in zip(rows, pred, strict=True) if r["family"] == fam) / n
        print(f"{fam:20} {n:6} {prec:9.3f} {rec:7.3f}")
        if n >= 20:
            worst = min(worst, prec)
        pairs.append(f"precision_{fam.replace('-', '_')}={prec:.3f}")
    acc = sum(r["family"] == p for r, p in zip(rows, pred, strict=True)) / len(rows)
    sen = sum((seniority_of(r["title"]) or "") == r["seniority"] for r in rows) / len(rows)
    print(f"family accuracy {acc:.3f}; seniority accuracy {sen:.3f}; "
          f"lowest precision of a family with 20+ titles {worst:.3f} (floor 0.95)")  # fmt: skip
    if a.errors:
        for r, p in zip(rows, pred, strict=True):
            if p != r["family"]:
                print(f"  {r['title']!r}: labelled {r['family']}, read {p}")
    print(" ".join([f"titles={len(rows)}", f"family_accuracy={acc:.3f}",
                    f"seniority_accuracy={sen:.3f}", f"min_precision_20plus={worst:.3f}",
                    *pairs]))  # fmt: skip


if __name__ == "__main__":
    main()
