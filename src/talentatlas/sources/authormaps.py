"""Author -> country maps of a venue-year: ``affiliations/lossfunk_<venue>-<year>-cc-authors.json``
(Lossfunk's indiaml-tracker), one JSON array of ``{openreview_id, full_name,
affiliation_country}`` compiled from the venue's OpenReview profiles.

They fill venue-years whose paper lists name authors without affiliations (NeurIPS
2024): an authorship of that venue-year whose normalised name is borne by exactly one
entry of the map gets the entry's country (an affiliation row of source ``author_map``,
marked as inferred evidence downstream) and, when it has none, its OpenReview id. Only
the maps in :data:`USED` are read as a source: the ICML 2024 map is kept apart as an
independent check of the atlas's countries (``benchmarks/eval_countries.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pycountry

from talentatlas.config import canonical_venue
from talentatlas.resolve.names import normalise_name
from talentatlas.sources.base import ParseResult, RecordError, parse_records, text_field
from talentatlas.sources.reading import iter_json_array, read_text

#: maps read as a source (file names under ``affiliations/``)
USED = ("lossfunk_neurips-2024-cc-authors.json",)
KNOWN_FIELDS = {"author_id", "full_name", "openreview_id", "affiliation_country"}
_NAME = re.compile(r"^lossfunk_(?P<venue>[a-z]+)-(?P<year>(19|20)\d{2})-cc-authors\.json(\.gz)?$")


def venue_year_of(file_name: str) -> tuple[str, int] | None:
    """The venue and year a map's file name names (``lossfunk_neurips-2024-...``)."""
    m = _NAME.match(file_name)
    return (canonical_venue(m["venue"]), int(m["year"])) if m else None


class AuthorCountryMaps:
    name = "author_map"
    version = 2

    def discover(self, root: Path) -> list[Path]:
        base = root / "affiliations"
        return [p for p in (base / n for n in USED) if p.is_file()]

    def parse(self, path: Path, rel: str) -> ParseResult:
        result = ParseResult(self.name, rel)
        vy = venue_year_of(path.name)
        if vy is None:
            result.quarantine(-1, f"file name {path.name!r} names no venue and year", "")
            return result
        venue, year = vy
        text, problems = read_text(path)
        result.problems.extend(problems)

        def handle(index: int, rec: dict[str, Any]) -> None:
            oid = text_field(rec, "openreview_id").strip()
            code = text_field(rec, "affiliation_country").strip().upper()
            code = "GB" if code == "UK" else code
            if not oid.startswith("~"):
                raise RecordError("record has no OpenReview id")
            if pycountry.countries.get(alpha_2=code) is None:
                raise RecordError(f"country {code!r} is not an ISO 3166 alpha-2 code")
            name = text_field(rec, "full_name").strip()
            # an entry without a name spells it in its id (~Jane_Doe1)
            spelled = name or re.sub(r"\d+$", "", oid.lstrip("~")).replace("_", " ")
            result.rows["author_countries"].append(
                {"venue": venue, "year": year, "openreview_id": oid, "name": name or None,
                 "name_norm": normalise_name(spelled), "country": code, "record": index}
            )  # fmt: skip

        parse_records(result, iter_json_array(text), handle, KNOWN_FIELDS)
        return result
