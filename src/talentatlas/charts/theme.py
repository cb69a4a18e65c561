"""The charts' look and the value helpers they share: fonts, palettes, titles, notes."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pycountry

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


SHORT_NAMES = {
    "BN": "Brunei", "CD": "DR Congo", "CG": "Congo", "CZ": "Czechia", "FM": "Micronesia",
    "GB": "United Kingdom", "HK": "Hong Kong", "MO": "Macao", "PS": "Palestine",
    "RU": "Russia", "TW": "Taiwan", "US": "United States", "VA": "Vatican", "XK": "Kosovo",
}  # fmt: skip


def x_axis(fig: Any, title: str, *, integer: bool, unit_ticks: bool) -> None:
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


def interval_note(table: pa.Table) -> str | None:
    """How the table's intervals were made (from its talentatlas metadata), if known."""
    from talentatlas.indicators.result import describe

    note = describe(table).get("interval")
    return str(note) if note else None


def as_table(table: Any, chart: str, required: Iterable[str]) -> pa.Table:
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


def style(
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


def country_name(code: str) -> str:
    if code in SHORT_NAMES:
        return SHORT_NAMES[code]
    c = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if c is None:
        return code
    return getattr(c, "common_name", None) or c.name


def code(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip().upper()
    return s or None


def num(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def int_or_none(v: Any) -> int | None:
    f = num(v)
    return None if f is None else int(f)


def rgba(hex_colour: str, alpha: float) -> str:
    if not hex_colour.startswith("#"):
        return hex_colour
    h = hex_colour[1:]
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
