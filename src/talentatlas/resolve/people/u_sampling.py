"""u-sampling: certain non-matches (same family name, different first name)."""

from __future__ import annotations

import ibis
from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.people.comparisons import comparison_levels, sides
from talentatlas.resolve.people.names import name_parts
from talentatlas.resolve.people.params import FEATURES, U_SAMPLE_LEADS
from talentatlas.tables import flat, union_all


def family_name_pairs(x: Table, edges: Table, *, by_family: bool = True) -> Table:
    """Certain non-matches for u: mentions with the same last name and a different first
    token, on different works. Deterministic sample: within each last name, mentions in
    a pseudo-random order (integer hash of the mention id) are paired with the next
    :data:`U_SAMPLE_LEADS` ones. With ``by_family=False`` (a fallback for corpora with
    too few shared family names) the pairs are drawn from all mentions and must differ in
    both first and last token."""
    m = x
    x = x.filter(x.name.contains(" "))
    x = x.mutate(**name_parts(x))
    if not by_family:
        x = x.mutate(last=ibis.literal(""), family=x["last"])
    # a quadratic map of the id modulo a prime (a linear one would pair ids at fixed
    # offsets, which the ordering of mentions by work makes correlated in time and venue)
    p31 = 2147483647
    t = (x.mid.cast("int64") * ibis.literal(48271, type="int64") + 11) % p31
    x = x.mutate(h=(t * t) % p31)
    w = ibis.window(group_by=x["last"], order_by=[x.h, x.mid])
    leads = {f"l{k}": x.mid.lead(k).over(w) for k in range(1, U_SAMPLE_LEADS + 1)}
    x = x.mutate(**leads)
    pairs = union_all(
        x.filter(x[f"l{k}"].notnull()).select(pa=x.mid, pb=x[f"l{k}"])
        for k in range(1, U_SAMPLE_LEADS + 1)
    )
    pairs = pairs.select(
        a=ibis.least(pairs.pa, pairs.pb), b=ibis.greatest(pairs.pa, pairs.pb)
    ).distinct()
    left, right = sides(m)
    parts = name_parts(m)
    fn = m.select(fm=m.mid, fa=parts["first"], la_=parts["last"])
    left = flat(left.join(fn, left.a == fn.fm)).drop("fm")
    fn2 = m.select(fm=m.mid, fb=parts["first"], lb_=parts["last"])
    right = flat(right.join(fn2, right.b == fn2.fm)).drop("fm")
    p = flat(pairs.join(left, pairs.a == left.a).select(pairs.b, *[left[c] for c in left.columns]))
    p = flat(
        p.join(right, p.b == right.b).select(
            *[p[c] for c in p.columns], *[right[c] for c in right.columns if c != "b"]
        )
    )
    p = p.filter((p.fa != p.fb) & (p.wa != p.wb))
    if not by_family:
        p = p.filter(p.la_ != p.lb_)
    # shared coauthor names of the sampled pairs
    ea = edges.select(ea=edges.mid, ca=edges.cnk)
    eb = edges.select(eb=edges.mid, cb=edges.cnk)
    pk = p.select("a", "b")
    s1 = flat(pk.join(ea, pk.a == ea.ea).select(pk.a, pk.b, ea.ca))
    s2 = s1.join(eb, [s1.b == eb.eb, s1.ca == eb.cb])
    shared = s2.group_by(sa=s1.a, sb=s1.b).agg(shared=_.count())
    return comparison_levels(p, shared).select("a", "b", *FEATURES)
