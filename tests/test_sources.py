"""Source adapters on small records made here: profile alignment, author fields, tiers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talentatlas.sources.fields import undouble
from talentatlas.sources.openreview import OpenReviewAuthors, align_profiles
from talentatlas.sources.paperlists import Paperlists
from talentatlas.sources.tiers import ACCEPTED_TIERS, STATUS_TIERS, TIERS, tier_of


def _openreview(tmp_path: Path, records: list[dict]) -> dict:
    p = tmp_path / "openreview" / "authors" / "corl" / "corl2022.jsonl"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("".join(json.dumps(r) + "\n" for r in records))
    return OpenReviewAuthors().parse(p, "x").tables()


def _paperlist(tmp_path: Path, records: list[dict], name: str = "icml2024.json") -> tuple:
    p = tmp_path / "paperlists" / name.rstrip("0123456789.json") / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(records))
    result = Paperlists().parse(p, name)
    return result.tables(), result.problems


# A record laid out as the real ones whose profile fields follow the profiles, not the
# authors: the second author's profile id differs from the id on the paper (an alias),
# and the profile slots are in another order.
PERMUTED = {
    "id": "p1",
    "author": "Ada Byron;Carl Dunn;Eve Fox",
    "authorids": "~Ada_Byron1;~Carl_Dunn1;~Eve_Fox1",
    "or_profile": "~Ada_Byron1;~Eve_Fox1;~Carl_Dunn_Jr1",
    "aff": "Univ A;Univ E;Company C",
    "aff_domain": "a.edu;e.edu;c.com",
    "position": "Professor;PhD student;Researcher",
    "dblp": ";;",
    "google_scholar": ";;",
    "orcid": ";;",
}


def test_profile_fields_follow_their_own_author(tmp_path: Path) -> None:
    assert align_profiles(
        PERMUTED["author"].split(";"), PERMUTED["authorids"].split(";"),
        PERMUTED["or_profile"].split(";"),
    ) == [0, 2, 1]  # fmt: skip
    t = _openreview(tmp_path, [PERMUTED])
    a = {r["name"]: r for r in t["authorships"].to_pylist()}
    assert a["Carl Dunn"]["openreview_id"] == "~Carl_Dunn_Jr1"
    assert a["Carl Dunn"]["openreview_alias"] == "~Carl_Dunn1"  # one person, two ids
    assert a["Carl Dunn"]["role"] == "Researcher" and a["Eve Fox"]["role"] == "PhD student"
    assert a["Eve Fox"]["openreview_alias"] is None
    aff = {r["position"]: (r["raw"], r["domain"]) for r in t["affiliations"].to_pylist()}
    assert aff == {0: ("Univ A", "a.edu"), 1: ("Company C", "c.com"), 2: ("Univ E", "e.edu")}


def test_aligned_records_are_left_as_they_are(tmp_path: Path) -> None:
    rec = dict(
        PERMUTED, or_profile="~Ada_Byron1;;~Eve_Fox1", aff="Univ A;;Univ E",
        aff_domain="a.edu;;e.edu", position="Professor;;PhD student",
    )  # fmt: skip
    t = _openreview(tmp_path, [rec])
    a = {r["name"]: r for r in t["authorships"].to_pylist()}
    assert (
        a["Carl Dunn"]["openreview_id"] == "~Carl_Dunn1" and a["Eve Fox"]["role"] == "PhD student"
    )


def test_doubled_lists_are_undoubled_and_namesakes_are_not() -> None:
    assert undouble(["A", "B", "A", "B"]) == ["A", "B"]
    assert undouble(["A", "A"], "~A1;~A2") == ["A", "A"]  # two authors called A
    assert undouble(["A", "A"], "~A1;~A1") == ["A"]
    assert undouble(["A", "B", "A", "B"], "", "X;Y;X;Y") == ["A", "B"]


def test_lists_from_openreview_name_their_authors_authors(tmp_path: Path) -> None:
    recs = [
        {"id": "a", "title": "T1", "status": "Highlighted", "authors": "Ann Lee, Bo Chan"},
        {"id": "b", "title": "T2", "status": "Top-25%", "authors": "Cy Dee"},
        {"id": "c", "title": "T3", "status": "Reject", "authors": ""},
    ]
    t, problems = _paperlist(tmp_path, recs, "nips2022.json")
    assert t["authorships"].num_rows == 3 and not problems
    tiers = {w["paper_id"]: (w["tier"], w["accepted"]) for w in t["works"].to_pylist()}
    assert tiers == {"a": ("oral", True), "b": ("spotlight", True), "c": ("rejected", False)}


def test_an_unknown_status_is_reported_and_counted_as_accepted(tmp_path: Path) -> None:
    recs = [
        {"id": "a", "title": "T1", "status": "Technic{{{{ not json ]]al", "author": "A B"},
        {"id": "b", "title": "T2", "status": "Poster", "author": "C D"},
    ]
    t, problems = _paperlist(tmp_path, recs)
    assert problems == [
        "unknown status 'Technic{{{{ not json ]]al' on 1 record(s): counted as accepted"
    ]
    w = {w["paper_id"]: w for w in t["works"].to_pylist()}
    assert w["a"]["tier"] == "accepted" and w["a"]["accepted"]


@pytest.mark.parametrize("status", sorted(STATUS_TIERS))
def test_every_listed_status_has_a_known_tier(status: str) -> None:
    tier, known = tier_of(status.upper())
    assert known and tier in TIERS
    assert (tier in ACCEPTED_TIERS) == (
        tier not in ("workshop", "rejected", "withdrawn", "pending")
    )


def test_several_current_positions_are_several_affiliations(tmp_path: Path) -> None:
    rec = {
        "id": "p2", "author": "Ada Byron;Carl Dunn", "authorids": "~Ada_Byron1;carl@x.org",
        "or_profile": "~Ada_Byron1;", "aff": "University of Oxford+Google+Google;",
        "aff_domain": "ox.ac.uk+google.com+google.com;", "position": "Professor;",
    }  # fmt: skip
    t = _openreview(tmp_path, [rec])
    aff = [
        (r["position"], r["aff_pos"], r["raw"], r["domain"]) for r in t["affiliations"].to_pylist()
    ]
    assert aff == [
        (0, 0, "University of Oxford", "ox.ac.uk"), (0, 1, "Google", "google.com"),
        (1, 0, None, "x.org"),
    ]  # fmt: skip


def test_a_paper_listed_twice_lands_once(tmp_path: Path) -> None:
    rec = {"id": "a", "title": "T", "status": "Poster", "author": "Ann Lee; Bo Chan"}
    t, problems = _paperlist(tmp_path, [rec, rec, {**rec, "id": "b"}])
    assert t["works"].num_rows == 2 and t["authorships"].num_rows == 4
    assert problems == ["1 paper(s) listed more than once (1 repeats): the first kept"]


def test_citations_and_dois_are_read_and_bad_counts_cost_nothing(tmp_path: Path) -> None:
    """Google Scholar counts become ``citations`` (-1, the lists' "unknown", is empty);
    a DOI is kept in its plain lower-case form; an unreadable count leaves the work in
    place with an empty count and a note."""
    recs = [
        {"id": "a", "title": "T1", "status": "Poster", "author": "A B", "gs_citation": 12,
         "doi": "https://doi.org/10.5555/ABC.123"},
        {"id": "b", "title": "T2", "status": "Poster", "author": "C D", "gs_citation": -1},
        {"id": "c", "title": "T3", "status": "Poster", "author": "E F", "gs_citation": "many"},
        {"id": "d", "title": "T4", "status": "Poster", "author": "G H", "gs_citation": "1,204"},
    ]  # fmt: skip
    t, problems = _paperlist(tmp_path, recs)
    w = {w["paper_id"]: w for w in t["works"].to_pylist()}
    assert {k: v["citations"] for k, v in w.items()} == {"a": 12, "b": None, "c": None, "d": 1204}
    assert w["a"]["doi"] == "10.5555/abc.123" and w["b"]["doi"] is None
    assert problems == ["record 2: field 'gs_citation' should be a count, got 'many'; left empty"]
