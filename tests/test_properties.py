"""Property tests: field splitting, tolerant readers, and the identities of flows."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import ibis
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from talentatlas.indicators import countries
from talentatlas.indicators.frame import Frame
from talentatlas.sources.fields import slots, split_authors, undouble
from talentatlas.sources.reading import iter_json_array, read_text

name = (
    st.text(
        alphabet=st.characters(blacklist_characters=";,\n\r", blacklist_categories=["Cs", "Cc"]),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@given(st.lists(name, min_size=1, max_size=8))
def test_split_round_trips_both_separators(names: list[str]) -> None:
    assert split_authors(";".join(names)) == names
    assert split_authors(", ".join(names)) == names


@given(st.lists(name, min_size=1, max_size=8))
def test_doubled_lists_are_halved_and_slots_align(names: list[str]) -> None:
    assert undouble(names + names) == names
    assert slots(";".join(names + names), len(names)) == names
    assert slots(";".join(names), len(names) + 1) is None


@given(
    st.lists(
        st.dictionaries(st.sampled_from(["id", "title", "author"]), st.text(max_size=5)), max_size=6
    ),
    st.integers(0, 200),
)
@example(records=[{"id": "a", "title": "b"}, {"author": "c"}], cut=0)
@example(records=[{"id": "a", "title": "b"}, {"author": "c"}], cut=12)
@settings(max_examples=60)
def test_any_truncation_of_a_gzip_array_reads_a_prefix(records: list[dict], cut: int) -> None:
    raw = gzip.compress(json.dumps(records).encode())
    p = Path(f"/tmp/talentatlas-prop-{id(records)}.json.gz")
    p.write_bytes(raw[: max(0, len(raw) - cut)])
    try:
        text, _problems = read_text(p)
    finally:
        p.unlink()
    got = [obj for _, obj, _ in iter_json_array(text) if isinstance(obj, dict)]
    assert got == records[: len(got)]
    # every record whose text lies wholly inside what can still be decompressed is read
    d = zlib.decompressobj(wbits=31)
    readable = len(d.decompress(raw[: max(0, len(raw) - cut)]).decode("utf-8", "ignore"))
    ends, pos = [], 1
    for r in records:
        pos += len(json.dumps(r))
        ends.append(pos)
        pos += 2  # ", "
    assert len(got) >= sum(1 for e in ends if e <= readable)
    if cut == 0:
        assert got == records  # an intact file gives back every record


careers_st = st.lists(
    st.tuples(
        st.sampled_from("abcdef"),
        st.integers(2000, 2010),
        st.sampled_from(["US", "KR", "CN", None]),
    ),
    min_size=1,
    max_size=60,
)


@given(careers_st)
@settings(max_examples=40, deadline=None)
def test_flow_identities(rows: list[tuple[str, int, str | None]]) -> None:
    con = ibis.duckdb.connect()
    n = len(rows)
    facts = con.create_table(
        "scoped_facts",
        pa.table(
            {
                "person_id": [r[0] for r in rows],
                "year": [r[1] for r in rows],
                "country": pa.array([r[2] for r in rows], pa.string()),
                "institution": pa.array([None] * n, pa.string()),
                "sector": pa.array([None] * n, pa.string()),
                "key_kind": ["openreview"] * n,
            }
        ),
    )
    frame = Frame({"scoped_facts": facts}.__getitem__, derive=True)
    pad, mv = frame.padded("country"), frame.moves("country")
    m = countries.migration(frame, reps=20).to_pylist()
    n_moves = mv.count().to_pyarrow().as_py()
    assert sum(r["inflow"] for r in m) == sum(r["outflow"] for r in m) == n_moves
    assert sum(r["net"] for r in m) == 0
    assert sum(r["moves"] for r in countries.flows(frame).to_pylist()) == n_moves
    for r in m:  # rates and intervals are consistent with the counts
        if r["stock"]:
            assert r["net_rate_lo"] - 1e-6 <= r["net_rate"] <= r["net_rate_hi"] + 1e-6
    # every person is placed exactly once per year of their span
    p = pad.to_pyarrow().to_pylist()
    assert len({(r["person_id"], r["year"]) for r in p}) == len(p)
    for r in m:
        assert r["inflow"] <= r["stock"]  # an in-move places the person there that year


# -- fast paths against the general code they stand in for ------------------------------


url_part = st.text(alphabet="abcXYZ019.-_:/@?#[] \t%", max_size=12)


@given(
    st.sampled_from(["", "http://", "https://", "HTTP://", "//", "ftp:", "mailto:", " http://"]),
    url_part,
    st.sampled_from(["", "/", "/path", "?q=1", "#x", ":8080/", " "]),
)
@example(scheme="http://", host="[::1]", rest="/")
@example(scheme="https://", host="www.Cs.Ox.ac.uk", rest="/x")
@example(scheme="", host="a.b//c", rest="")
@settings(max_examples=400)
def test_url_hosts_are_read_as_urlparse_reads_them(scheme: str, host: str, rest: str) -> None:
    from talentatlas.resolve.registry import parsed_host, url_host

    url = scheme + host + rest
    assert url_host(url) == parsed_host(url if "//" in url else "//" + url)


def _name_folded_always(name: str) -> str:
    """normalise_name without its ASCII shortcut: every name through NFKD."""
    import re
    import unicodedata

    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.replace("ß", "ss").replace("ø", "o").replace("Ø", "o").replace("ł", "l").replace("Ł", "l")
    s = s.lower().replace("-", " ").replace(".", " ").replace("_", " ")
    s = re.sub(r"[^0-9a-z ]+", "", s)
    s = re.sub(r"\s+", " ", s).strip()
    return re.sub(r"\s+\d{4}(\s+\d{4})*$", "", s)


@given(st.text(max_size=24) | st.text(alphabet="abcAZ -._'01239", max_size=24))
@example(name="Björn  Ommer")
@example(name="ﬁnn Ｊｏｈｎ 1234")
@example(name="Zheng-Jun Zha 0001")
def test_names_fold_alike_with_or_without_the_ascii_shortcut(name: str) -> None:
    from talentatlas.resolve.names import normalise_name

    assert normalise_name(name) == _name_folded_always(name)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=12,
    )
)
@example(doc={"a": float("nan")})
@example(doc="\ud800")
def test_json_documents_decode_as_the_standard_library_decodes_them(doc: object) -> None:
    from talentatlas.sources.reading import loads

    text = json.dumps(doc)
    assert json.dumps(loads(text)) == json.dumps(json.loads(text))


def test_malformed_json_is_worded_by_the_standard_library() -> None:
    from talentatlas.sources.reading import iter_json_lines

    [(_, error, raw)] = iter_json_lines('{"a": 1,}')
    assert isinstance(error, ValueError)
    assert (
        str(error) == "line 1: malformed JSON (Expecting property name enclosed in double quotes)"
    )
    assert raw == '{"a": 1,}'
