"""Employer links (LCA employer names -> the atlas's organisations) of a built warehouse
against the hand-labelled set.

    python benchmarks/eval_employers.py --warehouse warehouse/atlas.duckdb [--errors]

The labelled set (``tests/data/pay/employer_links.csv``) holds the 150 employers with
the most filings in the shared samples and every employer linked by leading words or
abroad, each with the registry record it is (``organisation``; several acceptable
records separated by ``|``), or none when the registry does not hold that company
(Cognizant, eBay) or the name is another firm's (Sharp HealthCare is not Sharp). The
warehouse is read as built: its ``pay_employers`` table, not links made again here.
Reported: precision (links to the labelled record among the labelled employers
linked), recall (labelled employers with a record that are linked to it), each by
employers and by filings. The last line is ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import duckdb

LABELS = Path(__file__).parents[1] / "tests" / "data" / "pay" / "employer_links.csv"


def score(links: dict[str, str | None], labels: list[dict]) -> dict[str, float | int]:
    """``links``: employer key -> linked organisation name (None: unlinked)."""
    linked = right = expected = found = 0
    w_linked = w_right = w_expected = w_found = 0
    for r in labels:
        want = {x for x in r["organisation"].split("|") if x}
        got = links.get(r["employer_key"])
        n = int(r["filings"])
        if got is not None:
            linked += 1
            w_linked += n
            right += got in want
            w_right += n * (got in want)
        if want:
            expected += 1
            w_expected += n
            found += got in want
            w_found += n * (got in want)
    return {
        "labelled": len(labels), "linked": linked,
        "precision": right / linked if linked else float("nan"),
        "recall": found / expected if expected else float("nan"),
        "precision_filings": w_right / w_linked if w_linked else float("nan"),
        "recall_filings": w_found / w_expected if w_expected else float("nan"),
    }  # fmt: skip


def warehouse_links(warehouse: Path) -> dict[str, str | None]:
    """The build's links: employer key -> its institution's name (of the filings'
    employers, in the US)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.sql(
        "SELECT employer_key, any_value(institution) FROM pay_employers "
        "WHERE filings > 0 GROUP BY employer_key"
    ).fetchall()
    return dict(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--errors", action="store_true")
    a = ap.parse_args()
    labels = list(csv.DictReader(a.labels.open()))
    links = warehouse_links(a.warehouse)
    s = score(links, labels)
    print(f"{s['labelled']} labelled employers, {s['linked']} linked by the build")
    print(f"precision {s['precision']:.3f} (by filings {s['precision_filings']:.3f}); "
          f"recall {s['recall']:.3f} (by filings {s['recall_filings']:.3f})")  # fmt: skip
    if a.errors:
        for r in labels:
            want = {x for x in r["organisation"].split("|") if x}
            got = links.get(r["employer_key"])
            if (got is not None and got not in want) or (want and got not in want):
                print(f"  {r['employer_key']!r} ({r['filings']} filings): "
                      f"labelled {r['organisation'] or '-'}, linked {got or '-'}")  # fmt: skip
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in s.items()))


if __name__ == "__main__":
    main()
