"""Running a benchmark case in a fresh interpreter and reading its own peak memory.

``wait4`` gives the child's own resource usage; ``RUSAGE_CHILDREN`` would give the
largest of all children so far, so a small case run after a large one would report
the large one's peak.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def peak_of(code: str, args: dict) -> dict:
    """Run ``code`` in a fresh interpreter: its JSON result, wall time and its own peak
    RSS (from ``wait4``)."""
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", code, json.dumps(args)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    out_text = p.stdout.read() if p.stdout else ""
    err_text = p.stderr.read() if p.stderr else ""
    _pid, status, usage = os.wait4(p.pid, 0)
    p.returncode = status
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(err_text[-3000:])
    out = json.loads(out_text.strip().splitlines()[-1])
    out["wall_s"] = wall
    out["peak_rss_mb"] = usage.ru_maxrss / 1024
    return out
