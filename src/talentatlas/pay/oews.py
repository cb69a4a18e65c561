"""BLS Occupational Employment and Wage Statistics (OEWS): employment and the wage
distribution of an occupation in an area (national, state, metropolitan area), from
the survey of employers (all employers, all employees of the occupation; no equity,
no self-employed).

Two layouts are read: the complete release as SQLite (``cell`` keyed ``OEU`` + area
type + area + industry + occupation, values ``v01``-``v17`` and footnotes
``f01``-``f17``, with ``area``, ``industry``, ``occupation`` and ``meta`` tables), and
the flattened CSV of some occupations (one row per cell, named columns); the CSV is
read only where no SQLite release is present. A value ``-`` is not published (its
footnote says why: 5 = at or above the top code, $115.00 an hour or $239,200 a year;
8 = not released) and becomes null; ``annual_top_coded`` marks a percentile withheld
for being above the top code. A value that is neither a number nor ``-`` quarantines
the cell.
"""

from __future__ import annotations

import re
import sqlite3
import urllib.parse
from pathlib import Path

import pyarrow as pa

from talentatlas.pay.read import PayRead, connection, literal, plain_file, states_table

SOURCE = "bls_oews"
#: value columns of a cell, in the release's order (v01 .. v17)
VALUES = (
    "employment", "employment_rse", "hourly_mean", "annual_mean", "wage_rse",
    "hourly_p10", "hourly_p25", "hourly_p50", "hourly_p75", "hourly_p90",
    "annual_p10", "annual_p25", "annual_p50", "annual_p75", "annual_p90",
    "jobs_per_1000", "location_quotient",
)  # fmt: skip
AREA_TYPES = {"N": "national", "S": "state", "M": "metro"}

SCHEMA = pa.schema(
    [
        ("year", pa.int32()),
        ("release", pa.string()),
        ("soc_code", pa.string()),
        ("occupation", pa.string()),
        ("occupation_level", pa.int32()),
        ("area_type", pa.string()),
        ("area_code", pa.string()),
        ("area_name", pa.string()),
        ("state", pa.string()),
        ("industry_code", pa.string()),
        ("industry", pa.string()),
        *((v, pa.float64()) for v in VALUES),
        ("annual_top_coded", pa.bool_()),
        ("footnotes", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)


def read(path: Path, rel: str) -> PayRead:
    """One OEWS release: the SQLite file (optionally gzipped), BLS's time-series files
    (``oe.data.0.Current`` with ``oe.area``, ``oe.industry`` and ``oe.occupation``
    beside it), or the flattened CSV."""
    name = path.name.lower()
    if ".sqlite" in name or ".db" in name:
        return _read_sqlite(path, rel)
    if name.startswith(TIMESERIES):
        return _read_timeseries(path, rel)
    return _read_csv(path, rel)


#: the data file of BLS's time-series release (download.bls.gov/pub/time.series/oe/)
TIMESERIES = "oe.data.0.current"


def _read_timeseries(path: Path, rel: str) -> PayRead:
    """BLS's own files: ``oe.data.0.Current`` (tab-separated ``series_id, year,
    period, value, footnote_codes``; a series is the cell key and two digits of data
    type) and the dimension files beside it (tab-separated, with headers)."""
    with connection() as con:

        def tsv(file: Path) -> str:
            return (f"read_csv({literal(str(file))}, delim='\\t', header=true, "
                    "all_varchar=true, quote='')")  # fmt: skip

        dims = {}
        for dim in ("area", "industry", "occupation"):
            f = path.with_name(f"oe.{dim}")
            if not f.exists():
                raise ValueError(f"{rel}: {f.name} is not beside it")
            t = con.sql(f"SELECT * FROM {tsv(f)}").to_arrow_table()
            dims[dim] = t.rename_columns([c.strip().lower() for c in t.column_names])
        vals = ", ".join(
            f"max(CASE WHEN dt = '{i:02d}' THEN v END) AS v{i:02d}" for i in range(1, 18)
        )
        foot = " || ',' || ".join(
            f"coalesce(max(CASE WHEN dt = '{i:02d}' THEN f END), '')" for i in range(1, 18)
        )
        con.execute(f"""
            CREATE TEMP TABLE series AS
            SELECT left(trim(#1), 23) AS key, substr(trim(#1), 24, 2) AS dt, trim(#4) AS v,
                   nullif(trim(#5), '') AS f, TRY_CAST(trim(#2) AS INT) AS year
            FROM {tsv(path)}""")  # series_id, year, period, value, footnote_codes
        year = con.execute("SELECT max(year) FROM series").fetchone()[0]
        cells = con.sql(f"""
            SELECT key, {vals}, {foot} AS f FROM series WHERE year = {year or 0}
            GROUP BY key ORDER BY key""").to_arrow_table()

    def pick(t: pa.Table, cols: list[str], names: list[str]) -> pa.Table:
        return pa.table({n: t[c].cast(pa.string()) for c, n in zip(cols, names, strict=True)})

    return _parse(
        cells,
        pick(dims["area"], ["area_code", "areatype_code", "state_code", "area_name"],
             ["area_code", "areatype", "state_code", "area_name"]),
        pick(dims["industry"], ["industry_code", "industry_name", "display_level"],
             ["industry_code", "industry", "ind_level"]),
        pick(dims["occupation"], ["occupation_code", "occupation_name", "display_level"],
             ["occupation_code", "occupation", "occ_level"]),
        year, f"May {year}" if year else None, rel,
    )  # fmt: skip


def _read_sqlite(path: Path, rel: str) -> PayRead:
    with plain_file(path) as plain:
        db = sqlite3.connect(f"file:{urllib.parse.quote(str(plain))}?mode=ro", uri=True)
        try:
            meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
            vals = ", ".join(f"v{i:02d}" for i in range(1, 18))
            foot = " || ',' || ".join(f"coalesce(f{i:02d}, '')" for i in range(1, 18))
            rows = db.execute(f"SELECT key, {vals}, {foot} FROM cell").fetchall()
            dims = {
                t: db.execute(f"SELECT * FROM {t}").fetchall()
                for t in ("area", "industry", "occupation")
            }
        finally:
            db.close()
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in range(19)]
    cells = pa.table(
        {"key": pa.array(cols[0], pa.string()),
         **{f"v{i:02d}": pa.array(cols[i], pa.string()) for i in range(1, 18)},
         "f": pa.array(cols[18], pa.string())}
    )  # fmt: skip

    def dim(rows: list[tuple], names: list[str]) -> pa.Table:
        cols = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        return pa.table(
            {n: pa.array(c).cast(pa.string()) for n, c in zip(names, cols, strict=True)}
        )

    year = int(meta.get("data_year", "0") or 0) or None
    return _parse(
        cells,
        dim(dims["area"], ["area_code", "areatype", "state_code", "area_name"]),
        dim(dims["industry"], ["industry_code", "industry", "ind_level"]),
        dim(dims["occupation"], ["occupation_code", "occupation", "occ_level"]),
        year, meta.get("release") or meta.get("release_code"), rel,
    )  # fmt: skip


#: the flattened CSV's value columns, in the SQLite layout's order (v01 .. v17)
CSV_VALUES = (
    "Employment", "Employment percent relative standard error", "Hourly mean wage",
    "Annual mean wage", "Wage percent relative standard error",
    "Hourly 10th percentile wage", "Hourly 25th percentile wage", "Hourly median wage",
    "Hourly 75th percentile wage", "Hourly 90th percentile wage",
    "Annual 10th percentile wage", "Annual 25th percentile wage", "Annual median wage",
    "Annual 75th percentile wage", "Annual 90th percentile wage",
    "Employment per 1,000 jobs", "Location Quotient",
)  # fmt: skip
CSV_DIMS = ("series_key", "areatype", "area_code", "area_name", "state_code",
            "industry_code", "industry_name", "occupation_code", "occupation_name")  # fmt: skip


def _read_csv(path: Path, rel: str) -> PayRead:
    """The flattened CSV of the SQLite release (one row per cell, the value and
    footnote columns named by their data type)."""
    with connection() as con:
        t = con.sql(
            f"SELECT * FROM read_csv({literal(str(path))}, all_varchar=true, header=true, "
            "quote='\"')"
        ).to_arrow_table()
    have = set(t.column_names)
    missing = [c for c in (*CSV_DIMS, *CSV_VALUES) if c not in have]
    if missing:
        raise ValueError(f"{rel}: not an OEWS cell table; missing columns {missing[:5]}")
    known = {*CSV_DIMS, *CSV_VALUES, *(f"footnote_{v}" for v in CSV_VALUES)}
    # the flattened CSV has no year column: the release's year is in its name
    found = re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", Path(rel).name)
    year = int(found[0]) if found else None
    foot = [t[f"footnote_{v}"] if f"footnote_{v}" in have else None for v in CSV_VALUES]
    f = [
        ",".join(x or "" for x in row)
        for row in zip(
            *[(c.to_pylist() if c is not None else [None] * t.num_rows) for c in foot], strict=True
        )
    ]
    cells = pa.table(
        {"key": t["series_key"], **{f"v{i:02d}": t[v] for i, v in enumerate(CSV_VALUES, 1)},
         "f": pa.array(f, pa.string())}
    )  # fmt: skip

    def dim(cols: list[str], names: list[str]) -> pa.Table:
        d = t.select(cols).rename_columns(names).group_by(names).aggregate([])
        return d

    out = _parse(
        cells,
        dim(["area_code", "areatype", "state_code", "area_name"],
            ["area_code", "areatype", "state_code", "area_name"]),
        dim(["industry_code", "industry_name"], ["industry_code", "industry"]),
        dim(["occupation_code", "occupation_name"], ["occupation_code", "occupation"]),
        year, None, rel,
    )  # fmt: skip
    out.unknown_fields = sorted(have - known)
    if year is None:
        out.problems.append("no release year in the file name (e.g. may2025): figures kept "
                            "without a year, and not converted to other currencies")  # fmt: skip
    return out


def _parse(
    cells: pa.Table, area: pa.Table, industry: pa.Table, occ: pa.Table,
    year: int | None, release: str | None, rel: str,
) -> PayRead:  # fmt: skip
    """Cells (``key, v01..v17, f``: footnote codes joined by commas) and the three
    dimension tables -> the table's rows and the quarantined cells."""
    if "occ_level" not in occ.column_names:
        occ = occ.append_column("occ_level", pa.nulls(occ.num_rows, pa.string()))
    with connection() as con:
        for name, t in (("cells", cells), ("area", area), ("industry", industry),
                        ("occ", occ), ("states", states_table())):  # fmt: skip
            con.register(name, t)
        casts = ", ".join(
            f"TRY_CAST(nullif(c.v{i:02d}, '-') AS DOUBLE) AS {v}" for i, v in enumerate(VALUES, 1)
        )
        bad = " OR ".join(
            f"(c.v{i:02d} IS NOT NULL AND c.v{i:02d} <> '-' AND TRY_CAST(c.v{i:02d} AS DOUBLE) IS NULL)"
            for i in range(1, 18)
        )
        # FIPS state code -> USPS code, from the release's own state areas; an area's
        # state is its principal state (a metro across several: the first)
        con.execute("""
            CREATE TEMP TABLE fips AS
            SELECT DISTINCT a.state_code AS fips, s.code
            FROM area a JOIN states s ON s.name = lower(a.area_name)
            WHERE a.areatype = 'S'""")
        con.execute(f"""
            CREATE TEMP TABLE parsed AS
            SELECT row_number() OVER () AS record, c.*, ({bad}) AS bad FROM cells c""")
        out = con.sql(f"""
            SELECT {year if year else "NULL"}::INT AS year, {literal(release)} AS release,
                   substr(c.key, 18, 2) || '-' || substr(c.key, 20, 4) AS soc_code,
                   o.occupation, o.occ_level::INT AS occupation_level,
                   CASE substr(c.key, 4, 1) WHEN 'N' THEN 'national' WHEN 'S' THEN 'state'
                        ELSE 'metro' END AS area_type,
                   substr(c.key, 5, 7) AS area_code, a.area_name,
                   CASE WHEN substr(c.key, 4, 1) <> 'N' THEN f.code END AS state,
                   substr(c.key, 12, 6) AS industry_code, i.industry, {casts},
                   regexp_matches(split_part(c.f, ',', 11) || ',' || split_part(c.f, ',', 12) || ','
                       || split_part(c.f, ',', 13) || ',' || split_part(c.f, ',', 14) || ','
                       || split_part(c.f, ',', 15), '(^|,)5(,|$)') AS annual_top_coded,
                   nullif(regexp_replace(regexp_replace(c.f, ',+', ',', 'g'), '^,|,$', '', 'g'), '')
                       AS footnotes,
                   {literal(rel)} AS file, c.record
            FROM parsed c
            LEFT JOIN area a ON a.area_code = substr(c.key, 5, 7)
            LEFT JOIN industry i ON i.industry_code = substr(c.key, 12, 6)
            LEFT JOIN occ o ON o.occupation_code = substr(c.key, 18, 6)
            LEFT JOIN fips f ON f.fips = a.state_code
            WHERE NOT c.bad AND length(c.key) = 23 AND c.key LIKE 'OEU%'
            ORDER BY c.record""").to_arrow_table()
        q = con.sql(f"""
            SELECT {literal(SOURCE)} AS source, {literal(rel)} AS file, record,
                   CASE WHEN length(key) <> 23 OR key NOT LIKE 'OEU%'
                        THEN 'cell key is not OEU + area type + area + industry + occupation'
                        ELSE 'a value is neither a number nor "-"' END AS reason,
                   concat_ws('|', {", ".join(["key", *(f"v{i:02d}" for i in range(1, 18))])}) AS raw
            FROM parsed WHERE bad OR length(key) <> 23 OR key NOT LIKE 'OEU%'
            ORDER BY record""").to_arrow_table()
    return PayRead(SOURCE, out.cast(SCHEMA), q, records=cells.num_rows)
