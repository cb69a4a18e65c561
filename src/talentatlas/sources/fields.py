"""Splitting the ``;``-separated, one-slot-per-author fields of paper-list records."""

from __future__ import annotations

import hashlib
import re

_SPLIT_COMMA = re.compile(r"\s*,\s*")


def split_authors(author: str) -> list[str]:
    """Author names: ``;``-separated, or ``, ``-separated in some CVPR/ICML/NeurIPS years."""
    if not author.strip():
        return []
    parts = author.split(";") if ";" in author else _SPLIT_COMMA.split(author)
    return [p.strip() for p in parts if p.strip()]


def slots(value: str, n: int) -> list[str] | None:
    """A ``;``-separated field as exactly ``n`` slots, or None when it does not align."""
    if not value.strip():
        return None
    parts = [p.strip() for p in value.split(";")]
    if len(parts) == 2 * n and parts[:n] == parts[n:]:
        parts = parts[:n]
    return parts if len(parts) == n else None


def undouble(names: list[str], *per_author: str) -> list[str]:
    """ICRA/IROS lists write every author twice: keep one copy.

    A list whose second half repeats the first is taken for doubled unless a per-author
    field (``;``-separated, e.g. ids or affiliations) has one slot per listed name and
    its halves differ: then the names are namesakes (two authors called alike)."""
    n = len(names)
    if n < 2 or n % 2 or names[: n // 2] != names[n // 2 :]:
        return names
    for value in per_author:
        parts = [p.strip() for p in value.split(";")] if value.strip() else []
        if len(parts) == n and parts[: n // 2] != parts[n // 2 :]:
            return names
    return names[: n // 2]


def email_domain(value: str) -> str | None:
    """The domain of an e-mail address or a bare domain; the local part is never kept."""
    v = value.strip().lower()
    if not v:
        return None
    if "@" in v:
        v = v.rsplit("@", 1)[1]
    v = v.strip(". ")
    if "." not in v or " " in v:
        return None
    return v


def email_key(value: str) -> str | None:
    """A one-way key for an e-mail address used as an author id (never the address itself)."""
    v = value.strip().lower()
    if "@" not in v:
        return None
    return "email:" + hashlib.sha256(v.encode()).hexdigest()[:20]


def source_author_id(value: str, venue: str) -> str | None:
    """Venue-site author ids: ACL Anthology (``/o/omer-goldman/``), IEEE (``/37089195649``)."""
    v = value.strip()
    if not v or v.startswith("~") or "@" in v:
        return None
    v = v.strip("/")
    if not v:
        return None
    if v.isdigit():
        return f"ieee:{v}"
    if re.fullmatch(r"[a-z]/[a-z0-9-]+", v):
        return f"acl:{v}"
    return f"{venue}:{v}"
