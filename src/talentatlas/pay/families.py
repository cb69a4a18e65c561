"""Role families and seniority from job titles and occupation codes (docs/methodology.md,
"Pay").

A title belongs to one **family**, by the kind of work it names: ``research-scientist``,
``applied-scientist``, ``ml-engineer``, ``data-scientist``, ``software-engineer``,
``research-engineer``, ``professor-postdoc`` or ``other``. The families are for AI,
computing and data work: a title that names another field's science or engineering
(chemists, medical scientists, civil engineers) is ``other``.

A title is read by the first rule of :data:`TITLE_RULES` whose pattern it contains, in
order: students first (not a paid role, except a company's "student researcher"), then
academic posts, research engineers, ML engineers, data scientists, applied scientists,
other fields' science and engineering, research scientists, software engineers, and
the explicitly non-AI roles (IT operations, business). A title no rule reads, or only
a vague one ("analyst", "consultant", "Computer Occupations, All Other"), takes the
family of its occupation code (:data:`SOC_FAMILIES`) when the record has one, else
``other``.

**Seniority**, where the title says it: ``intern``, ``director`` (head, VP, chief, a
manager of research or engineering, the leader of a group or lab), ``principal``
(distinguished, an industry fellow, partner), ``staff``, ``senior`` (senior, lead,
level III), ``junior`` (junior, entry level, level I, an industry associate); the first
of these that matches. Academic ranks (assistant, associate, full, distinguished
professor; senior lecturer; fellow) are not seniority: an academic title states only
an internship or an administrative post (dean, head, director).

The rules are checked against a hand-labelled set of real titles in the repository
(``tests/data/pay/role_titles.csv``; ``benchmarks/eval_families.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyarrow as pa

from talentatlas.vocabulary import QueryError

FAMILIES = (
    "research-scientist",
    "applied-scientist",
    "ml-engineer",
    "data-scientist",
    "software-engineer",
    "research-engineer",
    "professor-postdoc",
    "other",
)
SENIORITIES = ("intern", "junior", "senior", "staff", "principal", "director")

#: words that name machine learning or AI as a specialisation
_ML = (
    r"(machine[- ]learning|\bml\b|\bai\b|a\.i\.|artificial intelligence|deep[- ]learning"
    r"|computer vision|\bcv\b|\bnlp\b|natural language|speech|\bllm|perception"
    r"|reinforcement learning|autonomous driving|recommend\w*|\bmlops\b|\bdl\b|algorithms?)"
)
#: other fields' sciences and engineering (not AI, computing or data)
_OTHER_FIELDS = (
    r"(medical|bio|chemi|physic|geo|soil|food|animal|atmospheric|environmental|material"
    r"|agricultur|clinical|social|political|life|natural scien|epidemiolog|zoolog"
    r"|microbio|conservation|hydrolog|astronom|econom|psycholog|pharma|nuclear|civil"
    r"|mechanical|electrical|electronics|industrial|chemical|petroleum|aerospace|mining"
    r"|marine|sales|health|remote sensing|architectural|landscape|forest|mental|manufacturing"
    r"|process|quality control|hardware|network|validation|commissioning|field|plant"
    r"|structural|cost|nurse|clinic|dental|veterinar|sociolog|anthropolog|historian"
    r"|survey|market research|urban|water|energy|automotive|construction)"
)

#: (family or None, pattern): the first rule a title matches decides; None = vague (the
#: occupation code decides)
TITLE_RULES: tuple[tuple[str | None, re.Pattern[str]], ...] = tuple(
    (family, re.compile(pattern))
    for family, pattern in (
        # a company's student researcher or AI resident is a research intern
        ("research-scientist", r"^student researcher$|\bai resident\b|\bresidency\b"),
        (
            "other",
            r"\bstudent\b|\bph\.? ?d\b(?!\.? ?(holder|researcher|scientist))|\bdphil\b"
            r"|\bundergrad|\bbachelor|\bmaster'?s?\b|\bm\.?sc?\b|\bmphil\b|\bdoctoral candidate"
            r"|\bcandidate\b|\bdoctorand|\bdoktorand",
        ),
        # postsecondary teachers: of computing, engineering, mathematics or unnamed fields
        (
            "professor-postdoc",
            r"^(computer science|engineering|mathematical science)s? teachers, postsecondary"
            r"|^postsecondary teachers",
        ),
        ("other", r"\bpostsecondary\b"),
        # an industry fellow rank; other fellows are academic
        (
            "research-scientist",
            r"\b(distinguished|technical|tech|google|ibm|microsoft|amazon|intel|nvidia|corporate)"
            r" (research )?fellow\b",
        ),
        (
            "professor-postdoc",
            r"\bprofessor|\bprof\b|\blecturer\b|\breader\b|\binstructor\b|\bfaculty\b"
            r"|\bemerit|\bpost-? ?doc|\bpostdoctoral|\bdocent\b|\bhabilit|\bfellow\b"
            r"|\btenure[- ]track|\bresearch associate\b|\bdean\b",
        ),
        (
            "research-engineer",
            r"\bresearch (software |and development |& ?development )?(engineer|developer)"
            r"|\bresearch(er)? (and|&) develop|\bsoftware engineer.*\bresearch"
            r"|\btechnical staff\b|\bmts\b|\br ?& ?d engineer",
        ),
        (
            "ml-engineer",
            _ML
            + r".*\b(engineer|developer|programmer|architect)|\b(engineer|architect)\b.*"
            + _ML
            + r"|\balgorithm\w* (expert|export|specialist)|\bmlops\b",
        ),
        (
            "software-engineer",
            r"\bdatabase architect|\bdata warehous|\bdata engineer",
        ),
        (
            "other",
            r"\b(statistical|research|social science research) (assistant|aide|clerk|technician)",
        ),
        (
            "data-scientist",
            r"\bdata scien|\bdata (&|and) applied scien|statisti|\bdata analy|\bquantitative (analy|research)"
            r"|\bquant\b|\boperations research|\bbusiness intelligence|\bmathematic"
            r"|\bdata mining|\banalytics\b",
        ),
        ("applied-scientist", r"\bapplied (research )?scien|\bapplied research"),
        ("research-scientist", r"\bchief\b.*\bscientist"),
        ("applied-scientist", _ML + r" scientist"),
        ("other", r"\b" + _OTHER_FIELDS + r"\w*.*?(scien|engineer|technolog|analy|research)"),
        ("other", r"\bresearch assistant|\bresearch aide|\bresearch technician"),
        # the head of a laboratory or institute leads research
        (
            "research-scientist",
            r"\b(director|head|leader|chief)\b.*\b(lab|laboratory|institute)\b"
            r"|\b(lab|laboratory) (director|head|leader)\b|\bscientific director\b",
        ),
        (
            "research-scientist",
            r"\bresearc|\bscientist\b|\bscholar\b|\binvestigator\b|\bscience\b",
        ),
        (
            "software-engineer",
            r"\bsoftware|\bdeveloper|\bprogrammer|\bprogramming|\bsde\b|\bswe\b|\bcoder\b"
            r"|\bweb (developer|programmer|engineer)|\bfront-?end|\bback-?end|\bfull-?stack"
            r"|\bmobile|\bios\b|\bandroid\b|\btester|\btest engineer|\bquality assurance"
            r"|\bqa\b|\bdevops\b|\bcomputer systems engineer|\bsoftware architect"
            r"|^((senior|sr\.?|staff|principal|lead|junior|distinguished) )*"
            r"(engineer|eng|architect|dev)s?( (i|ii|iii|iv|[1-4]))?$"
            r"|^((senior|sr\.?) )?(eng|engineering) (director|manager|lead)"
            r"|^(director|head|vp|manager) of engineering|\btech(nical)? (team )?lead\b|^tlm$",
        ),
        # vague: the occupation code decides
        (None, r"^(analyst|consultant|other|lead|manager|designer|administrator|specialist)$"),
        (None, r"\ball other\b|\bcomputer occupations"),
    )
)

#: occupation code (SOC 2018 and 2010, without the O*NET suffix) -> family; codes under
#: a prefix of :data:`SOC_PREFIX_FAMILIES` take its family
SOC_FAMILIES = {
    "15-1221": "research-scientist",  # Computer and Information Research Scientists
    "15-1111": "research-scientist",  # (SOC 2010) same
    "15-2051": "data-scientist",  # Data Scientists
    "15-2041": "data-scientist",  # Statisticians
    "15-2031": "data-scientist",  # Operations Research Analysts
    "15-2021": "data-scientist",  # Mathematicians
    "15-2098": "data-scientist",  # Data Scientists and Mathematical Science Occ., All Other
    "15-1199.08": "data-scientist",  # (O*NET 2010) Business Intelligence Analysts
    "15-2199": "data-scientist",  # (SOC 2010) Mathematical Science Occupations, All Other
    "15-1251": "software-engineer",  # Computer Programmers
    "15-1252": "software-engineer",  # Software Developers
    "15-1253": "software-engineer",  # Software Quality Assurance Analysts and Testers
    "15-1254": "software-engineer",  # Web Developers
    "15-1131": "software-engineer",  # (SOC 2010) Computer Programmers
    "15-1132": "software-engineer",  # (SOC 2010) Software Developers, Applications
    "15-1133": "software-engineer",  # (SOC 2010) Software Developers, Systems Software
    "15-1134": "software-engineer",  # (SOC 2010) Web Developers
}
SOC_PREFIX_FAMILIES = {"25-1": "professor-postdoc", "19-4": "other"}
#: the main occupation of each family, for the wage distributions of OEWS
FAMILY_SOC = {
    "research-scientist": ("15-1221",),
    "applied-scientist": ("15-1221",),
    "research-engineer": ("15-1221",),
    "ml-engineer": ("15-1252",),
    "software-engineer": ("15-1252",),
    "data-scientist": ("15-2051",),
    "professor-postdoc": ("25-1021",),
}

SENIORITY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (level, re.compile(pattern))
    for level, pattern in (
        (
            "intern",
            r"\bintern\b|\binternship\b|\bresident\b|\bco-?op\b|\btrainee\b|^student researcher$",
        ),
        (
            "director",
            r"\bdirectors?\b|\bhead\b|\bvp\b|\b[sec]vp\b|\bvice[- ]president\b|\bchief\b"
            r"|\bpresident\b|\bceo\b|\bcto\b|\bcso\b|\bexecutive\b|\bdean\b"
            r"|\b(research\w*|engineering|science|scientific|development|r ?& ?d|ml|ai|technical"
            r"|general|senior)\b.*\bmanager\b|\b(group|lab|laboratory|unit|department) leader\b",
        ),
        (
            "principal",
            r"\bprincip(al|le)\b|\bpricipal\b|\bdistinguished\b"
            r"|\bpartner (research|engineer|scientist|applied|software|data)"
            r"|\b(technical|tech|google|ibm|microsoft|amazon|intel|nvidia|corporate) fellow\b",
        ),
        ("staff", r"(?<!technical )(?<!research )\bstaff (?!member)\w"),
        ("senior", r"\bsenior\b|\bsr\b|\blead\b|\bleader\b|\biii\b|\bsenior-|^tlm$"),
        (
            "junior",
            r"\bjunior\b|\bjr\b|\bentry[- ]level\b|\bnew grad|\b(engineer|scientist|developer|analyst) (i|1)$"
            r"|^associate (software|data|applied|ml|machine|ai)\b",
        ),
    )
)
#: the seniority an academic title can state (academic ranks are not seniority)
ACADEMIC_SENIORITY = ("intern", "director")


def _text(title: str | None) -> str:
    return " ".join((title or "").lower().replace("_", " ").split())


def soc_code(code: str | None) -> str | None:
    """``15-1221`` from ``15-1221``, ``15-1221.00`` or ``151221``; None for anything
    else."""
    m = re.match(r"\s*(\d{2})-?(\d{4})(?!\d)", code or "")
    return f"{m[1]}-{m[2]}" if m else None


def soc_family(code: str | None) -> str | None:
    """The family of an occupation code, or None when the code does not say."""
    if not code:
        return None
    full = code.strip()
    if full in SOC_FAMILIES:
        return SOC_FAMILIES[full]
    c = soc_code(full)
    if c is None:
        return None
    if c in SOC_FAMILIES:
        return SOC_FAMILIES[c]
    return next((f for p, f in SOC_PREFIX_FAMILIES.items() if c.startswith(p)), None)


@lru_cache(maxsize=100_000)
def title_family(title: str | None) -> str | None:
    """The family a title says, ``other`` for a title that says a role outside the
    families, None for an empty or vague title."""
    text = _text(title)
    if not text:
        return None
    for family, rule in TITLE_RULES:
        if rule.search(text):
            return family
    return "other"


def family_of(title: str | None, soc: str | None = None) -> str:
    """A record's family: its title's, else (vague or empty title) its occupation
    code's, else ``other``."""
    return title_family(title) or soc_family(soc) or "other"


@lru_cache(maxsize=100_000)
def seniority_of(title: str | None) -> str | None:
    """The seniority a title states, or None; an academic title states only an
    administrative post (dean, head, director)."""
    text = _text(title)
    academic = title_family(title) == "professor-postdoc"
    for level, rule in SENIORITY_RULES:
        if academic and level not in ACADEMIC_SENIORITY:
            continue
        if rule.search(text):
            return level
    return None


def family_code(value: str) -> str:
    """A family from what a user types (``research scientist``, ``ml-engineer``,
    ``ML engineer``); a :class:`QueryError` naming the families otherwise."""
    v = "-".join(value.lower().replace("/", " ").replace("_", " ").split())
    aliases = {"ml-scientist": "applied-scientist", "professor": "professor-postdoc",
               "postdoc": "professor-postdoc", "ai-engineer": "ml-engineer",
               "machine-learning-engineer": "ml-engineer", "swe": "software-engineer"}  # fmt: skip
    v = aliases.get(v, v)
    if v not in FAMILIES:
        raise QueryError(f"unknown role family {value!r}; families: {', '.join(FAMILIES)}")
    return v


def classify(titles: list[str | None], socs: list[str | None]) -> pa.Table:
    """``family, seniority`` for each (title, occupation code) pair, in order."""
    return pa.table({
        "family": [family_of(t, s) for t, s in zip(titles, socs, strict=True)],
        "seniority": pa.array([seniority_of(t) for t in titles], pa.string()),
    })  # fmt: skip
