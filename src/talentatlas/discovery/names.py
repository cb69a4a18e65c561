"""Finding people by name: accent-, case- and order-insensitive, forgiving of typos.

Every name is normalised (``resolve.names.normalise_name``) and keyed by its sorted
tokens. A query matches a name when (in order of score)

1. their token keys are equal (``Bengio Yoshua`` finds Yoshua Bengio): 100;
2. their tokens written together, in the name's order or the query's reversed, are
   equal (``Feifei Li`` and ``Li Feifei`` find Fei-Fei Li): 99;
3. every query token is a token of the name (``Kaiming`` finds Kaiming He): 95;
4. the token keys are alike (Levenshtein ratio, ``Yoshua Bengo``) at
   :data:`FUZZY_CUTOFF` or more: that ratio.
"""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import fuzz, process

from talentatlas.resolve.names import normalise_name

#: the least Levenshtein ratio (0-100) of token keys for a fuzzy match
FUZZY_CUTOFF = 85
#: candidates a query returns at most
MAX_CANDIDATES = 5000


def token_key(name: str) -> str:
    return " ".join(sorted(normalise_name(name).split()))


class NameIndex:
    """Person ids by name, for :meth:`find`; built once per warehouse."""

    def __init__(self, person_ids: list[str], names_norm: list[str | None]) -> None:
        self.ids = person_ids
        self.keys = [" ".join(sorted((n or "").split())) for n in names_norm]
        self.by_compact: dict[str, list[int]] = defaultdict(list)
        for i, n in enumerate(names_norm):
            self.by_compact["".join((n or "").split())].append(i)
        self.by_token: dict[str, list[int]] = defaultdict(list)
        for i, k in enumerate(self.keys):
            for tok in set(k.split()):
                self.by_token[tok].append(i)

    def find(self, query: str) -> dict[str, float]:
        """Person id -> match score (0-100] of the people whose name matches ``query``."""
        key = token_key(query)
        if not key:
            return {}
        scores: dict[int, float] = {}
        tokens = key.split()
        hits = [set(self.by_token.get(t, ())) for t in tokens]
        common = set.intersection(*hits) if hits else set()
        for i in common:
            scores[i] = 100.0 if self.keys[i] == key else 95.0
        words = normalise_name(query).split()
        for compact in {"".join(words), "".join(reversed(words))}:
            for i in self.by_compact.get(compact, ()):
                scores[i] = max(scores.get(i, 0.0), 99.0 if self.keys[i] != key else 100.0)
        for _, score, i in process.extract(
            key, self.keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=MAX_CANDIDATES
        ):
            scores[i] = max(scores.get(i, 0.0), round(float(score), 1))
        best = sorted(scores.items(), key=lambda kv: -kv[1])[:MAX_CANDIDATES]
        return {self.ids[i]: s for i, s in best}
