"""Comparison vectors: what two mentions are compared on, as integer levels."""

from __future__ import annotations

import ibis
from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.people.params import (
    APART_YEARS,
    GAP_EDGES,
    ORG_APART,
    ORG_DOMAIN,
    ORG_INST,
    ORG_MOVE,
    ORG_OVERLAP,
    OVERLAP_YEARS,
    TF_CLIP,
)
from talentatlas.tables import flat


def coauthor_edges(m: Table, bins: Table) -> Table:
    """``mid, nk, cnk``: the distinct other names (codes) on each mention's work."""
    x = m.filter(m.name != "")
    bn = bins.select(bname=bins.name, nk=bins.nk)
    x = flat(x.join(bn, x.name == bn.bname).select(x.mid, x.wk, bn.nk))
    o = x.select(w2=x.wk, cnk=x.nk, mid2=x.mid)
    j = x.join(o, [x.wk == o.w2, x.mid != o.mid2, x.nk != o.cnk])
    return j.select(x.mid, x.nk, o.cnk).distinct()


def codes(t: Table, col: str) -> Table:
    """``value, code``: an integer for each distinct value of a column."""
    v = t.filter(t[col].notnull()).select(value=t[col]).distinct()
    return v.select(
        "value", code=ibis.row_number().over(ibis.window(order_by=v.value)).cast("int64")
    )


def mention_features(m: Table, bins: Table, edges: Table) -> Table:
    """Named mentions with what pairs compare, as integers: name ``nk``, work ``wk``,
    venue ``vc``, domain ``dc``, institution ``ic`` codes; ``has_co`` (the work has
    other named authors), ``tfi`` / ``tfd`` (term-frequency adjustments of the
    institution and domain), ``ilo``, ``ihi`` / ``dlo``, ``dhi`` (first and last year
    of the name at the mention's institution / domain) and the name's ``nv``
    (mentions), ``bin`` and ``cell``."""
    x = m.filter(m.name != "").select("mid", "wk", "name", "year", "venue", "domain", "inst")
    has = edges.select(hmid=edges.mid).distinct()
    x = flat(x.left_join(has, x.mid == has.hmid))
    ti = tf_table(m, "inst")
    ti = ti.select(vi=ti.value, ic=ti.code, tfi=ti.tf)
    x = flat(x.left_join(ti, x.inst == ti.vi))
    td = tf_table(m, "domain")
    td = td.select(vd=td.value, dc=td.code, tfd=td.tf)
    x = flat(x.left_join(td, x.domain == td.vd))
    vn = codes(m, "venue")
    vn = vn.select(vv=vn.value, vc=vn.code)
    x = flat(x.left_join(vn, x.venue == vn.vv))
    bn = bins.select(bname=bins.name, nk=bins.nk, nv=bins.nv, bin=bins.bin, cell=bins.cell)
    x = flat(x.join(bn, x.name == bn.bname))
    # first and last year of the name at the organisation: windows over the mentions,
    # not a grouping joined back (which would read the joins above once more per column)
    spans = {}
    for col, lo, hi in (("inst", "ilo", "ihi"), ("domain", "dlo", "dhi")):
        w = ibis.window(group_by=[x.name, x[col]])
        known = x[col].notnull()
        spans[lo] = ibis.ifelse(known, x.year.min().over(w), ibis.null("int32"))
        spans[hi] = ibis.ifelse(known, x.year.max().over(w), ibis.null("int32"))
    x = x.mutate(**spans)
    return x.select(
        "mid", "nk", "name", "wk", "year", "vc", "dc", "ic", "tfi", "tfd", "nv", "bin",
        "cell", "ilo", "ihi", "dlo", "dhi", has_co=x.hmid.notnull(),
    )  # fmt: skip


def sides(x: Table) -> tuple[Table, Table]:
    left = x.select(
        a=x.mid, na=x.nk, wa=x.wk, ya=x.year, va=x.vc, da=x.dc, ia=x.ic, ca=x.has_co,
        tfi=x.tfi, tfd=x.tfd, nv=x.nv, bin=x.bin, cell=x.cell,
        ila=x.ilo, iha=x.ihi, dla=x.dlo, dha=x.dhi,
    )  # fmt: skip
    right = x.select(
        b=x.mid, nb=x.nk, wb=x.wk, yb=x.year, vb=x.vc, db=x.dc, ib=x.ic, cb=x.has_co,
        ilb=x.ilo, ihb=x.ihi, dlb=x.dlo, dhb=x.dhi,
    )  # fmt: skip
    return left, right


def comparison_levels(p: Table, shared: Table) -> Table:
    """Comparison levels of pairs ``p`` (both sides' fields) given shared coauthor counts."""
    p = flat(p.left_join(shared, [p.a == shared.sa, p.b == shared.sb]).drop("sa", "sb"))
    gapv = (p.ya - p.yb).abs()
    gap = ibis.cases(
        (gapv.isnull(), ibis.null("int8")),
        (gapv < GAP_EDGES[0], 0),
        (gapv < GAP_EDGES[1], 1),
        (gapv < GAP_EDGES[2], 2),
        else_=3,
    )
    inst_cmp = p.ia.notnull() & p.ib.notnull()
    dom_cmp = p.da.notnull() & p.db.notnull()
    same_inst = inst_cmp & (p.ia == p.ib)
    same_dom = dom_cmp & (p.da == p.db)
    # different organisations: the years the name was seen at both (negative: minus the
    # years between them), by institution when both sides have one, else by domain
    common = ibis.cases(
        (inst_cmp, ibis.least(p.iha, p.ihb) - ibis.greatest(p.ila, p.ilb) + 1),
        else_=ibis.least(p.dha, p.dhb) - ibis.greatest(p.dla, p.dlb) + 1,
    )
    org = ibis.cases(
        (same_inst, ORG_INST),
        (same_dom, ORG_DOMAIN),
        (~(inst_cmp | dom_cmp), ibis.null("int8")),
        (common >= OVERLAP_YEARS, ORG_OVERLAP),
        (common <= -APART_YEARS, ORG_APART),
        else_=ORG_MOVE,
    )
    n = p.shared.fill_null(0)
    coauthors = ibis.cases(
        (n >= 2, 2),
        (n == 1, 1),
        (p.ca & p.cb, 0),
        else_=ibis.null("int8"),
    )
    tf = ibis.cases((same_inst, p.tfi), (same_dom, p.tfd), else_=0)
    return p.mutate(
        gap=gap.cast("int8"),
        org=org.cast("int8"),
        coauthors=coauthors.cast("int8"),
        venue=(p.va == p.vb).cast("int8"),
        tf=tf.fill_null(0).cast("int32"),
    )


def tf_table(m: Table, col: str) -> Table:
    """``value, tf``: centibits log2(collision rate / share of the value), clipped."""
    t = m.filter(m[col].notnull())
    c = t.group_by(value=t[col]).agg(n=_.count())
    n = c.n.cast("float64")
    tot = n.sum().over(ibis.window())
    coll = (n * n).sum().over(ibis.window()) / (tot * tot)
    adj = (coll / (n / tot)).log2().clip(-TF_CLIP, TF_CLIP)
    code = ibis.row_number().over(ibis.window(order_by=c.value)).cast("int64")
    return c.select("value", code=code, tf=(adj * 100).round().cast("int32"))
