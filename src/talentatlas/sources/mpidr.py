"""MPIDR Scholarly Migration Database: reference tables of scholars' migration.

Akbaritabar, Theile and Zagheni (2024), *Global flows and rates of international
migration of scholars*, Scientific Data 11:816 (CC BY 4.0). Two datasets, all fields of
science: ``openalex_2023`` (OpenAlex, 2023 V1) and ``scopus_2024`` (Scopus, 2024 V1).
The files sit in ``<data_dir>/mpidr/`` (``talentatlas fetch`` copies them from a mirror):

- ``mpidr_<dataset>_V1_scholarlymigration_country.csv``: per country and year;
- ``mpidr_<dataset>_V1_scholarlymigration_countryflows.csv``: per ordered pair and year;
- ``mpidr_dfcountries.csv``: World Bank country list (ISO3 -> ISO2), optional.

Normalised tables (one schema for both datasets; country codes ISO 3166 alpha-2):

``country``: ``dataset, country, year, population, inflow, outflow, net, out_rate,
in_rate, net_rate``.
  - ``population``: padded population of researchers (a scholar counts in every year
    from first to last publication). **Right-censored**: the files give 0 from 2022
    on; it is null here, and so are the three rates.
  - ``inflow`` / ``outflow``: moves into / out of the country dated that year;
    ``net = inflow - outflow``.
  - Rates are **per researcher (per 1, not per 1,000)**: ``out_rate = outflow /
    population``, ``in_rate = inflow / population``, ``net_rate = net / population``
    (checked on every row; the files store them in float32 precision, ~1e-7 relative).
    Multiply by 10,000 to compare with talentatlas's net rate per 10,000.

``flows``: ``dataset, origin, destination, year, moves, moves_back, net``.
  - ``moves``: moves from origin to destination dated that year; ``moves_back``: moves
    the other way in the same year (equal to the reverse row's ``moves``);
    ``net = moves - moves_back``.
  - A null ``origin`` marks scholars *entering* the population (first publication in
    ``destination``), a null ``destination`` scholars *leaving* it (last publication in
    ``origin``); they are not country-to-country moves. Without them, flows out of and
    into a country-year sum exactly to the country table's ``outflow`` and ``inflow``.

Codes: OpenAlex gives ISO2, Scopus ISO3 (converted with ``mpidr_dfcountries.csv``, then
pycountry). OpenAlex's ``nan`` (institution without a country) becomes ``ZZ``
(unknown), Scopus's ``EUE`` (the European Union itself) ``EU``; ``XK`` is Kosovo.
Years are written as floats (``2006.0``) and read as integers.

Rows that cannot be read (wrong number of fields, non-numeric counts, fractional years,
empty required fields) are reported as ``file:line: reason``; by default they raise
:class:`MpidrFormatError`, with ``strict=False`` they are skipped and listed in
:attr:`MpidrTables.problems`.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pycountry

#: dataset -> length of the country codes its files use (2: ISO2, 3: ISO3)
DATASETS: dict[str, int] = {"openalex_2023": 2, "scopus_2024": 3}
SUBDIR = "mpidr"
COUNTRIES_FILE = "mpidr_dfcountries.csv"
UNKNOWN_COUNTRY = "ZZ"
#: codes in the files that are not (or not as such) ISO 3166 codes
SPECIAL_CODES: dict[str, str] = {"nan": UNKNOWN_COUNTRY, "EUE": "EU"}
#: alpha-2 codes kept although pycountry does not list them
EXTRA_ISO2 = frozenset({"XK", "EU", UNKNOWN_COUNTRY})

COUNTRY_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("country", pa.string()),
        ("year", pa.int32()),
        ("population", pa.int64()),
        ("inflow", pa.int64()),
        ("outflow", pa.int64()),
        ("net", pa.int64()),
        ("out_rate", pa.float64()),
        ("in_rate", pa.float64()),
        ("net_rate", pa.float64()),
    ]
)
FLOWS_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("origin", pa.string()),
        ("destination", pa.string()),
        ("year", pa.int32()),
        ("moves", pa.int64()),
        ("moves_back", pa.int64()),
        ("net", pa.int64()),
    ]
)

_F, _I, _S = pa.float64(), pa.int64(), pa.string()
#: raw column -> (type, may be empty)
_COUNTRY_RAW: dict[str, tuple[pa.DataType, bool]] = {
    "year": (_F, False),
    "countrycode": (_S, False),
    "padded_population_of_researchers": (_I, False),
    "number_of_inmigrations": (_I, False),
    "number_of_outmigrations": (_I, False),
    "netmigration": (_I, False),
    "outmigrationrate": (_F, True),
    "inmigrationrate": (_F, True),
    "netmigrationrate": (_F, True),
}
_FLOWS_RAW: dict[str, tuple[pa.DataType, bool]] = {
    "migrationfrom": (_S, True),
    "migrationto": (_S, True),
    "year": (_F, False),
    "n_migrations": (_I, False),
    "n_migrations_back": (_I, False),
    "netmigrations": (_I, False),
}
_INT = re.compile(r"-?\d+")


class MpidrFormatError(ValueError):
    """Rows of an MPIDR file that cannot be read; ``problems`` lists ``file:line: why``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__("malformed MPIDR rows:\n  " + "\n  ".join(problems[:10]) + more)


@dataclass
class MpidrTables:
    """The normalised ``country`` and ``flows`` tables of all datasets read."""

    country: pa.Table
    flows: pa.Table
    problems: list[str] = field(default_factory=list)


def file_name(dataset: str, kind: str) -> str:
    """``kind`` is ``country`` or ``countryflows``."""
    return f"mpidr_{dataset}_V1_scholarlymigration_{kind}.csv"


def load(
    data_dir: Path, datasets: tuple[str, ...] | None = None, *, strict: bool = True
) -> MpidrTables:
    """Read the MPIDR tables under ``data_dir/mpidr`` (plain or ``.gz``)."""
    folder = Path(data_dir) / SUBDIR
    names = tuple(DATASETS) if datasets is None else datasets
    unknown = [d for d in names if d not in DATASETS]
    if unknown:
        raise ValueError(f"unknown MPIDR dataset(s) {unknown}; known: {sorted(DATASETS)}")
    paths = {
        (d, k): _find(folder, file_name(d, k)) for d in names for k in ("country", "countryflows")
    }
    missing = [file_name(d, k) for (d, k), p in paths.items() if p is None]
    if missing:
        raise FileNotFoundError(
            f"MPIDR reference tables not found in {folder}: missing {', '.join(missing)}. "
            "Run `talentatlas fetch` with TALENTATLAS_MIRROR set to a mirror holding mpidr/, "
            "or copy them there from github.com/MPIDR/"
            "Global-flows-and-rates-of-international-migration-of-scholars."
        )
    found = {key: p for key, p in paths.items() if p is not None}
    countries = _find(folder, COUNTRIES_FILE)
    iso3 = iso3_to_iso2(countries) if countries else {}
    problems: list[str] = []
    country_parts = [read_country(found[d, "country"], d, iso3, problems) for d in names]
    flow_parts = [read_flows(found[d, "countryflows"], d, iso3, problems) for d in names]
    malformed = [p for p in problems if not p.startswith("note:")]
    if strict and malformed:
        raise MpidrFormatError(malformed)
    return MpidrTables(pa.concat_tables(country_parts), pa.concat_tables(flow_parts), problems)


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def iso3_to_iso2(countries_csv: Path) -> dict[str, str]:
    """ISO3 -> ISO2 from ``mpidr_dfcountries.csv`` (World Bank list, aggregates dropped)."""
    t = pacsv.read_csv(
        countries_csv,
        convert_options=pacsv.ConvertOptions(
            include_columns=["iso3code", "iso2Code"], strings_can_be_null=False
        ),
    )
    return {
        a3: a2
        for a3, a2 in zip(t["iso3code"].to_pylist(), t["iso2Code"].to_pylist(), strict=True)
        if len(a2) == 2 and a2.isalpha() and (pycountry.countries.get(alpha_2=a2) or a2 == "XK")
    }


def read_country(path: Path, dataset: str, iso3: dict[str, str], problems: list[str]) -> pa.Table:
    """One ``..._country.csv`` as :data:`COUNTRY_SCHEMA` (bad rows go to ``problems``)."""
    t, lines = _read(path, _COUNTRY_RAW, problems)
    code = _iso2(t["countrycode"], lines, DATASETS[dataset], iso3, path, problems)
    pop = t["padded_population_of_researchers"]
    cols = {
        "dataset": pa.repeat(dataset, t.num_rows),
        "country": code,
        "year": t["year"],
        "population": pc.if_else(pc.equal(pop, 0), pa.scalar(None, pa.int64()), pop),
        "inflow": t["number_of_inmigrations"],
        "outflow": t["number_of_outmigrations"],
        "net": t["netmigration"],
        "out_rate": t["outmigrationrate"],
        "in_rate": t["inmigrationrate"],
        "net_rate": t["netmigrationrate"],
    }
    return pa.table(cols).cast(COUNTRY_SCHEMA)


def read_flows(path: Path, dataset: str, iso3: dict[str, str], problems: list[str]) -> pa.Table:
    """One ``..._countryflows.csv`` as :data:`FLOWS_SCHEMA` (bad rows go to ``problems``)."""
    t, lines = _read(path, _FLOWS_RAW, problems)
    kind = DATASETS[dataset]
    cols = {
        "dataset": pa.repeat(dataset, t.num_rows),
        "origin": _iso2(t["migrationfrom"], lines, kind, iso3, path, problems),
        "destination": _iso2(t["migrationto"], lines, kind, iso3, path, problems),
        "year": t["year"],
        "moves": t["n_migrations"],
        "moves_back": t["n_migrations_back"],
        "net": t["netmigrations"],
    }
    return pa.table(cols).cast(FLOWS_SCHEMA)


# -- reading --------------------------------------------------------------------------
def _read(
    path: Path, spec: dict[str, tuple[pa.DataType, bool]], problems: list[str]
) -> tuple[pa.Table, pa.Array]:
    """The typed columns of ``spec`` (year as int32) and each row's line number.

    Fast path: pyarrow's typed reader. When it meets anything wrong, the file is read
    again row by row to name each bad line, and only the good rows are kept.
    """
    header = _header(path)
    absent = [c for c in spec if c not in header]
    if absent:
        problems.append(f"{path}:1: missing column(s) {', '.join(absent)}")
        return _empty(spec), pa.array([], pa.int64())
    bad_rows = 0

    def on_invalid(_row: object) -> str:
        nonlocal bad_rows
        bad_rows += 1
        return "skip"

    try:
        t = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={c: ty for c, (ty, _) in spec.items()},
                include_columns=list(spec),
                null_values=[""],
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        t = None
    if t is not None and not bad_rows and _clean(t, spec):
        t = t.set_column(t.schema.get_field_index("year"), "year", t["year"].cast(pa.int32()))
        return t, pa.array(range(2, t.num_rows + 2), pa.int64())
    return _read_slowly(path, header, spec, problems)


def _clean(t: pa.Table, spec: dict[str, tuple[pa.DataType, bool]]) -> bool:
    for c, (_, nullable) in spec.items():
        if not nullable and t[c].null_count:
            return False
        if pa.types.is_string(spec[c][0]) and not nullable and pc.any(pc.equal(t[c], "")).as_py():
            return False
    year = t["year"]
    return not pc.any(pc.not_equal(year, pc.floor(year))).as_py()


def _read_slowly(
    path: Path, header: list[str], spec: dict[str, tuple[pa.DataType, bool]], problems: list[str]
) -> tuple[pa.Table, pa.Array]:
    pos = {c: header.index(c) for c in spec}
    cols: dict[str, list[object]] = {c: [] for c in spec}
    lines: list[int] = []
    with _open(path) as f:
        reader = csv.reader(f)
        next(reader, None)
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if len(row) != len(header):
                problems.append(
                    f"{where}: {len(row)} fields, expected {len(header)}: {','.join(row)[:80]}"
                )
                continue
            try:
                values = {
                    c: _value(row[pos[c]], ty, nullable, c) for c, (ty, nullable) in spec.items()
                }
            except ValueError as e:
                problems.append(f"{where}: {e}")
                continue
            for c, v in values.items():
                cols[c].append(v)
            lines.append(reader.line_num)
    t = pa.table({c: pa.array(v, spec[c][0]) for c, v in cols.items()})
    t = t.set_column(t.schema.get_field_index("year"), "year", t["year"].cast(pa.int32()))
    return t, pa.array(lines, pa.int64())


def _value(text: str, ty: pa.DataType, nullable: bool, name: str) -> object:
    if text == "":
        if nullable:
            return "" if pa.types.is_string(ty) else None
        raise ValueError(f"{name} is empty")
    if pa.types.is_string(ty):
        return text
    if pa.types.is_integer(ty):
        if not _INT.fullmatch(text):
            raise ValueError(f"{name} {text!r} is not an integer")
        return int(text)
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None
    if name == "year" and x != int(x):
        raise ValueError(f"year {text!r} is not a whole year")
    return x


def _header(path: Path) -> list[str]:
    with _open(path) as f:
        return next(csv.reader(f), [])


def _open(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _empty(spec: dict[str, tuple[pa.DataType, bool]]) -> pa.Table:
    t = pa.table({c: pa.array([], ty) for c, (ty, _) in spec.items()})
    return t.set_column(t.schema.get_field_index("year"), "year", t["year"].cast(pa.int32()))


# -- country codes ----------------------------------------------------------------------
def _iso2(
    codes: pa.ChunkedArray,
    lines: pa.Array,
    kind: int,
    iso3: dict[str, str],
    path: Path,
    problems: list[str],
) -> pa.ChunkedArray:
    """ISO2 codes; empty (entry/exit in flows) -> null; unknown codes kept, noted."""
    uniq = [u for u in pc.unique(codes).to_pylist() if u]
    mapping: dict[str, str] = {}
    for u in uniq:
        got = _code(u, kind, iso3)
        if got is None:
            first = lines[pc.index(codes, u).as_py()].as_py()
            problems.append(f"note: {path}:{first}: country code {u!r} not recognised; kept as is")
            got = u
        mapping[u] = got
    keys = pa.array(list(mapping), pa.string())
    idx = pc.index_in(codes, value_set=keys)
    return pc.take(pa.array(list(mapping.values()), pa.string()), idx)


def _code(code: str, kind: int, iso3: dict[str, str]) -> str | None:
    if code in SPECIAL_CODES:
        return SPECIAL_CODES[code]
    if kind == 2:
        ok = code in EXTRA_ISO2 or pycountry.countries.get(alpha_2=code) is not None
        return code if ok else None
    if code in iso3:
        return iso3[code]
    c = pycountry.countries.get(alpha_3=code) if len(code) == 3 else None
    return c.alpha_2 if c is not None else None
