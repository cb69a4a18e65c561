"""DOL OFLC prevailing wage levels: for an occupation (SOC) in a county, the four wage
levels (I entry .. IV fully competent) an H-1B employer must pay at least. A floor set
by the government from OEWS data, not a wage anyone was paid.

The county table (``soc_code, soc_title, state, county, level_I_hourly ..
level_IV_hourly``) is read inside DuckDB. Its ``*_hourly`` columns hold yearly salaries
for some occupations (those paid by the year, e.g. teachers): an occupation whose level
I anywhere exceeds $1,000 is read as yearly throughout (hourly wages in the table are
at most a few hundred dollars; yearly ones at least $15,000). Levels are stored as
yearly USD (hourly x 2,080). A row whose level is not a number is quarantined.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from talentatlas.pay.read import HOURS_PER_YEAR, PayRead, connection, literal

SOURCE = "dol_oflc"
LEVELS = ("level_1", "level_2", "level_3", "level_4")
COLUMNS = ("soc_code", "soc_title", "state", "county", "level_i_hourly", "level_ii_hourly",
           "level_iii_hourly", "level_iv_hourly")  # fmt: skip
#: a level I above this (in a column called hourly) means the occupation is paid yearly
YEARLY_ABOVE = 1000.0

#: the DOL's release: wages by occupation and wage area, and the areas' counties
ALC = "alc_export.csv"


def _sibling(path: Path, name: str) -> Path | None:
    return next((p for p in path.parent.iterdir() if p.name.lower() == name), None)


def _load_alc(con, path: Path, rel: str) -> None:
    """``raw`` in the county table's columns from ``ALC_Export.csv`` (``Area, SocCode,
    GeoLvl, Level1-Level4, Average, Label``) joined with ``Geography.csv`` (``Area,
    AreaName, StateAb, State, CountyTownName``): a row per occupation and county, its
    record the export's row; titles from ``oes_soc_occs.csv`` when it is beside them.
    A row whose area the geography lacks keeps no state (and is quarantined)."""
    geo = _sibling(path, "geography.csv")
    if geo is None:
        raise ValueError(f"{rel}: Geography.csv is not beside it")

    def csv(p: Path) -> str:
        return f"read_csv({literal(str(p))}, all_varchar=true, header=true)"

    titles = _sibling(path, "oes_soc_occs.csv")
    title_join = (
        f"LEFT JOIN (SELECT DISTINCT trim(OES_SOCCODE) AS code, OES_SOCTITLE AS title "
        f"FROM {csv(titles)}) t ON t.code = trim(a.SocCode)"
        if titles else "LEFT JOIN (SELECT NULL::VARCHAR AS code, NULL::VARCHAR AS title) t ON false"
    )  # fmt: skip
    con.execute(f"""
        CREATE TEMP TABLE raw AS
        WITH a AS (SELECT row_number() OVER () AS record, * FROM {csv(path)})
        SELECT a.record, trim(a.SocCode) AS soc_code, t.title AS soc_title,
               g.StateAb AS state,
               regexp_replace(lower(trim(g.CountyTownName)), '\\s+(county|parish)$', '')
                   AS county,
               a.Level1 AS level_i_hourly, a.Level2 AS level_ii_hourly,
               a.Level3 AS level_iii_hourly, a.Level4 AS level_iv_hourly
        FROM a LEFT JOIN {csv(geo)} g ON trim(g.Area) = trim(a.Area)
        {title_join}
        ORDER BY a.record""")


SCHEMA = pa.schema(
    [
        ("soc_code", pa.string()),
        ("soc_title", pa.string()),
        ("state", pa.string()),
        ("county", pa.string()),
        *((lv, pa.float64()) for lv in LEVELS),
        ("stated_unit", pa.string()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)


def read(path: Path, rel: str) -> PayRead:
    """The county table, or the DOL's own export (``ALC_Export.csv`` with
    ``Geography.csv`` beside it)."""
    with connection() as con:
        if path.name.lower() == ALC:
            _load_alc(con, path, rel)
        else:
            con.execute(
                "CREATE TEMP TABLE raw AS SELECT row_number() OVER () AS record, * FROM "
                f"read_csv({literal(str(path))}, all_varchar=true, header=true, quote='\"', "
                "escape='\"')"
            )
        have = [r[0].lower() for r in con.execute("DESCRIBE raw").fetchall()]
        missing = [c for c in COLUMNS if c not in have]
        if missing:
            raise ValueError(f"{rel}: not a prevailing-wage county table; missing {missing}")
        unknown = [c for c in have if c not in (*COLUMNS, "record")]
        lv = dict(zip(LEVELS, COLUMNS[4:], strict=True))
        bad = " OR ".join(f"TRY_CAST({c} AS DOUBLE) IS NULL" for c in COLUMNS[4:])
        con.execute(f"""
            CREATE TEMP TABLE parsed AS
            SELECT *, ({bad}) OR soc_code IS NULL OR state IS NULL AS bad,
                   max(TRY_CAST(level_i_hourly AS DOUBLE)) OVER (PARTITION BY soc_code)
                       > {YEARLY_ABOVE} AS yearly
            FROM raw""")
        levels = ", ".join(
            f"round(CASE WHEN yearly THEN TRY_CAST({c} AS DOUBLE) "
            f"ELSE TRY_CAST({c} AS DOUBLE) * {HOURS_PER_YEAR} END, 2) AS {name}"
            for name, c in lv.items()
        )
        out = con.sql(f"""
            SELECT split_part(soc_code, '.', 1) AS soc_code, nullif(trim(soc_title), '') AS soc_title,
                   upper(trim(state)) AS state, lower(trim(county)) AS county, {levels},
                   CASE WHEN yearly THEN 'year' ELSE 'hour' END AS stated_unit,
                   {literal(rel)} AS file, record
            FROM parsed WHERE NOT bad""").to_arrow_table()
        q = con.sql(f"""
            SELECT DISTINCT ON (record) '{SOURCE}' AS source, {literal(rel)} AS file, record,
                   CASE WHEN soc_code IS NULL OR state IS NULL
                        THEN 'no occupation code or state (an area the geography lacks)'
                        ELSE 'a wage level is not a number' END AS reason,
                   concat_ws(',', {", ".join(COLUMNS)}) AS raw
            FROM parsed WHERE bad ORDER BY record""").to_arrow_table()
        n = con.execute("SELECT count(DISTINCT record) FROM raw").fetchone()[0]
    return PayRead(SOURCE, out.cast(SCHEMA), q, records=n, unknown_fields=unknown)
