"""DOL Labor Condition Application (LCA) disclosure filings (H-1B, H-1B1, E-3): per
filing the employer, job title, occupation, worksite, the wage the employer offers
(a range, with its unit) and the prevailing wage it must meet.

A filing's wage is an **offered base wage for a visa filing**: no bonus, no equity; a
certified filing is not a hire (some are never used). Read from the DOL's quarterly
disclosure files (CSV, or the spreadsheets, streamed through python-calamine) and from
older layouts: columns are found by name (:data:`ALIASES`, first match wins; a
column called ``state_name`` — a sample whose ``WORKSITE_STATE`` is always
"California" — is preferred to ``WORKSITE_STATE``).

Normalisation (in DuckDB): wages lose ``$``, commas and spaces; a range written in one
field (``120000 - 150000``) is split; the unit (``Year``, ``Hour``, ``Week``,
``Bi-Weekly``, ``Month``) turns the wage into a yearly one (x1, x2080, x52, x26, x12).
Without a unit column the amount decides: at most $500 is hourly, at least $15,080
(the federal minimum wage for a year of full-time work) yearly, anything between is
quarantined. A filing is quarantined, with file and record, when its wage is not a
number, its unit unknown, its yearly wage implausible (below $15,080 or above
$5,000,000), it has no wage at all, or no date. Withdrawn, denied and pending filings
are kept with their status but are not offers (``is_offer``); nor are part-time
positions. A case number filed twice keeps its latest decision.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from talentatlas.pay.families import classify, soc_code
from talentatlas.pay.read import HOURS_PER_YEAR, PayRead, connection, literal, states_table
from talentatlas.sources.base import QUARANTINE_SCHEMA

SOURCE = "dol_lca"
#: canonical field -> column names it is read from (lower case, first present wins)
ALIASES: dict[str, tuple[str, ...]] = {
    "case_number": ("case_number", "lca_case_number", "case_no"),
    "status": ("case_status", "status", "case status"),
    "date": (
        "decision_date",
        "received_date",
        "case_submitted",
        "lca_case_submit",
        "submit date",
        "decision date",
    ),
    "visa_class": ("visa_class", "program"),
    "employer": ("employer_name", "lca_case_employer_name", "employer"),
    "job_title": ("job_title", "lca_case_job_title", "job title"),
    "soc_code": ("soc_code", "lca_case_soc_code"),
    "soc_title": ("soc_title", "soc_name", "lca_case_soc_name"),
    "full_time": ("full_time_position", "full_time_pos", "full_time"),
    "city": ("worksite_city", "worksite_city_1", "lca_case_workloc1_city", "city"),
    "county": ("worksite_county", "worksite_county_1", "county"),
    "state": (
        "state_name",
        "worksite_state",
        "worksite_state_1",
        "lca_case_workloc1_state",
        "state",
    ),
    "wage_from": (
        "wage_rate_of_pay_from",
        "wage_rate_of_pay_from_1",
        "wage_rate_of_pay",
        "lca_case_wage_rate_from",
        "base salary",
        "base_salary",
    ),
    "wage_to": ("wage_rate_of_pay_to", "wage_rate_of_pay_to_1", "lca_case_wage_rate_to"),
    "wage_unit": ("wage_unit_of_pay", "wage_unit_of_pay_1", "lca_case_wage_rate_unit"),
    "prevailing": ("prevailing_wage", "prevailing_wage_1", "pw_1"),
    "pw_unit": ("pw_unit_of_pay", "pw_unit_of_pay_1", "pw_unit_1"),
    "pw_level": ("pw_wage_level", "pw_wage_level_1", "pw_level"),
}
#: lower-case unit -> hours-or-periods per year
UNITS = {
    "year": 1, "yr": 1, "annual": 1, "per year": 1, "hour": HOURS_PER_YEAR, "hr": HOURS_PER_YEAR,
    "week": 52, "wk": 52, "bi-weekly": 26, "biweekly": 26, "bi-weekly (every two weeks)": 26,
    "month": 12, "mth": 12,
}  # fmt: skip
HOURLY_AT_MOST = 500.0
YEARLY_AT_LEAST = 15080.0
YEARLY_AT_MOST = 5_000_000.0

SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("case_number", pa.string()),
        ("status", pa.string()),
        ("visa_class", pa.string()),
        ("decision_date", pa.date32()),
        ("year", pa.int32()),
        ("employer", pa.string()),
        ("job_title", pa.string()),
        ("soc_code", pa.string()),
        ("soc_title", pa.string()),
        ("family", pa.string()),
        ("seniority", pa.string()),
        ("full_time", pa.bool_()),
        ("city", pa.string()),
        ("county", pa.string()),
        ("state", pa.string()),
        ("wage_from", pa.float64()),
        ("wage_to", pa.float64()),
        ("wage_unit", pa.string()),
        ("unit_inferred", pa.bool_()),
        ("annual_wage", pa.float64()),
        ("annual_wage_to", pa.float64()),
        ("prevailing_wage", pa.float64()),
        ("pw_level", pa.string()),
        ("is_offer", pa.bool_()),
        ("file", pa.string()),
        ("record", pa.int64()),
    ]
)


def read(path: Path, rel: str) -> PayRead:
    """One disclosure file (``.csv``, ``.csv.gz``, ``.xlsx``)."""
    with connection() as con:
        if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}:
            raw, rejects = _read_sheet(path), []
            con.register("raw_src", raw)
            con.execute("CREATE TEMP TABLE raw AS SELECT * FROM raw_src")
        else:
            rejects = _load_csv(con, path, rel)
        cols = [r[0] for r in con.execute("DESCRIBE raw").fetchall()]
        lower = {c.lower().strip(): c for c in cols}
        found = {
            f: next((lower[a] for a in names if a in lower), None) for f, names in ALIASES.items()
        }
        n = con.execute("SELECT count(*) FROM raw").fetchone()[0] + sum(r.num_rows for r in rejects)
        if found["wage_from"] is None and found["prevailing"] is None:
            raise ValueError(f"{rel}: no wage column (looked for {ALIASES['wage_from'][:3]} ...)")
        used = {c for c in found.values() if c} | {lower[a] for a in ALIASES["date"] if a in lower}
        unknown = sorted(c for c in cols if c not in used and c != "record")
        dates = [lower[a] for a in ALIASES["date"] if a in lower]
        _normalise(con, found, dates, rel)
        out = con.sql("SELECT * FROM filings WHERE reason IS NULL").to_arrow_table()
        q = con.sql(f"""
            SELECT {literal(SOURCE)} AS source, {literal(rel)} AS file, f.record, f.reason,
                   concat_ws('|', {", ".join("r." + _q(c) for c in cols if c != "record")}) AS raw
            FROM filings f JOIN raw r ON r.record = f.record WHERE f.reason IS NOT NULL
            ORDER BY f.record""").to_arrow_table()  # fmt: skip
        dups = out.num_rows
        con.register("kept", out)
        out = con.sql("""
            SELECT * EXCLUDE (reason, raw_soc) FROM kept
            QUALIFY case_number IS NULL OR row_number() OVER (
                PARTITION BY case_number ORDER BY decision_date DESC NULLS LAST, record DESC) = 1
            ORDER BY record""").to_arrow_table()
        dups -= out.num_rows
    fam = classify(
        [
            t or s
            for t, s in zip(out["job_title"].to_pylist(), out["soc_title"].to_pylist(), strict=True)
        ],
        out["soc_code"].to_pylist(),
    )
    out = out.drop_columns(["family", "seniority"])
    out = out.append_column("family", fam["family"]).append_column("seniority", fam["seniority"])
    quarantine = (pa.concat_tables([q, *rejects]) if rejects else q).sort_by("record")
    problems = [f"{dups} filings repeat a case number: the latest decision kept"] if dups else []
    return PayRead(SOURCE, out.select(SCHEMA.names).cast(SCHEMA), quarantine, records=n,
                   problems=problems, unknown_fields=unknown)  # fmt: skip


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _load_csv(con, path: Path, rel: str) -> list[pa.Table]:
    """The CSV as all-text table ``raw`` with ``record`` (1 = the first data row,
    counting the lines that could not be read); those lines as quarantine rows."""
    lit = literal(str(path))
    con.execute(f"""
        CREATE TEMP TABLE raw0 AS SELECT * FROM read_csv({lit}, all_varchar=true, header=true,
            quote='"', escape='"', ignore_errors=true, store_rejects=true,
            rejects_table='rej', rejects_scan='rej_scan', null_padding=false)""")
    # a rejected line is one record (its number: the line's, less the header); the lines
    # read take the other numbers, in order
    con.execute("""
        CREATE TEMP TABLE rejected AS
        SELECT (line - 1)::BIGINT AS record, string_agg(DISTINCT error_message, '; ') AS msg,
               max(csv_line) AS raw
        FROM rej GROUP BY line""")
    n = con.execute(
        "SELECT (SELECT count(*) FROM raw0) + (SELECT count(*) FROM rejected)"
    ).fetchone()[0]
    con.execute(f"""
        CREATE TEMP TABLE raw AS
        WITH slots AS (
            SELECT r AS record, row_number() OVER (ORDER BY r) AS k
            FROM range(1, {n} + 1) t(r) WHERE r NOT IN (SELECT record FROM rejected)),
        rows AS (SELECT row_number() OVER () AS k, * FROM raw0)
        SELECT s.record, rows.* EXCLUDE (k) FROM rows JOIN slots s USING (k)""")
    rej = con.sql(f"""
        SELECT {literal(SOURCE)} AS source, {literal(rel)} AS file, record,
               'unreadable CSV line: ' || msg AS reason, raw
        FROM rejected ORDER BY record""").to_arrow_table()
    return [rej.cast(QUARANTINE_SCHEMA)] if rej.num_rows else []


def _read_sheet(path: Path, batch: int = 50_000) -> pa.Table:
    """The first sheet of a spreadsheet as an all-text table with ``record``, streamed
    row by row (python-calamine) and kept only for the columns :data:`ALIASES` reads."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        rows = wb.get_sheet_by_index(0).iter_rows()
        header = [str(h).strip() for h in next(rows, [])]
        wanted = {a for names in ALIASES.values() for a in names}
        keep = [i for i, h in enumerate(header) if h.lower() in wanted]
        names = ["record", *(header[i] for i in keep)]
        batches: list[pa.RecordBatch] = []
        buf: list[list[str | None]] = [[] for _ in names]

        def flush() -> None:
            if buf[0]:
                batches.append(pa.record_batch(
                    [pa.array(buf[0], pa.int64()), *(pa.array(c, pa.string()) for c in buf[1:])],
                    names=names,
                ))  # fmt: skip
                for c in buf:
                    c.clear()

        for record, row in enumerate(rows, start=1):
            buf[0].append(record)
            for j, i in enumerate(keep, start=1):
                buf[j].append(_cell(row[i]) if i < len(row) else None)
            if len(buf[0]) >= batch:
                flush()
        flush()
    finally:
        wb.close()
    schema = pa.schema([("record", pa.int64()), *((n, pa.string()) for n in names[1:])])
    return pa.Table.from_batches(batches, schema=schema)


def _cell(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _normalise(con, found: dict[str, str | None], dates: list[str], rel: str) -> None:
    """``filings``: one row per raw row with the parsed fields and ``reason`` (null
    for a good row)."""
    con.register("us_states", states_table())

    def col(field: str) -> str:
        c = found[field]
        return f"nullif(trim(r.{_q(c)}), '')" if c else "NULL::VARCHAR"

    units = " ".join(f"WHEN {literal(k)} THEN {v}" for k, v in UNITS.items())

    def parsed_day(c: str) -> str:
        v = f"nullif(trim(r.{_q(c)}), '')"
        return (f"coalesce(TRY_CAST({v} AS DATE), TRY_STRPTIME({v}, '%m/%d/%Y')::DATE, "
                f"TRY_CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))")  # fmt: skip

    # the first date a row has, of the date columns in order (decision, received ...)
    day = f"coalesce({', '.join(parsed_day(c) for c in dates)})" if dates else "NULL::DATE"

    def money(expr: str) -> str:
        return f"regexp_replace({expr}, '[$,\\s]|USD', '', 'g')"

    con.execute(f"""
        CREATE TEMP TABLE parsed AS
        SELECT r.record,
               {col("case_number")} AS case_number,
               lower({col("status")}) AS status_raw,
               {col("visa_class")} AS visa_class,
               {day} AS decision_date,
               {col("employer")} AS employer, {col("job_title")} AS job_title,
               {col("soc_code")} AS raw_soc, {col("soc_title")} AS soc_title,
               upper(left({col("full_time")}, 1)) AS ft,
               {col("city")} AS city, {col("county")} AS county, {col("state")} AS state_raw,
               {money(col("wage_from"))} AS w_txt, {money(col("wage_to"))} AS w_to_txt,
               lower({col("wage_unit")}) AS w_unit,
               {money(col("prevailing"))} AS p_txt, lower({col("pw_unit")}) AS p_unit,
               {col("pw_level")} AS pw_level
        FROM raw r""")
    con.execute(f"""
        CREATE TEMP TABLE amounts AS
        SELECT *,
               -- a range in one field: "120000-150000"
               TRY_CAST(CASE WHEN regexp_matches(w_txt, '^[0-9.]+-[0-9.]+$')
                             THEN split_part(w_txt, '-', 1) ELSE w_txt END AS DOUBLE) AS w_from,
               coalesce(TRY_CAST(w_to_txt AS DOUBLE),
                        TRY_CAST(CASE WHEN regexp_matches(w_txt, '^[0-9.]+-[0-9.]+$')
                                      THEN split_part(w_txt, '-', 2) END AS DOUBLE)) AS w_to,
               TRY_CAST(p_txt AS DOUBLE) AS p_amt,
               CASE w_unit {units} END AS w_mult, CASE p_unit {units} END AS p_mult
        FROM parsed""")
    con.execute(f"""
        CREATE TEMP TABLE sized AS
        SELECT *,
               coalesce(w_mult, CASE WHEN w_unit IS NULL AND w_from <= {HOURLY_AT_MOST} THEN {HOURS_PER_YEAR}
                                     WHEN w_unit IS NULL AND w_from >= {YEARLY_AT_LEAST} THEN 1 END) AS wm,
               coalesce(p_mult, CASE WHEN p_unit IS NULL AND p_amt <= {HOURLY_AT_MOST} THEN {HOURS_PER_YEAR}
                                     WHEN p_unit IS NULL AND p_amt >= {YEARLY_AT_LEAST} THEN 1 END) AS pm
        FROM amounts""")  # fmt: skip
    con.execute(f"""
        CREATE TEMP TABLE filings AS
        SELECT {literal(SOURCE)} AS source, case_number,
               CASE WHEN status_raw LIKE '%certified%' AND status_raw LIKE '%withdrawn%'
                         THEN 'certified-withdrawn'
                    WHEN status_raw LIKE '%certified%' THEN 'certified'
                    WHEN status_raw LIKE '%withdrawn%' THEN 'withdrawn'
                    WHEN status_raw LIKE '%denied%' THEN 'denied'
                    ELSE status_raw END AS status,
               visa_class, decision_date, year(decision_date)::INT AS year, employer, job_title,
               raw_soc, NULL::VARCHAR AS soc_code, soc_title, NULL::VARCHAR AS family,
               NULL::VARCHAR AS seniority,
               CASE ft WHEN 'Y' THEN true WHEN 'N' THEN false END AS full_time,
               city, county, coalesce(s.code, upper(state_raw)) AS state,
               w_from AS wage_from, w_to AS wage_to,
               CASE wm WHEN 1 THEN 'year' WHEN {HOURS_PER_YEAR} THEN 'hour' WHEN 52 THEN 'week'
                       WHEN 26 THEN 'bi-weekly' WHEN 12 THEN 'month' END AS wage_unit,
               w_from IS NOT NULL AND w_unit IS NULL AS unit_inferred,
               round(w_from * wm, 2) AS annual_wage,
               CASE WHEN w_to * wm BETWEEN w_from * wm AND {YEARLY_AT_MOST}
                    THEN round(w_to * wm, 2) END AS annual_wage_to,
               round(p_amt * pm, 2) AS prevailing_wage, pw_level,
               status_raw LIKE '%certified%' AND status_raw NOT LIKE '%withdrawn%'
                   AND w_from IS NOT NULL AND coalesce(ft, 'Y') <> 'N' AS is_offer,
               {literal(rel)} AS file, record,
               CASE
                 WHEN w_txt IS NOT NULL AND w_from IS NULL
                   THEN 'offered wage is not a number: ' || w_txt
                 WHEN w_from IS NOT NULL AND w_unit IS NOT NULL AND w_mult IS NULL
                   THEN 'unknown wage unit: ' || w_unit
                 WHEN w_from IS NOT NULL AND wm IS NULL
                   THEN 'no wage unit, and ' || w_txt || ' is neither an hourly (<= {HOURLY_AT_MOST:.0f}) '
                        || 'nor a yearly (>= {YEARLY_AT_LEAST:.0f}) wage'
                 WHEN w_from IS NOT NULL AND (w_from * wm < {YEARLY_AT_LEAST}
                                              OR w_from * wm > {YEARLY_AT_MOST})
                   THEN 'implausible yearly wage: ' || round(w_from * wm)::BIGINT
                 WHEN w_from IS NULL AND p_txt IS NOT NULL AND p_amt IS NULL
                   THEN 'prevailing wage is not a number: ' || p_txt
                 WHEN w_from IS NULL AND p_amt IS NOT NULL AND pm IS NULL
                   THEN 'prevailing wage unit unknown or unclear: ' || p_txt
                 WHEN w_from IS NULL AND (p_amt * pm < {YEARLY_AT_LEAST}
                                          OR p_amt * pm > {YEARLY_AT_MOST})
                   THEN 'implausible yearly prevailing wage: ' || round(p_amt * pm)::BIGINT
                 WHEN w_from IS NULL AND p_amt IS NULL THEN 'no wage'
                 WHEN decision_date IS NULL THEN 'no decision or filing date'
               END AS reason
        FROM sized LEFT JOIN us_states s ON s.name = lower(state_raw)""")  # fmt: skip
    # the occupation code, normalised (15-1221.00 -> 15-1221), in Python: few distinct
    codes = [r[0] for r in con.execute("SELECT DISTINCT raw_soc FROM filings").fetchall()]
    con.register(
        "soc_map",
        pa.table({"raw_soc": pa.array(codes, pa.string()),
                  "code": pa.array([soc_code(c) for c in codes], pa.string())}),
    )  # fmt: skip
    con.execute("""
        UPDATE filings SET soc_code = m.code FROM soc_map m
        WHERE filings.raw_soc = m.raw_soc""")
