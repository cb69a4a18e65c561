"""Stated positions: what an author says they are (OpenReview's ``position``: "PhD
student", "Assistant Professor", "Research Scientist", "Researcher+PhD Student" ...) as
one of a few kinds of role.

A stated position is several when joined by ``+`` (one per affiliation, the first
first); each part is read by the first rule whose words it contains, in the order of
:data:`RULES`: students by level first, a doctorate before a master's (so "Combined
M.S./Ph.D. candidate" and "PhD student researcher" are doctoral, and "Post doctoral
researcher" is not), then postdocs, interns, faculty, leadership, engineers,
researchers. A part no rule reads is ``other``; an empty one is no role.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: the kinds of role, in the order the rules are tried
KINDS = (
    "undergraduate",
    "doctoral",
    "masters",
    "student",
    "postdoc",
    "intern",
    "faculty",
    "leadership",
    "engineer",
    "researcher",
    "other",
)
#: kinds that are studies (a person in one is not yet in a first job)
STUDENT_KINDS = frozenset({"undergraduate", "masters", "doctoral", "student"})

#: (kind, pattern): the first rule whose pattern a part matches gives its kind
RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("undergraduate", r"\bundergrad|\bbachelor|\bb\.?sc?\b|\bb\.?tech\b|\bb\.?eng\b"),
        (
            "doctoral",
            r"\bph\.? ?d\b|\bdphil\b|(?<!post )(?<!post-)\bdoctoral (student|candidate|researcher)"
            r"|\bdoctorand|\bgrad(uate)? (student|research)|(?<!post )(?<!post-)\bdoctoral\b(?! fellow)",
        ),
        ("masters", r"\bms\b|\bm\.s\.|\bmaster|\bmsc\b|\bm\.?sc\b|\bmphil\b|\bm\.?tech\b|\bmeng\b"),
        ("student", r"\bstudent\b"),
        ("postdoc", r"\bpost-? ?doc|\bpostdoctoral|\bresearch fellow\b|\bdoctoral fellow"),
        ("intern", r"\bintern\b|\binternship\b|\bresident\b|\bapprentice"),
        (
            "faculty",
            r"\bprofessor\b|\bprof\b|\blecturer\b|\binstructor\b|\bfaculty\b|\bemerit"
            r"|\breader\b|\bdocent\b|\btenure|\badjunct\b",
        ),
        (
            "leadership",
            r"\bdirector\b|\bceo\b|\bcto\b|\bcoo\b|\b(co-?)?founder\b|\bpresident\b"
            r"|\bvp\b|\bhead\b|\bchief\b|\bmanager\b|\bpartner\b|\bchair\b|\bdean\b",
        ),
        (
            "engineer",
            r"\bengineer|\bdeveloper\b|\bprogrammer\b|\barchitect\b|\bmember of technical staff",
        ),
        (
            "researcher",
            r"\bresearch|\bscientist\b|\bscholar\b|\bfellow\b|\binvestigator\b|\bassociate\b"
            r"|\bgroup leader\b|\bteam lead|\blead\b|\bstaff\b|\banalyst\b|\baffiliate\b",
        ),
    )
)


@lru_cache(maxsize=20_000)
def role_kind(part: str | None) -> str | None:
    """The kind of one stated position (``"Assistant Professor"`` -> ``faculty``), or
    None when it is empty."""
    text = " ".join((part or "").lower().replace("_", " ").split())
    if not text:
        return None
    return next((kind for kind, rule in RULES if rule.search(text)), "other")


def role_kinds(stated: str | None) -> tuple[str, ...]:
    """The kinds of a stated position joined by ``+``, in order, empty parts left out
    (``"Researcher+PhD Student"`` -> ``("researcher", "doctoral")``)."""
    kinds = (role_kind(p) for p in (stated or "").split("+"))
    return tuple(k for k in kinds if k is not None)


def is_doctoral(stated: str | None) -> bool:
    """Whether any part of a stated position says a doctoral student."""
    return "doctoral" in role_kinds(stated)
