"""The warehouse's public tables: what each holds, its grain and the stage that writes it.

One catalogue for three readers: ``docs/warehouse.md`` is generated from it
(``python scripts/reference.py``), every build stores it with each table's columns
(``catalogue``), and a test fails when a build leaves a table it does not list."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pyarrow as pa


class Entry(NamedTuple):
    section: str
    table: str
    stage: str
    grain: str
    what: str


CATALOGUE: tuple[Entry, ...] = (
    Entry(
        "What was read",
        "files",
        "landing",
        "input file",
        "one row per input file: source, path, content hash, records, works, authorships, quarantined records, unknown fields, problems (unknown statuses, read errors)",
    ),
    Entry(
        "What was read",
        "quarantine",
        "landing",
        "unreadable record",
        "records that could not be read: source, file, record number, reason, raw text",
    ),
    Entry(
        "What was read",
        "build_info",
        "build",
        "setting (key, value)",
        "fingerprint, version, engine, scope, build time, files, corrections digest, the person linker's candidate pairs, EM iterations and convergence",
    ),
    Entry(
        "What was read",
        "catalogue",
        "build",
        "table",
        "this catalogue: every public table with its section, stage, grain, what it holds and its columns",
    ),
    Entry(
        "Canonical tables",
        "works",
        "canonical",
        "work",
        "one row per paper (`venue:year:paper id`; OpenAlex: `openalex:W…`): source, venue, year, title, status, tier, track, accepted, number of authors, the primary topic's subfield (OpenAlex), DOI, citations where the source counts them (OpenAlex `cited_by_count`, a paper list's Google Scholar count), when the source last changed it (`updated`), provenance",
    ),
    Entry(
        "Canonical tables",
        "work_sources",
        "canonical",
        "work",
        "the source (and its file: the latest version of the work) whose authorships a work uses",
    ),
    Entry(
        "Canonical tables",
        "openalex_institutions",
        "canonical",
        "OpenAlex institution",
        "the latest version of each OpenAlex institution read (snapshot or API pages): OpenAlex id, name, type, country, ROR id (where it meets the ROR registry), parent (`parent_id`, the nearest of `lineage`, the parent chain), provenance",
    ),
    Entry(
        "Canonical tables",
        "openalex_sources",
        "canonical",
        "OpenAlex source",
        "the latest version of each OpenAlex source (journal, conference, repository) read: OpenAlex id, name, type, ISSN-L, the host organisation's chain (`lineage`), and the atlas's venue name where the source is one of its conferences",
    ),
    Entry(
        "Canonical tables",
        "withdrawn_works",
        "canonical",
        "work left out",
        "works left out of every table: merged or deleted by their source (OpenAlex merged ids), or a copy, under another source's id, of a work of an earlier source with the same DOI, or the same venue, year and title (`into`: the work kept; `why`: `source-merged`, `source-deleted`, `same-doi`, `same-title`; `source`: the source whose work it was)",
    ),
    Entry(
        "Canonical tables",
        "authorships",
        "canonical",
        "authorship (work, position)",
        "one row per author of a work: name (raw and normalised), OpenReview id and alias, hashed e-mail, DBLP / ORCID / Scholar ids, stated role, provenance",
    ),
    Entry(
        "Canonical tables",
        "affiliations",
        "canonical",
        "affiliation of an authorship (work, position, aff_pos)",
        "each authorship's affiliations in order (`aff_pos`), and a paper's unattributed affiliations (`position = -1`): raw text, source's institution name, country and ROR id (`ror_src`, OpenAlex), OpenAlex institution id and type (`inst_src_id`, `inst_type`), e-mail domain, source and file (`author_map` rows carry a mapped country)",
    ),
    Entry(
        "Institutions and resolution",
        "institutions",
        "institutions",
        "institution",
        "the ROR registry copy plus local institutions: name, location country, types, sector, parent, top organisation and its name, headquarters country, successor, domains",
    ),
    Entry(
        "Institutions and resolution",
        "institution_names",
        "institutions",
        "institution name",
        "every name of an institution: display, labels, aliases, acronyms",
    ),
    Entry(
        "Institutions and resolution",
        "institution_relations",
        "institutions",
        "institution relation",
        "parent, child, related, successor and predecessor links",
    ),
    Entry(
        "Institutions and resolution",
        "affiliation_resolution",
        "resolve",
        "distinct affiliation evidence (raw, source name, source country, domain, source ROR id)",
        "one row per distinct affiliation evidence: matched institution, country, sector, evidence, match score",
    ),
    Entry(
        "Institutions and resolution",
        "affiliations_resolved",
        "resolve",
        "affiliation of an authorship",
        "`affiliations` with their resolution",
    ),
    Entry(
        "Institutions and resolution",
        "authorship_affiliation",
        "people",
        "authorship",
        "per authorship, the first affiliation that resolves each value (country, institution, sector, headquarters country, organisation, domain, country evidence)",
    ),
    Entry(
        "People",
        "person_links",
        "people",
        "authorship",
        "the person of every authorship and how it was identified (`key_kind`)",
    ),
    Entry(
        "People",
        "persons",
        "people",
        "person",
        "one row per person: display name, key kind, authorships, first and last year",
    ),
    Entry(
        "Canonical tables",
        "orcid_entries",
        "canonical",
        "entry of an ORCID record (iD, section, put code)",
        "the education, employment and qualification entries of the ORCID records fetched for the persons known by iD (`talentatlas fetch-orcid`): organisation, its ROR id or other identifier, country, role title and degree level (bachelor, master, doctorate), start and end dates",
    ),
    Entry(
        "People",
        "education",
        "people",
        "education entry of a person",
        "the education and qualification entries of the ORCID records of persons known by that iD: degree level, organisation, ROR id, country, years (the basis of the pathways' undergraduate and graduate-school countries)",
    ),
    Entry(
        "People",
        "person_keys",
        "people",
        "person key",
        "every identifier seen for a person (OpenReview ids and aliases, DBLP, ORCID, Scholar, hashed e-mail, venue author ids)",
    ),
    Entry(
        "People",
        "linkage_weights",
        "people",
        "comparison level (given the parent level)",
        "the person linker's estimated model: per comparison level (given the year-gap level where modelled so), m, u and the weight in centibits; `build_info` holds the candidate pairs, EM iterations and convergence",
    ),
    Entry(
        "People",
        "linkage_prior",
        "people",
        "name cell",
        "the linker's name prior: per name cell (how common the first and last tokens are, a middle part), candidate pairs, match rate, prior weight in centibits",
    ),
    Entry(
        "People",
        "key_conflicts",
        "people",
        "key and name",
        "keys left out of linking for a mention whose name shares no word with the key's names: key, name, mentions",
    ),
    Entry(
        "Careers",
        "authorship_facts",
        "people",
        "authorship",
        "one row per authorship with its person, venue, year, tier, and resolved country (with its evidence: observed or inferred), institution, sector, headquarters country, organisation",
    ),
    Entry(
        "Careers",
        "scoped_facts",
        "careers",
        "in-scope authorship",
        "`authorship_facts` restricted to the scope (accepted works at the field's venues and years), with the area; a view over `authorship_facts` in a DuckDB warehouse",
    ),
    Entry(
        "Careers",
        "observed_country",
        "careers",
        "person-year",
        "observed person-years: modal value, its count and the year's total; a view over `person_years` in a DuckDB warehouse",
    ),
    Entry(
        "Careers",
        "observed_institution",
        "careers",
        "person-year",
        "observed person-years: modal value, its count and the year's total; a view over `person_years` in a DuckDB warehouse",
    ),
    Entry(
        "Careers",
        "observed_sector",
        "careers",
        "person-year",
        "observed person-years: modal value, its count and the year's total; a view over `person_years` in a DuckDB warehouse",
    ),
    Entry(
        "Careers",
        "observed_hq_country",
        "careers",
        "person-year",
        "observed person-years: modal value, its count and the year's total; a view over `person_years` in a DuckDB warehouse",
    ),
    Entry(
        "Careers",
        "padded_country",
        "careers",
        "person-year",
        "padded person-years, with the `observed` flag; a view over `person_years` (which holds them side by side) in a DuckDB warehouse",
    ),
    Entry(
        "Careers",
        "padded_institution",
        "careers",
        "person-year",
        "padded person-years, with the `observed` flag; a view over `person_years` (which holds them side by side) in a DuckDB warehouse",
    ),
    Entry(
        "Careers",
        "padded_sector",
        "careers",
        "person-year",
        "padded person-years, with the `observed` flag; a view over `person_years` (which holds them side by side) in a DuckDB warehouse",
    ),
    Entry(
        "Careers",
        "padded_hq_country",
        "careers",
        "person-year",
        "padded person-years, with the `observed` flag; a view over `person_years` (which holds them side by side) in a DuckDB warehouse",
    ),
    Entry(
        "Careers",
        "person_years",
        "careers",
        "person-year",
        "the four padded timelines side by side: per dimension the value, whether it was observed that year and, if so, its count and the year's total",
    ),
    Entry(
        "Careers",
        "employment",
        "evidence",
        "employment entry of a person",
        "the employment entries of the ORCID records of persons known by that iD (organisation, ROR id, country, years), each beside the publication evidence for its years, which it never replaces: years observed, of which in the entry's country and at its institution, and `evidence` (`agrees`, `partly`, `differs`, `unobserved`, `undated`)",
    ),
    Entry(
        "Careers",
        "author_affiliations",
        "evidence",
        "affiliation year of an OpenAlex author profile",
        "the affiliation years of the OpenAlex author profiles (`affiliations[].years`) of authors the atlas knows, under the person most of the author's authorships are linked to, each beside the publication evidence of that year, which it never replaces: ROR id, institution, country, `observed` (the person's papers place them that year), `same_country`, `same_institution`",
    ),
    Entry(
        "Careers",
        "moves",
        "careers",
        "move (person, year, dimension)",
        "changes of modal value between consecutive observed years, per dimension",
    ),
    Entry(
        "Careers",
        "stock",
        "careers",
        "dimension, value and year",
        "persons per value, year and dimension",
    ),
    Entry(
        "People",
        "person_stages",
        "discovery",
        "person-year with a stated position",
        "the career stage most of the year's in-scope authorships state (OpenReview positions read as phd, student, postdoc, faculty, leader, engineer, researcher) and the authorships stating one",
    ),
    Entry(
        "People",
        "person_index",
        "discovery",
        "person with in-scope work",
        "what a search shows and filters on: name, identity evidence (the key kind that linked most of the person's authorships), first and last year, works, adjusted count (1/N a work), first-author, last-author and oral/spotlight counts, citations where a source counts them, areas (most output first), the latest placed year's institution, organisation, country and sector, career stage in the last year (stated or by seniority) with its evidence, identifiers (OpenReview, ORCID, DBLP, Google Scholar, OpenAlex)",
    ),
    Entry(
        "Indicators",
        "stock_share",
        "indicators",
        "country and year",
        "country stock, world share with its interval, coverage",
    ),
    Entry(
        "Indicators",
        "stock_share_hq",
        "indicators",
        "country and year",
        "the same on the headquarters basis (a lab abroad counts for its top organisation's country)",
    ),
    Entry(
        "Indicators",
        "migration",
        "indicators",
        "country and year",
        "stock, in, out, net, net rate per 10,000 with its interval, in/out rates, churn, coverage (location and headquarters basis)",
    ),
    Entry(
        "Indicators",
        "migration_hq",
        "indicators",
        "country and year",
        "stock, in, out, net, net rate per 10,000 with its interval, in/out rates, churn, coverage (location and headquarters basis)",
    ),
    Entry(
        "Indicators",
        "flows",
        "indicators",
        "origin, destination and year",
        "bilateral moves per year (location and headquarters basis)",
    ),
    Entry(
        "Indicators",
        "flows_hq",
        "indicators",
        "origin, destination and year",
        "bilateral moves per year (location and headquarters basis)",
    ),
    Entry(
        "Indicators",
        "pathways",
        "indicators",
        "venue-year, tier, stage and country",
        "venue-year cohorts by origin, first academic country and workplace, all and oral tier",
    ),
    Entry(
        "Indicators",
        "sector_summary",
        "indicators",
        "year",
        "sector stocks, industry share with its interval, academia ↔ industry moves, early-career next sector (mostly students; not graduates)",
    ),
    Entry(
        "Indicators",
        "graduate_summary",
        "indicators",
        "graduation year and evidence (stated, heuristic, all)",
        "doctoral graduates' first destinations: counts per destination (sectors, unplaced, left publishing, censored), industry / academia / left-publishing shares with intervals, industry bound (docs/methodology.md, Graduates)",
    ),
    Entry(
        "Indicators",
        "sector_flows",
        "indicators",
        "origin sector, destination sector and year",
        "moves between sectors per year",
    ),
    Entry(
        "Indicators",
        "org_headcount",
        "indicators",
        "organisation and year",
        "researchers per top organisation and year",
    ),
    Entry(
        "Indicators",
        "org_flows",
        "indicators",
        "origin, destination organisation and year",
        "moves between top organisations per year",
    ),
    Entry(
        "Indicators",
        "coverage_by_year",
        "indicators",
        "year",
        "shares of in-scope authorships resolved to a country, institution, sector and reliable key, per year",
    ),
    Entry(
        "Indicators",
        "indicator_meta",
        "indicators",
        "indicator table",
        "what each indicator table above says about itself (coverage, filters, the interval's method), as JSON: name, meta",
    ),
    Entry(
        "Pay",
        "pay_filings",
        "pay",
        "LCA filing",
        "DOL Labor Condition Application filings: case, status, decision date and year, employer, job title, occupation (SOC code and title), role family and seniority, full time, worksite city, county and state, the offered wage (from, to, unit; yearly `annual_wage`, `annual_wage_to`; `unit_inferred` when the file has no unit), the prevailing wage (yearly) and level, `is_offer` (certified, not withdrawn, an offered wage, not part time), the linked institution and organisation, provenance",
    ),
    Entry(
        "Pay",
        "pay_offers",
        "pay",
        "user offer",
        "offers from the user's CSV files: company, title, role family and seniority, level, base, bonus, equity per year and their total in the offer's currency, base and total in USD (ECB yearly average of the offer's year), location, state, country, year, the linked institution and organisation, provenance",
    ),
    Entry(
        "Pay",
        "pay_occupation_wages",
        "pay",
        "OEWS cell: occupation, area and industry",
        "BLS OEWS: year, release, SOC code and occupation, area (national, state, metro; code, name, state), industry, employment and its RSE, hourly and annual mean, hourly and annual 10th/25th/50th/75th/90th percentiles, jobs per 1,000, location quotient, `annual_top_coded` (a percentile above the $239,200 top code), footnotes, provenance",
    ),
    Entry(
        "Pay",
        "pay_prevailing_wages",
        "pay",
        "occupation and county",
        "DOL OFLC prevailing-wage levels I-IV as yearly USD (`level_1` .. `level_4`), with the unit the source stated them in, per SOC code, state and county; provenance",
    ),
    Entry(
        "Pay",
        "pay_employers",
        "pay",
        "employer name and country",
        "each employer name of the filings (US) and offers (their country): its normalised key, the institution it is linked to and how (`name`, `name-unit`, `correction`, `leading words (...)`, `unmatched`), the institution's name and organisation, filings and offers",
    ),
    Entry(
        "Pay",
        "pay_occupations",
        "pay",
        "occupation (SOC code)",
        "each occupation code the pay tables know: its title and role family",
    ),
)

TABLES = tuple(e.table for e in CATALOGUE)
CATALOGUE_COLUMNS = [*Entry._fields, "columns"]


def catalogue_table(columns_of: Callable[[str], list[str]]) -> pa.Table:
    """The catalogue as a table, with each table's columns as the build wrote them
    (``columns_of(table)``; the catalogue's own columns for itself)."""
    rows = [
        {
            **e._asdict(),
            "columns": ", ".join(
                CATALOGUE_COLUMNS if e.table == "catalogue" else columns_of(e.table)
            ),
        }
        for e in CATALOGUE
    ]
    return pa.Table.from_pylist(
        rows, schema=pa.schema([(c, pa.string()) for c in CATALOGUE_COLUMNS])
    )


def markdown(intro: str) -> str:
    """``docs/warehouse.md``: the intro, then a table per section."""
    out = [intro.rstrip()]
    section = None
    for e in CATALOGUE:
        if e.section != section:
            section = e.section
            out += ["", f"## {section}", "", "| table | stage | one row per | what it holds |",
                    "| --- | --- | --- | --- |"]  # fmt: skip
        out.append(f"| `{e.table}` | {e.stage} | {e.grain} | {e.what} |")
    return "\n".join(out) + "\n"
