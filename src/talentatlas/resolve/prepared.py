"""The institution registry and the affiliation matcher, prepared beside the build.

Reading the ROR files, deriving every record's sector and top organisation and
indexing every name for the matcher is about ten seconds of work in Python that
depends only on the registry files, the domain table and the corrections, none of
which the build's earlier stages touch. :class:`Preparation` does it in a background thread
while the sources are parsed and the canonical tables written (the parsing runs in
worker processes and the engine's queries release the interpreter, so the thread
mostly uses time a core would otherwise spend idle); the institutions and resolve
stages then take the result (:meth:`Preparation.result`), waiting only for what is
not done yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from talentatlas.resolve.affiliations import AffiliationResolver
from talentatlas.resolve.corrections import Corrections
from talentatlas.resolve.countries import DomainTable
from talentatlas.resolve.matcher import AffiliationMatcher
from talentatlas.resolve.registry import Institutions, institutions_table
from talentatlas.sources import ror
from talentatlas.workers import Background, collector_paused


@dataclass
class Prepared:
    """What the institutions and resolve stages need from the registry."""

    #: the ``institutions`` table (derived sector, parent, top organisation per record)
    institutions: pa.Table
    #: the registry's ``institution_names`` and ``institution_relations`` tables
    tables: dict[str, pa.Table]
    #: unreadable registry records, and corrections naming unknown records
    problems: list[str]
    fixed: list[str]
    hints: DomainTable
    matcher: AffiliationMatcher
    #: the resolver (hints and matcher) pickled for worker processes, when there are any
    payload: bytes | None = None
    #: seconds spent preparing (in the background), which the build reports
    seconds: float = field(default=0.0)

    def resolver(self) -> AffiliationResolver:
        return AffiliationResolver(self.hints, self.matcher)


def prepare(
    data_dir: Path,
    landing_dir: Path,
    domain_table: Path,
    fixes: Corrections,
    workers: int = 1,
) -> Prepared:
    """The registry copy under ``data_dir`` (+ local institutions and overrides from the
    corrections), its ``institutions`` table, the matcher over it, and (for ``workers``
    > 1) the resolver pickled for the resolution's worker processes."""
    t = time.perf_counter()
    with collector_paused():
        tables, problems = ror.load(ror.discover(data_dir), landing_dir / "registry")
        reg = Institutions.from_tables(tables)
        fixed = fixes.apply_to_registry(reg)
        table = institutions_table(reg)
        hints = DomainTable(domain_table)
        matcher = AffiliationMatcher(
            reg, hints=hints, forced=fixes.forced(), forbidden=fixes.forbidden()
        )
        payload = AffiliationResolver(hints, matcher).pickled() if workers > 1 else None
    others = {k: tables[k] for k in ("institution_names", "institution_relations")}
    return Prepared(
        institutions=table, tables=others, problems=problems, fixed=fixed,
        hints=hints, matcher=matcher, payload=payload, seconds=time.perf_counter() - t,
    )  # fmt: skip


class Preparation(Background[Prepared]):
    """:func:`prepare` running in a background thread from construction on; take the
    prepared registry with :meth:`result`."""

    def __init__(
        self,
        data_dir: Path,
        landing_dir: Path,
        domain_table: Path,
        fixes: Corrections,
        workers: int = 1,
    ) -> None:
        super().__init__("registry", prepare, data_dir, landing_dir, domain_table, fixes, workers)
