"""A simulated world with planted truth, written in the paperlists format.

People have careers (a sequence of institutions, each with a country and a sector),
publish a random number of papers a year (some years none), co-author with others
active that year, and some share names with other people. ``noise`` makes a share of
papers in a move year still carry the previous institution, which exercises the modal
rule and its tie-break.

:meth:`World.expected` computes the careers the DESIGN.md definitions imply for the
observations the world wrote, with plain Python (an independent reference
implementation); with ``noise=0`` they equal the planted careers at observed years.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa

from talentatlas.sources.tiers import tier_of

COUNTRIES = {
    "US": ("United States", "edu"), "CN": ("China", "edu.cn"), "KR": ("South Korea", "ac.kr"),
    "GB": ("United Kingdom", "ac.uk"), "DE": ("Germany", "de"), "CA": ("Canada", "ca"),
    "FR": ("France", "fr"), "JP": ("Japan", "ac.jp"), "SG": ("Singapore", "edu.sg"),
    "IN": ("India", "ac.in"),
}  # fmt: skip
SECTOR_PATTERNS = {
    "academia": "University of {city}",
    "industry": "{city} AI Labs Inc.",
    "government": "National Laboratory of {city}",
}
FIRST = ["Wei", "Anna", "Jun", "Maria", "Min", "David", "Yuki", "Omar", "Lena", "Ravi",
         "Sara", "Ji-woo", "Pierre", "Hana", "Chen", "Lucas", "Aisha", "Tom", "Mei", "Ivan"]  # fmt: skip
LAST = ["Wang", "Kim", "Smith", "Li", "Müller", "Garcia", "Tanaka", "Singh", "Dubois", "Park",
        "Zhang", "Brown", "Lee", "Rossi", "Chen", "Novak", "Sato", "Khan", "Martin", "Liu"]  # fmt: skip


@dataclass(frozen=True)
class Institution:
    name: str
    country: str
    sector: str
    domain: str
    ror_id: str = ""
    #: index of the parent organisation (a company's lab abroad under its headquarters)
    parent: int | None = None


@dataclass
class Person:
    pid: str
    name: str
    openreview_id: str
    first_year: int
    last_year: int
    stints: list[tuple[int, int]]  # (start year, institution index)
    #: the last year as a doctoral student (None: never a student in the world)
    student_until: int | None = None

    @property
    def graduation_year(self) -> int | None:
        return None if self.student_until is None else self.student_until + 1

    def is_student(self, year: int) -> bool:
        return self.student_until is not None and year <= self.student_until

    def institution_at(self, year: int) -> int:
        current = self.stints[0][1]
        for start, inst in self.stints:
            if start <= year:
                current = inst
        return current


@dataclass
class World:
    seed: int
    institutions: list[Institution]
    people: list[Person]
    venues: list[str]
    #: (venue, year, paper record)
    papers: list[tuple[str, int, dict]] = field(default_factory=list)
    #: each paper's institution (index) per author, in author order
    paper_insts: list[list[int]] = field(default_factory=list)
    #: one row per authorship: (person pid, year, institution index)
    facts: list[tuple[str, int, int]] = field(default_factory=list)
    #: the first year whose papers state each author's position (None: never)
    roles_from: int | None = None
    #: the world's last year
    last_year: int = 0

    def position(self, person: Person, year: int) -> str:
        """The position ``person`` states on a paper of ``year`` ("" before
        :attr:`roles_from`): a doctoral student during their studies; afterwards one
        per sector, a postdoc in the first two years in academia after graduating."""
        if self.roles_from is None or year < self.roles_from:
            return ""
        if person.is_student(year):
            return "PhD Student"
        sector = self.institutions[person.institution_at(year)].sector
        if sector == "academia":
            grad = person.graduation_year
            return "Postdoc" if grad is not None and year - grad < 2 else "Associate Professor"
        return {"industry": "Research Scientist"}.get(sector, "Researcher")

    def planted_graduates(self, window: int = 3) -> dict[str, tuple]:
        """Planted truth: person pid -> (graduation year, destination, destination
        country, institution id, stated role kind) for every student who graduated by
        the world's last year; a graduate who stopped publishing is ``left publishing``,
        or ``censored`` when the window runs past the last year."""
        out = {}
        for p in self.people:
            g = p.graduation_year
            if g is None or g > self.last_year:
                continue
            if p.last_year < g:
                gone = "censored" if g + window - 1 > self.last_year else "left publishing"
                out[p.pid] = (g, gone, None, None, None)
                continue
            inst = self.institutions[p.institution_at(g)]
            role = None
            if self.roles_from is not None and g >= self.roles_from:
                role = {"Postdoc": "postdoc", "Associate Professor": "faculty",
                        "Research Scientist": "researcher", "Researcher": "researcher"}[
                    self.position(p, g)
                ]  # fmt: skip
            out[p.pid] = (g, inst.sector, inst.country, inst.ror_id, role)
        return out

    @property
    def n_authorships(self) -> int:
        return len(self.facts)

    def registry_records(self) -> list[dict]:
        """The world's institutions as ROR v2 records (universities are also funders,
        as many real ones are, so sector must not rest on one type)."""
        types = {"academia": ["education", "funder"], "industry": ["company"],
                 "government": ["government"]}  # fmt: skip
        return [
            {
                "id": f"https://ror.org/{i.ror_id}",
                "names": [{"value": i.name, "types": ["ror_display", "label"], "lang": "en"}],
                "types": types[i.sector],
                "status": "active",
                "locations": [
                    {"geonames_details": {"country_code": i.country, "name": i.name.split()[-1]}}
                ],
                "domains": [i.domain],
                "links": [],
                "relationships": self._relationships(k),
            }
            for k, i in enumerate(self.institutions)
        ]

    def _relationships(self, k: int) -> list[dict]:
        insts = self.institutions
        out = []
        if insts[k].parent is not None:
            p = insts[insts[k].parent]
            out.append({"type": "parent", "id": f"https://ror.org/{p.ror_id}", "label": p.name})
        for c in insts:
            if c.parent == k:
                out.append({"type": "child", "id": f"https://ror.org/{c.ror_id}", "label": c.name})
        return out

    def top(self, k: int) -> int:
        """The top organisation of institution ``k`` (itself when it has no parent)."""
        while self.institutions[k].parent is not None:
            k = self.institutions[k].parent  # type: ignore[assignment]
        return k

    def write(self, root: Path, *, with_ids: bool = True) -> list[Path]:
        """Write ``paperlists/<venue>/<venue><year>.json`` files and the world's
        institution registry (``ror/ror_records_simulated.jsonl``) under ``root``."""
        reg = root / "ror" / "ror_records_simulated.jsonl"
        reg.parent.mkdir(parents=True, exist_ok=True)
        reg.write_text("".join(json.dumps(r) + "\n" for r in self.registry_records()))
        by_file: dict[tuple[str, int], list[dict]] = defaultdict(list)
        for venue, year, rec in self.papers:
            r = dict(rec)
            if not with_ids:
                r["authorids"] = ""
            by_file[(venue, year)].append(r)
        paths = []
        for (venue, year), recs in sorted(by_file.items()):
            p = root / "paperlists" / venue / f"{venue}{year}.json"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(recs, ensure_ascii=False))
            paths.append(p)
        return paths

    def authorship_facts(self, area: str = "ML") -> pa.Table:
        """The world's authorships as careers input (the columns of ``scoped_facts``),
        with planted identities and institutions: for indicator tests and benchmarks
        that skip parsing, matching and linking."""
        by_orid = {p.openreview_id: p.pid for p in self.people}
        insts = self.institutions
        index = {i.name: k for k, i in enumerate(insts)}
        cols: dict[str, list] = defaultdict(list)
        for n, (venue, year, rec) in enumerate(self.papers):
            orids = rec["authorids"].split(";")
            affs = rec["aff"].split(";")
            for pos, (orid, aff) in enumerate(zip(orids, affs, strict=True)):
                k = index[aff]
                cols["work_id"].append(f"w{n}")
                cols["position"].append(pos)
                cols["person_id"].append(by_orid[orid])
                cols["venue"].append(venue)
                cols["year"].append(year)
                cols["status"].append(rec["status"])
                cols["inst"].append(k)
        t = pa.table(
            {
                "work_id": cols["work_id"], "position": pa.array(cols["position"], pa.int32()),
                "person_id": cols["person_id"], "key_kind": ["openreview"] * len(cols["work_id"]),
                "venue": cols["venue"], "area": [area] * len(cols["work_id"]),
                "year": pa.array(cols["year"], pa.int32()), "status": cols["status"],
                "tier": [tier_of(s)[0] for s in cols["status"]],
                "accepted": [True] * len(cols["work_id"]),
            }
        )  # fmt: skip
        k = pa.array(cols["inst"], pa.int32())
        hq = [insts[self.top(j)].country for j in range(len(insts))]
        for name, values in (
            ("country", [i.country for i in insts]), ("hq_country", hq),
            ("institution", [i.ror_id for i in insts]), ("sector", [i.sector for i in insts]),
        ):  # fmt: skip
            t = t.append_column(name, pa.array(values, pa.string()).take(k))
        return t

    def institutions_table(self) -> pa.Table:
        """The world's institutions with the columns indicators read."""
        ids = [i.ror_id for i in self.institutions]
        return pa.table(
            {
                "institution_id": ids, "name": [i.name for i in self.institutions],
                "country": [i.country for i in self.institutions],
                "sector": [i.sector for i in self.institutions],
                "parent_id": pa.array(
                    [None if i.parent is None else ids[i.parent] for i in self.institutions],
                    pa.string(),
                ),
                "org_id": [ids[self.top(k)] for k in range(len(ids))],
                "org_name": [self.institutions[self.top(k)].name for k in range(len(ids))],
                "hq_country": [self.institutions[self.top(k)].country for k in range(len(ids))],
            }
        )  # fmt: skip

    # -- planted truth ----------------------------------------------------------------
    def value_of(self, inst: int, dim: str) -> str:
        i = self.institutions[inst]
        return {
            "country": i.country,
            "institution": i.ror_id,
            "sector": i.sector,
            "hq_country": self.institutions[self.top(inst)].country,
        }[dim]

    def expected(self, dim: str) -> Expected:
        """Observed, padded person-years and moves on one dimension (reference code):
        a person-year's authorships must agree with its modal values of the dimensions
        the careers rule nests this one in (``careers.WITHIN``)."""
        within = {"country": (), "institution": ("country",)}.get(dim, ("country", "institution"))
        parents = {d: self.expected(d).observed for d in within}
        counts: dict[tuple[str, int], Counter] = defaultdict(Counter)
        years_with: dict[tuple[str, str], set[int]] = defaultdict(set)
        for pid, year, inst in self.facts:
            if any(self.value_of(inst, d) != parents[d][(pid, year)] for d in within):
                continue
            v = self.value_of(inst, dim)
            counts[(pid, year)][v] += 1
            years_with[(pid, v)].add(year)
        observed: dict[str, dict[int, str]] = defaultdict(dict)
        for (pid, year), c in counts.items():
            top = max(c.values())
            tied = [v for v, n in c.items() if n == top]

            def dist(v: str, pid: str = pid, year: int = year) -> int:
                others = [abs(y - year) for y in years_with[(pid, v)] if y != year]
                return min(others) if others else 10_000

            observed[pid][year] = sorted(tied, key=lambda v: (dist(v), v))[0]
        padded: dict[tuple[str, int], str] = {}
        moves: list[tuple[str, int, str, str]] = []
        for pid, ys in observed.items():
            yrs = sorted(ys)
            for a, b in zip(yrs, [*yrs[1:], yrs[-1] + 1], strict=True):
                for y in range(a, b):
                    padded[(pid, y)] = ys[a]
            for a, b in itertools.pairwise(yrs):
                if ys[a] != ys[b]:
                    moves.append((pid, b, ys[a], ys[b]))
        return Expected(
            {(p, y): v for p, d in observed.items() for y, v in d.items()}, padded, moves
        )


@dataclass
class Expected:
    observed: dict[tuple[str, int], str]
    padded: dict[tuple[str, int], str]
    moves: list[tuple[str, int, str, str]]

    def stock(self) -> Counter:
        return Counter((v, y) for (_, y), v in self.padded.items())

    def migration(self) -> dict[tuple[str, int], tuple[int, int, int]]:
        """(country, year) -> (inflow, outflow, stock)."""
        st = self.stock()
        inflow = Counter((d, y) for _, y, _, d in self.moves)
        outflow = Counter((o, y) for _, y, o, _ in self.moves)
        keys = set(st) | set(inflow) | set(outflow)
        return {k: (inflow[k], outflow[k], st[k]) for k in keys}


def simulate(
    seed: int = 0,
    n_people: int = 400,
    years: tuple[int, int] = (2010, 2020),
    n_institutions: int = 30,
    venues: tuple[str, ...] = ("icml", "cvpr", "acl"),
    papers_per_year: float = 1.6,
    gap_rate: float = 0.2,
    move_rate: float = 0.12,
    shared_name_rate: float = 0.15,
    noise: float = 0.0,
    students: float = 0.0,
    study_years: tuple[int, int] = (3, 5),
    leave_rate: float = 0.3,
    roles_from: int | None = None,
) -> World:
    """A seeded world; with the defaults, about 10 authorships per person.

    ``students``: the share of people who start as doctoral students at a university
    for ``study_years`` years (they publish in their last year as students and, unless
    they leave, in the year they graduate); ``leave_rate`` of the graduates stop
    publishing at graduation, the others go to a random institution. ``roles_from``:
    from this year on, papers state each author's position (:meth:`World.position`)."""
    rng = random.Random(seed)
    codes = list(COUNTRIES)
    institutions = []
    for i in range(n_institutions):
        code = codes[i % len(codes)]
        sector = ["academia", "academia", "industry", "government"][(i // len(codes)) % 4]
        city = f"City{i}"
        name = SECTOR_PATTERNS[sector].format(city=city)
        tld = COUNTRIES[code][1] if sector == "academia" else "com"
        institutions.append(Institution(name, code, sector, f"inst{i}.{tld}", f"0sim{i:05d}"))
    # every other company abroad is a lab of the first US company (its headquarters): the
    # headquarters basis and the roll-up of child labs have something to find
    hq = next(
        (k for k, i in enumerate(institutions) if i.sector == "industry" and i.country == "US"),
        None,
    )
    if hq is not None:
        institutions = [
            replace(i, parent=hq)
            if i.sector == "industry" and i.country != "US" and k % 2 == 0
            else i
            for k, i in enumerate(institutions)
        ]

    people: list[Person] = []
    names_used: list[str] = []
    for k in range(n_people):
        if names_used and rng.random() < shared_name_rate:
            name = rng.choice(names_used)
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {k}"
            names_used.append(name)
        first = rng.randint(years[0], years[1] - 1)
        if students and rng.random() < students:
            people.append(_student(rng, k, name, first, years[1], institutions,
                                   study_years, leave_rate, move_rate))  # fmt: skip
            continue
        last = rng.randint(first + 1, years[1])
        stints = [(first, rng.randrange(n_institutions))]
        for y in range(first + 1, last + 1):
            if rng.random() < move_rate:
                nxt = rng.randrange(n_institutions)
                if nxt != stints[-1][1]:
                    stints.append((y, nxt))
        orid = "~" + name.replace(" ", "_") + str(k)
        people.append(Person(f"p{k}", name, orid, first, last, stints))

    world = World(seed, institutions, people, list(venues), roles_from=roles_from,
                  last_year=years[1])  # fmt: skip
    for year in range(years[0], years[1] + 1):
        active = [p for p in people if p.first_year <= year <= p.last_year]
        for p in active:
            kept = (p.first_year, p.last_year, *_boundary(p))
            if rng.random() < gap_rate and year not in kept:
                continue
            n_papers = max(1 if year in kept else 0, _poisson(rng, papers_per_year))
            for _ in range(n_papers):
                coauthors = rng.sample(active, min(len(active), rng.randint(0, 3)))
                team = [p] + [c for c in coauthors if c.pid != p.pid]
                team = [t for t in team if not (t is not p and _gap(rng, gap_rate))]
                world.papers.append(
                    (rng.choice(venues), year, _paper(rng, world, team, year, noise))
                )
                for t in team:
                    inst = world.papers[-1][2]["_inst"][team.index(t)]
                    world.facts.append((t.pid, year, inst))
    world.paper_insts = [rec.pop("_inst") for _, _, rec in world.papers]
    return world


def _student(
    rng: random.Random,
    k: int,
    name: str,
    first: int,
    end: int,
    institutions: list[Institution],
    study_years: tuple[int, int],
    leave_rate: float,
    move_rate: float,
) -> Person:
    """A doctoral student from ``first``: studies at a university, then leaves
    publishing or goes to a random institution (and moves as others do)."""
    schools = [i for i, inst in enumerate(institutions) if inst.sector == "academia"]
    school = rng.choice(schools)
    until = min(first + rng.randint(*study_years) - 1, end)
    stints = [(first, school)]
    if until >= end or rng.random() < leave_rate:
        last = until
    else:
        last = rng.randint(until + 1, end)
        stints.append((until + 1, rng.randrange(len(institutions))))
        for y in range(until + 2, last + 1):
            if rng.random() < move_rate:
                nxt = rng.randrange(len(institutions))
                if nxt != stints[-1][1]:
                    stints.append((y, nxt))
    orid = "~" + name.replace(" ", "_") + str(k)
    return Person(f"p{k}", name, orid, first, last, stints, student_until=until)


def _boundary(p: Person) -> tuple[int, ...]:
    """The years a student always publishes in: the last as a student, the first after."""
    if p.student_until is None:
        return ()
    return (p.student_until, p.student_until + 1)


def _gap(rng: random.Random, rate: float) -> bool:
    return rng.random() < rate / 2


def _poisson(rng: random.Random, lam: float) -> int:
    n, p, limit = 0, 1.0, pow(2.718281828459045, -lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def _paper(rng: random.Random, world: World, team: list[Person], year: int, noise: float) -> dict:
    insts = []
    for person in team:
        inst = person.institution_at(year)
        if noise and rng.random() < noise:
            prev = person.institution_at(year - 1)
            inst = prev
        insts.append(inst)
    uniq = list(dict.fromkeys(insts))
    countries = list(dict.fromkeys(world.institutions[i].country for i in uniq))
    return {
        "id": f"sim{world.seed}-{len(world.papers)}",
        "title": f"Simulated paper {len(world.papers)}",
        "status": rng.choice(["Poster", "Poster", "Poster", "Oral", "Spotlight"]),
        "track": "main",
        "author": ";".join(p.name for p in team),
        "authorids": ";".join(p.openreview_id for p in team),
        "aff": ";".join(world.institutions[i].name for i in insts),
        "aff_domain": ";".join(world.institutions[i].domain for i in insts),
        "aff_unique_norm": ";".join(world.institutions[i].name for i in uniq),
        "aff_unique_index": ";".join(str(uniq.index(i)) for i in insts),
        "aff_country_unique": ";".join(COUNTRIES[c][0] for c in countries),
        "aff_country_unique_index": ";".join(
            str(countries.index(world.institutions[i].country)) for i in insts
        ),
        "_inst": insts,
    } | ({} if world.roles_from is None else
         {"position": ";".join(world.position(p, year) for p in team)})  # fmt: skip
