"""Python API: open a built warehouse and ask it questions; results are Arrow tables.

>>> atlas = Atlas.open("warehouse/atlas.duckdb")          # doctest: +SKIP
>>> atlas.migration(country="KR").to_pandas()              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from talentatlas.careers import DIMENSIONS
from talentatlas.indicators.stock import stock_with_share
from talentatlas.store import open_warehouse


@dataclass
class Coverage:
    authorships: int
    with_affiliation: float
    with_country: float
    with_institution: float
    with_sector: float
    with_reliable_key: float


class Atlas:
    """A read-only view of a built warehouse."""

    def __init__(self, con: Any, path: Path) -> None:
        self.con = con
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> Atlas:
        p = Path(path)
        return cls(open_warehouse(p), p)

    def close(self) -> None:
        self.con.disconnect()

    def __enter__(self) -> Atlas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def tables(self) -> list[str]:
        return sorted(self.con.list_tables())

    # -- what is in the warehouse ---------------------------------------------------
    def build_info(self) -> dict[str, str]:
        rows = self.table("build_info").to_pyarrow().to_pylist()
        return {r["key"]: r["value"] for r in rows}

    def counts(self) -> dict[str, int]:
        out = {}
        for name in ["works", "authorships", "persons", "affiliations", "quarantine"]:
            out[name] = int(self.table(name).count().to_pyarrow().as_py())
        inst = self.table("padded_institution").select("value").distinct().count()
        out["institutions"] = int(inst.to_pyarrow().as_py())
        out["files"] = int(self.table("files").count().to_pyarrow().as_py())
        return out

    def coverage(self, scoped: bool = False) -> Coverage:
        """Shares of authorships with an affiliation, a country, an institution, a
        sector, and a reliable person key (OpenReview id). ``scoped``: only the
        authorships that enter careers (accepted works at the scope's venues)."""
        f = self.table("scoped_facts" if scoped else "authorship_facts")
        agg = f.agg(
            n=_.count(),
            aff=_.has_affiliation.cast("int64").sum(),
            country=_.country.notnull().cast("int64").sum(),
            inst=_.institution.notnull().cast("int64").sum(),
            sector=_.sector.notnull().cast("int64").sum(),
            key=(_.key_kind == "openreview").cast("int64").sum(),
        )
        r = agg.to_pyarrow().to_pylist()[0]
        n = r["n"] or 1
        return Coverage(
            authorships=r["n"],
            with_affiliation=(r["aff"] or 0) / n,
            with_country=(r["country"] or 0) / n,
            with_institution=(r["inst"] or 0) / n,
            with_sector=(r["sector"] or 0) / n,
            with_reliable_key=(r["key"] or 0) / n,
        )

    def sources(self) -> pa.Table:
        f = self.table("files")
        return (
            f.group_by("source")
            .agg(
                files=_.count(),
                records=_.records.sum(),
                works=_.works.sum(),
                authorships=_.authorships.sum(),
                quarantined=_.quarantined.sum(),
            )
            .order_by("source")
            .to_pyarrow()
        )

    def quarantined(self, limit: int = 20) -> pa.Table:
        q = self.table("quarantine")
        return (
            q.group_by(["file", "reason"])
            .agg(records=_.count(), first_record=_.record.min())
            .order_by([ibis.desc("records"), "file"])
            .limit(limit)
            .to_pyarrow()
        )

    # -- indicators -----------------------------------------------------------------
    def stock(
        self, by: str = "country", year: int | None = None, value: str | None = None
    ) -> pa.Table:
        """Persons per country / institution / sector and year, with world share."""
        if by not in DIMENSIONS:
            raise ValueError(f"--by must be one of {', '.join(DIMENSIONS)}, not {by!r}")
        s = self.table("stock")
        s = stock_with_share(s.filter(s.dimension == by))
        s = s.mutate(share=s.share.round(4))
        if year is not None:
            s = s.filter(s.year == year)
        if value is not None:
            s = s.filter(s.value == value)
        s = s.select(**{by: s.value}, year=s.year, stock=s.stock, share=s.share)
        return s.order_by([ibis.asc("year"), ibis.desc("stock"), ibis.asc(by)]).to_pyarrow()

    def migration(self, country: str | None = None, year: int | None = None) -> pa.Table:
        """In, out, net, stock and net rate per 10,000 per country and year."""
        m = self.table("migration")
        if country is not None:
            m = m.filter(m.country == country.upper())
        if year is not None:
            m = m.filter(m.year == year)
        return m.order_by(["country", "year"]).to_pyarrow()

    def flows(self, country: str | None = None, year: int | None = None) -> pa.Table:
        f = self.table("flows")
        if country is not None:
            c = country.upper()
            f = f.filter((f.origin == c) | (f.destination == c))
        if year is not None:
            f = f.filter(f.year == year)
        return f.order_by(
            [ibis.asc("year"), ibis.desc("moves"), "origin", "destination"]
        ).to_pyarrow()
