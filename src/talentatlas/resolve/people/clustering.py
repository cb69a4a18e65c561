"""Clustering: strong-link components, average linkage, lone mentions."""

from __future__ import annotations

import ibis
from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.people.components import components
from talentatlas.resolve.people.params import (
    MAX_ROUNDS,
    THRESHOLD,
    LocalComponents,
    Materialize,
)
from talentatlas.tables import flat, union_all


def _sizes(lab: Table) -> Table:
    return lab.group_by(sl=lab.label).agg(size=_.count(), kd=lab.keyed.max())


def _best(d: Table, sizes: Table) -> Table:
    """``c, o``: each cluster's best partner: highest mean weight, then larger, then
    smaller label."""
    sz = sizes.select(osl=sizes.sl, osize=sizes.size)
    d = flat(d.join(sz, d.o == sz.osl))
    avg = d.sw.cast("float64") / d.n.cast("float64")
    d = d.mutate(avg=avg)
    win = ibis.window(group_by="c", order_by=[ibis.desc("avg"), ibis.desc("osize"), ibis.asc("o")])
    d = d.mutate(rk=ibis.row_number().over(win))
    return d.filter(d.rk == 0).select("c", "o")


def cluster(
    m: Table,
    scored: Table,
    keyed: Table,
    mat: Materialize,
    local: LocalComponents | None = None,
) -> Table:
    """``mid, label, keyed``: the cluster of every named mention.

    1. Components of the *strong* links among keyless mentions: weight at or above the
       threshold and agreement on something specific (organisation, a coauthor) whose
       level weight is at least :data:`EVIDENCE_MIN` (a coauthor shared by chance, as
       in a corpus where coauthors are random, is no such evidence).
    2. Average linkage between clusters (keyed persons count as clusters and are never
       merged with each other): reciprocal best pairs whose mean pair weight is at or
       above the threshold merge, in rounds, until none is left. Average linkage is
       reducible, so merging reciprocal nearest neighbours in parallel gives the same
       result as merging one pair at a time.
    3. Mentions still alone join the cluster with the best mean weight to them (at or
       above the threshold; ties to the larger cluster). They join, but never bridge two
       clusters.
    4. Mentions still alone after that form components of their links among themselves.
    Weights are integers: a mean is compared with the threshold as ``sum >= T * n``.
    """
    named = m.filter(m.name != "").select("mid")
    kl = keyed.select(kmid=keyed.mid, klabel=keyed.klabel)
    ka = kl.select(kam=kl.kmid)
    kb = kl.select(kbm=kl.kmid)
    s = flat(scored.left_join(ka, scored.a == ka.kam))
    s = flat(s.left_join(kb, s.b == kb.kbm))
    strong = s.filter((s.w >= THRESHOLD) & s.evidence & s.kam.isnull() & s.kbm.isnull())
    comp = components(strong, mat, "people_cc", local)
    lab = flat(named.left_join(kl, named.mid == kl.kmid))
    cp = comp.select(cmid=comp.mid, clabel=comp.label)
    lab = flat(lab.left_join(cp, lab.mid == cp.cmid))
    lab = mat(
        "people_labels_0",
        lab.select(
            "mid",
            label=ibis.coalesce(lab.klabel, lab.clabel, lab.mid),
            keyed=lab.klabel.notnull(),
        ),
    )
    pw = s.select("a", "b", "w")

    def cross(lab: Table) -> Table:
        la = lab.select(ma=lab.mid, la=lab.label)
        lb = lab.select(mb=lab.mid, lb=lab.label)
        c = flat(pw.join(la, pw.a == la.ma).select(pw.b, pw.w, la.la))
        c = flat(c.join(lb, c.b == lb.mb).select(c.la, lb.lb, c.w))
        return c.filter(c.la != c.lb)

    # 2. reciprocal best pairs, average linkage, among clusters of 2+ mentions or keyed
    # (clusters only grow, so the pairs between such clusters are fixed; each round keeps
    # those still between two clusters)
    # each pair between two such clusters, with the clusters of its two sides and whether
    # each is keyed (a cluster is keyed when any of its mentions is: sizes.kd)
    sizes = mat("people_sizes", _sizes(lab))
    ck = flat(lab.join(sizes, lab.label == sizes.sl))
    ck = ck.filter((ck.size >= 2) | ck.kd).select(ck.mid, ck.label, ck.kd)
    la = ck.select(ma=ck.mid, la=ck.label, k1=ck.kd)
    lb = ck.select(mb=ck.mid, lb=ck.label, k2=ck.kd)
    c = flat(pw.join(la, pw.a == la.ma).select(pw.a, pw.b, pw.w, la.la, la.k1))
    c = flat(c.join(lb, c.b == lb.mb).select(c.a, c.b, c.w, c.la, c.k1, lb.lb, lb.k2))
    xp = mat("people_cross_1", c.filter((c.la != c.lb) & ~(c.k1 & c.k2)))
    for i in range(1, MAX_ROUNDS + 1):
        agg = xp.group_by(x=ibis.least(xp.la, xp.lb), y=ibis.greatest(xp.la, xp.lb)).agg(
            sw=xp.w.sum(), n=xp.w.count()
        )
        agg = agg.filter(agg.sw >= THRESHOLD * agg.n)
        d = union_all(
            [
                agg.select(c=agg.x, o=agg.y, sw=agg.sw, n=agg.n),
                agg.select(c=agg.y, o=agg.x, sw=agg.sw, n=agg.n),
            ]
        )
        best = mat("people_best", _best(d, sizes))
        bv = best.view().select(c2=_.c, o2=_.o)
        mutual = flat(
            best.join(bv, [best.c == bv.o2, best.o == bv.c2, best.c < best.o]).select(
                best.c, best.o
            )
        )
        kd = sizes.select(ksl=sizes.sl, kk=sizes.kd)
        mutual = flat(mutual.join(kd, mutual.o == kd.ksl)).select("c", "o", ok="kk")
        # the larger label joins the smaller, except that a keyed label always stays (so
        # the label that goes is never keyed: the merged cluster is keyed as ``to`` is)
        mp = mutual.select(
            frm=mutual.ok.ifelse(mutual.c, mutual.o), to=mutual.ok.ifelse(mutual.o, mutual.c)
        )
        tk = sizes.select(tsl=sizes.sl, tk=sizes.kd)
        mp = mat("people_merge", flat(mp.join(tk, mp.to == tk.tsl)).select("frm", "to", "tk"))
        if mp.count().execute() == 0:
            break
        lab = flat(lab.left_join(mp, lab.label == mp.frm))
        lab = mat(
            f"people_labels_{i % 2 + 1}",
            lab.select("mid", label=ibis.coalesce(lab.to, lab.label), keyed=lab.keyed),
        )
        sizes = mat("people_sizes", _sizes(lab))
        # the pairs' clusters after the merges: a merged side takes its new label (merges
        # are disjoint pairs, so one lookup per side); pairs now inside one cluster go
        m1 = mp.select(f1=mp.frm, t1=mp.to, tk1=mp.tk)
        m2 = mp.select(f2=mp.frm, t2=mp.to, tk2=mp.tk)
        c = flat(xp.left_join(m1, xp.la == m1.f1))
        c = flat(c.left_join(m2, c.lb == m2.f2))
        c = c.select(
            "a", "b", "w",
            la=ibis.coalesce(c.t1, c.la), k1=c.t1.isnull().ifelse(c.k1, c.tk1),
            lb=ibis.coalesce(c.t2, c.lb), k2=c.t2.isnull().ifelse(c.k2, c.tk2),
        )  # fmt: skip
        c = c.filter((c.la != c.lb) & ~(c.k1 & c.k2))
        xp = mat(f"people_cross_{i % 2 + 1}", c.select("a", "b", "w", "la", "k1", "lb", "k2"))

    # 3. mentions alone join the best cluster (``sizes`` are those of ``lab`` already)
    lone = flat(lab.join(sizes, lab.label == sizes.sl)).filter(lambda t: (t.size == 1) & ~t.kd)
    lone = mat("people_lone", lone.select(lm=lone.mid))
    c = cross(lab)
    c = union_all([c, c.select(la=c.lb, lb=c.la, w=c.w)])
    l1 = lone.select(l1=lone.lm)
    # (the lone side's label is its own mention id)
    c = flat(c.join(l1, c.la == l1.l1))
    l2 = lone.select(l2=lone.lm)
    c = flat(c.anti_join(l2, c.lb == l2.l2))
    agg = c.group_by(c=c.la, o=c.lb).agg(sw=c.w.sum(), n=c.w.count())
    agg = agg.filter(agg.sw >= THRESHOLD * agg.n)
    join = mat("people_join", _best(agg, sizes))
    lab = flat(lab.left_join(join, lab.label == join.c))
    lab = mat(
        "people_labels_joined",
        lab.select("mid", label=ibis.coalesce(lab.o, lab.label), keyed=lab.keyed),
    )

    # 4. the rest: components of their links among themselves
    rest = flat(lone.anti_join(join, lone.lm == join.c))
    r1 = rest.select(r1=rest.lm)
    r2 = rest.select(r2=rest.lm)
    weak = pw.filter(pw.w >= THRESHOLD)
    weak = flat(weak.join(r1, weak.a == r1.r1))
    weak = flat(weak.join(r2, weak.b == r2.r2))
    rc = components(weak.select("a", "b"), mat, "people_rc", local)
    rc = rc.select(rmid=rc.mid, rlabel=rc.label)
    lab = flat(lab.left_join(rc, lab.mid == rc.rmid))
    return mat(
        "people_labels",
        lab.select("mid", label=ibis.coalesce(lab.rlabel, lab.label), keyed=lab.keyed),
    )
