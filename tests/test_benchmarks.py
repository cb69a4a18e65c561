"""The benchmark scripts' own machinery: figures that are what they say."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


def test_tree_memory_counts_the_workers() -> None:
    """The OpenAlex benchmark's memory figure covers a process and its workers."""
    from bench_openalex import tree_rss_mb

    hold = (
        "b = bytearray(300 << 20); b[::4096] = b'x' * len(b[::4096]); import time; time.sleep(30)"
    )
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {hold!r}])"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        peak = 0.0
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and peak < 300:
            peak = max(peak, tree_rss_mb(proc.pid))
            time.sleep(0.2)
    finally:
        for pid in _children(proc.pid):  # the worker, then the parent
            os.kill(pid, 9)
        proc.kill()
        proc.wait()
    assert peak >= 300


@pytest.mark.realdata
def test_openalex_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    """A tiny run generates a snapshot, lands it, checks the rows against the world and
    ends with one name=value line."""
    bench = Path(__file__).parents[1] / "benchmarks" / "bench_openalex.py"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    r = subprocess.run(
        [sys.executable, str(bench), "--gb", "0.002", "--snapshot", str(tmp_path / "s")],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    last = dict(kv.split("=") for kv in r.stdout.strip().splitlines()[-1].split())
    assert last["rows_ok"] == "True" and float(last["ingest_mb_s"]) > 0


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        try:
            if d.name.isdigit() and (d / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(
                pid
            ):
                out.append(int(d.name))
        except OSError:
            pass
    return out
