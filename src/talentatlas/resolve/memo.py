"""Affiliation resolutions kept from one build to the next.

Resolving an affiliation string (matching it against the registry, reading its country
and sector) is the one costly step of the build done in Python: about 0.3 ms a string,
115,000 distinct strings in the real corpus. The result depends only on the string and
on what the resolver is made of: the registry files, the domain table, the corrections
and the resolver's own code. Those are hashed into a digest; the resolutions of a build
are kept under ``<landing>/resolution/<digest>.parquet``, and the next build with the
same digest resolves only the strings it has not seen. Any change to the registry, the
corrections, the domain table or the code gives another digest, so every string is
resolved again. An unreadable file is ignored (everything is resolved), and a file is
written whole or not at all (written aside, then renamed).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from talentatlas.landing import file_sha256
from talentatlas.resolve.affiliations import KEY_COLUMNS, RESOLVED_SCHEMA

#: the code a resolution depends on: this package and the registry reader
_CODE = Path(__file__).resolve().parent
_REGISTRY_READER = _CODE.parent / "sources" / "ror.py"
#: libraries whose versions change what a string resolves to
_LIBRARIES = ("rapidfuzz", "pycountry")


def resolver_digest(inputs: list[Path], corrections_digest: str) -> str:
    """The digest of what a resolution depends on: the contents of ``inputs`` (registry
    files, domain table; missing ones count as missing), the corrections, this
    package's code and the matching libraries' versions."""
    h = hashlib.sha256()
    for p in [*sorted(_CODE.glob("*.py")), _REGISTRY_READER]:
        h.update(f"code|{p.name}|".encode() + hashlib.sha256(p.read_bytes()).digest())
    for lib in _LIBRARIES:
        h.update(f"lib|{lib}|{importlib.metadata.version(lib)}".encode())
    for p in sorted(inputs):
        seen = file_sha256(p) if p.is_file() else "missing"
        h.update(f"input|{p.name}|{seen}".encode())
    h.update(f"corrections|{corrections_digest}".encode())
    return h.hexdigest()


def _keys(t: pa.Table) -> pa.Array:
    """One string per row standing for its key columns (nulls apart from empty text)."""
    cols = [pc.fill_null(t.column(c), "\x00") for c in KEY_COLUMNS]
    return pc.binary_join_element_wise(*cols, "\x1f")


class ResolutionMemo:
    """The resolutions of earlier builds with the same resolver digest."""

    def __init__(self, directory: Path, digest: str) -> None:
        self.directory = directory
        self.path = directory / f"{digest}.parquet"
        self.problem: str | None = None

    def _load(self) -> pa.Table | None:
        if not self.path.is_file():
            return None
        try:
            t = pq.read_table(self.path)
            return t.select(RESOLVED_SCHEMA.names).cast(RESOLVED_SCHEMA)
        except (OSError, pa.ArrowException, KeyError, ValueError) as e:
            self.problem = f"{self.path.name}: unreadable ({e}); resolving every string"
            return None

    def split(self, distinct: pa.Table) -> tuple[pa.Table, pa.Table]:
        """``(known, missing)``: the remembered resolutions of the strings in
        ``distinct`` (the key columns), and the strings not remembered."""
        kept = self._load()
        if kept is None or kept.num_rows == 0:
            return RESOLVED_SCHEMA.empty_table(), distinct
        wanted, have = _keys(distinct), _keys(kept)
        known = kept.filter(pc.is_in(have, value_set=wanted))
        missing = distinct.filter(pc.invert(pc.is_in(wanted, value_set=have)))
        return known, missing

    def save(self, resolved: pa.Table) -> None:
        """Keep ``resolved`` (this build's resolutions) for the next build, in place of
        any kept under another digest."""
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        pq.write_table(resolved.cast(RESOLVED_SCHEMA), tmp)
        os.replace(tmp, self.path)
        for old in self.directory.glob("*.parquet"):
            if old != self.path:
                old.unlink(missing_ok=True)
