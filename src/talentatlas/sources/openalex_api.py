"""The OpenAlex API: the works of a scope, fetched page by page, resumably, into the
snapshot layout that :mod:`talentatlas.sources.openalex` reads.

- **A query** (:class:`WorksQuery`) filters ``/works`` by primary-topic subfields or
  topics, sources, institutions, countries and publication years. Filters combine with
  AND; the values of one filter with OR (``primary_topic.subfield.id:1702|1707``).
- **Paging** uses OpenAlex's cursor (``cursor=*``, then each page's ``next_cursor``), so
  a query may return more than the 10,000 results that numbered pages reach; 200 works a
  page, only the fields the mapping reads (``select``).
- **Rate.** At most :data:`REQUESTS_PER_SECOND` requests a second (OpenAlex's documented
  limit); an API key (``api_key``) and a contact address (``mailto``) are sent when
  set. A 429 is retried after its ``Retry-After``; 5xx answers, dropped connections and
  unreadable pages are retried with backoff (``fetch.Downloader``).
- **Resumable.** Each page is written whole (a temporary name, then renamed) as
  ``openalex/snapshot/works/updated_date=<day the fetch began>/api-<query key>-<page>.jsonl.gz``,
  and then the query's state (``openalex/api/<query key>.json``: the next cursor, pages
  and works so far) is replaced. A fetch that is interrupted starts again from the last
  saved cursor, so it ends with the same pages as one that was not.
- **Authors, institutions and sources** the atlas already knows are fetched by id
  (:func:`fetch_entities`), :data:`IDS_PER_CALL` to a call (``filter=openalex:A1|A2|…``),
  into ``openalex/snapshot/<entity>/updated_date=<day>/``; the ids done are kept
  (``openalex/api/<entity>.json``), so a second run fetches only new ids, and an
  interrupted one continues with the same batches.
- **Metered.** The API charges list calls; :meth:`OpenAlexClient.count` asks for the
  number of works first (one call), which gives the number of list calls
  (:func:`list_calls`) to confirm before fetching.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from talentatlas.fetch import RETRIES, Downloader
from talentatlas.files import write_atomic
from talentatlas.sources.base import short_id
from talentatlas.sources.openalex import SNAPSHOT_DIR

API = "https://api.openalex.org"
PER_PAGE = 200
#: OpenAlex's documented ceiling
REQUESTS_PER_SECOND = 10.0
#: the work fields the mapping reads
SELECT = (
    "id,doi,title,display_name,publication_year,type,primary_location,authorships,"
    "updated_date,is_retracted,primary_topic,cited_by_count"
)


#: the fields of each entity the mapping reads (:mod:`~talentatlas.sources.openalex_entities`)
ENTITY_SELECT = {
    "authors": "id,orcid,display_name,affiliations,updated_date",
    "institutions": "id,ror,display_name,country_code,type,lineage,updated_date",
    "sources": "id,display_name,type,issn_l,country_code,host_organization,"
    "host_organization_lineage,updated_date",
}
#: ids a call asks for (OpenAlex's limit on the values of one filter)
IDS_PER_CALL = 100


@dataclass(frozen=True)
class WorksQuery:
    """Which works to fetch (see the module doc); ids short or as URLs."""

    subfields: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    years: tuple[int, int] | None = None

    def filter(self) -> str:
        parts = []
        for name, values in (
            ("primary_topic.subfield.id", self.subfields),
            ("primary_topic.id", self.topics),
            ("primary_location.source.id", self.sources),
            ("authorships.institutions.id", self.institutions),
            ("authorships.institutions.country_code", self.countries),
        ):
            if values:
                parts.append(f"{name}:" + "|".join(short_id(v) or v for v in values))
        if self.years:
            parts.append(f"publication_year:{self.years[0]}-{self.years[1]}")
        if not parts:
            raise ValueError("an OpenAlex query needs at least one filter (a field or years)")
        return ",".join(parts)

    def key(self) -> str:
        """A short, stable name for the query (its files and state carry it)."""
        return hashlib.sha256(self.filter().encode()).hexdigest()[:12]


def list_calls(count: int) -> int:
    """List calls needed for ``count`` works (one a page)."""
    return max(1, -(-count // PER_PAGE))


class OpenAlexClient:
    """``/works`` of the OpenAlex API, at most ``per_second`` requests a second."""

    def __init__(
        self,
        base_url: str = API,
        *,
        api_key: str | None = None,
        mailto: str | None = None,
        downloader: Downloader | None = None,
        per_second: float = REQUESTS_PER_SECOND,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = {k: v for k, v in (("api_key", api_key), ("mailto", mailto)) if v}
        self.downloader = downloader or Downloader()
        self._interval = 1.0 / per_second
        self._last = 0.0
        self.calls = 0

    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """One JSON answer; a body that is not a JSON object is asked for again."""
        url = f"{self.base_url}/{path.lstrip('/')}?" + urlencode({**params, **self.auth})
        for attempt in range(RETRIES):
            wait = self._last + self._interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            self.calls += 1
            body = self.downloader.get_bytes(url)
            if body is None:
                raise httpx.HTTPError(f"GET {path}: not found (404)")
            try:
                doc = json.loads(body)
            except ValueError:
                doc = None
            if isinstance(doc, dict):
                return doc
            time.sleep(0.5 * 2**attempt)
        raise httpx.HTTPError(f"GET {path}: no readable answer after {RETRIES} attempts")

    def count(self, query: WorksQuery) -> int:
        """How many works the query matches (one call)."""
        doc = self.get("works", {"filter": query.filter(), "per-page": "1", "select": "id"})
        return int(doc.get("meta", {}).get("count") or 0)

    def by_ids(self, entity: str, ids: list[str]) -> list[dict[str, Any]]:
        """The records of these ids (at most :data:`IDS_PER_CALL`; one call); ids
        OpenAlex does not know are left out of the answer."""
        doc = self.get(
            entity,
            {"filter": "openalex:" + "|".join(ids), "per-page": str(IDS_PER_CALL),
             "select": ENTITY_SELECT[entity]},
        )  # fmt: skip
        results = doc.get("results")
        if not isinstance(results, list):
            raise httpx.HTTPError(f"{entity} by id: no results list")
        return results

    def page(self, query: WorksQuery, cursor: str) -> dict[str, Any]:
        return self.get(
            "works",
            {"filter": query.filter(), "per-page": str(PER_PAGE), "cursor": cursor,
             "select": SELECT},
        )  # fmt: skip


@dataclass
class FetchState:
    """Where a query's fetch stands (kept as JSON beside the pages)."""

    filter: str
    started: str
    cursor: str | None = "*"
    pages: int = 0
    works: int = 0
    count: int | None = None
    done: bool = False
    files: list[str] = field(default_factory=list)


def state_path(data_dir: Path, query: WorksQuery) -> Path:
    return data_dir / "openalex" / "api" / f"{query.key()}.json"


def load_state(data_dir: Path, query: WorksQuery) -> FetchState | None:
    p = state_path(data_dir, query)
    if not p.exists():
        return None
    return FetchState(**json.loads(p.read_text()))


def fetch_works(
    client: OpenAlexClient,
    query: WorksQuery,
    data_dir: Path,
    *,
    on_page: Callable[[FetchState], None] | None = None,
    today: dt.date | None = None,
) -> FetchState:
    """Fetch every page of ``query`` not fetched yet (see the module doc); returns the
    final state (``done`` once the last page is in)."""
    state = load_state(data_dir, query) or FetchState(
        filter=query.filter(), started=(today or dt.date.today()).isoformat()
    )
    if state.filter != query.filter():  # a key collision: never mix two queries
        raise ValueError(f"state {state_path(data_dir, query)} belongs to {state.filter!r}")
    part_dir = data_dir / SNAPSHOT_DIR / "works" / f"updated_date={state.started}"
    while not state.done and state.cursor:
        doc = client.page(query, state.cursor)
        meta = doc.get("meta") or {}
        results = doc.get("results")
        if not isinstance(results, list):
            raise httpx.HTTPError(f"page {state.pages + 1} of {query.filter()}: no results list")
        state.count = meta.get("count", state.count)
        if results:
            name = f"api-{query.key()}-{state.pages + 1:05d}.jsonl.gz"
            lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results)
            write_atomic(part_dir / name, gzip.compress(lines.encode(), mtime=0))
            state.files.append(name)
            state.pages += 1
            state.works += len(results)
        state.cursor = meta.get("next_cursor") if results else None
        state.done = not state.cursor
        write_atomic(state_path(data_dir, query), json.dumps(state.__dict__, indent=1).encode())
        if on_page:
            on_page(state)
    return state


@dataclass
class EntityState:
    """Which ids of an entity have been fetched (kept as JSON beside the pages)."""

    entity: str
    started: str
    fetched: list[str] = field(default_factory=list)
    pages: int = 0
    records: int = 0


def fetch_entities(
    client: OpenAlexClient,
    entity: str,
    ids: list[str],
    data_dir: Path,
    *,
    on_page: Callable[[EntityState], None] | None = None,
    today: dt.date | None = None,
) -> EntityState:
    """Fetch the records of ``ids`` (``A…``, ``I…``, ``S…``, short or as URLs or
    ``openalex:`` ids) not fetched before, :data:`IDS_PER_CALL` at a time in sorted
    order, each answer written whole as a page of the snapshot layout and then the
    state saved (see the module doc)."""
    if entity not in ENTITY_SELECT:
        raise ValueError(f"entity {entity!r}: one of {', '.join(ENTITY_SELECT)}")
    path = data_dir / "openalex" / "api" / f"{entity}.json"
    state = (
        EntityState(**json.loads(path.read_text()))
        if path.exists()
        else EntityState(entity=entity, started=(today or dt.date.today()).isoformat())
    )
    done = set(state.fetched)
    short = {(short_id(i.removeprefix("openalex:")) or "").upper() for i in ids}
    todo = sorted(i for i in short if i and i not in done)
    part_dir = data_dir / SNAPSHOT_DIR / entity / f"updated_date={state.started}"
    for k in range(0, len(todo), IDS_PER_CALL):
        chunk = todo[k : k + IDS_PER_CALL]
        results = client.by_ids(entity, chunk)
        if results:
            key = hashlib.sha256("|".join(chunk).encode()).hexdigest()[:12]
            lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results)
            write_atomic(part_dir / f"api-{entity}-{key}.jsonl.gz",
                          gzip.compress(lines.encode(), mtime=0))  # fmt: skip
            state.pages += 1
            state.records += len(results)
        state.fetched.extend(chunk)
        write_atomic(path, json.dumps(state.__dict__, indent=1).encode())
        if on_page:
            on_page(state)
    return state
