"""The methodology page: ``docs/methodology.md`` (shipped with the package as
``web/static/methodology.md``) rendered to HTML, with an anchor on every heading."""

from __future__ import annotations

import functools
import itertools
import re
from importlib import resources

from markdown_it import MarkdownIt

SOURCE = resources.files("talentatlas.web") / "static" / "methodology.md"


def slug(text: str) -> str:
    """A heading's anchor: lower case, words joined by hyphens (as GitHub makes them)."""
    s = re.sub(r"[^\w\- ]", "", text.lower()).strip()
    return re.sub(r"\s+", "-", s)


@functools.cache
def methodology() -> dict:
    """``{html, sections}``: the document as HTML (raw HTML in it is escaped) and its
    headings below the title (``id, title, level``), in order."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(SOURCE.read_text(encoding="utf-8"))
    sections: list[dict] = []
    seen: dict[str, int] = {}
    for open_, inline in itertools.pairwise(tokens):
        if open_.type != "heading_open":
            continue
        title = inline.content.replace("`", "")
        base = slug(title)
        n = seen.get(base, 0)
        seen[base] = n + 1
        anchor = base if n == 0 else f"{base}-{n}"
        open_.attrSet("id", anchor)
        level = int(open_.tag[1])
        if level > 1:
            sections.append({"id": anchor, "title": title, "level": level})
    return {"html": md.renderer.render(tokens, md.options, {}), "sections": sections}
