"""Worker processes for the CPU-bound work in Python (parsing, affiliation matching)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context


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
