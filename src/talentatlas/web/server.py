"""Running the application: in the foreground (``talentatlas serve``) or on a thread
for the length of a block (a notebook, a test, a benchmark's own process)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from talentatlas.web.app import create_app


def bound_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket (``port`` 0: a free one, read back with ``getsockname``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def serving(
    warehouse: Path,
    connections: int = 2,
    suppressions: Path | None = None,
    host: str = "127.0.0.1",
    warm: bool = True,
) -> Iterator[str]:
    """The API over ``warehouse`` on a free port of ``host`` for the length of the block;
    yields its base URL (``http://127.0.0.1:PORT``)."""
    with serving_app(create_app(warehouse, connections, suppressions, warm), host) as base:
        yield base


@contextmanager
def serving_app(app: FastAPI, host: str = "127.0.0.1") -> Iterator[str]:
    """``app`` (from :func:`talentatlas.web.app.create_app`) served by uvicorn on a free
    port of ``host`` for the length of the block; yields its base URL."""
    sock = bound_socket(host)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
