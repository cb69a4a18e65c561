"""Series over years with their intervals; thin years greyed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from talentatlas.charts.export import format_of, write
from talentatlas.charts.theme import (
    GRID,
    PALETTE,
    as_table,
    interval_note,
    num,
    rgba,
    style,
    x_axis,
)


def trend_figure(
    table: Any,
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
) -> Any:
    """Lines of ``y`` over ``x``, one per value of ``series``, with ``lo``-``hi`` bands.

    Rows where ``lo`` or ``hi`` is null get no band (the band is broken there, not
    interpolated). ``percent`` formats the y axis as a percentage; by default it does so
    when the values are shares (all within 0-1 and the column or title says "share").
    """
    need = [x, y] + [c for c in (lo, hi, series) if c]
    t = as_table(table, "trend", need)
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
        v for r in rows for c in (y, lo, hi) if c for v in [num(r[c])] if v is not None
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
                            y=[num(r[y])],
                            mode="markers",
                            marker={"size": 1, "color": col},
                            error_y={
                                "type": "data",
                                "symmetric": False,
                                "array": [num(r[hi]) - (num(r[y]) or 0)],
                                "arrayminus": [(num(r[y]) or 0) - num(r[lo])],
                                "color": rgba(col, 0.45),
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
                        y=[num(r[hi]) for r in seg] + [num(r[lo]) for r in seg[::-1]],
                        fill="toself",
                        fillcolor=rgba(col, 0.18),
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
            custom = [[num(r[lo]), num(r[hi])] for r in g]
            f = ":.1%" if percent else ":,.4~g"
            hover += f" [%{{customdata[0]{f}}}, %{{customdata[1]{f}}}]"
        fig.add_trace(
            go.Scatter(
                x=[r[x] for r in g],
                y=[num(r[y]) for r in g],
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
    x_axis(
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
        subtitle = f"shaded: {interval_note(t) or f'interval from {lo} to {hi}'}"
    style(fig, title, subtitle, [note] if note else [], legend_top=many)
    return fig


def trend(table: Any, path: str | Path, **kw: Any) -> Path:
    """:func:`trend_figure` written to ``path`` (its suffix picks the format: ``.html``,
    ``.png`` or ``.svg``); returns the path."""
    fmt = format_of(path)
    return write(trend_figure(table, **kw), path, fmt)


def _runs(rows: list[dict], lo: str, hi: str) -> list[list[dict]]:
    """Maximal runs of consecutive rows where both bounds are known."""
    runs: list[list[dict]] = []
    cur: list[dict] = []
    for r in rows:
        if num(r[lo]) is not None and num(r[hi]) is not None:
            cur.append(r)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs
