"""Retention curves of organisations' cohorts."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from talentatlas.charts.export import format_of, write
from talentatlas.charts.theme import GRID, INK, as_table, interval_note, num, style, x_axis
from talentatlas.charts.trend import _runs


def retention_figure(
    table: Any,
    *,
    title: str = "Retention by entry cohort",
    subtitle: str | None = None,
    cohorts: int = 8,
    min_at_risk: int = 10,
    note: str | None = None,
) -> Any:
    """Survival curves: the share of an entry cohort still there ``k`` years later.

    Columns: ``cohort`` (entry year; null or ``"all"`` marks the pooled curve), ``k``,
    ``share`` (0-1) and optionally ``lo`` / ``hi`` and ``at_risk``. Points resting on
    fewer than ``min_at_risk`` people are left out (the right-censored tail); the
    ``cohorts`` most recent cohorts with at least two points are drawn, older ones light
    and recent ones dark; the pooled curve is drawn thick, with its interval as a band.
    """
    t = as_table(table, "retention", ["cohort", "k", "share"])
    has_ci = "lo" in t.column_names and "hi" in t.column_names
    pooled: list[dict] = []
    by_cohort: dict[str, list[dict]] = defaultdict(list)
    for r in t.to_pylist():
        if r["k"] is None or num(r["share"]) is None:
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
                y=[num(r["share"]) for r in g],
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
                        y=[num(r["hi"]) for r in seg] + [num(r["lo"]) for r in seg[::-1]],
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
                y=[num(r["share"]) for r in g],
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
    x_axis(fig, "years since entry", integer=True, unit_ticks=bool(ks) and max(ks) - min(ks) <= 15)
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
            subtitle += f"<br>band: {interval_note(t) or 'interval'} of the all-cohorts curve"
    style(fig, title, subtitle, [note] if note else [])
    return fig


def retention(table: Any, path: str | Path, **kw: Any) -> Path:
    """:func:`retention_figure` written to ``path`` (its suffix picks the format: ``.html``,
    ``.png`` or ``.svg``); returns the path."""
    fmt = format_of(path)
    return write(retention_figure(table, **kw), path, fmt)


def _retention_hover(name: str, ci: bool, at_risk: bool) -> str:
    s = f"<b>{name}</b> after %{{x}} years: %{{y:.1%}}"
    if ci:
        s += " [%{customdata[0]:.1%}, %{customdata[1]:.1%}]"
    if at_risk:
        s += "<br>%{customdata[2]:,} at risk"
    return s + "<extra></extra>"
