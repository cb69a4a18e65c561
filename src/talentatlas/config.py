"""Settings: where data and the warehouse live, which engine runs, and the scope.

Settings come, in order of precedence, from explicit arguments (CLI flags), environment
variables prefixed ``TALENTATLAS_``, and an optional ``talentatlas.toml`` in the working
directory (or the file named by ``TALENTATLAS_CONFIG``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

EngineName = Literal["duckdb", "spark"]

#: The affiliation name -> e-mail domain -> country table, relative to the data directory.
DOMAIN_TABLE = Path("affiliations/lossfunk_affiliation_domain_country.csv")

#: The default field: venues grouped in areas (DESIGN.md, "Scope").
AI_FIELD: dict[str, list[str]] = {
    "ML": ["neurips", "icml", "iclr", "aistats", "uai", "colt"],
    "CV": ["cvpr", "iccv", "eccv"],
    "NLP": ["acl", "emnlp", "naacl", "colm"],
    "AI": ["aaai", "ijcai"],
    "Robotics": ["corl", "icra", "iros"],
    "Web/IR": ["kdd", "www", "sigir"],
}

#: The default field's OpenAlex primary-topic subfields, by area: OpenAlex works outside
#: the field's conferences count in these areas (1702 Artificial Intelligence, 1707
#: Computer Vision and Pattern Recognition).
AI_SUBFIELDS: dict[str, list[str]] = {"AI": ["1702"], "CV": ["1707"]}

#: Venue directory names used by the paperlists and OpenReview trees that differ from
#: the venue's common name.
VENUE_ALIASES: dict[str, str] = {"nips": "neurips"}


class Scope(BaseModel):
    """Which works count: a named field (areas of venues) and an optional year range."""

    field: str = Field("ai", description="the field whose venues count (`ai`, or one of `fields`)")
    fields: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="fields of your own: area -> venues"
    )
    subfields: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict,
        description="OpenAlex subfields of a field of your own: area -> subfield ids (works"
        " outside the field's venues count in that area; `ai` has 1702 and 1707)",
    )
    areas: list[str] | None = Field(None, description="only these areas of the field")
    venues: list[str] | None = Field(None, description="only these venues of the field")
    year_min: int | None = Field(None, description="first year counted")
    year_max: int | None = Field(None, description="last year counted")
    accepted_only: bool = Field(True, description="count accepted papers only")

    def areas_of_field(self) -> dict[str, list[str]]:
        if self.field in self.fields:
            return self.fields[self.field]
        if self.field == "ai":
            return AI_FIELD
        raise ValueError(
            f"unknown field {self.field!r}: define it under [scope.fields.{self.field}] "
            "in talentatlas.toml"
        )

    def subfield_areas(self) -> dict[str, str]:
        """OpenAlex subfield id -> area for every subfield in scope."""
        if self.field in self.subfields:
            by_area = self.subfields[self.field]
        elif self.field == "ai":
            by_area = AI_SUBFIELDS
        else:
            by_area = {}
        return {
            str(s): area
            for area, ids in by_area.items()
            if not self.areas or area in self.areas
            for s in ids
        }

    def venue_areas(self) -> dict[str, str]:
        """Venue -> area for every venue in scope."""
        out: dict[str, str] = {}
        for area, venues in self.areas_of_field().items():
            if self.areas and area not in self.areas:
                continue
            for v in venues:
                if self.venues and v not in self.venues:
                    continue
                out[canonical_venue(v)] = area
        return out


def canonical_venue(name: str) -> str:
    n = name.strip().lower()
    return VENUE_ALIASES.get(n, n)


def source_venue_dirs(venues: list[str]) -> list[str]:
    """Directory names under which a source tree stores the given venues."""
    inverse = {v: k for k, v in VENUE_ALIASES.items()}
    return sorted({inverse.get(v, v) for v in venues})


class Settings(BaseSettings):
    """All settings of a talentatlas run."""

    model_config = SettingsConfigDict(
        env_prefix="TALENTATLAS_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(Path("data"), description="where sources are fetched to and read from")
    warehouse: Path = Field(
        Path("warehouse/atlas.duckdb"),
        description="the warehouse file (Spark: a Parquet directory beside it, `.spark`)",
    )
    engine: EngineName = Field("duckdb", description="`duckdb` (default) or `spark`")
    spark_master: str = Field(
        "local[2]",
        description="the Spark master the spark engine runs on (`local[2]`, or a cluster's "
        "`spark://host:7077`, whose executors then need the inputs, the landing cache "
        "and the warehouse on shared storage)",
    )
    mirror: str | None = Field(
        None, description="a local directory or base URL laid out like the upstream trees"
    )
    upstream_paperlists: str = Field(
        "https://raw.githubusercontent.com/papercopilot/paperlists/main",
        description="where `fetch` reads paper lists without a mirror",
    )
    upstream_openreview: str = Field(
        "https://raw.githubusercontent.com/papercopilot/openreview/main",
        description="where `fetch` reads OpenReview author records without a mirror",
    )
    upstream_ror: str | None = Field(
        None,
        description="base URL holding `ror_records_*.jsonl.gz` (or a ROR dump zip) when"
        " there is no mirror; unset, `fetch` leaves the registry to the user (`data/ror/`)",
    )
    fetch_years: tuple[int, int] = Field((1987, 2026), description="years `fetch` asks for")
    upstream_lca: str = Field(
        "https://www.dol.gov/sites/dolgov/files/ETA/oflc/pdfs",
        description="base URL of the DOL's LCA disclosure spreadsheets"
        " (`LCA_Disclosure_Data_FY<year>_Q<quarter>.xlsx`)",
    )
    upstream_oews: str = Field(
        "https://download.bls.gov/pub/time.series/oe",
        description="base URL of BLS's OEWS time-series files (`oe.data.0.Current`,"
        " `oe.area`, `oe.industry`, `oe.occupation`)",
    )
    fetch_oews: bool = Field(
        False,
        description="whether `fetch` downloads BLS's OEWS release (330 MB) when there is no mirror",
    )
    upstream_oflc: str | None = Field(
        None,
        description="URL of the DOL's prevailing-wage archive (flag.dol.gov wage data: a zip"
        " holding `ALC_Export.csv` and `Geography.csv`) that `fetch` downloads when there is"
        " no mirror; unset, none",
    )
    lca_fiscal_years: list[int] = Field(
        default_factory=list,
        description="fiscal years whose LCA disclosure spreadsheets `fetch` downloads when"
        " there is no mirror (each quarter is 100-200 MB; none by default)",
    )
    orcid_api: str = Field(
        "https://pub.orcid.org/v3.0",
        description="the ORCID API `fetch-orcid` asks (the public API by default)",
    )
    orcid_token: str | None = Field(
        None, description="an ORCID API access token (optional: it raises the rate limit)"
    )
    openalex_api: str = Field(
        "https://api.openalex.org", description="the OpenAlex API `fetch openalex` asks"
    )
    openalex_snapshot: str = Field(
        "s3://openalex/data",
        description="the OpenAlex snapshot `fetch openalex-snapshot` copies (s3://, a URL or a"
        " local directory)",
    )
    openalex_api_key: str | None = Field(
        None, description="an OpenAlex API key (sent with every request when set)"
    )
    openalex_mailto: str | None = Field(
        None, description="a contact e-mail sent to OpenAlex with every request"
    )
    workers: int = Field(
        default=2, ge=1, description="processes that parse input files and match affiliations"
    )
    corrections: Path | None = Field(None, description="your corrections file (TOML)")
    suppressions: Path | None = Field(
        None,
        description="people no person-level output shows (a person id or `kind:value`"
        " identifier a line); default `suppressions.txt` in the data directory, when it exists",
    )
    default_corrections: bool = Field(
        True,
        description="apply the project's own corrections (`talentatlas/data/organisations.toml`:"
        " organisations the registry copy lacks, multinationals) before yours",
    )
    infer_places: bool = Field(
        True,
        description="fill places the sources leave empty by inference, marked in"
        " `country_evidence` (author maps; papers that list affiliations without saying"
        " whose; a multinational's bare name placed by the person's other evidence that year)",
    )
    scope: Scope = Field(default_factory=Scope, description="which works count (below)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("TALENTATLAS_CONFIG", "talentatlas.toml"))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_path)
        return (init_settings, env_settings, toml)

    @property
    def landing_dir(self) -> Path:
        """Per-file parse results, keyed by content hash (beside the warehouse)."""
        return self.warehouse.parent / "landing"

    @property
    def suppression_file(self) -> Path:
        """The suppression list in force (``discovery.suppression``)."""
        return self.suppressions or self.data_dir / "suppressions.txt"

    def resolved_warehouse(self) -> Path:
        """The warehouse path for the chosen engine (Spark writes a Parquet directory)."""
        if self.engine == "spark" and self.warehouse.suffix == ".duckdb":
            return self.warehouse.with_suffix(".spark")
        return self.warehouse
