"""Charts of talentatlas indicators, written as HTML, PNG or SVG.

Every chart function takes a :class:`pyarrow.Table` (anything :func:`pyarrow.table`
accepts will do) and an output path, and returns the path it wrote. The suffix picks
the format:

``.html``
    A self-contained interactive page: plotly.js and the map geometry are inlined, so
    it opens offline.
``.png`` / ``.svg``
    A static image (1000 x 600 layout pixels; PNGs at scale 2), rendered by kaleido in a
    headless Chromium. The browser is ``$BROWSER_PATH`` when set, else
    ``/usr/bin/chromium`` when it exists (Debian: ``apt-get install chromium``), else
    whatever choreographer finds (e.g. a Chrome fetched with ``kaleido_get_chrome``).

Nothing is fetched from the network. Plotly's world map normally downloads its base
map from cdn.plot.ly; here the countries are drawn from the simplified world borders of
thematicmapping.org (CC BY-SA 3.0) that ``geopip`` bundles, and the CDN lookup is
answered with an empty topology.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import os
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pycountry

__all__ = [
    "FORMATS",
    "SOURCE_NOTE",
    "StaticExportError",
    "choropleth",
    "find_browser",
    "retention",
    "sankey",
    "trend",
]

FORMATS = (".html", ".png", ".svg")
SOURCE_NOTE = "talentatlas · open data"

WIDTH, HEIGHT, SCALE = 1000, 600, 2
FONT = "Liberation Sans, Helvetica Neue, Helvetica, Arial, sans-serif"
INK, MUTED, GRID = "#222222", "#6b6b6b", "#e6e6e6"
NO_DATA = "#d4d4d4"
# Tableau 10: distinct, colour-blind tolerable, prints well.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#8cd17d",
)  # fmt: skip
DIVERGING = [  # ColorBrewer RdBu: red = net loss, blue = net gain.
    [0.0, "#b2182b"], [0.2, "#d6604d"], [0.35, "#f4a582"], [0.47, "#fbe3d6"],
    [0.5, "#f7f7f7"], [0.53, "#dbe9f3"], [0.65, "#92c5de"], [0.8, "#4393c3"],
    [1.0, "#2166ac"],
]  # fmt: skip
DEBIAN_CHROMIUM = "/usr/bin/chromium"

# plotly.js looks up its base map (``<topojsonURL>/world_110m.json``) whenever a geo
# subplot has a choropleth, even when every base layer is hidden. Answer the lookup
# with an empty topology: the '#' turns the appended file name into a fragment.
_EMPTY_TOPOLOGY = json.dumps({"type": "Topology", "objects": {}, "arcs": []})
TOPOJSON_URL = "data:application/json," + urllib.parse.quote(_EMPTY_TOPOLOGY, safe="") + "#"
_HTML_CONFIG = {"displaylogo": False, "responsive": True, "topojsonURL": TOPOJSON_URL}

_SHORT_NAMES = {
    "BN": "Brunei", "CD": "DR Congo", "CG": "Congo", "CZ": "Czechia", "FM": "Micronesia",
    "GB": "United Kingdom", "HK": "Hong Kong", "MO": "Macao", "PS": "Palestine",
    "RU": "Russia", "TW": "Taiwan", "US": "United States", "VA": "Vatican", "XK": "Kosovo",
}  # fmt: skip


class StaticExportError(RuntimeError):
    """A PNG or SVG could not be rendered (no usable browser); HTML still works."""


# ---------------------------------------------------------------------------------------
# Choropleth


def choropleth(
    table: Any,
    path: str | Path,
    *,
    value: str = "net_rate",
    title: str = "Net migration of AI researchers",
    subtitle: str | None = None,
    colorbar_title: str | None = None,
    note: str | None = None,
) -> Path:
    """World map of ``value`` by country, on a diverging scale centred at 0.

    Columns: ``country`` (ISO 3166 alpha-2) and ``value``; ``inflow``, ``outflow``,
    ``stock`` and ``<value>_lo`` / ``<value>_hi`` are shown on hover when present. With
    a ``year`` column spanning several years only the latest year is drawn. Red is a net
    loss, blue a net gain; countries without a row are grey, and countries too small to
    see at world scale get a dot.
    """
    fmt = _format(path)
    t = _table(table, "choropleth", ["country", value])
    rows = [r for r in t.to_pylist() if r["country"] and _num(r[value]) is not None]
    year = None
    if "year" in t.column_names:
        years = [r["year"] for r in rows if r["year"] is not None]
        if years:
            year = max(years)
            rows = [r for r in rows if r["year"] == year]
    if not rows:
        raise ValueError(f"choropleth: no rows with a country and a {value!r} value")
    seen: set[str] = set()
    for r in rows:
        code = str(r["country"]).strip().upper()
        if code in seen:
            raise ValueError(
                f"choropleth: country {code!r} appears more than once; give one row per "
                "country (filter to a single year)"
            )
        seen.add(code)
        r["country"] = code

    world = _world()
    mapped = [r for r in rows if r["country"] in world]
    missing = sorted(r["country"] for r in rows if r["country"] not in world)
    values = [_num(r[value]) for r in mapped] or [0.0]
    span = max(abs(v) for v in values) or 1.0

    def hover(r: dict) -> str:
        v = _num(r[value])
        lines = [f"<b>{_country_name(r['country'])}</b> ({r['country']})"]
        interval = ""
        lo, hi = r.get(f"{value}_lo"), r.get(f"{value}_hi")
        if _num(lo) is not None and _num(hi) is not None:
            interval = f"  [{_num(lo):+,.1f}, {_num(hi):+,.1f}]"
        lines.append(f"{value.replace('_', ' ')}: {v:+,.1f}{interval}")
        counts = [
            f"{c} {_int(r.get(c)):,}" for c in ("inflow", "outflow", "stock")
            if _int(r.get(c)) is not None
        ]  # fmt: skip
        if counts:
            lines.append(" · ".join(counts))
        if year is not None:
            lines.append(f"year {year}")
        return "<br>".join(lines)

    import plotly.graph_objects as go

    fig = go.Figure()
    others = [s for code, s in world.items() if code not in seen]
    fig.add_trace(
        go.Choropleth(
            geojson={"type": "FeatureCollection", "features": [s.feature for s in others]},
            locations=[s.iso3 for s in others],
            z=[0] * len(others),
            featureidkey="id",
            colorscale=[[0, NO_DATA], [1, NO_DATA]],
            showscale=False,
            marker={"line": {"color": "white", "width": 0.4}},
            text=[f"{_country_name(s.iso2)}: no data" for s in others],
            hovertemplate="%{text}<extra></extra>",
            name="no data",
            showlegend=True,
        )
    )
    fig.add_trace(
        go.Choropleth(
            geojson={
                "type": "FeatureCollection",
                "features": [world[r["country"]].feature for r in mapped],
            },
            locations=[world[r["country"]].iso3 for r in mapped],
            z=[_num(r[value]) for r in mapped],
            featureidkey="id",
            coloraxis="coloraxis",
            marker={"line": {"color": "white", "width": 0.4}},
            text=[hover(r) for r in mapped],
            hovertemplate="%{text}<extra></extra>",
            name=value,
            showlegend=False,
        )
    )
    small = [r for r in mapped if world[r["country"]].small]
    if small:
        fig.add_trace(
            go.Scattergeo(
                lon=[world[r["country"]].lon for r in small],
                lat=[world[r["country"]].lat for r in small],
                mode="markers",
                marker={
                    "color": [_num(r[value]) for r in small],
                    "coloraxis": "coloraxis",
                    "size": 7,
                    "line": {"color": "#555555", "width": 0.6},
                },
                text=[hover(r) for r in small],
                hovertemplate="%{text}<extra></extra>",
                name="small countries",
                showlegend=False,
            )
        )
    tickvals, ticktext = _signed_ticks(span)
    if colorbar_title is None:
        colorbar_title = "net per<br>10,000" if value == "net_rate" else value.replace("_", " ")
    fig.update_layout(
        coloraxis={
            "colorscale": DIVERGING,
            "cmin": -span,
            "cmax": span,
            "cmid": 0,
            "colorbar": {
                "title": {"text": colorbar_title, "font": {"size": 12}},
                "tickvals": tickvals,
                "ticktext": ticktext,
                "thickness": 14,
                "len": 0.7,
                "x": 1.0,
                "outlinewidth": 0,
            },
        },
        geo={
            "visible": False,
            "projection": {"type": "natural earth", "rotation": {"lon": 10}},
            "fitbounds": "locations",
            "bgcolor": "rgba(0,0,0,0)",
        },
        legend={"x": 0.0, "y": 0.02, "bgcolor": "rgba(255,255,255,0.7)", "font": {"size": 12}},
    )
    if subtitle is None:
        what = "net moves per 10,000 researchers" if value == "net_rate" else value
        subtitle = (
            f"{what.replace('_', ' ')} by country"
            + (f", {year}" if year is not None else "")
            + " · red: net loss, blue: net gain"
        )
    notes = [note] if note else []
    if missing:
        shown = ", ".join(missing[:8]) + (" …" if len(missing) > 8 else "")
        notes.append(f"not on the map (no outline): {shown}")
    notes.append("borders: thematicmapping.org (CC BY-SA)")
    _style(fig, title, subtitle, notes, margin={"l": 10, "r": 10, "t": 80, "b": 40})
    return _write(fig, path, fmt)


def _signed_ticks(span: float) -> tuple[list[float], list[str]]:
    """Symmetric ticks within [-span, span], labelled with their sign (0 bare)."""
    raw = span / 2.5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * 0.99)
    k = math.floor(span / step + 1e-9)
    digits = next(d for d in range(8) if abs(round(step, d) - step) < step * 1e-9)
    vals = [j * step for j in range(-k, k + 1)]
    text = [
        f"{v:+,.{digits}f}".replace("-", "\u2212") if abs(v) > step / 1e6 else "0" for v in vals
    ]
    return vals, text


@dataclass(frozen=True)
class _Shape:
    iso2: str
    iso3: str
    feature: dict
    lon: float
    lat: float
    small: bool


@functools.cache
def _world() -> dict[str, _Shape]:
    """ISO alpha-2 -> country outline (rounded to 0.01 degrees), Antarctica left out."""
    raw = json.loads(resources.files("geopip").joinpath("globe.geo.json").read_bytes())
    out: dict[str, _Shape] = {}
    for f in raw["features"]:
        p = f["properties"]
        iso2 = p.get("ISO2")
        c = pycountry.countries.get(alpha_2=iso2) if iso2 else None
        if c is None or iso2 == "AQ":
            continue
        polys = f["geometry"]["coordinates"]
        if f["geometry"]["type"] == "Polygon":
            polys = [polys]
        kept = []
        for poly in polys:
            exterior = _round_ring(poly[0])
            if exterior:  # islands below 0.01 degrees vanish; their holes go with them
                holes = [h for h in (_round_ring(ring) for ring in poly[1:]) if h]
                kept.append([exterior, *holes])
        if not kept:
            continue
        area = sum(abs(_ring_area(poly[0])) for poly in kept)
        feature = {
            "type": "Feature",
            "id": c.alpha_3,
            "geometry": {"type": "MultiPolygon", "coordinates": kept},
        }
        out[iso2] = _Shape(iso2, c.alpha_3, feature, p["LON"], p["LAT"], area < 1.0)
    return out


def _round_ring(ring: Sequence[Sequence[float]]) -> list[list[float]] | None:
    pts: list[list[float]] = []
    for x, y in ring:
        p = [round(x, 2), round(y, 2)]
        if not pts or pts[-1] != p:
            pts.append(p)
    if len(pts) < 4:
        return None
    if pts[0] != pts[-1]:
        pts.append(pts[0])
    return pts


def _ring_area(ring: Sequence[Sequence[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2


# ---------------------------------------------------------------------------------------
# Sankey

_STAGE_TITLES = {
    "origin": "Origin",
    "first_academic": "First academic country",
    "workplace": "Workplace",
}
_NULL_LABELS = {"origin": "unknown", "first_academic": "none observed", "workplace": "unknown"}
_OTHER = "other"


def sankey(
    table: Any,
    path: str | Path,
    *,
    title: str = "Pathways of AI researchers",
    subtitle: str | None = None,
    top: int = 8,
    unit: str = "persons",
    note: str | None = None,
) -> Path:
    """Flows origin -> first academic country -> workplace, in persons.

    Columns: ``origin``, ``workplace``, ``persons`` and optionally ``first_academic``
    (ISO alpha-2 codes). Without a ``first_academic`` column, or when it is all null,
    the chart has two stages. Each stage keeps its ``top`` countries and groups the
    rest as "other"; a missing country is "unknown" (origin, workplace) or "none
    observed" (first academic country). The same country at two stages is two nodes.
    ``unit`` names what ``persons`` counts (e.g. "moves") in the subtitle and on hover.
    """
    fmt = _format(path)
    t = _table(table, "sankey", ["origin", "workplace", "persons"])
    if top < 1:
        raise ValueError("sankey: top must be at least 1")
    stages = ["origin", "workplace"]
    if "first_academic" in t.column_names and t["first_academic"].null_count < t.num_rows:
        stages = ["origin", "first_academic", "workplace"]
    rows = []
    for r in t.select([*stages, "persons"]).to_pylist():
        n = _int(r["persons"])
        if n and n > 0:
            key = tuple(_code(r[s]) for s in stages)
            rows.append((key, n))
    if not rows:
        raise ValueError("sankey: no rows with a positive persons count")

    # Keep the top countries of each stage; fold the rest into "other".
    kept: list[set[str | None]] = []
    for i in range(len(stages)):
        totals: dict[str | None, int] = defaultdict(int)
        for key, n in rows:
            totals[key[i]] += n
        ranked = sorted((c for c in totals if c is not None), key=lambda c: (-totals[c], c))
        # An "other" of one country would only hide its name.
        kept.append({*(ranked[:top] if len(ranked) > top + 1 else ranked), None})
    folded: list[dict[str | None, set[str]]] = [defaultdict(set) for _ in stages]
    paths: dict[tuple, int] = defaultdict(int)
    for key, n in rows:
        new = []
        for i, c in enumerate(key):
            if c in kept[i]:
                new.append(c)
            else:
                folded[i][_OTHER].add(c)  # type: ignore[arg-type]
                new.append(_OTHER)
        paths[tuple(new)] += n

    # Nodes: one per (stage, country); sized by persons through it.
    node_total: dict[tuple[int, str | None], int] = defaultdict(int)
    for key, n in paths.items():
        for i, c in enumerate(key):
            node_total[(i, c)] += n
    overall: dict[str, int] = defaultdict(int)
    for (_, c), n in node_total.items():
        if c not in (None, _OTHER):
            overall[c] += n  # type: ignore[index]
    colour = {
        c: PALETTE[i % len(PALETTE)]
        for i, c in enumerate(sorted(overall, key=lambda c: (-overall[c], c)))
    }

    def rank(item: tuple[tuple[int, str | None], int]) -> tuple:
        # The same order at every stage (largest overall first, then "other", then
        # unknown), so that people who stay in a country flow straight across.
        (i, c), n = item
        return (i, c is None, c == _OTHER, -overall.get(c or "", 0), -n, c or "")

    nodes = sorted(node_total.items(), key=rank)
    index = {k: j for j, (k, _) in enumerate(nodes)}
    xs, ys = _sankey_positions([(i, n) for (i, _), n in nodes], len(stages))
    labels, colours, hovers = [], [], []
    for (i, c), n in nodes:
        if c is None:
            name, col = _NULL_LABELS[stages[i]], "#e3e3e3"
        elif c == _OTHER:
            name, col = f"other ({len(folded[i][_OTHER])} countries)", "#b5b5b5"
        else:
            name, col = _country_name(c), colour[c]
        labels.append(f"{name} · {n:,}")
        colours.append(col)
        hovers.append(f"{_STAGE_TITLES[stages[i]]}: {name}")

    links: dict[tuple[int, int], int] = defaultdict(int)
    for key, n in paths.items():
        for i in range(len(stages) - 1):
            links[(index[(i, key[i])], index[(i + 1, key[i + 1])])] += n
    src = [s for s, _ in links]
    dst = [d for _, d in links]

    import plotly.graph_objects as go

    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",d",
            valuesuffix=f" {unit}",
            node={
                "label": labels,
                "x": xs,
                "y": ys,
                "color": colours,
                "customdata": hovers,
                "hovertemplate": "%{customdata}<br>%{value}<extra></extra>",
                "pad": 12,
                "thickness": 16,
                "line": {"color": "white", "width": 0.5},
            },
            link={
                "source": src,
                "target": dst,
                "value": list(links.values()),
                "color": [_rgba(colours[s], 0.38) for s in src],
                "hovertemplate": (
                    "%{source.customdata} → %{target.customdata}<br>%{value}<extra></extra>"
                ),
            },
            textfont={"size": 12, "color": INK, "family": FONT},
        )
    )
    last = len(stages) - 1
    for i, s in enumerate(stages):
        fig.add_annotation(
            x=i / last,
            y=1.0,
            xref="paper",
            yref="paper",
            yanchor="bottom",
            yshift=6,
            xanchor=("left", "center", "right")[0 if i == 0 else 2 if i == last else 1],
            text=f"<b>{_STAGE_TITLES[s]}</b>",
            showarrow=False,
            font={"size": 13, "color": INK},
        )
    if subtitle is None:
        total = sum(n for _, n in rows)
        subtitle = f"{total:,} {unit} · top {top} countries per stage, the rest grouped as other"
    _style(
        fig, title, subtitle, [note] if note else [], margin={"l": 20, "r": 20, "t": 110, "b": 40}
    )
    return _write(fig, path, fmt)


def _sankey_positions(
    nodes: list[tuple[int, int]], n_stages: int, gap: float = 0.025
) -> tuple[list[float], list[float]]:
    """Normalised node centres for nodes given in display order as (stage, persons)."""
    per_stage: dict[int, list[int]] = defaultdict(list)
    for i, n in nodes:
        per_stage[i].append(n)
    cursor = dict.fromkeys(per_stage, 0.0)
    xs, ys = [], []
    for i, n in nodes:
        sizes = per_stage[i]
        room = 1 - gap * (len(sizes) - 1)
        total = sum(sizes)
        centre = cursor[i] + room * n / total / 2
        cursor[i] += room * n / total + gap
        xs.append(min(max(i / (n_stages - 1), 0.001), 0.999))
        ys.append(min(max(centre, 0.001), 0.999))
    return xs, ys


# ---------------------------------------------------------------------------------------
# Trend


def trend(
    table: Any,
    path: str | Path,
    *,
    y: str,
    x: str = "year",
    lo: str | None = None,
    hi: str | None = None,
    series: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    percent: bool | None = None,
    note: str | None = None,
) -> Path:
    """Lines of ``y`` over ``x``, one per value of ``series``, with ``lo``-``hi`` bands.

    Rows where ``lo`` or ``hi`` is null get no band (the band is broken there, not
    interpolated). ``percent`` formats the y axis as a percentage; by default it does so
    when the values are shares (all within 0-1 and the column or title says "share").
    """
    fmt = _format(path)
    need = [x, y] + [c for c in (lo, hi, series) if c]
    t = _table(table, "trend", need)
    if (lo is None) != (hi is None):
        raise ValueError("trend: give both lo and hi, or neither")
    rows = [r for r in t.to_pylist() if r[x] is not None]
    if not rows:
        raise ValueError(f"trend: no rows with a {x!r} value")

    groups: dict[Any, list[dict]] = {}
    for r in rows:
        groups.setdefault(r[series] if series else y, []).append(r)
    for g in groups.values():
        g.sort(key=lambda r: r[x])
    nums = [
        v for r in rows for c in (y, lo, hi) if c for v in [_num(r[c])] if v is not None
    ]  # fmt: skip
    if percent is None:
        says_share = "share" in f"{y} {y_title or ''}".lower()
        percent = bool(nums) and says_share and all(0 <= v <= 1 for v in nums)

    import plotly.graph_objects as go

    from talentatlas.indicators.result import THIN_RATIO, mark_thin, thin_years

    fig = go.Figure()
    # years of thin coverage are greyed (indicators.result.mark_thin)
    thin = thin_years(mark_thin(t)) if x == "year" else []
    for yr in thin:
        fig.add_vrect(x0=yr - 0.5, x1=yr + 0.5, fillcolor="#9e9e9e", opacity=0.18,
                      line_width=0, layer="below")  # fmt: skip
    if thin:
        grey = f"grey: years of thin coverage (below {THIN_RATIO:.0%} of the median)"
        note = f"{note} · {grey}" if note else grey
    many = len(groups) > 1
    for k, (name, g) in enumerate(groups.items()):
        col = PALETTE[k % len(PALETTE)]
        label = str(name)
        if lo and hi:
            for seg in _runs(g, lo, hi):
                if len(seg) == 1:
                    r = seg[0]
                    fig.add_trace(
                        go.Scatter(
                            x=[r[x]],
                            y=[_num(r[y])],
                            mode="markers",
                            marker={"size": 1, "color": col},
                            error_y={
                                "type": "data",
                                "symmetric": False,
                                "array": [_num(r[hi]) - (_num(r[y]) or 0)],
                                "arrayminus": [(_num(r[y]) or 0) - _num(r[lo])],
                                "color": _rgba(col, 0.45),
                                "thickness": 6,
                                "width": 0,
                            },
                            legendgroup=label,
                            showlegend=False,
                            hoverinfo="skip",
                        )
                    )
                    continue
                xs = [r[x] for r in seg]
                fig.add_trace(
                    go.Scatter(
                        x=xs + xs[::-1],
                        y=[_num(r[hi]) for r in seg] + [_num(r[lo]) for r in seg[::-1]],
                        fill="toself",
                        fillcolor=_rgba(col, 0.18),
                        line={"width": 0},
                        mode="lines",
                        legendgroup=label,
                        showlegend=False,
                        hoverinfo="skip",
                    )
                )
        hover = f"<b>{label}</b>: %{{y{':.1%' if percent else ':,.4~g'}}}"
        custom = None
        if lo and hi:
            custom = [[_num(r[lo]), _num(r[hi])] for r in g]
            f = ":.1%" if percent else ":,.4~g"
            hover += f" [%{{customdata[0]{f}}}, %{{customdata[1]{f}}}]"
        fig.add_trace(
            go.Scatter(
                x=[r[x] for r in g],
                y=[_num(r[y]) for r in g],
                customdata=custom,
                mode="lines+markers" if len(g) <= 30 else "lines",
                line={"color": col, "width": 2.4},
                marker={"size": 6, "color": col},
                name=label,
                legendgroup=label,
                showlegend=many,
                hovertemplate=hover + "<extra></extra>",
            )
        )
    if nums and min(nums) < 0:
        fig.add_hline(y=0, line={"color": "#9a9a9a", "width": 1})
    xs = [r[x] for r in rows]
    integer_x = all(isinstance(v, int) for v in xs)
    _x_axis(
        fig,
        x_title if x_title is not None else x.replace("_", " "),
        integer=integer_x,
        unit_ticks=integer_x and max(xs) - min(xs) <= 12,
    )
    fig.update_yaxes(
        title={"text": y_title if y_title is not None else y.replace("_", " ")},
        tickformat=".0%" if percent else ",~g",
        rangemode="tozero" if nums and min(nums) >= 0 else "normal",
        gridcolor=GRID,
        zeroline=False,
    )
    fig.update_layout(
        hovermode="x unified" if many else "closest",
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 12}},
    )
    if title is None:
        title = y.replace("_", " ").capitalize() + (f" by {series}" if series else "")
    if subtitle is None and lo and hi:
        subtitle = f"shaded: {_interval_note(t) or f'interval from {lo} to {hi}'}"
    _style(fig, title, subtitle, [note] if note else [], legend_top=many)
    return _write(fig, path, fmt)


def _runs(rows: list[dict], lo: str, hi: str) -> list[list[dict]]:
    """Maximal runs of consecutive rows where both bounds are known."""
    runs: list[list[dict]] = []
    cur: list[dict] = []
    for r in rows:
        if _num(r[lo]) is not None and _num(r[hi]) is not None:
            cur.append(r)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


# ---------------------------------------------------------------------------------------
# Retention


def _x_axis(fig: Any, title: str, *, integer: bool, unit_ticks: bool) -> None:
    """The x axis of line charts: plain line, outside ticks, whole numbers when integer."""
    fig.update_xaxes(
        title={"text": title},
        tickformat="d" if integer else None,
        dtick=1 if unit_ticks else None,
        showgrid=False,
        zeroline=False,
        ticks="outside",
        linecolor="#9a9a9a",
        title_standoff=10,
    )


def retention(
    table: Any,
    path: str | Path,
    *,
    title: str = "Retention by entry cohort",
    subtitle: str | None = None,
    cohorts: int = 8,
    min_at_risk: int = 10,
    note: str | None = None,
) -> Path:
    """Survival curves: the share of an entry cohort still there ``k`` years later.

    Columns: ``cohort`` (entry year; null or ``"all"`` marks the pooled curve), ``k``,
    ``share`` (0-1) and optionally ``lo`` / ``hi`` and ``at_risk``. Points resting on
    fewer than ``min_at_risk`` people are left out (the right-censored tail); the
    ``cohorts`` most recent cohorts with at least two points are drawn, older ones light
    and recent ones dark; the pooled curve is drawn thick, with its interval as a band.
    """
    fmt = _format(path)
    t = _table(table, "retention", ["cohort", "k", "share"])
    has_ci = "lo" in t.column_names and "hi" in t.column_names
    pooled: list[dict] = []
    by_cohort: dict[str, list[dict]] = defaultdict(list)
    for r in t.to_pylist():
        if r["k"] is None or _num(r["share"]) is None:
            continue
        if r.get("at_risk") is not None and r["at_risk"] < min_at_risk:
            continue
        c = r["cohort"]
        if c is None or str(c).strip().lower() == "all":
            pooled.append(r)
        else:
            by_cohort[str(c).strip()].append(r)
    if not pooled and not by_cohort:
        raise ValueError("retention: no rows with k and share")

    def order(c: str) -> tuple:
        try:
            return (0, float(c), c)
        except ValueError:
            return (1, 0.0, c)

    by_cohort = defaultdict(list, {c: rs for c, rs in by_cohort.items() if len(rs) >= 2})
    recent = sorted(by_cohort, key=order)[-cohorts:] if cohorts > 0 else []
    import plotly.colors as pcolors
    import plotly.graph_objects as go

    fig = go.Figure()
    n = len(recent)
    shades = pcolors.sample_colorscale(
        "Viridis", [0.85 * i / (n - 1) if n > 1 else 0.5 for i in range(n)]
    )
    for c, col in zip(recent, shades[::-1], strict=True):
        g = sorted(by_cohort[c], key=lambda r: r["k"])
        custom = [[r.get("lo"), r.get("hi"), r.get("at_risk")] for r in g]
        fig.add_trace(
            go.Scatter(
                x=[r["k"] for r in g],
                y=[_num(r["share"]) for r in g],
                customdata=custom,
                mode="lines+markers",
                line={"color": col, "width": 1.6},
                marker={"size": 5, "color": col},
                name=c,
                hovertemplate=_retention_hover(c, has_ci, "at_risk" in t.column_names),
            )
        )
    if pooled:
        g = sorted(pooled, key=lambda r: r["k"])
        if has_ci:
            for seg in _runs(g, "lo", "hi"):
                ks = [r["k"] for r in seg]
                fig.add_trace(
                    go.Scatter(
                        x=ks + ks[::-1],
                        y=[_num(r["hi"]) for r in seg] + [_num(r["lo"]) for r in seg[::-1]],
                        fill="toself",
                        fillcolor="rgba(34,34,34,0.14)",
                        line={"width": 0},
                        mode="lines",
                        legendgroup="all",
                        showlegend=False,
                        hoverinfo="skip",
                    )
                )
        fig.add_trace(
            go.Scatter(
                x=[r["k"] for r in g],
                y=[_num(r["share"]) for r in g],
                customdata=[[r.get("lo"), r.get("hi"), r.get("at_risk")] for r in g],
                mode="lines+markers",
                line={"color": INK, "width": 3.2},
                marker={"size": 7, "color": INK},
                name="all cohorts",
                legendgroup="all",
                hovertemplate=_retention_hover("all cohorts", has_ci, "at_risk" in t.column_names),
            )
        )
    ks = [r["k"] for rs in [*by_cohort.values(), pooled] for r in rs]
    _x_axis(fig, "years since entry", integer=True, unit_ticks=bool(ks) and max(ks) - min(ks) <= 15)
    fig.update_yaxes(
        title={"text": "still there"},
        range=[0, 1.03],
        tickformat=".0%",
        dtick=0.2,
        gridcolor=GRID,
        zeroline=False,
    )
    fig.update_layout(
        hovermode="closest",
        legend={"title": {"text": "entry cohort"}, "font": {"size": 12}, "tracegroupgap": 2},
    )
    if subtitle is None:
        bits = ["share of each entry cohort still there k years after entry"]
        if len(by_cohort) > len(recent):
            bits.append(f"{len(recent)} most recent of {len(by_cohort)} cohorts")
        if "at_risk" in t.column_names:
            bits.append(f"points on fewer than {min_at_risk} people left out")
        subtitle = " · ".join(bits)
        if pooled and has_ci:
            subtitle += f"<br>band: {_interval_note(t) or 'interval'} of the all-cohorts curve"
    _style(fig, title, subtitle, [note] if note else [])
    return _write(fig, path, fmt)


def _retention_hover(name: str, ci: bool, at_risk: bool) -> str:
    s = f"<b>{name}</b> after %{{x}} years: %{{y:.1%}}"
    if ci:
        s += " [%{customdata[0]:.1%}, %{customdata[1]:.1%}]"
    if at_risk:
        s += "<br>%{customdata[2]:,} at risk"
    return s + "<extra></extra>"


# ---------------------------------------------------------------------------------------
# Shared pieces


def _interval_note(table: pa.Table) -> str | None:
    """How the table's intervals were made (from its talentatlas metadata), if known."""
    from talentatlas.indicators.result import describe

    note = describe(table).get("interval")
    return str(note) if note else None


def _format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"unsupported chart format {suffix or '(no suffix)'!r} for {path}: "
            f"supported formats are {', '.join(FORMATS)}"
        )
    return suffix[1:]


def _table(table: Any, chart: str, required: Iterable[str]) -> pa.Table:
    if not isinstance(table, pa.Table):
        try:
            table = pa.table(table)
        except (TypeError, ValueError, pa.ArrowInvalid) as e:
            raise ValueError(
                f"{chart}: expected a pyarrow Table, got {type(table).__name__}"
            ) from e
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise ValueError(
            f"{chart}: missing required column(s) {', '.join(map(repr, missing))}; "
            f"the table has {', '.join(table.column_names) or 'no columns'}"
        )
    return table


def _style(
    fig: Any,
    title: str,
    subtitle: str | None,
    notes: list[str],
    *,
    margin: dict | None = None,
    legend_top: bool = False,
) -> None:
    """Title, subtitle, fonts and the source line shared by every chart."""
    m = {"l": 70, "r": 30, "t": 115 if legend_top else 90, "b": 75, **(margin or {})}
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": INK},
        title={
            "text": f"<b>{title}</b>",
            "xref": "container",
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": 16, "l": 16},
            "font": {"size": 20},
            "subtitle": {"text": subtitle or "", "font": {"size": 13, "color": MUTED}},
        },
        margin=m,
        hoverlabel={"font": {"family": FONT, "size": 12}},
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    # The source line sits in the bottom margin, flush with the title.
    fig.add_annotation(
        text=" · ".join([f"Source: {SOURCE_NOTE}", *notes]),
        x=0,
        y=0,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="top",
        xshift=16 - m["l"],
        yshift=22 - m["b"],
        showarrow=False,
        align="left",
        font={"size": 11, "color": MUTED},
    )


def _write(fig: Any, path: str | Path, fmt: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        fig.write_html(
            path,
            include_plotlyjs=True,
            full_html=True,
            config=_HTML_CONFIG,
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


def _country_name(code: str) -> str:
    if code in _SHORT_NAMES:
        return _SHORT_NAMES[code]
    c = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if c is None:
        return code
    return getattr(c, "common_name", None) or c.name


def _code(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip().upper()
    return s or None


def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _int(v: Any) -> int | None:
    f = _num(v)
    return None if f is None else int(f)


def _rgba(hex_colour: str, alpha: float) -> str:
    if not hex_colour.startswith("#"):
        return hex_colour
    h = hex_colour[1:]
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
