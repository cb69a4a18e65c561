"""Connected components: by min-label propagation in the engine, or on one machine.

The engine's way (:func:`components`) runs anywhere, a cluster included, in as many
rounds as the longest chain of labels needs. An engine whose data sits on this
machine (DuckDB) can instead hand the edges to :func:`local_components` (SciPy's
graph search: one pass), which gives the same labels.
"""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa
from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.people.params import LocalComponents, Materialize
from talentatlas.tables import flat


def components(
    edges: Table, mat: Materialize, name: str, local: LocalComponents | None = None
) -> Table:
    """``mid, label``: connected components (label = smallest mention id) of the nodes
    touched by ``edges`` (``a, b``), by min-label propagation with pointer jumping until
    no label changes (labels only decrease, so an unchanged sum means no change); or by
    ``local(edges, name)`` (:func:`local_components` on this machine) when given."""
    e = edges.select("a", "b")
    if local is not None:
        return local(e, name)
    both = mat(f"{name}_edges", e.union(e.select(a=e.b, b=e.a)).distinct())
    lab = both.group_by(mid=both.a).agg(label=both.b.min())
    lab = mat(f"{name}_0", lab.select("mid", label=ibis.least(lab.mid, lab.label)))
    total = _label_sum(lab)
    i = 0
    while True:
        i += 1
        lv = lab.view()
        nb = flat(both.join(lv, both.b == lv.mid).select(nmid=both.a, nl=lv.label))
        nb = nb.group_by("nmid").agg(m=nb.nl.min())
        new = flat(
            lab.join(nb, lab.mid == nb.nmid).select(lab.mid, label=ibis.least(lab.label, nb.m))
        )
        v = new.view().select(vmid=_.mid, vlabel=_.label)
        new = flat(
            new.join(v, new.label == v.vmid).select(new.mid, label=ibis.least(new.label, v.vlabel))
        )
        new = mat(f"{name}_{i % 2 + 1}", new)
        t = _label_sum(new)
        lab = new
        if t == total:
            return lab
        total = t


def _label_sum(lab: Table) -> int:
    """Sum of labels as an int (0 when empty: Spark's sum of nothing is not None)."""
    v = lab.label.cast("int64").sum().fill_null(0).execute()
    return int(v) if v == v else 0  # NaN from an empty Spark aggregate


def local_components(edges: pa.Table) -> pa.Table:
    """``mid, label`` (int64) of the nodes of ``edges`` (``a, b``: integer mention ids):
    what :func:`components` computes, by a breadth-first search (SciPy)."""
    from scipy import sparse  # imported here: a command that computes nothing starts faster
    from scipy.sparse import csgraph

    a = edges.column("a").to_numpy().astype(np.int64, copy=False)
    b = edges.column("b").to_numpy().astype(np.int64, copy=False)
    nodes, at = np.unique(np.concatenate([a, b]), return_inverse=True)
    n = len(nodes)
    if n == 0:
        return pa.table({"mid": pa.array([], pa.int64()), "label": pa.array([], pa.int64())})
    graph = sparse.coo_array((np.ones(len(a), np.int8), (at[: len(a)], at[len(a) :])), shape=(n, n))
    count, comp = csgraph.connected_components(graph, directed=False)
    # nodes are sorted: a component's first node in that order is its smallest id
    first = np.full(count, n, np.int64)
    np.minimum.at(first, comp, np.arange(n, dtype=np.int64))
    return pa.table({"mid": pa.array(nodes), "label": pa.array(nodes[first[comp]])})
