from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from talentatlas.config import Settings
from talentatlas.pipeline import build
from talentatlas.sources.simulated import World, simulate

SHARED = Path(
    os.environ.get("TALENTATLAS_SHARED_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")
).resolve()


def pytest_collection_modifyitems(config, items):
    """Tests that need what this machine lacks skip and say why: the real corpus, or
    Java for the Spark engine (``bash scripts/test`` installs Java where it can)."""
    reasons = {}
    if not SHARED.is_dir():
        reasons["realdata"] = f"real corpus not found at {SHARED} (set TALENTATLAS_SHARED_DATA)"
    if shutil.which("java") is None:
        reasons["spark"] = "no Java for PySpark (Debian: apt-get install openjdk-17-jre-headless)"
    for item in items:
        for mark, reason in reasons.items():
            if mark in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


def make_settings(root: Path, engine: str = "duckdb", **kw) -> Settings:
    return Settings(
        data_dir=root / "data", warehouse=root / "wh" / "atlas.duckdb", engine=engine,
        workers=1, **kw,
    )  # fmt: skip


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED


@pytest.fixture(scope="session")
def sim_world() -> World:
    return simulate(seed=7, n_people=300, noise=0.0)


@pytest.fixture(scope="session")
def sim_build(tmp_path_factory: pytest.TempPathFactory, sim_world: World):
    root = tmp_path_factory.mktemp("sim")
    sim_world.write(root / "data")
    s = make_settings(root)
    build(s)
    from talentatlas.api import Atlas

    return sim_world, Atlas.open(s.warehouse), s


@pytest.fixture(scope="session")
def openalex_records(shared_data: Path) -> list[dict]:
    """The real OpenAlex work records of ``openalex/api_pages`` (176), in file order."""
    out: list[dict] = []
    for f in sorted((shared_data / "openalex" / "api_pages").glob("*.json")):
        out.extend(json.loads(f.read_text())["results"])
    return out


@pytest.fixture(scope="session")
def openalex_2024_works(shared_data: Path) -> list[dict]:
    """The OpenAlex records of 2024 papers at STOC, FOCS, NSDI, OSDI, SIGCOMM, MobiSys
    and TACL (``openalex/indiainresearch_*_2024.json``, 686 records, of which 512
    distinct works carry an OpenAlex id), put back into the API's own shape: the
    collection nests each OpenAlex id under ``openalex_id``."""
    out: dict[str, dict] = {}
    for f in sorted((shared_data / "openalex").glob("indiainresearch_*_2024.json")):
        for r in json.loads(f.read_text()):
            if not r.get("openalex_id") or r["openalex_id"] in out:
                continue
            authorships = [
                {"author_position": a.get("position"),
                 "author": {"id": a["author"].get("openalex_id"),
                            "display_name": a["author"].get("name"),
                            "orcid": a["author"].get("orcid")},
                 "institutions": [
                     {"id": i["institution"].get("openalex_id"),
                      "display_name": i["institution"].get("display_name"),
                      "ror": i["institution"].get("ror"),
                      "country_code": i["institution"].get("country_code"),
                      "type": i["institution"].get("type")}
                     for i in a.get("institutions") or []
                 ],
                 "countries": a.get("countries") or []}
                for a in r["authorships"]
            ]  # fmt: skip
            out[r["openalex_id"]] = {
                "id": r["openalex_id"], "doi": r.get("doi"), "title": r.get("title"),
                "display_name": r.get("title"), "publication_year": r.get("publication_year"),
                "primary_location": r.get("primary_location"),
                "primary_topic": r.get("primary_topic"), "topics": r.get("topics"),
                "authorships": authorships, "updated_date": "2025-01-01T00:00:00",
            }  # fmt: skip
    return list(out.values())


class QuietHandler(BaseHTTPRequestHandler):
    """A test server's request handler: no request log on stderr; :meth:`reply` sends a
    whole answer."""

    def log_message(self, *args: object) -> None:
        pass

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.reply(status, body, headers)

    def drop(self, body: bytes, part: int = 2) -> None:
        """Promise the whole body, send ``1/part`` of it and close the connection."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // part])
        self.close_connection = True

    def answer_fault(self, fault: str | None) -> bool:
        """Answer a planted ``429`` (with Retry-After) or ``503``; False for any other."""
        if fault == "429":
            self._send(429, b"slow down", {"Retry-After": "1"})
        elif fault == "503":
            self._send(503, b"unavailable")
        else:
            return False
        return True


@contextmanager
def serving(handler: Callable[..., Any]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 (a free port) for the length of the block; yields its
    base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
