"""Identity resolution: author mentions (authorships) to persons.

Written as Ibis expressions, so DuckDB and Spark give the same person ids: integer
weights compared with an integer threshold, total orders for every tie, parameters
estimated in Python from integer counts.

1. **Reliable keys.** Mentions carrying an OpenReview id, ORCID, DBLP or Google Scholar
   id are linked by those keys, transitively (two mentions sharing any key are one
   person): connected components of the mention-key graph. An ORCID/DBLP/Scholar value
   seen with 3+ names or 3+ OpenReview ids (placeholders, homonym pages) is ignored.
2. **Record linkage** (Fellegi-Sunter) for the rest. Candidate pairs are mentions with
   the same normalised name on different works. A pair is compared on the year gap,
   the organisation, shared coauthor names and the venue; organisation and coauthors
   are modelled given the year gap. Organisation levels: same institution key, else
   same registered e-mail domain (webmail ignored), else different, and then by the
   years the name (all its mentions) was seen at each of the two: *overlapping* (2+
   common years: rarely one person), *successive* (one followed the other: a move, at
   most a year apart or with the year of the move in common) or *apart* (2+ years
   between them). A move is thus weak evidence against a match, the weaker the more
   years lie between the two mentions, while a second organisation at the same time
   is strong evidence. The name enters as a prior: the match rate of same-name pairs,
   a logistic function of how common the name's first and last tokens are
   (:func:`name_bins`). Parameters come from the unlabeled data:

   - *u* (level frequencies for different people) from pairs of mentions with the same
     family name and a different first token: always different people, sharing the
     name's cultural and geographic distribution (a deterministic sample);
   - *m* (level frequencies for the same person) starts from pairs of *rare* names
     (nearly always one person), then EM over all candidate pairs estimates m and the
     match-rate model with u held fixed; pairs are weighted 1 / (mentions of the name
     - 1) so that prolific names do not dominate. P(overlapping organisations | match)
     is held at a small constant (:data:`M_OVERLAP`): with u known, the overlapping
     pairs then tell how many pairs are different people, which identifies the match
     rate even where coauthors say nothing (without it the EM may take "same
     organisation" for "same person" and split everyone who moved).

   A pair's match weight is log2 odds in integer centibits: the name prior, the level
   weights and a term-frequency adjustment for the institution or domain agreed on.
3. **Clustering** (:func:`cluster`): components of strong links (weight >= 0 and a
   shared organisation or coauthor whose level weight is at least one bit) among
   keyless mentions; then average linkage between clusters, keyed persons included but
   never merged with each other; then mentions still alone join their best cluster;
   the rest form components.

Person ids: ``or:<OpenReview id>`` (else ``orcid:``, ``dblp:``, ``gs:``; the smallest key
of the strongest kind in the person) for keyed persons, which keyless mentions linked
to them share (``key_kind`` ``linked``); ``name:<name>`` for keyless persons, with
``#2``, ``#3`` ... when several persons carry the same name (numbered by first year,
then smallest mention; the earliest keeps the plain id).
"""

from talentatlas.resolve.people.estimation import LinkageModel
from talentatlas.resolve.people.linker import PeopleResult, link_people, resolve_people

__all__ = ["LinkageModel", "PeopleResult", "link_people", "resolve_people"]
