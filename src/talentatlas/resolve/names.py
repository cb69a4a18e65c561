"""Person-name normalisation: the provisional identity key when no reliable id exists."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_WORD = re.compile(r"[^0-9a-z ]+")
_SPACES = re.compile(r"\s+")
_SUFFIX_DIGITS = re.compile(r"\s+\d{4}(\s+\d{4})*$")  # DBLP-style homonym numbers


@lru_cache(maxsize=1 << 18)  # a name recurs on every paper of its author
def normalise_name(name: str) -> str:
    """Lower-case ASCII form of a name: accents folded, punctuation and hyphens to spaces.

    >>> normalise_name("Björn  Ommer")
    'bjorn ommer'
    >>> normalise_name("Zheng-Jun Zha")
    'zheng jun zha'
    """
    s = name
    if not s.isascii():  # most names are: nothing to fold
        s = unicodedata.normalize("NFKD", s)
        s = "".join(c for c in s if not unicodedata.combining(c))
        s = s.replace("ß", "ss").replace("ø", "o").replace("Ø", "o").replace("ł", "l")
        s = s.replace("Ł", "l")
    s = s.lower().replace("-", " ").replace(".", " ").replace("_", " ")
    s = _NON_WORD.sub("", s)
    s = _SPACES.sub(" ", s).strip()
    return _SUFFIX_DIGITS.sub("", s)
