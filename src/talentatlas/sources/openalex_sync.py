"""Copying OpenAlex's snapshot (works, and authors, institutions and sources when
asked) into the data directory, incrementally, as JSON Lines or Parquet.

The snapshot lives in the public ``openalex`` S3 bucket, readable without credentials
over HTTPS (``s3://openalex/data`` is ``https://openalex.s3.amazonaws.com/data``); a
mirror (any base URL) or a local copy laid out the same way works too. Its manifest
lists every part file with its size: ``<base>/jsonl/manifest.json`` (the layout since
2026, every entity in one manifest) or else ``<base>/works/manifest`` (the earlier
layout). Both are Redshift manifests: ``{"entries": [{"url": ..., "meta":
{"content_length": ...}}]}``.

Each part of the works is copied to ``<data dir>/openalex/snapshot/<path under the
base>``, where the OpenAlex reader finds it. A part already there with the size the
manifest gives is kept, so a second run copies only the partitions that are new (the
snapshot never rewrites an old partition: records that change move to a new one); a
part cut short is resumed (``fetch.Downloader``). ``since`` skips partitions older
than a date. OpenAlex removes a manifest while it writes a partition: without one, the
sync stops and says so.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from talentatlas.fetch import Downloader, _is_url
from talentatlas.sources.openalex import SNAPSHOT_DIR

PUBLIC = "s3://openalex/data"
MANIFESTS = ("jsonl/manifest.json", "works/manifest")
#: the snapshot's formats since 2026, each a complete copy under its own prefix
FORMATS = ("jsonl", "parquet")


def http_base(base: str) -> str:
    """``s3://bucket/prefix`` -> the bucket's public HTTPS address; others unchanged."""
    if base.startswith("s3://"):
        bucket, _, prefix = base[5:].partition("/")
        return f"https://{bucket}.s3.amazonaws.com/{prefix}".rstrip("/")
    return base.rstrip("/")


@dataclass
class SyncResult:
    manifest: str = ""
    fetched: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # older than ``since``
    bytes: int = 0


def entity_parts(manifest: dict, entities: tuple[str, ...] = ("works",)) -> list[tuple[str, int]]:
    """``(path under the base, size)`` of every part of ``entities`` a manifest lists."""
    out = []
    for e in manifest.get("entries") or []:
        url = str(e.get("url") or "")
        for entity in entities:
            marker = f"/{entity}/updated_date="
            if marker not in url:
                continue
            rel = url.split(marker, 1)
            head = rel[0].rsplit("/", 1)[-1]  # "jsonl"/"parquet" since 2026, else the prefix
            prefix = f"{head}/" if head in FORMATS else ""
            size = int((e.get("meta") or {}).get("content_length") or -1)
            out.append((f"{prefix}{entity}/updated_date={rel[1]}", size))
    return sorted(out)


def sync_snapshot(
    base: str,
    data_dir: Path,
    *,
    since: str | None = None,
    entities: tuple[str, ...] = ("works",),
    fmt: str = "jsonl",
    downloader: Downloader | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> SyncResult:
    """Copy the parts of ``entities`` (works; authors, institutions, sources) of the
    snapshot at ``base`` not yet in ``data_dir``, in format ``fmt`` (``jsonl``, or
    ``parquet`` with ``parquet/manifest.json``; see the module doc)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: jsonl or parquet")
    manifests = MANIFESTS if fmt == "jsonl" else ("parquet/manifest.json",)
    dl = downloader or Downloader()
    local = not _is_url(base) and not base.startswith("s3://")
    root = base.rstrip("/") if local else http_base(base)
    out = SyncResult()
    manifest = None
    for name in manifests:
        if local:
            p = Path(root) / name
            text = p.read_text() if p.is_file() else None
        else:
            text = dl.get_text(f"{root}/{name}")
        if text is not None:
            manifest, out.manifest = json.loads(text), name
            break
    if manifest is None:
        raise FileNotFoundError(
            f"no snapshot manifest at {root} ({' or '.join(manifests)}): OpenAlex removes it "
            "while it writes a partition, so try again later"
        )
    parts = entity_parts(manifest, entities)
    if on_plan:
        on_plan(len(parts))
    target = data_dir / SNAPSHOT_DIR
    for path, size in parts:
        day = path.split("updated_date=", 1)[1][:10]
        dest = target / path
        if since and day < since:
            out.skipped.append(path)
        elif dest.exists() and (size < 0 or dest.stat().st_size == size):
            out.present.append(path)
        else:
            if local:
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(dest.name + ".part")
                shutil.copyfile(Path(root) / path, tmp)
                tmp.replace(dest)
            elif not dl.download(f"{root}/{path}", dest):
                raise FileNotFoundError(f"{root}/{path}: listed in the manifest but absent")
            out.fetched.append(path)
            out.bytes += dest.stat().st_size
        if on_file:
            on_file(path)
    return out
