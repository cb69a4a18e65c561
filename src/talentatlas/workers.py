"""Worker processes for the CPU-bound work in Python (parsing, affiliation matching)."""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.context
from collections.abc import Iterator
from contextlib import contextmanager


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
