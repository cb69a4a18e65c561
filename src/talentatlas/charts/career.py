"""A person's career on a world map: the countries worked in, joined in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talentatlas.charts.export import format_of, write
from talentatlas.charts.theme import NO_DATA, PALETTE, as_table, country_name, style
from talentatlas.charts.world import world_shapes


@dataclass
class Spell:
    """Consecutive years placed in one country."""

    country: str
    first: int
    last: int
    places: list[str] = field(default_factory=list)

    @property
    def years(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"


def spells(timeline: Any) -> list[Spell]:
    """The country spells of a timeline (``year, country`` and optionally
    ``institution``), in order; years without a country neither end nor start a spell."""
    t = as_table(timeline, "career map", ["year", "country"])
    rows = sorted((r for r in t.to_pylist() if r["country"]), key=lambda r: r["year"])
    out: list[Spell] = []
    for r in rows:
        code = str(r["country"]).upper()
        if not out or out[-1].country != code:
            out.append(Spell(code, r["year"], r["year"]))
        s = out[-1]
        s.last = r["year"]
        place = r.get("institution")
        if place and place not in s.places:
            s.places.append(place)
    return out


def career_map_figure(timeline: Any, *, title: str, subtitle: str | None = None) -> Any:
    """The countries of a career (``spells``), each drawn in the order reached and
    joined by a line from one spell to the next; hover names the years and places."""
    import plotly.graph_objects as go

    career = spells(timeline)
    world = world_shapes()
    placed = [s for s in career if s.country in world]
    order: dict[str, int] = {}
    for s in placed:
        order.setdefault(s.country, len(order))
    fig = go.Figure()
    fig.add_trace(
        go.Choropleth(
            geojson={"type": "FeatureCollection",
                     "features": [s.feature for c, s in world.items() if c not in order]},
            locations=[s.iso3 for c, s in world.items() if c not in order],
            z=[0] * (len(world) - len(order)),
            featureidkey="id",
            colorscale=[[0, NO_DATA], [1, NO_DATA]],
            showscale=False,
            marker={"line": {"color": "white", "width": 0.4}},
            hoverinfo="skip",
            showlegend=False,
        )
    )  # fmt: skip

    def hover(code: str) -> str:
        lines = [f"<b>{country_name(code)}</b>"]
        for s in placed:
            if s.country == code:
                lines.append(f"{s.years}: {', '.join(s.places[:3]) or 'institution unknown'}")
        return "<br>".join(lines)

    if order:
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(order))]
        fig.add_trace(
            go.Choropleth(
                geojson={"type": "FeatureCollection",
                         "features": [world[c].feature for c in order]},
                locations=[world[c].iso3 for c in order],
                z=list(range(len(order))),
                featureidkey="id",
                colorscale=[[i / max(len(order) - 1, 1), c] for i, c in enumerate(colours)]
                if len(order) > 1 else [[0, colours[0]], [1, colours[0]]],
                showscale=False,
                marker={"line": {"color": "white", "width": 0.6}},
                text=[hover(c) for c in order],
                hovertemplate="%{text}<extra></extra>",
                showlegend=False,
            )
        )  # fmt: skip
        fig.add_trace(
            go.Scattergeo(
                lon=[world[s.country].lon for s in placed],
                lat=[world[s.country].lat for s in placed],
                mode="lines+markers+text",
                line={"color": "#333333", "width": 1.6},
                marker={"size": 9, "color": [colours[order[s.country]] for s in placed],
                        "line": {"color": "#333333", "width": 1}},
                text=[f"{i}. {s.years}" for i, s in enumerate(placed, 1)],
                textposition="top center",
                textfont={"size": 11},
                hovertext=[hover(s.country) for s in placed],
                hoverinfo="text",
                name="career",
                showlegend=False,
            )
        )  # fmt: skip
    fig.update_layout(
        geo={
            "visible": False,
            "projection": {"type": "natural earth", "rotation": {"lon": 10}},
            "bgcolor": "rgba(0,0,0,0)",
        }
    )
    if subtitle is None:
        if placed:
            path = " → ".join(f"{country_name(s.country)} {s.years}" for s in placed[:6])
            subtitle = path + (" …" if len(placed) > 6 else "")
        else:
            subtitle = "no year of this career is placed in a country"
    unmapped = sorted({s.country for s in career if s.country not in world})
    notes = [f"not on the map (no outline): {', '.join(unmapped)}"] if unmapped else []
    notes.append("borders: thematicmapping.org (CC BY-SA)")
    style(fig, title, subtitle, notes, margin={"l": 10, "r": 10, "t": 80, "b": 40})
    return fig


def career_map(timeline: Any, path: str | Path, **kw: Any) -> Path:
    """:func:`career_map_figure` written to ``path`` (``.html``, ``.png`` or ``.svg``)."""
    return write(career_map_figure(timeline, **kw), path, format_of(path))
