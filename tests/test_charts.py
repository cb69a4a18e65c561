"""Charts: HTML carries the expected figure; PNG/SVG come out of a real Chromium."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path

import pyarrow as pa
import pytest

from talentatlas import charts
from talentatlas.indicators.result import annotate

needs_browser = pytest.mark.skipif(
    charts.find_browser() is None,
    reason="no Chromium for static export (apt-get install chromium, or set BROWSER_PATH)",
)


# -- inputs ----------------------------------------------------------------------------


@pytest.fixture
def migration() -> pa.Table:
    rows = [
        # country, stock, inflow, outflow, net_rate
        ("US", 52000, 2600, 1900, 134.6),
        ("DE", 9000, 400, 430, -33.3),
        ("CN", 41000, 900, 1500, -146.3),
        ("SG", 1200, 110, 60, 416.7),  # too small to see: drawn as a dot too
        ("BR", 2500, 60, 95, -140.0),
        ("XK", 40, 2, 1, 250.0),  # Kosovo: no outline, listed under the map
    ]
    t = pa.table(
        {
            "country": [r[0] for r in rows],
            "year": [2023] * len(rows),
            "stock": [r[1] for r in rows],
            "inflow": [r[2] for r in rows],
            "outflow": [r[3] for r in rows],
            "net_rate": [r[4] for r in rows],
            "net_rate_lo": [r[4] - 20 for r in rows],
            "net_rate_hi": [r[4] + 20 for r in rows],
        }
    )
    older = t.set_column(1, "year", pa.array([2020] * len(rows), pa.int64()))
    return pa.concat_tables([older.slice(0, 3), t])  # an older year that must be ignored


@pytest.fixture
def paths() -> pa.Table:
    rows = [
        ("IN", "IN", "US", 40),
        ("IN", "US", "US", 25),
        ("CN", "CN", "CN", 60),
        ("CN", "US", "US", 30),
        ("US", "US", "US", 80),
        ("DE", "DE", "CH", 12),
        ("FR", "FR", "GB", 9),
        ("IR", "CA", "CA", 7),
        ("KR", None, "KR", 5),  # never in academia
        (None, "GB", "GB", 4),  # origin unknown
    ]
    return pa.table(
        {
            "origin": [r[0] for r in rows],
            "first_academic": [r[1] for r in rows],
            "workplace": [r[2] for r in rows],
            "persons": [r[3] for r in rows],
        }
    )


@pytest.fixture
def sectors() -> pa.Table:
    rows = []
    for y in range(2015, 2024):
        a, b = 0.2 + 0.01 * (y - 2015), 0.35 + 0.02 * (y - 2015)
        gap = y == 2019  # no interval that year: the band must break, not bridge
        rows.append(("industry share", y, a, None if gap else a - 0.02, None if gap else a + 0.02))
        rows.append(("early-career to industry", y, b, b - 0.05, b + 0.05))
    t = pa.table(
        {
            "series": [r[0] for r in rows],
            "year": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "lo": [r[3] for r in rows],
            "hi": [r[4] for r in rows],
        }
    )
    return annotate(t, interval="90% bootstrap intervals over people (200 replicates, seed 0)")


@pytest.fixture
def cohorts() -> pa.Table:
    rows = []
    for c in range(2010, 2022):  # 12 cohorts: only the 8 most recent are drawn
        share = 1.0
        for k in range(0, min(5, 2023 - c)):
            share *= 0.85 if k else 1.0
            rows.append(
                (str(c), k, round(share, 4), round(share - 0.05, 4), round(share + 0.05, 4))
            )
    for k, s in enumerate([1.0, 0.8, 0.66, 0.55, 0.47]):
        rows.append(("all", k, s, s - 0.02, s + 0.02))
    return pa.table(
        {
            "cohort": [r[0] for r in rows],
            "k": pa.array([r[1] for r in rows], pa.int32()),
            "share": [r[2] for r in rows],
            "lo": [r[3] for r in rows],
            "hi": [r[4] for r in rows],
        }
    )


# -- reading what was written ----------------------------------------------------------


def figure(path: Path) -> tuple[list[dict], dict, dict]:
    """The data, layout and config passed to ``Plotly.newPlot`` in a written HTML file."""
    html = path.read_text(encoding="utf-8")
    call = html.rindex("Plotly.newPlot(")
    dec = json.JSONDecoder()
    data, end = dec.raw_decode(html, html.index("[", call))
    layout, end = dec.raw_decode(html, html.index("{", end))
    config, _ = dec.raw_decode(html, html.index("{", end))
    return data, layout, config


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def png_rows(path: Path) -> list[bytes]:
    """The decoded scanlines of an 8-bit RGB(A) PNG (filters undone)."""
    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    channels = {2: 3, 6: 4}[data[25]]
    pos, idat = 8, b""
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa_, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa_ <= pb and pa_ <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return rows


def assert_self_contained(path: Path) -> None:
    html = path.read_text(encoding="utf-8")
    assert "plotly.js v" in html  # the library is inlined...
    assert not re.search(r"<script[^>]+src=", html)  # ...and nothing is loaded from elsewhere
    assert "cdn.plot.ly" not in html.split("Plotly.newPlot(")[-1]


# -- HTML ------------------------------------------------------------------------------


def test_choropleth_html(tmp_path: Path, migration: pa.Table) -> None:
    out = charts.choropleth(migration, tmp_path / "map.html", title="Net migration, 2023")
    assert out == tmp_path / "map.html"
    assert_self_contained(out)
    data, layout, config = figure(out)
    base, values, dots = data
    assert values["type"] == "choropleth" and values["coloraxis"] == "coloraxis"
    # ISO alpha-2 in, ISO alpha-3 on the map; 2020 rows ignored; Kosovo has no outline.
    assert sorted(values["locations"]) == ["BRA", "CHN", "DEU", "SGP", "USA"]
    assert values["z"][values["locations"].index("SGP")] == pytest.approx(416.7)
    assert {f["id"] for f in values["geojson"]["features"]} == set(values["locations"])
    # Every other country is drawn grey, once: no gaps, no duplicates.
    assert not set(base["locations"]) & set(values["locations"])
    assert {"FRA", "IND", "HUN", "AUS"} <= set(base["locations"])
    assert "ATA" not in base["locations"]  # Antarctica left out
    assert len(base["locations"]) + len(values["locations"]) > 230
    # Singapore is too small to see, so it also gets a dot.
    assert dots["type"] == "scattergeo" and len(dots["lon"]) == 1
    hover = values["text"][values["locations"].index("USA")]
    assert "United States" in hover and "inflow 2,600" in hover and "stock 52,000" in hover
    assert "[+114.6, +154.6]" in hover
    ax = layout["coloraxis"]
    assert ax["cmid"] == 0 and ax["cmin"] == -ax["cmax"] == pytest.approx(-416.7)
    assert ax["colorscale"][0][1] == "#b2182b" and ax["colorscale"][-1][1] == "#2166ac"
    assert "0" in ax["colorbar"]["ticktext"]
    assert layout["geo"]["visible"] is False
    assert config["topojsonURL"].startswith("data:")  # the CDN base map is never fetched
    notes = " ".join(a["text"] for a in layout["annotations"])
    assert "talentatlas · open data" in notes and "XK" in notes
    assert "Net migration, 2023" in layout["title"]["text"]


def test_choropleth_other_value_column(tmp_path: Path, migration: pa.Table) -> None:
    t = migration.append_column("churn", pa.array([10.0] * migration.num_rows))
    data, _, _ = figure(charts.choropleth(t, tmp_path / "churn.html", value="churn"))
    assert data[1]["z"] == [10.0] * 5


def test_choropleth_needs_one_row_per_country(tmp_path: Path) -> None:
    t = pa.table({"country": ["US", "US"], "net_rate": [1.0, 2.0]})
    with pytest.raises(ValueError, match="'US' appears more than once"):
        charts.choropleth(t, tmp_path / "map.html")


def test_sankey_three_stages_html(tmp_path: Path, paths: pa.Table) -> None:
    out = charts.sankey(paths, tmp_path / "paths.html", title="Pathways", top=4)
    assert_self_contained(out)
    data, layout, _ = figure(out)
    (sk,) = data
    labels = sk["node"]["label"]
    # The same country at each stage is its own node, labelled with its count.
    assert [lab for lab in labels if lab.startswith("United States")] == [
        "United States · 80",
        "United States · 135",
        "United States · 175",
    ]
    assert "China · 90" in labels and "China · 60" in labels
    assert "unknown · 4" in labels and "none observed · 5" in labels
    # Top 4 per stage; the rest of the origins (FR, IR, KR) fold into "other".
    assert "other (3 countries) · 21" in labels
    headers = [a["text"] for a in layout["annotations"]]
    assert {"<b>Origin</b>", "<b>First academic country</b>", "<b>Workplace</b>"} <= set(headers)
    # Persons are conserved across both steps: 272 flow out of stage 1 and into stage 3.
    n_stage = {i: 0 for i in range(3)}
    for x, lab in zip(sk["node"]["x"], labels, strict=True):
        n_stage[round(x * 2)] += int(lab.rsplit("· ", 1)[1].replace(",", ""))
    assert n_stage == {0: 272, 1: 272, 2: 272}
    assert sum(sk["link"]["value"]) == 2 * 272


def test_sankey_two_stages_when_middle_is_missing(tmp_path: Path, paths: pa.Table) -> None:
    none = paths.set_column(1, "first_academic", pa.nulls(paths.num_rows, pa.string()))
    without = paths.drop_columns(["first_academic"])
    for t, name in [(none, "nulls.html"), (without, "absent.html")]:
        data, layout, _ = figure(charts.sankey(t, tmp_path / name, unit="moves"))
        (sk,) = data
        assert {round(x, 3) for x in sk["node"]["x"]} == {0.001, 0.999}
        assert not any(lab.startswith("none observed") for lab in sk["node"]["label"])
        assert "<b>First academic country</b>" not in [a["text"] for a in layout["annotations"]]
        assert sum(sk["link"]["value"]) == 272
        assert sk["valuesuffix"] == " moves"


def test_trend_html(tmp_path: Path, sectors: pa.Table) -> None:
    out = charts.trend(sectors, tmp_path / "sectors.html", x="year", y="value", lo="lo",
                       hi="hi", series="series", title="Academia → industry", y_title="share")  # fmt: skip
    assert_self_contained(out)
    data, layout, _ = figure(out)
    lines = [t for t in data if t.get("showlegend")]
    bands = [t for t in data if t.get("fill") == "toself"]
    assert [t["name"] for t in lines] == ["industry share", "early-career to industry"]
    assert len(lines[0]["x"]) == 9
    # 2019 has no interval: the first series' band is two pieces (2015-18, 2020-23).
    assert len(bands) == 3
    first = [b for b in bands if b["legendgroup"] == "industry share"]
    assert sorted(min(b["x"]) for b in first) == [2015, 2020]
    assert all(2019 not in b["x"] for b in first)
    assert layout["yaxis"]["tickformat"] == ".0%"  # shares read as percentages
    assert layout["yaxis"]["title"]["text"] == "share"
    assert "90% bootstrap intervals" in layout["title"]["subtitle"]["text"]


def test_trend_without_interval_or_series(tmp_path: Path) -> None:
    t = pa.table({"year": [2019, 2020, 2021], "headcount": [120, 131, 150]})
    data, layout, _ = figure(
        charts.trend(t, tmp_path / "hc.html", y="headcount", y_title="researchers")
    )
    (line,) = data
    assert line["y"] == [120, 131, 150] and line["showlegend"] is False
    assert layout["yaxis"]["tickformat"] != ".0%"


def test_retention_html(tmp_path: Path, cohorts: pa.Table) -> None:
    out = charts.retention(cohorts, tmp_path / "retention.html", title="Retention at X")
    assert_self_contained(out)
    data, layout, _ = figure(out)
    names = [t["name"] for t in data if "name" in t]
    assert names == [str(c) for c in range(2014, 2022)] + ["all cohorts"]
    pooled = next(t for t in data if t.get("name") == "all cohorts")
    assert pooled["y"] == [1.0, 0.8, 0.66, 0.55, 0.47]
    assert sum(t.get("fill") == "toself" for t in data) == 1  # only the pooled curve's band
    assert layout["yaxis"]["range"] == [0, 1.03] and layout["yaxis"]["tickformat"] == ".0%"
    assert layout["xaxis"]["title"]["text"] == "years since entry"


def test_retention_pooled_from_null_cohort(tmp_path: Path) -> None:
    t = pa.table({"cohort": [None, None, "2020", "2020"], "k": [0, 1, 0, 1],
                  "share": [1.0, 0.7, 1.0, 0.8]})  # fmt: skip
    data, _, _ = figure(charts.retention(t, tmp_path / "r.html"))
    assert [d["name"] for d in data] == ["2020", "all cohorts"]


def test_retention_leaves_out_thin_points_and_single_point_cohorts(tmp_path: Path) -> None:
    t = pa.table(
        {
            "cohort": ["2019", "2019", "2019", "2020", "all", "all"],
            "k": [0, 1, 2, 0, 0, 1],
            "share": [1.0, 0.8, 0.0, 1.0, 1.0, 0.8],
            "at_risk": [40, 30, 2, 25, 65, 30],
        }
    )
    data, _, _ = figure(charts.retention(t, tmp_path / "r.html"))
    by_name = {d["name"]: d for d in data if d.get("name")}
    assert set(by_name) == {"2019", "all cohorts"}
    assert list(by_name["2019"]["x"]) == [0, 1]


# -- errors ----------------------------------------------------------------------------


def _calls(tables: dict[str, pa.Table]):
    return {
        "choropleth": lambda p: charts.choropleth(tables["migration"], p),
        "sankey": lambda p: charts.sankey(tables["paths"], p),
        "trend": lambda p: charts.trend(tables["sectors"], p, y="value", series="series"),
        "retention": lambda p: charts.retention(tables["cohorts"], p),
    }


@pytest.mark.parametrize("chart", ["choropleth", "sankey", "trend", "retention"])
@pytest.mark.parametrize("name", ["chart.jpg", "chart.PDF", "chart"])
def test_bad_suffix_names_supported_formats(
    tmp_path: Path, chart: str, name: str, migration, paths, sectors, cohorts
) -> None:
    call = _calls(dict(migration=migration, paths=paths, sectors=sectors, cohorts=cohorts))
    with pytest.raises(ValueError, match=r"supported formats are \.html, \.png, \.svg"):
        call[chart](tmp_path / name)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("chart", "table", "column"),
    [
        ("choropleth", {"country": ["US"]}, "net_rate"),
        ("sankey", {"origin": ["US"], "workplace": ["GB"]}, "persons"),
        ("trend", {"year": [2020], "value": [1.0]}, "series"),
        ("retention", {"cohort": ["2020"], "share": [1.0]}, "k"),
    ],
)
def test_missing_column_is_a_clear_error(tmp_path: Path, chart, table, column) -> None:
    call = {
        "choropleth": charts.choropleth,
        "sankey": charts.sankey,
        "trend": lambda t, p: charts.trend(t, p, y="value", series="series"),
        "retention": charts.retention,
    }[chart]
    with pytest.raises(ValueError, match=rf"{chart}: missing required column\(s\) '{column}'"):
        call(pa.table(table), tmp_path / "c.png")


def test_trend_needs_both_bounds(tmp_path: Path) -> None:
    t = pa.table({"year": [2020], "v": [1.0], "lo": [0.5]})
    with pytest.raises(ValueError, match="both lo and hi"):
        charts.trend(t, tmp_path / "t.html", y="v", lo="lo")


def test_no_browser_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chrome"))
    t = pa.table({"year": [2020, 2021], "v": [1.0, 2.0]})
    with pytest.raises(charts.StaticExportError, match=r"\.html"):
        charts.trend(t, tmp_path / "t.png", y="v")
    assert charts.find_browser() is None


# -- static export (a real headless Chromium) ------------------------------------------


@pytest.mark.parametrize("chart", ["choropleth", "sankey", "trend", "retention"])
@pytest.mark.slow
@needs_browser
def test_png(tmp_path: Path, chart: str, migration, paths, sectors, cohorts) -> None:
    call = _calls(dict(migration=migration, paths=paths, sectors=sectors, cohorts=cohorts))
    out = call[chart](tmp_path / "sub" / f"{chart}.png")
    assert png_size(out) == (2 * charts.WIDTH, 2 * charts.HEIGHT)  # 1000 x 600 at scale 2
    # something is drawn: many colours, and ink (non-white pixels) across the picture
    rows = png_rows(out)[::20]  # every 20th scanline is enough to tell
    step = 3 if png_size(out) and out.read_bytes()[25] == 2 else 4
    pixels = {r[i : i + 3] for r in rows for i in range(0, len(r), step)}
    assert len(pixels) > 50, len(pixels)
    inked = sum(
        1 for r in rows if any(r[i : i + 3] != b"\xff\xff\xff" for i in range(0, len(r), step))
    )
    assert inked > 0.3 * len(rows), (inked, len(rows))


@pytest.mark.slow
@needs_browser
def test_svg_map_is_drawn_offline(tmp_path: Path, migration: pa.Table) -> None:
    out = charts.choropleth(migration, tmp_path / "map.svg")
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and 'width="1000"' in svg
    # Country shapes really were drawn (no CDN base map needed): one path per country.
    shapes = re.findall(r'<path class="choroplethlocation"[^>]*>', svg)
    assert len(shapes) > 230
    fills = re.findall(r'fill="(rgb\([^)]*\))"', " ".join(shapes))
    assert len(fills) == len(shapes)
    grey = "rgb(212, 212, 212)"
    assert fills.count(grey) > 200  # countries without data
    coloured = {f for f in fills if f != grey}
    assert len(coloured) == 5  # US, DE, CN, SG, BR: five different values
    assert "rgb(33, 102, 172)" in coloured  # Singapore, the largest gain: the blue end
    assert "talentatlas · open data" in svg
