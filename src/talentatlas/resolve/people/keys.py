"""Reliable keys: persons from OpenReview ids, ORCID, DBLP and Scholar ids, with the name guard."""

from __future__ import annotations

from typing import Any

import ibis
from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.people.components import components
from talentatlas.resolve.people.params import (
    KEY_MAX_PEOPLE,
    KEYS,
    LocalComponents,
    Materialize,
)
from talentatlas.tables import flat, union_all


def keyed_persons(
    m: Table, mat: Materialize, local: LocalComponents | None = None
) -> tuple[Table, Table]:
    """``mid, klabel, kid``: keyed mentions, their component label and person id; and
    the mention keys left out for a name conflict (:func:`name_conflicts`)."""
    cols = [(col, prefix) for _k, col, prefix in KEYS] + [("openreview_alias", "or:")]
    mk = union_all(
        m.filter(m[col].notnull()).select("mid", key=prefix + m[col]) for col, prefix in cols
    )
    mk = mk.distinct()
    # a key that several people carry (a placeholder, a DBLP page of homonyms) links
    # nobody: ORCID / DBLP / Scholar values seen with 3+ names or 3+ OpenReview ids
    info = m.select(imid=m.mid, iname=m.name, ior=m.openreview_id)
    kn = flat(mk.join(info, mk.mid == info.imid).select(mk.key, info.iname, info.ior))
    kn = kn.group_by("key").agg(names=kn.iname.nullif("").nunique(), ors=kn.ior.nunique())
    bad = kn.filter(
        ~kn.key.startswith("or:") & ((kn.names >= KEY_MAX_PEOPLE) | (kn.ors >= KEY_MAX_PEOPLE))
    )
    bad = bad.select(bkey=bad.key)
    mk = flat(mk.anti_join(bad, mk.key == bad.bkey))
    # a key joins only mentions whose names agree with it (:func:`name_conflicts`)
    conflicts = mat("people_key_conflicts", name_conflicts(m, mk))
    cf = conflicts.select(cmid=conflicts.mid, ckey=conflicts.key)
    mk = mk.anti_join(cf, [mk.mid == cf.cmid, mk.key == cf.ckey])
    mk = mat("people_mention_keys", flat(mk))
    # mention-key graph as edges from each key's smallest mention to its other mentions
    first = mk.group_by(fkey=mk.key).agg(root=mk.mid.min())
    e = flat(mk.join(first, mk.key == first.fkey).select(a=first.root, b=mk.mid))
    comps = components(e.filter(e.a != e.b), mat, "people_kcc", local)
    nodes = mk.select(nmid=mk.mid).distinct()
    lab = flat(
        nodes.left_join(comps, nodes.nmid == comps.mid).select(
            mid=nodes.nmid, klabel=comps.label.fill_null(nodes.nmid)
        )
    )
    lab = mat("people_key_labels", lab)
    # person id: the smallest key of the strongest kind present in the component
    rank = ibis.cases(*[(mk.key.startswith(p), i) for i, (_k, _c, p) in enumerate(KEYS)], else_=99)
    kl = flat(mk.join(lab, mk.mid == lab.mid).select(lab.klabel, mk.key, rank=rank))
    best = kl.group_by(bl=kl.klabel).agg(r=kl.rank.min())
    pick = flat(kl.join(best, [kl.klabel == best.bl, kl.rank == best.r]).select(kl.klabel, kl.key))
    kid = pick.group_by(il=pick.klabel).agg(kid=pick.key.min())
    keyed = flat(lab.join(kid, lab.klabel == kid.il).select(lab.mid, lab.klabel, kid.kid))
    return keyed, conflicts


def _tokens(t: Table, col: str, keep: list[str]) -> Table:
    """One row per word of two or more letters in a normalised name column: ``tok``."""
    x = t.select(*keep, tok=t[col].split(" ").unnest())
    return x.filter(x.tok.length() >= 2)


def openreview_id_name(col: Any) -> Any:
    """The normalised name an OpenReview id spells (``~Jane_Q._Doe2`` -> ``jane q doe``;
    accents are kept, which only makes an accented id agree less often)."""
    s = col.lower().re_replace(r"^~", "").re_replace(r"[0-9]+$", "")
    return s.re_replace(r"[_.\-]+", " ").re_replace(r"[^a-z0-9 ]", "").re_replace(r" +", " ")


def name_conflicts(m: Table, mk: Table) -> Table:
    """``mid, key, name``: mention keys whose mention's name shares no word (of two or
    more letters) with the key's reference names: the key's most frequent mention name,
    and for an OpenReview id also the name the id spells. Such a key was attached to
    the wrong author (a misaligned record, a shared placeholder) and does not join the
    mention to the key's person; the mention is linked like a keyless one. Mentions
    without a name of two or more letters are never in conflict."""
    info = m.select(imid=m.mid, iname=m.name)
    kn = flat(mk.join(info, mk.mid == info.imid).select(mk.mid, mk.key, name=info.iname))
    counts = kn.filter(kn.name != "").group_by(["key", "name"]).agg(n=_.count())
    w = ibis.window(group_by="key", order_by=[ibis.desc("n"), ibis.asc("name")])
    modal = counts.mutate(rk=ibis.row_number().over(w))
    modal = modal.filter(modal.rk == 0).select(rkey=modal.key, rname=modal.name)
    ids = kn.filter(kn.key.startswith("or:")).select("key").distinct()
    ids = ids.select(rkey=ids.key, rname=openreview_id_name(ids.key.substr(3)))
    ref = _tokens(union_all([modal, ids]), "rname", ["rkey"]).distinct()
    mine = _tokens(kn, "name", ["mid", "key"])
    agree = flat(
        mine.join(ref, [mine.key == ref.rkey, mine.tok == ref.tok]).select(mine.mid, mine.key)
    ).distinct()
    worded = mine.select("mid", "key").distinct()
    out = worded.anti_join(agree, [worded.mid == agree.mid, worded.key == agree.key])
    out = flat(out)
    return flat(out.join(info, out.mid == info.imid).select(out.mid, out.key, name=info.iname))
