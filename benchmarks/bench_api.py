"""REST API load test: the server in one process, 50 clients in another, on 127.0.0.1,
over the real-corpus warehouse.

    python benchmarks/bench_api.py [--warehouse W] [--clients 50] [--requests 2000]

The server is ``talentatlas serve --no-warm`` (uvicorn, one worker, a pool of read-only
connections; not answering the dashboard's first questions ahead, so that the cold
phase measures what each question costs). The clients ask three groups of questions, each drawn from a pool of the
questions people ask first:

- **country**: world shares of a year (each year, both bases), a country's migration
  table (the 40 largest countries);
- **organisation**: organisation search by name and an organisation's headcount (the
  150 largest institutions);
- **people**: people search by name (the 300 most published people).

1. **cold**: every question once, 50 at a time, on a server that has answered nothing
   yet: what a question costs the engine (answers are kept per build, so this is each
   question's first time).
2. **warm**: ``--requests`` questions per group drawn at random (seeded) from the same
   pools, 50 clients each asking as soon as their last answer came: the server as
   people use it, most answers already kept.

Latency is from sending to the last byte. The last line is ``name=value`` pairs; the
floor is ``warm_<group>_p95_ms`` under 150 with no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import duckdb
import httpx
import numpy as np
from bench_build import real_warehouse

GROUPS = ("country", "organisation", "people")


def questions(wh: Path) -> dict[str, list[str]]:
    """Per group, the paths people ask first, from the warehouse itself."""
    con = duckdb.connect(str(wh), read_only=True)
    years = [r[0] for r in con.sql(
        "SELECT DISTINCT year FROM stock_share WHERE year >= 2000 ORDER BY year").fetchall()]  # fmt: skip
    countries = [r[0] for r in con.sql(
        "SELECT country FROM stock_share GROUP BY country ORDER BY sum(stock) DESC LIMIT 40"
    ).fetchall()]  # fmt: skip
    insts = con.sql(
        "SELECT s.value, i.name FROM stock s JOIN institutions i ON i.institution_id = s.value "
        "WHERE s.dimension = 'institution' GROUP BY ALL ORDER BY sum(s.stock) DESC LIMIT 150"
    ).fetchall()
    people = [r[0] for r in con.sql(
        "SELECT name FROM persons WHERE name IS NOT NULL ORDER BY authorships DESC, person_id "
        "LIMIT 300").fetchall()]  # fmt: skip
    con.close()
    return {
        "country": [f"/api/countries?year={y}&basis={b}" for y in years
                    for b in ("location", "headquarters")]
        + [f"/api/migration?country={c}" for c in countries],
        "organisation": [f"/api/organisations?q={quote(n)}" for _i, n in insts]
        + [f"/api/organisations/{i}/headcount" for i, _n in insts],
        "people": [f"/api/people?q={quote(n)}" for n in people],
    }  # fmt: skip


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: a client light enough that
    50 of them in one process measure the server, not the client (httpx's own overhead
    was the bottleneck at ~350 requests a second)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        length = int({k.lower(): v for k, v in fields.items()}.get("content-length", "0"))
        body = await self.reader.readexactly(length)
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _ask(host: str, port: int, paths: list[str], clients: int) -> tuple[list, int]:
    """Ask every path of ``paths``, ``clients`` at a time; (latencies in s, errors)."""
    todo = list(paths)
    lat: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        conn = Connection(host, port)
        try:
            while todo:
                p = todo.pop()
                t = time.perf_counter()
                try:
                    status, body = await conn.get(p)
                    ok = status == 200 and len(body) > 0
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    conn.close()
                    conn = Connection(host, port)
                lat.append(time.perf_counter() - t)
                errors += not ok
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return lat, errors


async def run(port: int, pools: dict[str, list[str]], clients: int, n: int, seed: int) -> dict:
    out: dict[str, float | int] = {}
    for phase in ("cold", "warm"):
        for g in GROUPS:
            pool = pools[g]
            paths = pool if phase == "cold" else random.Random(seed).choices(pool, k=n)
            t = time.perf_counter()
            lat, errors = await _ask("127.0.0.1", port, paths, clients)
            secs = time.perf_counter() - t
            ms = np.array(lat) * 1000
            p50, p95 = float(np.percentile(ms, 50)), float(np.percentile(ms, 95))
            print(f"{phase:5s} {g:13s} {len(lat):5d} requests  p50 {p50:7.1f} ms  "
                  f"p95 {p95:7.1f} ms  max {ms.max():7.1f} ms  {len(lat) / secs:6.0f}/s  "
                  f"errors {errors}", flush=True)  # fmt: skip
            out |= {f"{phase}_{g}_p50_ms": round(p50, 1), f"{phase}_{g}_p95_ms": round(p95, 1),
                    f"{phase}_{g}_errors": errors}  # fmt: skip
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--warehouse", type=Path, help="A built real-corpus warehouse.")
    ap.add_argument(
        "--data-dir", type=Path, default=Path(__file__).parents[1] / ".." / "shared" / "data"
    )
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=2000, help="Warm requests per group.")
    ap.add_argument("--connections", type=int, default=2, help="The server's connections.")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="talentatlas-bench-") as tmp:
        wh = real_warehouse(a.warehouse, a.data_dir, Path(tmp))
        pools = questions(wh)
        port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        server = subprocess.Popen(
            [sys.executable, "-m", "talentatlas.cli", "serve", "--warehouse", str(wh),
             "--port", str(port), "--connections", str(a.connections), "--no-warm"],
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            figures = asyncio.run(run(port, pools, a.clients, a.requests, a.seed))
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures = {"clients": a.clients, **figures}
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
