"""Coverage of the built warehouse: how much of the corpus the atlas places.

    python benchmarks/eval_coverage.py [--warehouse warehouse/atlas.duckdb] [--venue-years]

For accepted in-scope authorships (the population of every indicator), by year and, with
``--venue-years``, by venue and year:

- ``own_country``: the authorship's own affiliation gives a country, split into
  *observed* (read off the paper or profile) and *inferred* (``INFERRED_EVIDENCE``:
  an author map, the paper's unattributed affiliations, a multinational's bare name
  placed by the person's other evidence that year);
- ``placed``: its author has a country that year — own affiliation, the author's other
  papers that year, or padding between two observed years (the basis the indicators
  use);
- ``institution``: of authorships with affiliation text, the share resolved to an
  institution; ``person_key``: the share whose person has a reliable key.

Also checked: every file whose records name authors landed authorships (``files``
table). The last line is ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import ibis
from rich.console import Console
from rich.table import Table as RichTable

from talentatlas.resolve.affiliations import INFERRED_EVIDENCE

QUERY = """
WITH f AS (
  SELECT s.person_id, s.year, s.venue, s.country, s.country_evidence, s.institution,
         s.key_kind, a.has_affiliation_text, p.value AS padded
  FROM scoped_facts s
  JOIN authorship_facts a USING (work_id, position)
  LEFT JOIN padded_country p ON p.person_id = s.person_id AND p.year = s.year
)
SELECT {select}count(*) AS authorships,
  avg(CASE WHEN country IS NOT NULL AND coalesce(country_evidence, '') NOT IN ({inferred})
           THEN 1 ELSE 0 END) AS own_observed,
  avg(CASE WHEN country_evidence IN ({inferred}) THEN 1 ELSE 0 END) AS own_inferred,
  avg(CASE WHEN padded IS NOT NULL THEN 1 ELSE 0 END) AS placed,
  sum(CASE WHEN institution IS NOT NULL AND has_affiliation_text THEN 1 ELSE 0 END)
    / nullif(sum(CASE WHEN has_affiliation_text THEN 1 ELSE 0 END), 0) AS institution,
  avg(CASE WHEN key_kind IN ('openreview', 'orcid', 'dblp', 'google_scholar')
           THEN 1 ELSE 0 END) AS person_key
FROM f {tail}
"""


def coverage(con: ibis.BaseBackend, group: tuple[str, ...]) -> list[dict]:
    """The coverage columns, overall (no ``group``) or by the ``group`` columns."""
    cols = ", ".join(group)
    q = QUERY.format(
        inferred=", ".join(f"'{k}'" for k in INFERRED_EVIDENCE),
        select=f"{cols}, " if group else "",
        tail=f"GROUP BY {cols} ORDER BY {cols}" if group else "",
    )
    return con.sql(q).to_pyarrow().to_pylist()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--warehouse", type=Path, default=Path("warehouse/atlas.duckdb"))
    ap.add_argument("--venue-years", action="store_true", help="also by venue and year")
    args = ap.parse_args()
    con = ibis.duckdb.connect(str(args.warehouse), read_only=True)
    out = Console()
    cols = ["authorships", "own_observed", "own_inferred", "placed", "institution", "person_key"]
    groups = [("year",), ("venue", "year")] if args.venue_years else [("year",)]
    for g in groups:
        t = coverage(con, g)
        table = RichTable(title=f"coverage by {' and '.join(g)} (accepted, in scope)")
        for c in (*g, *cols):
            table.add_column(c, justify="right")
        for r in t:
            table.add_row(
                *(str(r[c]) for c in g), f"{r['authorships']:,}",
                *(f"{r[c]:.1%}" if r[c] is not None else "—" for c in cols[1:]),
            )  # fmt: skip
        out.print(table)
    total = coverage(con, ())[0]
    by_year = {r["year"]: r for r in coverage(con, ("year",))}
    text_inst = (
        con.sql(
            "SELECT avg(CASE WHEN institution IS NOT NULL THEN 1 ELSE 0 END) AS s"
            " FROM authorship_facts WHERE has_affiliation_text"
        )
        .to_pyarrow()
        .to_pylist()[0]["s"]
    )
    empty = (
        con.sql(
            "SELECT count(*) AS n FROM files WHERE works > 0 AND authorships = 0"
            " AND source = 'paperlists'"
        )
        .to_pyarrow()
        .to_pylist()[0]["n"]
    )
    vals = {
        "placed": f"{total['placed']:.4f}",
        "own_observed": f"{total['own_observed']:.4f}",
        "own_inferred": f"{total['own_inferred']:.4f}",
        **{f"placed_{y}": f"{by_year[y]['placed']:.4f}" for y in (2022, 2023, 2024, 2025)
           if y in by_year},
        "institution_of_text_all": f"{text_inst:.4f}",
        "person_key": f"{total['person_key']:.4f}",
        "files_with_works_but_no_authorships": empty,
    }  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in vals.items()))


if __name__ == "__main__":
    main()
