"""ORCID employment entries as supporting evidence: on a planted world, each entry is
set beside the publication evidence of its years, with exact counts of agreeing years,
and never changes a career."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb

from conftest import make_settings
from talentatlas.pipeline import build
from talentatlas.sources.simulated import simulate
from talentatlas.sources.simulated_openalex import write_section, write_world


def test_employment_entries_are_checked_against_the_papers_never_replacing_them(
    tmp_path: Path,
) -> None:
    world = simulate(seed=5, n_people=120, noise=0.0)
    data = tmp_path / "data"
    orcids = write_world(world, data)

    years: dict[str, set[int]] = defaultdict(set)
    for pid, year, _inst in world.facts:
        years[pid].add(year)
    countries = sorted({i.country for i in world.institutions})
    want: dict[tuple[str, str], tuple] = {}
    first_place: dict[str, tuple[int, str]] = {}
    for p in world.people:
        if not years[p.pid]:
            continue
        ys = sorted(years[p.pid])
        first, last = ys[0], ys[-1]
        inst = world.institutions[p.institution_at(first)]
        now = world.institutions[p.institution_at(last)]
        theirs = {world.institutions[i].country for _, i in p.stints}
        elsewhere = next(c for c in [*countries, "NZ"] if c not in theirs)
        entries = [
            ("Researcher", inst.name, inst.country, first, first, inst.ror_id),
            ("Visiting scientist", "Nowhere Lab", elsewhere, first, last, None),
            ("Intern", "Early Co", inst.country, first - 10, first - 9, None),
            ("Advisor", "Some Board", inst.country, None, None, None),
            ("Scientist", now.name, now.country, last, None, now.ror_id),
        ]
        write_section(data, orcids[p.pid], "employment", entries)
        o = orcids[p.pid]
        want[(o, "Researcher")] = (1, 1, 1, "agrees")
        want[(o, "Visiting scientist")] = (len(ys), 0, None, "differs")
        want[(o, "Intern")] = (0, 0, None, "unobserved")
        want[(o, "Advisor")] = (0, 0, None, "undated")
        want[(o, "Scientist")] = (1, 1, 1, "agrees")
        first_place[o] = (first, inst.country)
    s = make_settings(tmp_path)
    build(s)

    con = duckdb.connect(str(s.warehouse), read_only=True)
    got = {
        (r[0], r[1]): r[2:]
        for r in con.sql(
            "select orcid, role_title, years_observed, years_same_country, "
            "years_same_institution, evidence from employment"
        ).fetchall()
    }
    assert got == want
    # the careers are the papers': the entry in another country moved nobody there
    placed = dict(
        con.sql(
            "select k.value, py.country from person_years py join person_keys k "
            "on k.person_id = py.person_id and k.kind = 'orcid' "
            "join (select k2.value v, min(py2.year) y from person_years py2 join person_keys k2 "
            "on k2.person_id = py2.person_id and k2.kind = 'orcid' group by 1) f "
            "on f.v = k.value and f.y = py.year"
        ).fetchall()
    )
    con.close()
    assert placed == {o: c for o, (_, c) in first_place.items()}
