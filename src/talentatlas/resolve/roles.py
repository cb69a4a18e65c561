"""Stated positions: what an author says they are (OpenReview's ``position``: "PhD
student", "Assistant Professor", "Research Scientist", "Researcher+PhD Student" ...) as
one of a few kinds of role.

A stated position is several when joined by ``+`` (one per affiliation, the first
first); each part is read by the first rule whose words it contains, in the order of
:data:`RULES`: students by level first, a doctorate before a master's (so "Combined
M.S./Ph.D. candidate" and "PhD student researcher" are doctoral, and "Post doctoral
researcher" is not), then postdocs, interns, faculty, leadership, engineers,
researchers. A part no rule reads is ``other``; an empty one is no role.

A position of several parts is either several current appointments ("Research Team
Lead+Associate Professor", "PhD student+Intern") or a profile's history in no fixed
order ("PhD student+Assistant Professor" with Carnegie Mellon; Illinois). Two readings
follow from it:

- its **main part** (:func:`main_part`, the career stage in ``discovery.stages``): the
  most senior part: students and interns, then doctoral students, then engineers and
  researchers, then postdocs, then faculty and leaders; a visiting, guest, adjunct,
  honorary or courtesy part is below all of these (a second appointment); the first
  listed wins among equals;
- its **placing part** (:func:`placing_part`, which of the authorship's affiliations
  places it, in ``facts``): the first part, unless the first is a study and a later
  part is a later step of the same ladder (undergraduate, master's, doctorate, postdoc,
  faculty or leadership): nobody is a doctoral student and an assistant professor at
  once, so the later step is where the author is now. Not a later step: a researcher,
  engineer or intern part (doctoral students state internships and visits as
  "Researcher"), a second appointment (a visiting student), and a lecturer or
  instructor (lecturers study for a doctorate abroad on leave). Appointments held side
  by side keep the order the author gave them.
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


#: seniority of each kind of role (``other``: not ranked)
SENIORITY = {"undergraduate": 0, "masters": 0, "student": 0, "intern": 0, "doctoral": 1,
             "engineer": 2, "researcher": 2, "postdoc": 3, "faculty": 4, "leadership": 4}  # fmt: skip
#: a part with one of these words is a second appointment, below every other part
SECONDARY = re.compile(r"\b(visiting|guest|adjunct|honorary|courtesy)\b")


@lru_cache(maxsize=20_000)
def main_part(stated: str | None) -> int | None:
    """The index (among the ``+``-joined parts, empty ones counted) of a stated
    position's main part: its most senior ranked part, a secondary appointment below the
    rest, the first among equals; None when no part is ranked."""
    parts = (stated or "").split("+")
    best: tuple[int, int] | None = None
    for i, part in enumerate(parts):
        kind = role_kind(part)
        if kind not in SENIORITY:
            continue
        secondary = bool(SECONDARY.search(part.lower()))
        key = (-1 if secondary else SENIORITY[kind], -i)
        if best is None or key > best:
            best = key
    return None if best is None else -best[1]


#: faculty posts held while studying for a doctorate (on leave), so not a later step
NOT_A_STEP = re.compile(r"\b(lecturer|instructor|teaching)\b")
#: the ladder of studies and academic posts: a later step after a study is a later career
LADDER = {"undergraduate": 0, "masters": 1, "student": 1, "doctoral": 2, "postdoc": 3,
          "faculty": 4, "leadership": 4}  # fmt: skip


@lru_cache(maxsize=20_000)
def placing_part(stated: str | None) -> int:
    """The index (among the ``+``-joined parts) of the part whose affiliation places an
    authorship: 0, unless the first part is a study and a later part is a higher step
    of :data:`LADDER` (then the highest, the first among equals); second appointments
    and lecturers are not steps."""
    parts = (stated or "").split("+")
    kinds = [role_kind(p) for p in parts]
    if kinds[0] not in STUDENT_KINDS:
        return 0
    best, at = LADDER[kinds[0]], 0
    for i in range(1, len(parts)):
        kind, text = kinds[i], parts[i].lower()
        if kind not in LADDER or SECONDARY.search(text) or NOT_A_STEP.search(text):
            continue
        if LADDER[kind] > best:
            best, at = LADDER[kind], i
    return at


def main_kind(stated: str | None) -> str | None:
    """The kind of a stated position's main part (:func:`main_part`), or None."""
    i = main_part(stated)
    return None if i is None else role_kind((stated or "").split("+")[i])


def is_doctoral(stated: str | None) -> bool:
    """Whether any part of a stated position says a doctoral student."""
    return "doctoral" in role_kinds(stated)
