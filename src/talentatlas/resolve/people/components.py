"""Connected components by min-label propagation (engine-side)."""

from __future__ import annotations

import ibis
from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.people.params import Materialize
from talentatlas.tables import flat


def components(edges: Table, mat: Materialize, name: str) -> Table:
    """``mid, label``: connected components (label = smallest mention id) of the nodes
    touched by ``edges`` (``a, b``), by min-label propagation with pointer jumping until
    no label changes (labels only decrease, so an unchanged sum means no change)."""
    e = edges.select("a", "b")
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
