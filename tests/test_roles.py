"""Stated positions read as kinds of role (a doctoral student, faculty, ...)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from talentatlas.resolve.roles import (
    KINDS,
    STUDENT_KINDS,
    is_doctoral,
    main_part,
    placing_part,
    role_kind,
    role_kinds,
)


@pytest.mark.parametrize(
    ("stated", "kind"),
    [
        ("PhD student", "doctoral"),
        ("Ph.D. Candidate", "doctoral"),
        ("Graduate Research Assistant", "doctoral"),
        ("Combined M.S./Ph.D candidate", "doctoral"),  # the doctorate wins
        ("MS student", "masters"),
        ("MPhil", "masters"),
        ("Undergrad student", "undergraduate"),
        ("Student Researcher", "student"),  # a student, level unsaid
        ("Postdoc", "postdoc"),
        ("Research Fellow", "postdoc"),
        ("Post doctoral researcher", "postdoc"),  # not a doctoral researcher
        ("Post-doctoral fellow", "postdoc"),
        ("Doctoral researcher", "doctoral"),
        ("Research Intern", "intern"),
        ("AI Resident", "intern"),
        ("Assistant Professor", "faculty"),
        ("Research Assistant Professor", "faculty"),
        ("Lecturer", "faculty"),
        ("Chief Scientist", "leadership"),
        ("Co-Founder", "leadership"),
        ("Research Engineer", "engineer"),
        ("Member of Technical Staff", "engineer"),
        ("Principal Researcher", "researcher"),
        ("Applied Scientist", "researcher"),
        ("Consultant", "other"),
        ("  ", None),
    ],
)
def test_role_kind(stated: str, kind: str | None) -> None:
    assert role_kind(stated) == kind


def test_joined_positions_keep_their_order_and_say_doctoral_when_any_part_does() -> None:
    assert role_kinds("Researcher+PhD Student") == ("researcher", "doctoral")
    assert role_kinds("Postdoc++") == ("postdoc",)
    assert is_doctoral("Intern+PhD student") and not is_doctoral("MS student+Intern")
    assert role_kinds(None) == ()
    assert set(KINDS) > STUDENT_KINDS


@pytest.mark.parametrize(
    ("stated", "placing", "main"),
    [
        # a profile's history: the later step of the ladder is where the author is now
        ("PhD student+Assistant Professor", 1, 1),
        ("Undergrad student+MS student+PhD student+Postdoc+Assistant Professor", 4, 4),
        ("Undergrad student+PhD student", 1, 1),
        ("Visiting Student+PhD student+Intern", 1, 1),
        # appointments side by side keep the author's order for the place
        ("PhD student+Researcher", 0, 1),
        ("Intern+PhD student", 0, 1),
        ("Research Team Lead+Associate Professor", 0, 1),
        ("Postdoc+PhD student", 0, 0),
        ("MS student+Researcher", 0, 1),
        # not later steps: a second appointment, a lecturer studying on leave
        ("Undergrad student+Visiting Student", 0, 0),
        ("PhD student+Lecturer", 0, 1),
        ("Visiting Professor+Researcher", 0, 1),
        ("Honorary Professor+Full Professor", 0, 1),
        ("Full Professor+Full Professor+Researcher", 0, 0),
        ("PhD student", 0, 0),
        ("", 0, None),
        ("Consultant+PhD student", 0, 1),
    ],
)
def test_placing_and_main_parts_of_a_joined_position(
    stated: str, placing: int, main: int | None
) -> None:
    assert placing_part(stated) == placing
    assert main_part(stated) == main


@pytest.mark.realdata
def test_almost_every_stated_position_in_the_corpus_is_read(shared_data: Path) -> None:
    """Of the stated positions in the OpenReview author records, at least 99.5% (by
    authorship) are read as a kind of role (0.4% are "other": consultants, employers'
    names, misspellings), and PhD students are the largest student group."""
    parts: Counter = Counter()
    for path in sorted((shared_data / "openreview" / "authors").glob("*/*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                pos = json.loads(line).get("position") or ""
                for author in pos.split(";"):
                    for kind in role_kinds(author):
                        parts[kind] += 1
    total = sum(parts.values())
    assert total > 50_000, total
    assert parts["other"] / total < 0.005, parts
    assert parts["doctoral"] > parts["masters"] > parts["undergraduate"] > 0
