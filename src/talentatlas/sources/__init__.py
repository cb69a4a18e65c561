"""Source adapters, one module each, and the registry that names them."""

from __future__ import annotations

from talentatlas.sources.authormaps import AuthorCountryMaps
from talentatlas.sources.base import Adapter
from talentatlas.sources.openalex import OpenAlexSnapshot
from talentatlas.sources.openreview import OpenReviewAuthors
from talentatlas.sources.paperlists import Paperlists

#: Every adapter the build runs, in order of precedence for overlapping works
#: (an earlier source's authorships win when two sources carry the same work).
REGISTRY: dict[str, Adapter] = {
    "openreview": OpenReviewAuthors(),
    "paperlists": Paperlists(),
    "author_map": AuthorCountryMaps(),
    "openalex": OpenAlexSnapshot(),
}

__all__ = ["REGISTRY", "Adapter"]
