"""Fetching the default sources into the local data directory.

Sources come from a mirror (``TALENTATLAS_MIRROR``: a base URL or a local directory laid
out like the upstream trees, files optionally stored with ``.gz`` appended) or, without
one, from the upstream repositories. The list of files is read from the mirror's
``MANIFEST.csv`` when it has one, else from the directory, else probed venue by venue
and year by year. Downloads retry with backoff, resume from partial ``.part`` files,
and skip files already present.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from talentatlas.config import DOMAIN_TABLE, Settings, source_venue_dirs
from talentatlas.pay.landing import pay_kind
from talentatlas.sources.authormaps import USED as AUTHOR_MAPS

RETRIES = 4
BACKOFF_S = 0.5
TIMEOUT = httpx.Timeout(30.0, connect=10.0)

Progress = Callable[[str, int], None]


@dataclass
class FetchResult:
    fetched: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


#: registry files probed on a mirror that has no listing
ROR_CANDIDATES = [
    "ror/ror_records_latest_v2schema.jsonl.gz",
    "ror/ror_records_v1schema_only.jsonl.gz",
]

#: MPIDR Scholarly Migration Database tables (validation reference), probed likewise
MPIDR_CANDIDATES = [
    *(
        f"mpidr/mpidr_{ds}_V1_scholarlymigration_{kind}.csv"
        for ds in ("openalex_2023", "scopus_2024")
        for kind in ("country", "countryflows")
    ),
    "mpidr/mpidr_dfcountries.csv",
]


#: the pay files probed on a mirror that has no listing
PAY_CANDIDATES = [
    "compensation/bls_oews_2025.sqlite.gz",
    "compensation/bls_oews_may2025_ai_related_occupations.csv.gz",
    "compensation/oflc_prevailing_wage_levels_by_county.csv.gz",
    "compensation/lca_2020-2023_chunk17.csv",
    "compensation/swizec_h1b_software_salaries_2012-2016_sample5000.csv",
]


#: BLS's time-series release of OEWS: the data and the dimensions it is read with
OEWS_DIMENSIONS = ("oe.area", "oe.industry", "oe.occupation")
OEWS_FILES = [f"compensation/bls_oews/{n}" for n in ("oe.data.0.Current", *OEWS_DIMENSIONS)]


def lca_names(fiscal_years: Iterable[int]) -> list[str]:
    """The DOL's quarterly LCA disclosure spreadsheets of the given fiscal years."""
    return [
        f"compensation/LCA_Disclosure_Data_FY{y}_Q{q}.xlsx"
        for y in sorted(set(fiscal_years))
        for q in range(1, 5)
    ]


def _is_url(s: str) -> bool:
    return s.startswith(("http://", "https://"))


def _wanted(rel: str, venue_dirs: set[str]) -> bool:
    parts = rel.split("/")
    if rel == DOMAIN_TABLE.as_posix() or rel == DOMAIN_TABLE.as_posix() + ".gz":
        return True
    if len(parts) == 2 and parts[0] == "affiliations" and parts[1] in AUTHOR_MAPS:
        return True
    if len(parts) == 2 and parts[0] == "ror":  # registry records and dumps, not gold sets
        return parts[1].startswith("ror_records") or "ror-data" in parts[1]
    if len(parts) == 2 and parts[0] == "mpidr":  # reference tables for `validate`
        return parts[1].endswith((".csv", ".csv.gz"))
    if len(parts) >= 2 and parts[0] == "compensation":  # pay: OEWS, OFLC, LCA filings
        return (
            pay_kind(parts[-1]) is not None
            or parts[-1] in OEWS_DIMENSIONS
            or parts[-1].lower() in ("geography.csv", "oes_soc_occs.csv")
        )
    if len(parts) == 3 and parts[0] == "paperlists":
        return parts[1] in venue_dirs and ".json" in parts[2]
    if len(parts) == 4 and parts[:2] == ["openreview", "authors"]:
        return parts[2] in venue_dirs and ".jsonl" in parts[3]
    return False


def venue_dirs(settings: Settings) -> set[str]:
    return set(source_venue_dirs(list(settings.scope.venue_areas())))


def list_local(root: Path, dirs: set[str]) -> list[str]:
    """Wanted files of a local mirror: those its ``MANIFEST.csv`` lists (when it has one)
    and those found by walking it. Symbolic links are followed (a mirror may link its
    top folders to where the data lives), each real directory once."""
    found: set[str] = set()
    manifest = root / "MANIFEST.csv"
    if manifest.is_file():
        listed = list_manifest(manifest.read_text(encoding="utf-8"), dirs)
        found.update(rel for rel in listed if (root / rel).is_file())
    seen: set[str] = set()
    for top, subdirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:  # a link back up the tree
            subdirs[:] = []
            continue
        seen.add(real)
        for name in names:
            rel = (Path(top) / name).relative_to(root).as_posix()
            if _wanted(rel, dirs) and (Path(top) / name).is_file():
                found.add(rel)
    return sorted(found)


def list_manifest(text: str, dirs: set[str]) -> list[str]:
    rows = csv.DictReader(io.StringIO(text))
    return sorted({r["file"] for r in rows if r.get("file") and _wanted(r["file"], dirs)})


def candidates(dirs: Iterable[str], years: tuple[int, int]) -> list[str]:
    """Upstream-layout names to probe when a mirror has no listing."""
    out = [DOMAIN_TABLE.as_posix()]
    for d in sorted(dirs):
        for y in range(years[0], years[1] + 1):
            out.append(f"paperlists/{d}/{d}{y}.json")
            out.append(f"openreview/authors/{d}/{d}{y}.jsonl")
    return out


#: the longest wait a server's ``Retry-After`` is obeyed for
MAX_RETRY_AFTER_S = 60.0


def retry_after(r: httpx.Response, default: float) -> float:
    """Seconds to wait before asking again: the response's ``Retry-After`` (in seconds,
    at most :data:`MAX_RETRY_AFTER_S`) when it gives one, else ``default``."""
    value = r.headers.get("Retry-After", "").strip()
    if value.replace(".", "", 1).isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    return default


class Downloader:
    """HTTP downloads with retries, backoff and resume."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(
            timeout=TIMEOUT,
            follow_redirects=True,
            transport=httpx.HTTPTransport(retries=2),
            headers={"User-Agent": "talentatlas"},
        )

    def get_text(self, url: str) -> str | None:
        r = self._request("GET", url)
        return r.text if r is not None else None

    def get_bytes(self, url: str, headers: dict[str, str] | None = None) -> bytes | None:
        """The body of ``url``; None if it does not exist (404)."""
        r = self._request("GET", url, headers)
        return r.content if r is not None else None

    def exists(self, url: str) -> bool:
        return self._request("HEAD", url) is not None

    def _request(
        self, method: str, url: str, headers: dict[str, str] | None = None
    ) -> httpx.Response | None:
        for attempt in range(RETRIES):
            try:
                r = self.client.request(method, url, headers=headers)
            except httpx.TransportError:
                time.sleep(BACKOFF_S * 2**attempt)
                continue
            if r.status_code == 404:
                return None
            if r.status_code >= 500 or r.status_code == 429:
                time.sleep(retry_after(r, BACKOFF_S * 2**attempt))
                continue
            r.raise_for_status()
            return r
        raise httpx.HTTPError(f"{method} {url}: no answer after {RETRIES} attempts")

    def download(self, url: str, dest: Path, on_bytes: Callable[[int], None] | None = None) -> bool:
        """Download ``url`` to ``dest``; False if it does not exist (404)."""
        part = dest.with_name(dest.name + ".part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        last: Exception | None = None
        for attempt in range(RETRIES):
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with self.client.stream("GET", url, headers=headers) as r:
                    if r.status_code == 404:
                        return False
                    if r.status_code == 416:  # already complete
                        part.replace(dest)
                        return True
                    if r.status_code >= 500 or r.status_code == 429:
                        raise httpx.HTTPStatusError("server error", request=r.request, response=r)
                    r.raise_for_status()
                    mode = "ab" if r.status_code == 206 and have else "wb"
                    with part.open(mode) as f:
                        for chunk in r.iter_bytes():  # as it arrives: a cut keeps it all
                            f.write(chunk)
                            if on_bytes:
                                on_bytes(len(chunk))
                part.replace(dest)
                return True
            except (httpx.TransportError, httpx.HTTPStatusError) as e:
                last = e
                time.sleep(BACKOFF_S * 2**attempt)
        raise httpx.HTTPError(f"GET {url}: failed after {RETRIES} attempts ({last})")


def fetch(
    settings: Settings,
    *,
    on_plan: Callable[[int], None] | None = None,
    on_file: Callable[[str], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    downloader: Downloader | None = None,
) -> FetchResult:
    """Bring the default sources into ``settings.data_dir``."""
    dirs = venue_dirs(settings)
    dest_root = settings.data_dir
    result = FetchResult()
    mirror = settings.mirror
    if mirror and not _is_url(mirror):
        root = Path(mirror)
        if not root.is_dir():
            raise FileNotFoundError(f"mirror directory {root} does not exist")
        files = list_local(root, dirs)
        if on_plan:
            on_plan(len(files))
        for rel in files:
            dest = dest_root / rel
            src = root / rel
            if dest.exists() and dest.stat().st_size == src.stat().st_size:
                result.present.append(rel)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(dest.name + ".part")
                shutil.copyfile(src, tmp)
                tmp.replace(dest)
                result.fetched.append(rel)
                if on_bytes:
                    on_bytes(src.stat().st_size)
            if on_file:
                on_file(rel)
        return result

    dl = downloader or Downloader()
    bases = (
        {"": mirror.rstrip("/")}
        if mirror
        else {
            "paperlists/": settings.upstream_paperlists.rstrip("/"),
            "openreview/": settings.upstream_openreview.rstrip("/"),
        }
    )
    if not mirror and settings.upstream_ror:
        bases["ror/"] = settings.upstream_ror.rstrip("/")
    # (the more specific prefix first: the first that matches gives a file's URL)
    oe = OEWS_FILES if not mirror and settings.fetch_oews else []
    if oe:
        bases["compensation/bls_oews/"] = settings.upstream_oews.rstrip("/")
    lca = lca_names(settings.lca_fiscal_years) if not mirror else []
    if lca:
        bases["compensation/"] = settings.upstream_lca.rstrip("/")
    listed: list[str] | None = None
    if mirror:
        text = dl.get_text(f"{bases['']}/MANIFEST.csv")
        listed = list_manifest(text, dirs) if text is not None else None
    names = listed if listed is not None else candidates(dirs, settings.fetch_years)
    domain_table = DOMAIN_TABLE.as_posix()
    tables = [domain_table, *(f"affiliations/{m}" for m in AUTHOR_MAPS)]
    for t in tables:
        if not any(n.startswith(t) for n in names):
            names = [*names, t]  # listings may omit them: probe for them
    if not any(n.startswith("ror/") for n in names) and ("" in bases or "ror/" in bases):
        names = [*names, *ROR_CANDIDATES]  # and the registry
    if not any(n.startswith("mpidr/") for n in names) and "" in bases:
        names = [*names, *MPIDR_CANDIDATES]  # and the MPIDR reference tables (mirror only)
    if not any(n.startswith("compensation/") for n in names) and "" in bases:
        names = [*names, *PAY_CANDIDATES]  # and the pay files (mirror only)
    names = [*names, *lca, *oe]
    if on_plan:
        on_plan(len(names))
    for rel in names:
        url = _url_for(bases, rel)
        probe = (
            listed is None or rel in tables or rel in ROR_CANDIDATES + MPIDR_CANDIDATES
            or rel in PAY_CANDIDATES or rel in lca or rel in oe
        )  # fmt: skip
        try:
            got = _fetch_one(dl, url, rel, dest_root, on_bytes, probe=probe)
            if got is True:
                result.fetched.append(rel)
            elif got is None:
                result.present.append(rel)
        except httpx.HTTPError as e:
            result.failed[rel] = str(e)
        if on_file:
            on_file(rel)
    if not mirror and settings.upstream_oflc:
        try:
            got = fetch_oflc_export(dl, settings.upstream_oflc, dest_root / "compensation" / "oflc")
            result.fetched.extend(got)
        except (httpx.HTTPError, zipfile.BadZipFile, FileNotFoundError) as e:
            result.failed["compensation/oflc"] = str(e)
    return result


#: the members of the DOL's wage-data archive that are read
OFLC_MEMBERS = ("alc_export.csv", "geography.csv", "oes_soc_occs.csv")


def fetch_oflc_export(dl: Downloader, url: str, into: Path) -> list[str]:
    """The DOL's prevailing-wage archive (a zip holding ``ALC_Export.csv``,
    ``Geography.csv``, ``oes_soc_occs.csv``): downloaded (resumable) and its members
    extracted into ``into``, each through a temporary name."""
    archive = into / url.rstrip("/").rsplit("/", 1)[-1]
    if not archive.exists() and not dl.download(url, archive):
        raise FileNotFoundError(f"no prevailing-wage archive at {url}")
    out = []
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if name.lower() not in OFLC_MEMBERS:
                continue
            dest = into / name
            tmp = dest.with_name(dest.name + ".part")
            with z.open(info) as src, tmp.open("wb") as f:
                shutil.copyfileobj(src, f, 1 << 20)
            tmp.replace(dest)
            out.append(f"compensation/oflc/{name}")
    if not any(o.lower().endswith(OFLC_MEMBERS[0]) for o in out):
        raise FileNotFoundError(f"{archive.name} holds no ALC_Export.csv")
    return out


def _url_for(bases: dict[str, str], rel: str) -> str:
    for prefix, base in bases.items():
        if rel.startswith(prefix):
            return f"{base}/{rel[len(prefix) :]}" if prefix else f"{base}/{rel}"
    return f"{next(iter(bases.values()))}/{rel}"


def _fetch_one(
    dl: Downloader,
    url: str,
    rel: str,
    root: Path,
    on_bytes: Callable[[int], None] | None,
    probe: bool,
) -> bool | None:
    """True if downloaded, None if already present, False if absent upstream."""
    for suffix in ("", ".gz") if probe and not rel.endswith(".gz") else ("",):
        dest = root / (rel + suffix)
        if dest.exists():
            return None
    if dl.download(url, root / rel, on_bytes):
        return True
    if probe and not rel.endswith(".gz"):
        return bool(dl.download(url + ".gz", root / (rel + ".gz"), on_bytes))
    return False
