"""Assembly: person ids for clusters, anchors of rare names."""

from __future__ import annotations

import ibis
from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.people.names import order_free
from talentatlas.resolve.people.params import KEYS, M_BIN_MAX, Materialize
from talentatlas.tables import flat


def anchors(m: Table, keyed: Table, bins: Table) -> Table:
    """``aname, akid``: rare names that exactly one keyed person bears (as the most
    frequent name of its mentions, in any word order): a keyless cluster of such a name
    is that person.

    A name is rare when fewer than 2**:data:`M_BIN_MAX` people are expected to bear it
    (:func:`name_bins`); then the name alone says "one person", which pair comparisons
    can fail to see for prolific people who hold two affiliations at once (a professor
    also at a company: every pair across the two reads as "overlapping organisations",
    strong evidence of two people)."""
    info = m.select(imid=m.mid, iname=m.name)
    kn = flat(keyed.join(info, keyed.mid == info.imid).select(keyed.kid, name=info.iname))
    kn = kn.filter(kn.name != "").group_by(["kid", "name"]).agg(n=_.count())
    w = ibis.window(group_by="kid", order_by=[ibis.desc("n"), ibis.asc("name")])
    kn = kn.mutate(rk=ibis.row_number().over(w))
    top = kn.filter(kn.rk == 0)
    per = top.group_by("name").agg(kids=top.kid.nunique(), akid=top.kid.min())
    per = per.filter(per.kids == 1)
    # the cluster's name in any word order ("fei fei li" is "li fei fei"), when rare
    rare = bins.filter(bins.bin <= M_BIN_MAX).select(rname=bins.name)
    rare = rare.mutate(okey=order_free(rare.rname))
    per = per.mutate(pkey=order_free(per.name))
    out = flat(per.join(rare, per.pkey == rare.okey))
    out = out.group_by(aname=out.rname).agg(kids=out.akid.nunique(), akid=out.akid.min())
    return out.filter(out.kids == 1).select("aname", "akid")


def assemble(m: Table, keyed: Table, labels: Table, mat: Materialize, bins: Table) -> Table:
    """The output table: ``work_id, position, person_id, key_kind``."""
    kind = ibis.cases(*[(m[col].notnull(), kk) for kk, col, _p in KEYS], else_=ibis.null("string"))
    t = m.select("mid", "work_id", "position", "name", "year", kind=kind)
    kk = keyed.select(kmid=keyed.mid, kkid=keyed.kid)
    t = flat(t.left_join(kk, t.mid == kk.kmid)).drop("kmid")
    kid = keyed.select(ql=keyed.klabel, gkid=keyed.kid).distinct()
    lb = labels.select(lmid=labels.mid, label=labels.label)
    t = flat(t.left_join(lb, t.mid == lb.lmid)).drop("lmid")
    t = flat(t.left_join(kid, t.label == kid.ql)).drop("ql")
    t = mat("people_assigned", t.mutate(label=t.label.fill_null(t.mid)))
    # keyless-only clusters: modal name, first year, smallest mention; numbered per name
    nk = t.filter(t.kkid.isnull() & t.gkid.isnull() & (t.name != ""))
    nn = nk.group_by(["label", "name"]).agg(n=_.count())
    w = ibis.window(group_by="label", order_by=[ibis.desc("n"), ibis.asc("name")])
    nn = nn.mutate(rk=ibis.row_number().over(w))
    top = nn.filter(nn.rk == 0).select(tl=nn.label, cname=nn.name)
    info = nk.group_by(il=nk.label).agg(first=nk.year.min(), low=nk.mid.min())
    info = flat(info.join(top, info.il == top.tl).select(info.il, info.first, info.low, top.cname))
    w2 = ibis.window(group_by="cname", order_by=[ibis.asc("first"), ibis.asc("low")])
    info = info.mutate(k=ibis.row_number().over(w2) + 1)
    info = info.select(
        cname=info.cname,
        nlabel=info.il,
        nid=(info.k == 1).ifelse(
            "name:" + info.cname, "name:" + info.cname + "#" + info.k.cast("string")
        ),
    )
    # keyless clusters of a rare name that one keyed person bears join that person
    an = anchors(m, keyed, bins)
    info = flat(info.left_join(an, info.cname == an.aname)).drop("aname")
    info = mat("people_name_ids", info)
    t = flat(t.left_join(info, t.label == info.nlabel))
    person = ibis.coalesce(
        t.kkid, t.gkid, t.akid, (t.name != "").ifelse(t.nid, ibis.null("string"))
    )
    key_kind = ibis.cases(
        (t.kkid.notnull(), t.kind),
        (t.gkid.notnull() | t.akid.notnull(), "linked"),
        (t.name != "", "name"),
        else_=ibis.null("string"),
    )
    return t.select("work_id", "position", person_id=person, key_kind=key_kind)
