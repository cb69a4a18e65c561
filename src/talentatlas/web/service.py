"""The warehouse behind the server.

A small pool of read-only connections (one per core: a query runs on one while the
others serve), the build's id (from ``build_info``: the inputs' fingerprint and the
time it was built) and the answers already computed for this build. ``talentatlas
build`` replaces the warehouse file by a rename, so the server notices a rebuild by the
file's identity (inode and modification time), reopens, and forgets the old answers.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from talentatlas.api import Atlas

#: answers kept per build (the oldest go first)
CACHE_ENTRIES = 2048


class NotFound(LookupError):
    """An organisation or other object the warehouse does not have (a 404)."""


def key_of(path: str, query: bytes | str) -> str:
    """The key an answer is kept under: the path and the query's pairs, sorted (so the
    order of parameters does not matter)."""
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    return f"{path}?{sorted(parse_qsl(query, keep_blank_values=True))}"


#: what many questions read and is the same for the whole build (cached properties of
#: :class:`Atlas`): built when the build is opened and shared by the pool's connections
#: (the name index alone takes about a second on the real corpus)
SHARED = ("_names", "suppressed", "countries", "venues", "years", "areas", "_indicator_meta")


@dataclass(frozen=True)
class Answer:
    """A response body as sent: bytes and their media type."""

    body: bytes
    media_type: str


class Warehouse:
    """Connections to one warehouse file and the answers computed from its build."""

    def __init__(self, path: Path, connections: int = 2, suppressions: Path | None = None) -> None:
        self.path = path
        self.size = max(1, connections)
        self.suppressions = suppressions
        self._cond = threading.Condition()
        self._active = 0  # queries running
        self._reopening = False
        self._pool: queue.Queue[Atlas] = queue.Queue()
        self._all: list[Atlas] = []
        self._identity: tuple[int, int] | None = None
        self._cache: OrderedDict[str, Answer] = OrderedDict()
        self.build_id = ""
        #: questions answered ahead for this build (``web.warm``); 0 until done
        self.warmed = 0
        self._open()

    def _stat(self) -> tuple[int, int]:
        st = os.stat(self.path)
        return st.st_ino, st.st_mtime_ns

    def _open(self) -> None:
        """(Re)open the pool. The old connections close first: DuckDB keeps one database
        per path while any connection to it lives, so a new one would see the old file."""
        for a in self._all:
            a.close()
        identity = self._stat()
        self._all = [Atlas.open(self.path, self.suppressions) for _ in range(self.size)]
        first = self._all[0]
        for name in SHARED:  # built now, once, rather than by the first questions
            value = getattr(first, name)
            for a in self._all[1:]:
                a.__dict__[name] = value
        self._pool = queue.Queue()
        for a in self._all:
            self._pool.put(a)
        info = self._all[0].build_info()
        stamp = f"{info.get('fingerprint', '')}/{info.get('built_at', '')}"
        self._identity = identity
        self._cache.clear()
        self.warmed = 0
        self.build_id = hashlib.sha256(stamp.encode()).hexdigest()[:16]

    def refresh(self) -> None:
        """Reopen when the warehouse file was replaced by a rebuild: new queries wait,
        running ones finish on the old build, then the pool reopens."""
        try:
            identity = self._stat()
        except FileNotFoundError:
            return  # between a rebuild's rename steps: keep serving the build we have
        if identity == self._identity:
            return
        with self._cond:
            if identity == self._identity or self._reopening:
                return
            self._reopening = True
            try:
                while self._active:
                    self._cond.wait()
                self._open()
            finally:
                self._reopening = False
                self._cond.notify_all()

    @contextmanager
    def atlas(self) -> Iterator[Atlas]:
        """A connection of the pool for one query (waits while all are busy)."""
        with self._cond:
            while self._reopening:
                self._cond.wait()
            self._active += 1
            pool = self._pool
        a = pool.get()
        try:
            yield a
        finally:
            pool.put(a)
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    def kept(self, key: str) -> Answer | None:
        """The answer for ``key`` if this build has made it already."""
        self.refresh()
        return self._cache.get(key)

    def answer(self, key: str, make: Callable[[Atlas], Answer]) -> Answer:
        """The answer for ``key`` in this build: kept, or made on a pooled connection."""
        self.refresh()
        build = self.build_id
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        with self.atlas() as a:
            out = make(a)
        with self._cond:
            if build == self.build_id:
                self._cache[key] = out
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return out

    def close(self, wait: float = 30.0) -> None:
        """Close the connections once the running queries are done (a question the
        warm-up asked may still be running when the server stops)."""
        with self._cond:
            self._cond.wait_for(lambda: self._active == 0, timeout=wait)
        for a in self._all:
            a.close()
        self._all = []
