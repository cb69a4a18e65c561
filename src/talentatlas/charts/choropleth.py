"""A world map of a value per country."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from talentatlas.charts.export import format_of, write
from talentatlas.charts.theme import (
    DIVERGING,
    NO_DATA,
    as_table,
    country_name,
    int_or_none,
    num,
    style,
)
from talentatlas.charts.world import world_shapes


def choropleth_figure(
    table: Any,
    *,
    value: str = "net_rate",
    title: str = "Net migration of AI researchers",
    subtitle: str | None = None,
    colorbar_title: str | None = None,
    note: str | None = None,
) -> Any:
    """World map of ``value`` by country, on a diverging scale centred at 0.

    Columns: ``country`` (ISO 3166 alpha-2) and ``value``; ``inflow``, ``outflow``,
    ``stock`` and ``<value>_lo`` / ``<value>_hi`` are shown on hover when present. With
    a ``year`` column spanning several years only the latest year is drawn. Red is a net
    loss, blue a net gain; countries without a row are grey, and countries too small to
    see at world scale get a dot.
    """
    t = as_table(table, "choropleth", ["country", value])
    rows = [r for r in t.to_pylist() if r["country"] and num(r[value]) is not None]
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

    world = world_shapes()
    mapped = [r for r in rows if r["country"] in world]
    missing = sorted(r["country"] for r in rows if r["country"] not in world)
    values = [num(r[value]) for r in mapped] or [0.0]
    span = max(abs(v) for v in values) or 1.0

    def hover(r: dict) -> str:
        v = num(r[value])
        lines = [f"<b>{country_name(r['country'])}</b> ({r['country']})"]
        interval = ""
        lo, hi = r.get(f"{value}_lo"), r.get(f"{value}_hi")
        if num(lo) is not None and num(hi) is not None:
            interval = f"  [{num(lo):+,.1f}, {num(hi):+,.1f}]"
        lines.append(f"{value.replace('_', ' ')}: {v:+,.1f}{interval}")
        counts = [
            f"{c} {int_or_none(r.get(c)):,}" for c in ("inflow", "outflow", "stock")
            if int_or_none(r.get(c)) is not None
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
            text=[f"{country_name(s.iso2)}: no data" for s in others],
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
            z=[num(r[value]) for r in mapped],
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
                    "color": [num(r[value]) for r in small],
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
    style(fig, title, subtitle, notes, margin={"l": 10, "r": 10, "t": 80, "b": 40})
    return fig


def choropleth(table: Any, path: str | Path, **kw: Any) -> Path:
    """:func:`choropleth_figure` written to ``path`` (its suffix picks the format: ``.html``,
    ``.png`` or ``.svg``); returns the path."""
    fmt = format_of(path)
    return write(choropleth_figure(table, **kw), path, fmt)


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
