"""OpenReview author records paired with a site-scraped list's papers by their authors,
checked where the answer is known.

    python benchmarks/eval_pairing.py [--data-dir ../shared/data] [--only icml2024,corl2024]

Where a paper list uses OpenReview's ids (ICML 2023-24, CoRL 2021-25, COLM, ...), each
OpenReview author record is its paper by id. Here the records are made to look like
those of a site-scraped list (ICML 2025): their ids are replaced and their titles
removed, and the build's own pairing (``canonical.author_keys`` and
``canonical.same_authors``, on DuckDB) pairs them with the list's papers by their
authors. Printed per venue-year: the list's accepted papers, the records, the pairs
made, how many pair a record with the paper of its own id (right) and how many with
another (wrong); the last line is ``name=value`` pairs (``precision``: right / pairs;
``recall``: right / papers of the list that have a record).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import ibis
import pyarrow as pa

from talentatlas import canonical
from talentatlas.sources import REGISTRY
from talentatlas.sources.base import SCHEMAS

ROOT = Path(__file__).resolve().parents[1]
#: the list and OpenReview file of each venue-year checked (ids shared)
CASES = {
    "icml2023": ("paperlists/icml/icml2023.json.gz", "openreview/authors/icml/icml2023.jsonl.gz"),
    "icml2024": ("paperlists/icml/icml2024.json.gz", "openreview/authors/icml/icml2024.jsonl.gz"),
    "corl2024": ("paperlists/corl/corl2024.json.gz", "openreview/authors/corl/corl2024.jsonl.gz"),
}  # fmt: skip
HIDDEN = "hidden-"


def _rows(source: str, data: Path, rel: str) -> dict[str, pa.Table]:
    return REGISTRY[source].parse(data / rel, rel).tables()


def check(data: Path, case: str) -> dict[str, int]:
    """Pair one venue-year's records with its list, the records' ids hidden."""
    listed, records = CASES[case]
    pl = _rows("paperlists", data, listed)
    orr = _rows("openreview", data, records)
    hide = {c: pa.array([HIDDEN + w for w in orr[c]["work_id"].to_pylist()])
            for c in ("works", "authorships")}  # fmt: skip
    ow = orr["works"].set_column(orr["works"].schema.get_field_index("work_id"), "work_id",
                                 hide["works"])  # fmt: skip
    ow = ow.set_column(ow.schema.get_field_index("title"), "title",
                       pa.nulls(ow.num_rows, pa.string()))  # fmt: skip
    oa = orr["authorships"].set_column(
        orr["authorships"].schema.get_field_index("work_id"), "work_id", hide["authorships"]
    )
    con = ibis.duckdb.connect()
    works = con.create_table("w", pa.concat_tables([pl["works"], ow]))
    auth = con.create_table("a", pa.concat_tables([pl["authorships"], oa]))
    retired = canonical.retired_works(con.create_table("r", SCHEMAS["retired"].empty_table()))
    keys = con.create_table("k", canonical.author_keys(works, auth, retired).to_pyarrow())
    pairs = canonical.same_authors(keys).to_pyarrow().to_pylist()
    right = sum(p["work_id"] == HIDDEN + p["into"] for p in pairs)
    accepted = {w for w, a in zip(pl["works"]["work_id"].to_pylist(),
                                  pl["works"]["accepted"].to_pylist(), strict=True) if a}  # fmt: skip
    with_record = accepted & set(orr["works"]["work_id"].to_pylist())
    return {"papers": len(accepted), "records": ow.num_rows, "with_record": len(with_record),
            "pairs": len(pairs), "right": right, "wrong": len(pairs) - right}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    env = os.environ.get("TALENTATLAS_SHARED_DATA")
    ap.add_argument("--data-dir", type=Path,
                    default=Path(env) if env else ROOT / ".." / "shared" / "data")  # fmt: skip
    ap.add_argument("--only", help="Comma-separated cases: " + ",".join(CASES))
    a = ap.parse_args()
    cases = a.only.split(",") if a.only else list(CASES)
    total = dict.fromkeys(("pairs", "right", "wrong", "with_record"), 0)
    for case in cases:
        r = check(a.data_dir.resolve(), case)
        print(f"{case}: {r['papers']:,} accepted papers, {r['records']:,} records; "
              f"{r['pairs']:,} pairs, {r['right']:,} right, {r['wrong']:,} wrong "
              f"({r['with_record']:,} papers have a record)")  # fmt: skip
        for k in total:
            total[k] += r[k]
    precision = total["right"] / total["pairs"] if total["pairs"] else 0.0
    recall = total["right"] / total["with_record"] if total["with_record"] else 0.0
    print(f"cases={len(cases)} pairs={total['pairs']} right={total['right']} "
          f"wrong={total['wrong']} precision={precision:.4f} recall={recall:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
