"""Pathways as a Sankey diagram: origin -> first academic country -> workplace."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from talentatlas.charts.export import format_of, write
from talentatlas.charts.theme import (
    FONT,
    INK,
    PALETTE,
    as_table,
    code,
    country_name,
    int_or_none,
    rgba,
    style,
)

_STAGE_TITLES = {
    "origin": "Origin",
    "first_academic": "First academic country",
    "workplace": "Workplace",
}


_NULL_LABELS = {"origin": "unknown", "first_academic": "none observed", "workplace": "unknown"}


_OTHER = "other"


def sankey_figure(
    table: Any,
    *,
    title: str = "Pathways of AI researchers",
    subtitle: str | None = None,
    top: int = 8,
    unit: str = "persons",
    note: str | None = None,
) -> Any:
    """Flows origin -> first academic country -> workplace, in persons.

    Columns: ``origin``, ``workplace``, ``persons`` and optionally ``first_academic``
    (ISO alpha-2 codes). Without a ``first_academic`` column, or when it is all null,
    the chart has two stages. Each stage keeps its ``top`` countries and groups the
    rest as "other"; a missing country is "unknown" (origin, workplace) or "none
    observed" (first academic country). The same country at two stages is two nodes.
    ``unit`` names what ``persons`` counts (e.g. "moves") in the subtitle and on hover.
    """
    t = as_table(table, "sankey", ["origin", "workplace", "persons"])
    if top < 1:
        raise ValueError("sankey: top must be at least 1")
    stages = ["origin", "workplace"]
    if "first_academic" in t.column_names and t["first_academic"].null_count < t.num_rows:
        stages = ["origin", "first_academic", "workplace"]
    rows = []
    for r in t.select([*stages, "persons"]).to_pylist():
        n = int_or_none(r["persons"])
        if n and n > 0:
            key = tuple(code(r[s]) for s in stages)
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
            name, col = country_name(c), colour[c]
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
                "color": [rgba(colours[s], 0.38) for s in src],
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
    style(
        fig, title, subtitle, [note] if note else [], margin={"l": 20, "r": 20, "t": 110, "b": 40}
    )
    return fig


def sankey(table: Any, path: str | Path, **kw: Any) -> Path:
    """:func:`sankey_figure` written to ``path`` (its suffix picks the format: ``.html``,
    ``.png`` or ``.svg``); returns the path."""
    fmt = format_of(path)
    return write(sankey_figure(table, **kw), path, fmt)


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
