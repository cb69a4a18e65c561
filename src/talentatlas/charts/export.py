"""Writing a figure: self-contained HTML, or PNG/SVG through a headless Chromium."""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from talentatlas.charts.theme import HEIGHT, SCALE, WIDTH

FORMATS = (".html", ".png", ".svg")


DEBIAN_CHROMIUM = "/usr/bin/chromium"


# plotly.js looks up its base map (``<topojsonURL>/world_110m.json``) whenever a geo
# subplot has a choropleth, even when every base layer is hidden. Answer the lookup
# with an empty topology: the '#' turns the appended file name into a fragment.
_EMPTY_TOPOLOGY = json.dumps({"type": "Topology", "objects": {}, "arcs": []})


TOPOJSON_URL = "data:application/json," + urllib.parse.quote(_EMPTY_TOPOLOGY, safe="") + "#"


HTML_CONFIG = {"displaylogo": False, "responsive": True, "topojsonURL": TOPOJSON_URL}


class StaticExportError(RuntimeError):
    """A PNG or SVG could not be rendered (no usable browser); HTML still works."""


def format_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"unsupported chart format {suffix or '(no suffix)'!r} for {path}: "
            f"supported formats are {', '.join(FORMATS)}"
        )
    return suffix[1:]


def write(fig: Any, path: str | Path, fmt: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        fig.write_html(
            path,
            include_plotlyjs=True,
            full_html=True,
            config=HTML_CONFIG,
            default_width="100%",
            default_height=f"{HEIGHT}px",
        )
    else:
        path.write_bytes(_render(fig, fmt))
    return path


def _chosen_browser() -> str | None:
    """``$BROWSER_PATH`` if set, else Debian's Chromium if installed, else None."""
    if env := os.environ.get("BROWSER_PATH"):
        return env
    return DEBIAN_CHROMIUM if os.access(DEBIAN_CHROMIUM, os.X_OK) else None


def find_browser() -> str | None:
    """The Chromium/Chrome static export will use, or None when there is none."""
    if chosen := _chosen_browser():
        return chosen if os.access(chosen, os.X_OK) else None
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:
        return None
    return Chromium.find_browser(skip_local=False)


def _render(fig: Any, fmt: str) -> bytes:
    """PNG/SVG bytes from kaleido, offline: no MathJax, the empty base-map topology."""
    hint = "write a .html chart instead, or install Chromium (Debian: apt-get install chromium)"
    try:
        import kaleido
        from choreographer.browsers.chromium import Chromium
        from choreographer.errors import BrowserDepsError, BrowserFailedError, ChromeNotFoundError
    except ImportError as e:  # pragma: no cover - all are dependencies
        raise StaticExportError(f"static export needs kaleido ({e}); {hint}") from e

    class _OfflineChromium(Chromium):
        # choreographer already runs it headless with --no-sandbox (needed as root) and
        # without component updates or sync; also keep it from any other background
        # networking (safe browsing, variations, ...), which has nowhere to go offline.
        def get_cli(self) -> Sequence[str]:
            return [*super().get_cli(), "--disable-background-networking"]

    kopts: dict[str, Any] = {"mathjax": False, "browser_cls": _OfflineChromium}
    browser = _chosen_browser()
    if browser:  # else choreographer searches (its own download first, then PATH)
        kopts["path"] = browser
    opts = {"format": fmt, "width": WIDTH, "height": HEIGHT, "scale": SCALE if fmt == "png" else 1}
    try:
        return kaleido.calc_fig_sync(fig, opts=opts, topojson=TOPOJSON_URL, kopts=kopts)
    except ChromeNotFoundError as e:
        where = f" at {browser}" if browser else ""
        raise StaticExportError(
            f"no Chromium/Chrome{where} for {fmt.upper()} export; {hint}"
        ) from e
    except (BrowserFailedError, BrowserDepsError) as e:
        raise StaticExportError(
            f"{browser or 'the browser'} failed to start for {fmt.upper()} export; {hint}"
        ) from e
