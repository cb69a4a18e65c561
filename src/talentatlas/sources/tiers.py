"""The one table from a venue's status values to tiers (DESIGN.md, "Tiers").

Every status value seen in the corpus is listed here, lower-cased and stripped. A value
not listed is *unknown*: the work counts as accepted (paper lists are lists of accepted
papers unless a status says otherwise) with tier ``accepted``, and the build reports the
value with its file and count (``talentatlas status``), so that it can be added here.

Tiers, best first: ``oral`` (plenary talks: NeurIPS "Highlighted" 2022, ICLR "Top-5%"
2023, ICLR 2020 "Talk"), ``spotlight`` (short talks: ICLR "Top-25%" 2023, CVPR
"Highlight"), ``poster``, ``accepted`` (accepted without a presentation tier: ACL
"Long"/"Findings", SIGGRAPH "Technical Paper", an empty status on a list of accepted
papers), then the not-accepted ``workshop`` (a venue's workshop track, not its main
proceedings), ``rejected``, ``withdrawn`` and ``pending`` (still under review).
"""

from __future__ import annotations

#: tiers whose works are accepted at the venue's main proceedings
ACCEPTED_TIERS = ("oral", "spotlight", "poster", "accepted")
TIERS = (*ACCEPTED_TIERS, "workshop", "rejected", "withdrawn", "pending")

#: status value (lower case, stripped) -> tier
STATUS_TIERS: dict[str, str] = {
    "oral": "oral",
    "highlighted": "oral",  # NeurIPS 2022: the orals
    "top-5%": "oral",  # ICLR 2023 "notable top 5%": the orals
    "talk": "oral",  # ICLR 2020
    "spotlight": "spotlight",
    "top-25%": "spotlight",  # ICLR 2023 "notable top 25%": the spotlights
    "highlight": "spotlight",  # CVPR 2023-2025 highlights
    "poster": "poster",
    "": "accepted",
    "accept": "accepted",
    "accepted": "accepted",
    "long": "accepted",
    "short": "accepted",
    "main": "accepted",
    "long main": "accepted",
    "short main": "accepted",
    "findings": "accepted",
    "long findings": "accepted",
    "short findings": "accepted",
    "industry": "accepted",
    "system demonstrations": "accepted",
    "technical": "accepted",  # AAAI 2022 technical track
    "technical paper": "accepted",  # SIGGRAPH
    "tog paper": "accepted",  # SIGGRAPH (journal track)
    "workshop": "workshop",  # ICLR 2017/2018 workshop track
    "poster workshop": "workshop",  # ICLR 2013 workshop track
    "oral workshop": "workshop",
    "reject": "rejected",
    "desk reject": "rejected",
    "desk rejected": "rejected",
    "withdraw": "withdrawn",
    "withdrawn": "withdrawn",
    "active": "pending",
}

#: tier of a status value this table does not know (counted as accepted, reported)
UNKNOWN_TIER = "accepted"


def tier_of(status: str | None) -> tuple[str, bool]:
    """``(tier, known)`` of a status value; ``known`` is False for a value not listed."""
    key = (status or "").strip().lower()
    tier = STATUS_TIERS.get(key)
    return (tier, True) if tier is not None else (UNKNOWN_TIER, False)
