"""Mention preparation: integer ids and clean fields."""

from __future__ import annotations

from typing import Any

import ibis
from ibis.expr.types import Table

from talentatlas.resolve.countries import WEBMAIL
from talentatlas.resolve.people.params import KEYS
from talentatlas.tables import blank_null, trim

_SECOND_LEVEL = "edu|ac|co|com|org|gov|net|or"


def organisation_domain(col: Any) -> Any:
    """The registered domain of an e-mail domain (``cs.stanford.edu`` -> ``stanford.edu``,
    ``mails.tsinghua.edu.cn`` -> ``tsinghua.edu.cn``, as resolve.countries does); null for
    free-mail providers."""
    d = blank_null(col).lower()
    three = d.re_extract(rf"([^.]+\.({_SECOND_LEVEL})\.[^.]+)$", 1)
    two = d.re_extract(r"([^.]+\.[^.]+)$", 1)
    reg = (three != "").ifelse(three, (two != "").ifelse(two, d))
    return reg.isin(sorted(WEBMAIL)).ifelse(ibis.null("string"), reg)


def prepare(mentions: Table) -> Table:
    """Mentions with an integer id ``mid`` (rank by work and position) and clean fields."""
    t = mentions
    # (work_id, position) identifies a mention; the other columns only make the order
    # total should the input repeat one
    w = ibis.window(
        order_by=[
            t.work_id,
            t.position,
            t.name_norm,
            *[t[c] for _k, c, _p in KEYS],
            t.domain,
            t.institution,
        ]
    )
    return t.select(
        mid=ibis.row_number().over(w).cast("int64"),
        wk=ibis.dense_rank().over(ibis.window(order_by=t.work_id)).cast("int64"),
        work_id=t.work_id,
        position=t.position.cast("int32"),
        name=trim(t.name_norm.fill_null("")),
        year=t.year.cast("int32"),
        venue=t.venue.fill_null(""),
        domain=organisation_domain(t.domain),
        inst=blank_null(t.institution),
        **{col: blank_null(t[col]) for _kind, col, _pre in KEYS},
        openreview_alias=(
            blank_null(t.openreview_alias)
            if "openreview_alias" in t.columns
            else ibis.null("string")
        ),
    )
