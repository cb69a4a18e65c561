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

from talentatlas.charts.career import career_map, career_map_figure, spells
from talentatlas.charts.choropleth import choropleth, choropleth_figure
from talentatlas.charts.export import FORMATS, StaticExportError, find_browser
from talentatlas.charts.pay import pay_ranges, pay_ranges_figure
from talentatlas.charts.retention import retention, retention_figure
from talentatlas.charts.sankey import sankey, sankey_figure
from talentatlas.charts.theme import HEIGHT, SOURCE_NOTE, WIDTH
from talentatlas.charts.trend import trend, trend_figure

__all__ = [
    "FORMATS",
    "HEIGHT",
    "SOURCE_NOTE",
    "WIDTH",
    "StaticExportError",
    "career_map",
    "career_map_figure",
    "choropleth",
    "choropleth_figure",
    "find_browser",
    "pay_ranges",
    "pay_ranges_figure",
    "retention",
    "retention_figure",
    "sankey",
    "sankey_figure",
    "spells",
    "trend",
    "trend_figure",
]
