"""Worker processes for the CPU-bound work in Python (parsing, affiliation matching),
and work in a background thread while the build goes on."""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.context
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """``fn(*args)`` running in a daemon thread from construction on (a build that fails
    before it needs the result does not wait for it); take the result with
    :meth:`result`, which re-raises the thread's error."""

    def __init__(self, name: str, fn: Callable[..., T], *args: object) -> None:
        self._out: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(fn, *args), name=f"talentatlas-{name}", daemon=True
        )
        self._thread.start()

    def _run(self, fn: Callable[..., T], *args: object) -> None:
        try:
            self._out = fn(*args)
        except BaseException as e:  # re-raised where the result is taken
            self._error = e

    def result(self) -> T:
        """The result (waits for the thread; re-raises its error)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._out is not None
        return self._out


def clean_context() -> multiprocessing.context.BaseContext:
    """Worker processes that start clean (``forkserver``, else ``spawn``): a plain fork
    of a process with other threads running (an engine's, Spark's) can inherit their
    half-done state and crash the worker."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # the server imports what the workers run, and not the caller's main script (whose
    # top-level code, unguarded in a notebook or script, would run again there)
    ctx.set_forkserver_preload(["talentatlas.landing", "talentatlas.resolve.affiliations"])
    return ctx


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many long-lived objects are built.

    Building a registry or a matcher allocates millions of small dicts, lists and
    strings that all stay alive; the collector would walk them again and again as they
    accumulate (the ROR registry loads 1.7x slower, a pickled resolver 3x). Memory is
    still freed by reference counting; a cycle made meanwhile waits for the next
    collection after the pause."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
