"""World outlines bundled offline (thematicmapping.org borders via geopip)."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import pycountry


@dataclass(frozen=True)
class Shape:
    iso2: str
    iso3: str
    feature: dict
    lon: float
    lat: float
    small: bool


@functools.cache
def world_shapes() -> dict[str, Shape]:
    """ISO alpha-2 -> country outline (rounded to 0.01 degrees), Antarctica left out."""
    raw = json.loads(resources.files("geopip").joinpath("globe.geo.json").read_bytes())
    out: dict[str, Shape] = {}
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
        out[iso2] = Shape(iso2, c.alpha_3, feature, p["LON"], p["LAT"], area < 1.0)
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
