"""Fetching from a mirror: a local directory, or an HTTP server on 127.0.0.1 serving the
real recorded files (with a listing, without one, and dropping connections midway)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from talentatlas.config import Scope, Settings
from talentatlas.fetch import fetch
from talentatlas.pay.landing import pay_kind

pytestmark = pytest.mark.realdata
WEB = Scope(areas=["Web/IR"])  # kdd, www, sigir: a small real subset


class Handler(SimpleHTTPRequestHandler):
    """Static files with Range support; can cut the first two responses of each file
    short (the second one a resumed, ranged response), and logs what it served."""

    flaky: bool = False
    cuts: dict[str, int] = {}  # noqa: RUF012
    #: (path, first byte asked for, bytes sent) of every GET
    served: list[tuple[str, int, int]] = []  # noqa: RUF012

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.flaky and self.cuts.get(self.path, 0) < 2 and len(body) > 1000:
            self.cuts[self.path] = self.cuts.get(self.path, 0) + 1
            self.served.append((self.path, start, len(body) // 2))
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.served.append((self.path, start, len(body)))
        self.wfile.write(body)


def _serve(root: Path, flaky: bool = False) -> Iterator[str]:
    handler = type("H", (Handler,), {"flaky": flaky, "cuts": {}, "served": []})
    _serve.handler = handler  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def server(shared_data: Path) -> Iterator[str]:
    yield from _serve(shared_data)


@pytest.fixture
def flaky_server(shared_data: Path) -> Iterator[str]:
    yield from _serve(shared_data, flaky=True)


def _expected(shared: Path) -> set[str]:
    out = set()
    for d in ["kdd", "www"]:
        out |= {p.relative_to(shared).as_posix() for p in (shared / "paperlists" / d).glob("*")}
        od = shared / "openreview" / "authors" / d
        out |= {p.relative_to(shared).as_posix() for p in od.glob("*")} if od.is_dir() else set()
    out |= {p.relative_to(shared).as_posix() for p in (shared / "ror").glob("ror_records*")}
    out |= {p.relative_to(shared).as_posix() for p in (shared / "mpidr").glob("*.csv")}
    # the pay files (the per-occupation JSON extracts and the manifest are not wanted)
    pay = (shared / "compensation").glob("*")
    out |= {p.relative_to(shared).as_posix() for p in pay if pay_kind(p.name)}
    return out | {
        "affiliations/lossfunk_affiliation_domain_country.csv",
        "affiliations/lossfunk_neurips-2024-cc-authors.json",
    }


def _same(a: Path, b: Path, rels: set[str]) -> None:
    for rel in rels:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_fetch_from_local_mirror_directory(tmp_path: Path, shared_data: Path) -> None:
    s = Settings(data_dir=tmp_path / "d", mirror=str(shared_data), scope=WEB)
    r = fetch(s)
    assert set(r.fetched) == _expected(shared_data)
    _same(shared_data, tmp_path / "d", set(r.fetched))
    assert not (tmp_path / "d" / "paperlists" / "siggraph").exists()
    again = fetch(s)
    assert not again.fetched and set(again.present) == _expected(shared_data)


def test_fetch_over_http_with_manifest(tmp_path: Path, shared_data: Path, server: str) -> None:
    s = Settings(data_dir=tmp_path / "d", mirror=server, scope=WEB)
    r = fetch(s)
    assert not r.failed
    assert set(r.fetched) == _expected(shared_data)
    _same(shared_data, tmp_path / "d", set(r.fetched))


def test_fetch_resumes_interrupted_downloads(
    tmp_path: Path, shared_data: Path, flaky_server: str
) -> None:
    s = Settings(data_dir=tmp_path / "d", mirror=flaky_server, scope=WEB)
    r = fetch(s)
    assert not r.failed and r.fetched
    _same(shared_data, tmp_path / "d", set(r.fetched))
    assert not list((tmp_path / "d").rglob("*.part"))
    # each cut download went on from where it stopped: later requests ask for a range
    # starting past zero, and no byte was sent twice
    served = _serve.handler.served  # type: ignore[attr-defined]
    cuts = _serve.handler.cuts  # type: ignore[attr-defined]
    cut = {p for p, n in cuts.items() if n and not p.endswith("MANIFEST.csv")}  # (a listing)
    assert cut
    for path in cut:
        gets = [(start, n) for p, start, n in served if p == path]
        assert len(gets) == 3 and gets[0][0] == 0 and all(st > 0 for st, _n in gets[1:])
        size = (shared_data / path.lstrip("/")).stat().st_size
        assert sum(n for _st, n in gets) == size, (path, gets, size)


def test_fetch_probes_names_when_the_mirror_has_no_listing(
    tmp_path: Path, shared_data: Path
) -> None:
    root = tmp_path / "mirror"
    src = shared_data / "paperlists" / "www" / "www2024.json.gz"
    (root / "paperlists" / "www").mkdir(parents=True)
    (root / "paperlists" / "www" / "www2024.json.gz").write_bytes(src.read_bytes())
    for url in _serve(root):
        s = Settings(data_dir=tmp_path / "d", mirror=url, scope=WEB, fetch_years=(2023, 2025))
        r = fetch(s)
        assert r.fetched == ["paperlists/www/www2024.json"]
        assert (
            tmp_path / "d" / "paperlists" / "www" / "www2024.json.gz"
        ).read_bytes() == src.read_bytes()


def test_fetch_follows_a_mirror_of_symbolic_links(tmp_path: Path, shared_data: Path) -> None:
    """A mirror whose top folders are links to where the data lives (as people lay one
    out to avoid copying) gives every file, not only those at its own top level."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for top in shared_data.iterdir():
        (mirror / top.name).symlink_to(top, target_is_directory=top.is_dir())
    s = Settings(data_dir=tmp_path / "d", mirror=str(mirror), scope=WEB)
    r = fetch(s)
    assert set(r.fetched) == _expected(shared_data) and len(r.fetched) > 10
