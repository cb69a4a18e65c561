"""The benchmark scripts' own machinery: figures that are what they say."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))

from child import peak_of

ALLOCATE = r"""
import json, sys
n = json.loads(sys.argv[1])["mb"] << 20
block = bytearray(n)
block[::4096] = b"x" * len(block[::4096])
print(json.dumps({"mb": len(block) >> 20}))
"""


def test_peak_memory_is_each_case_s_own() -> None:
    """A small case after a large one reports its own peak, not the large one's."""
    big = peak_of(ALLOCATE, {"mb": 800})
    small = peak_of(ALLOCATE, {"mb": 5})
    assert big["peak_rss_mb"] >= 800
    # (a forked child starts from its parent's resident pages, so "small" is not ~5 MB)
    assert small["peak_rss_mb"] < big["peak_rss_mb"] / 2, (small, big)
