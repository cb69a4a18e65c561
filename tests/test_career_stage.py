"""The build's one-pass careers stage writes exactly what the per-dimension definitions
of ``careers.py`` give: on random worlds full of ties, several cells a year and gaps,
and (in test_realdata) on the real corpus."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from talentatlas import career_stage, careers
from talentatlas.indicators.stock import stock
from talentatlas.store import DuckDBEngine


def _rows(t: Any) -> Counter:
    return Counter(tuple(r.values()) for r in t.to_pyarrow().to_pylist())


def reference(cells: Any) -> dict[str, Counter]:
    """The careers tables as ``careers.py`` defines them, one dimension at a time."""
    out: dict[str, Counter] = {}
    obs: dict[str, Any] = {}
    mv, st_ = [], []
    for d in careers.DIMENSIONS:
        obs[d] = careers.observed(cells, d, obs.__getitem__).cache()
        out[f"observed_{d}"] = _rows(obs[d])
        pad = careers.padded(obs[d])
        out[f"padded_{d}"] = _rows(pad)
        mv.append(careers.moves(obs[d]).mutate(dimension=ibis.literal(d)))
        st_.append(stock(pad).mutate(dimension=ibis.literal(d)))
    out["moves"] = sum((_rows(m) for m in mv), Counter())
    out["stock"] = sum((_rows(s) for s in st_), Counter())
    return out


def staged(engine: DuckDBEngine, cells: Any) -> dict[str, Counter]:
    """The same tables from :func:`career_stage.run`."""
    career_stage.run(cells, engine)
    names = ["moves", "stock", "person_years"]
    names += [f"{k}_{d}" for d in careers.DIMENSIONS for k in ("observed", "padded")]
    out = {n: _rows(engine.table(n)) for n in names}
    out["person_years"] = _rows(engine.table("person_years").select("person_id", "year"))
    return out


def assert_same(engine: DuckDBEngine, rows: list[tuple]) -> Any:
    """Runs both on the authorships ``rows``; returns the cells."""
    cells = _cells(engine, rows)
    ref = reference(cells)
    got = staged(engine, engine.scratch("career_cells", cells))
    for name, want_rows in ref.items():
        assert got[name] == want_rows, name
    # one row per person-year: every active year and every year of a population
    active = set(_rows(cells.select("person_id", "year").distinct()))
    padded = {k[:2] for d in careers.DIMENSIONS for k in ref[f"padded_{d}"]}
    want = Counter({py: 1 for py in active | padded})
    assert got["person_years"] == want
    return cells


value = {
    "country": st.sampled_from(["US", "KR", None]),
    "institution": st.sampled_from(["i1", "i2", "i3", None]),
    "sector": st.sampled_from(["education", "company", None]),
    "hq_country": st.sampled_from(["US", "KR", None]),
}
authorships = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(2000, 2009),
        *value.values(),
    ),
    min_size=1,
    max_size=50,
)


def _cells(engine: DuckDBEngine, rows: list[tuple]) -> Any:
    cols = list(zip(*rows, strict=True))
    facts = pa.table(
        {
            "person_id": pa.array(cols[0], pa.string()),
            "year": pa.array(cols[1], pa.int32()),
            **{
                d: pa.array(c, pa.string())
                for d, c in zip(careers.DIMENSIONS, cols[2:], strict=True)
            },
        }
    )
    return careers.cells(engine.from_arrow("facts", facts))


@given(authorships)
@settings(max_examples=60, deadline=None)
def test_one_pass_careers_equal_the_definitions(rows: list[tuple]) -> None:
    assert_same(DuckDBEngine(Path(":memory:")), rows)


def test_ties_broken_by_the_nearest_year_in_a_person_with_one_cell_years() -> None:
    """A person with single-cell years and one tied year: the tie looks at the others."""
    rows = [
        ("a", 2001, "US", "i1", "education", "US"),
        ("a", 2003, "KR", "i2", "company", "KR"),
        ("a", 2003, "US", "i1", "education", "US"),
        ("a", 2006, "KR", "i2", "company", "KR"),
        ("b", 2002, "US", None, None, None),
        ("b", 2004, None, None, None, None),
        ("b", 2005, "KR", "i3", None, "KR"),
    ]
    cells = assert_same(DuckDBEngine(Path(":memory:")), rows)
    obs = careers.observed(cells, "country", lambda d: None)
    got = {(r["person_id"], r["year"]): r["value"] for r in obs.to_pyarrow().to_pylist()}
    assert got[("a", 2003)] == "US"  # a tie: US seen two years before, KR three after
