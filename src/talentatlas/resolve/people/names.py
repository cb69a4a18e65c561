"""Name commonness: how many people are expected to bear a name, and name cells."""

from __future__ import annotations

from typing import Any

import ibis
from ibis import _
from ibis.expr.types import Table

from talentatlas.resolve.people.params import BIN_HI, BIN_LO, CELL_BUCKETS
from talentatlas.tables import flat


def name_parts(t: Table, col: str = "name") -> dict[str, Any]:
    """First token, middle part ('' when none) and last token of a normalised name."""
    n = t[col]
    return {
        "first": n.re_extract(r"^(\S+)", 1),
        "middle": n.re_extract(r"^\S+ (.+) \S+$", 1),
        "last": n.contains(" ").ifelse(n.re_extract(r"(\S+)$", 1), ""),
    }


def name_bins(m: Table) -> Table:
    """``name, nk, nv, bin, cell``: a code, the mentions and how common each name is.

    ``cell`` (the match-rate model's input): log2 buckets of the number of distinct
    names sharing the first token and sharing the last token, and whether there is a
    middle part. ``bin`` (which names are rare enough to estimate m): floor(log2(expected
    people bearing the name)), clipped. The expected number of people named *first
    middle last* is ``D p(first) p(middle) p(last)``: ``D`` distinct names, ``p`` the
    share of distinct names with that first token, middle part ('' when none) and last
    token (independent name parts, counted over distinct names so that prolific authors
    do not make their own name look common). The product of integer counts is compared
    with ``D**2`` times powers of two exactly in floating point, so the bin is the same
    on every engine.
    """
    names = m.filter(m.name != "").group_by("name").agg(nv=_.count())
    names = names.mutate(**name_parts(names))
    d = names.count().as_scalar().cast("float64")
    cf = names.group_by(kf=names["first"]).agg(nf=_.count())
    cm = names.group_by(km=names["middle"]).agg(nm=_.count())
    cl = names.group_by(kl=names["last"]).agg(nl=_.count())
    j = flat(
        names.join(cf, names["first"] == cf.kf).select(
            names.name, names.nv, names.middle, names["last"], cf.nf
        )
    )
    j = flat(j.join(cm, j.middle == cm.km).select(j.name, j.nv, j.middle, j["last"], j.nf, cm.nm))
    j = flat(j.join(cl, j["last"] == cl.kl).select(j.name, j.nv, j.middle, j.nf, j.nm, cl.nl))
    prod = j.nf.cast("float64") * j.nm.cast("float64") * j.nl.cast("float64")
    d2 = d * d
    b = ibis.literal(BIN_LO)
    for k in range(BIN_LO + 1, BIN_HI + 1):
        b = b + (prod >= d2 * (2.0**k)).cast("int32")
    return j.select(
        "name",
        nk=ibis.row_number().over(ibis.window(order_by=j.name)).cast("int64"),
        nv=j.nv.cast("int64"),
        bin=b.cast("int32"),
        cell=name_cell(j.nf, j.nl, j.middle != ""),
    )


def _bucket(n: Any) -> Any:
    """floor(log2(n)) for counts n >= 1, clipped to 0..CELL_BUCKETS-1 (integer compares)."""
    b = ibis.literal(0)
    for k in range(1, CELL_BUCKETS):
        b = b + (n >= 2**k).cast("int32")
    return b


def name_cell(nf: Any, nl: Any, has_middle: Any) -> Any:
    """Name cell: how many distinct names share the first token and the last token
    (log2 buckets) and whether there is a middle part, as ``100 f + 10 l + middle``."""
    return (_bucket(nf) * 100 + _bucket(nl) * 10 + has_middle.cast("int32")).cast("int32")


def order_free(name: Any) -> Any:
    """A name's words in alphabetical order (``li fei fei`` -> ``fei fei li``)."""
    return ibis.literal(" ").join(name.split(" ").sort())
