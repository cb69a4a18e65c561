"""Wage distributions side by side: for each row, the 10th-90th percentile range, the
interquartile range and the median (pay summaries, area comparisons, OEWS cells)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from talentatlas.charts.export import format_of, write
from talentatlas.charts.theme import GRID, PALETTE, as_table, num, rgba, style


def pay_ranges_figure(
    table: Any,
    *,
    label: str | list[str],
    colour_by: str | None = None,
    title: str = "Pay",
    subtitle: str | None = None,
    unit: str = "USD a year",
    note: str | None = None,
) -> Any:
    """One horizontal range per row: p10-p90 (light), p25-p75 (dark), the median (a
    tick, its value beside it). ``label`` names the column (or columns, joined) that
    labels a row; ``colour_by`` a column whose values get a colour each (e.g. the
    source)."""
    labels = [label] if isinstance(label, str) else list(label)
    need = [*labels, "median"] + ([colour_by] if colour_by else [])
    t = as_table(table, "pay_ranges", need)
    rows = [r for r in t.to_pylist() if num(r["median"]) is not None]
    if not rows:
        raise ValueError("pay_ranges: no row has a median")
    import plotly.graph_objects as go

    fig = go.Figure()
    names = [" · ".join(str(r[c]) for c in labels if r[c] is not None) for r in rows]
    keys = list(dict.fromkeys(r[colour_by] for r in rows)) if colour_by else [None]
    colour = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)}
    shown: set = set()
    for name, r in zip(names, rows, strict=True):
        col = colour[r[colour_by] if colour_by else None]
        key = r[colour_by] if colour_by else None
        for lo, hi, width, alpha in (("p10", "p90", 10, 0.25), ("p25", "p75", 18, 0.7)):
            if num(r.get(lo)) is None or num(r.get(hi)) is None:
                continue
            fig.add_trace(go.Scatter(
                x=[num(r[lo]), num(r[hi])], y=[name, name], mode="lines",
                line={"color": rgba(col, alpha), "width": width}, hoverinfo="skip",
                showlegend=False,
            ))  # fmt: skip
        fig.add_trace(go.Scatter(
            x=[num(r["median"])], y=[name], mode="markers+text",
            marker={"symbol": "line-ns", "size": 22,
                    "line": {"width": 3, "color": col if colour_by else "#222"}},
            text=[f"{num(r['median']):,.0f}"], textposition="top center",
            name=str(key) if key is not None else "median", legendgroup=str(key),
            showlegend=bool(colour_by) and key not in shown,
            hovertemplate=f"<b>{name}</b><br>median %{{x:,.0f}}<extra></extra>",
        ))  # fmt: skip
        shown.add(key)
    fig.update_yaxes(autorange="reversed", gridcolor=GRID, automargin=True)
    fig.update_xaxes(title={"text": unit}, tickformat=",~s", gridcolor=GRID, rangemode="tozero")
    fig.update_layout(height=max(360, 110 + 46 * len(rows)),
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"})  # fmt: skip
    bands = "bars: 10th-90th percentile (light), 25th-75th (dark); tick: median"
    style(fig, title, subtitle or bands, [note] if note else [],
          margin={"l": 40}, legend_top=bool(colour_by))  # fmt: skip
    return fig


def pay_ranges(table: Any, path: str | Path, **kw: Any) -> Path:
    """:func:`pay_ranges_figure` written to ``path`` (``.html``, ``.png`` or ``.svg``)."""
    return write(pay_ranges_figure(table, **kw), path, format_of(path))
