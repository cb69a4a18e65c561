"""Blocking: the candidate pairs (same name, different works)."""

from __future__ import annotations

from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.people.comparisons import comparison_levels, sides
from talentatlas.resolve.people.params import FEATURES
from talentatlas.tables import flat


def shared_coauthors(edges: Table) -> Table:
    """``sa, sb, shared``: same-name mention pairs (``sa < sb``) and how many coauthor
    names they share (``edges``: :func:`coauthor_edges`)."""
    e2 = edges.select(mid2=edges.mid, nk2=edges.nk, cnk2=edges.cnk)
    sh = edges.join(e2, [edges.nk == e2.nk2, edges.cnk == e2.cnk2, edges.mid < e2.mid2])
    return sh.group_by(sa=edges.mid, sb=e2.mid2).agg(shared=_.count())


def candidate_pairs(x: Table, shared: Table) -> Table:
    """Same-name mention pairs (``a < b``) on different works: the name's ``nv``, ``bin``
    and ``cell``, the comparison levels and ``tf``, the term-frequency adjustment of the
    institution or domain agreed on (``x``: :func:`mention_features`; ``shared``:
    :func:`shared_coauthors`, stored first so that the engine sees its true size)."""
    left, right = sides(x)
    p = flat(left.join(right, [left.na == right.nb, left.a < right.b, left.wa != right.wb]))
    p = comparison_levels(p, shared)
    return p.select("a", "b", "nv", "bin", "cell", *FEATURES, "tf")
