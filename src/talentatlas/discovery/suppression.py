"""The suppression list: people left out of every person-level output (search,
profiles, rankings of people, movement watch, shortlists); aggregates are unchanged
(DESIGN.md, "Privacy").

A text file (``suppressions`` in settings; by default ``suppressions.txt`` in the data
directory when it exists), one entry a line, ``#`` starting a comment: a person id
(``or:~Jane_Doe1``) or an identifier as ``kind:value`` with a kind of
``person_keys`` (``orcid:0000-0002-1825-0097``, ``openreview:~Jane_Doe1``,
``dblp:…``, ``google_scholar:…``). An identifier suppresses every person carrying it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from ibis.expr.types import Table

from talentatlas.discovery.index import IDENTIFIERS


def read_entries(path: Path) -> list[str]:
    """The entries of a suppression file (comments and blank lines left out)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            out.append(entry)
    return out


def suppressed_ids(entries: list[str], table: Callable[[str], Table]) -> frozenset[str]:
    """The person ids the entries name: person ids as they are, identifiers through
    ``person_keys``."""
    by_kind: dict[str, list[str]] = {}
    ids = set()
    for e in entries:
        kind, _, value = e.partition(":")
        if kind in IDENTIFIERS and value:
            by_kind.setdefault(kind, []).append(value.strip())
        else:
            ids.add(e)
    keys = table("person_keys")
    for kind, values in by_kind.items():
        hits: pa.Table = (
            keys.filter((keys.kind == kind) & keys.value.isin(values))
            .select("person_id").distinct().to_pyarrow()
        )  # fmt: skip
        ids.update(hits["person_id"].to_pylist())
    return frozenset(ids)
