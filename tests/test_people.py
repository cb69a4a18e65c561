"""Identity resolution: reliable keys, probabilistic linking on names, ids, engines."""

from __future__ import annotations

import itertools
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_settings
from talentatlas.api import Atlas
from talentatlas.pipeline import build
from talentatlas.resolve.people import link_people, resolve_people
from talentatlas.resolve.people.components import components, local_components
from talentatlas.resolve.people.params import M_OVERLAP, ORG_INST, ORG_MOVE, ORG_OVERLAP
from talentatlas.sources import REGISTRY
from talentatlas.sources.simulated import World, simulate

SCHEMA = pa.schema(
    [
        ("work_id", pa.string()),
        ("position", pa.int32()),
        ("name_norm", pa.string()),
        ("year", pa.int32()),
        ("venue", pa.string()),
        ("openreview_id", pa.string()),
        ("orcid", pa.string()),
        ("dblp", pa.string()),
        ("google_scholar", pa.string()),
        ("domain", pa.string()),
        ("institution", pa.string()),
    ]
)


def _row(work: str, pos: int, name: str, year: int, **kw) -> dict:
    r = {c: None for c in SCHEMA.names}
    r.update(work_id=work, position=pos, name_norm=name, year=year, venue=kw.pop("venue", "icml"))
    r.update(kw)
    return r


def _key(t: str) -> str:
    s = unicodedata.normalize("NFKD", t)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


def sim_mentions(world: World, root: Path) -> tuple[pa.Table, dict[tuple[str, int], str]]:
    """The world's papers written without ids, read back with the paperlists adapter, as
    link_people's input; and the planted person of every mention."""
    paths = world.write(root, with_ids=False)
    adapter = REGISTRY["paperlists"]
    rows = []
    for p in paths:
        t = adapter.parse(p, str(p)).tables()
        works = {r["work_id"]: r for r in t["works"].to_pylist()}
        affs = {(r["work_id"], r["position"]): r for r in t["affiliations"].to_pylist()}
        for a in t["authorships"].to_pylist():
            w = works[a["work_id"]]
            f = affs.get((a["work_id"], a["position"]), {})
            rows.append(
                _row(
                    a["work_id"], a["position"], a["name_norm"], w["year"], venue=w["venue"],
                    domain=f.get("domain"), institution=_key(f["raw"]) if f.get("raw") else None,
                )
            )  # fmt: skip
    truth = {}
    for venue, year, rec in world.papers:
        for pos, pid in enumerate(rec["authorids"].split(";")):
            truth[(f"{venue}:{year}:{rec['id']}", pos)] = pid
    return pa.Table.from_pylist(rows, schema=SCHEMA), truth


def run(rows: list[dict] | pa.Table, con=None) -> dict[tuple[str, int], tuple[str, str]]:
    con = con or ibis.duckdb.connect()
    data = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=SCHEMA)
    t = con.create_table("mentions", data, overwrite=True)
    out = link_people(t, materialize=lambda n, e: con.create_table(n, e, overwrite=True))
    res = out.to_pyarrow().to_pylist()
    assert len(res) == data.num_rows
    got = {(r["work_id"], r["position"]): (r["person_id"], r["key_kind"]) for r in res}
    assert len(got) == data.num_rows
    return got


def bcubed(pred: dict, truth: dict) -> tuple[float, float]:
    keys = sorted(k for k in truth if k in pred)  # (the adapter drops doubled author lists)
    p = [pred[k] for k in keys]
    t = [truth[k] for k in keys]
    cp, ct, cpt = Counter(p), Counter(t), Counter(zip(p, t, strict=True))
    prec = sum(cpt[(a, b)] / cp[a] for a, b in zip(p, t, strict=True)) / len(keys)
    rec = sum(cpt[(a, b)] / ct[b] for a, b in zip(p, t, strict=True)) / len(keys)
    return prec, rec


def _main_person(pred: dict, truth: dict) -> dict[str, str]:
    """Each planted person's linked person: the one holding most of their mentions."""
    held: dict[str, Counter] = defaultdict(Counter)
    for k, t in truth.items():
        if k in pred:
            held[t][pred[k]] += 1
    return {t: c.most_common(1)[0][0] for t, c in held.items()}


def concurrent_namesakes(world: World, pred: dict, truth: dict) -> tuple[int, int]:
    """Pairs of planted people with one name who both published in 2+ common years and
    never at one institution in the same year (two people: nobody is at two places for
    years), and how many of those pairs the linking keeps apart."""
    where: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for _venue, year, rec in world.papers:
        ids, domains = rec["authorids"].split(";"), rec["aff_domain"].split(";")
        for pid, domain in zip(ids, domains, strict=True):
            where[pid][year].add(domain)
    main = _main_person(pred, truth)
    by_name: dict[str, list[str]] = defaultdict(list)
    for person in world.people:
        by_name[person.name].append(person.openreview_id)
    n = apart = 0
    for ids in by_name.values():
        for a, b in itertools.combinations([i for i in ids if i in main], 2):
            common = where[a].keys() & where[b].keys()
            if len(common) >= 2 and not any(where[a][y] & where[b][y] for y in common):
                n += 1
                apart += main[a] != main[b]
    return n, apart


def movers_linked(world: World, pred: dict, truth: dict) -> tuple[int, int]:
    """Planted people who changed country and share their name with nobody, and how many
    of them have mentions from 2+ countries in their linked person."""
    country_of = {i.domain: i.country for i in world.institutions}
    country = {
        (f"{venue}:{year}:{rec['id']}", pos): country_of[domain]
        for venue, year, rec in world.papers
        for pos, domain in enumerate(rec["aff_domain"].split(";"))
    }
    names = Counter(p.name for p in world.people)
    oid = {p.pid: p.openreview_id for p in world.people if names[p.name] == 1}
    movers = {oid[pid] for pid, *_ in world.expected("country").moves if pid in oid}
    main = _main_person(pred, truth)
    seen: dict[str, set[str]] = defaultdict(set)
    for k, t in truth.items():
        if t in movers and k in pred and pred[k] == main[t]:
            seen[t].add(country[k])
    return len(movers), sum(len(c) >= 2 for c in seen.values())


@pytest.fixture(scope="module")
def background(tmp_path_factory) -> pa.Table:
    """A simulated corpus the test mentions are added to, so that parameters are estimated
    from a realistic amount of unlabeled data."""
    world = simulate(seed=5, n_people=250, shared_name_rate=0.1)
    table, _ = sim_mentions(world, tmp_path_factory.mktemp("bg"))
    return table


def _with(background: pa.Table, rows: list[dict]) -> pa.Table:
    return pa.concat_tables([background, pa.Table.from_pylist(rows, schema=SCHEMA)])


# -- (a) reliable keys -----------------------------------------------------------------


def test_keys_link_transitively_and_name_the_person(background) -> None:
    rows = [
        _row("t:1", 0, "jane doe", 2019, openreview_id="~Jane_Doe1", orcid="0000-0001-0000-000X"),
        _row("t:2", 0, "j doe", 2020, orcid="0000-0001-0000-000X"),  # orcid only
        _row("t:3", 0, "", 2021, orcid="0000-0001-0000-000X"),  # no name, still keyed
        _row("t:4", 1, "kim lee", 2018, dblp="12/345"),
        _row("t:5", 1, "kim lee", 2019, dblp="12/345", google_scholar="abcdefghijkl"),
        _row("t:6", 1, "kim s lee", 2020, google_scholar="abcdefghijkl"),  # via scholar
        _row("t:7", 0, "", 2020),  # nothing to link
    ]
    got = run(_with(background, rows))
    assert got[("t:1", 0)] == ("or:~Jane_Doe1", "openreview")
    assert got[("t:2", 0)] == ("or:~Jane_Doe1", "orcid")
    assert got[("t:3", 0)] == ("or:~Jane_Doe1", "orcid")
    assert got[("t:4", 1)] == ("dblp:12/345", "dblp")
    assert got[("t:5", 1)] == ("dblp:12/345", "dblp")
    assert got[("t:6", 1)] == ("dblp:12/345", "google_scholar")
    assert got[("t:7", 0)] == (None, None)


def test_two_keyed_people_with_one_name_stay_apart_and_keyless_mentions_link(background) -> None:
    rows = [
        # two keyed people named "ana silva", at different places with different coauthors
        _row("t:1", 0, "ana silva", 2019, openreview_id="~Ana_Silva1", domain="ulisboa.pt",
             institution="universidade de lisboa"),
        _row("t:1", 1, "rui costa", 2019),
        _row("t:2", 0, "ana silva", 2019, openreview_id="~Ana_Silva2", domain="usp.br",
             institution="universidade de sao paulo"),
        _row("t:2", 1, "joao souza", 2019),
        # keyless: shares the coauthor and the institution of the first
        _row("t:3", 0, "ana silva", 2020, domain="ulisboa.pt", institution="universidade de lisboa"),
        _row("t:3", 1, "rui costa", 2020),
        # keyless: shares the coauthor and the domain of the second
        _row("t:4", 1, "ana silva", 2021, domain="usp.br"),
        _row("t:4", 0, "joao souza", 2021),
    ]  # fmt: skip
    got = run(_with(background, rows))
    assert got[("t:1", 0)] == ("or:~Ana_Silva1", "openreview")
    assert got[("t:2", 0)] == ("or:~Ana_Silva2", "openreview")
    assert got[("t:3", 0)] == ("or:~Ana_Silva1", "linked")
    assert got[("t:4", 1)] == ("or:~Ana_Silva2", "linked")


# -- (b) common names ------------------------------------------------------------------


def _common_name_corpus() -> list[dict]:
    """'wei wang' twice: at CMU with one group of coauthors, at Tsinghua with another; the
    tokens 'wei' and 'wang' are common in the corpus (many other people carry them)."""
    rows = []
    given = ["jun", "lei", "hao", "yu", "min", "jie", "tao", "xin", "yan", "bo", "fei", "kai"]
    family = ["li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu"]
    k = 0
    for g in given:  # "<g> wang" and "wei <f>": other people sharing each token
        for f in family:
            for name in (f"{g} wang", f"wei {f}"):
                k += 1
                rows.append(_row(f"c:{k}", 0, name, 2015 + k % 8, domain=f"u{k % 40}.edu.cn"))
                rows.append(_row(f"c:{k}", 1, f"{f} {g}", 2015 + k % 8, domain=f"u{k % 40}.edu.cn"))
    cmu = {"domain": "cmu.edu", "institution": "carnegie mellon university"}
    thu = {"domain": "tsinghua.edu.cn", "institution": "tsinghua university"}
    for i, year in enumerate((2018, 2019, 2020, 2021)):
        rows.append(_row(f"a:{i}", 0, "wei wang", year, **cmu))
        rows.append(_row(f"a:{i}", 1, "peter stone" if i % 2 else "maria gomez", year, **cmu))
        rows.append(_row(f"a:{i}", 2, "ruth clark", year, **cmu))
        rows.append(_row(f"b:{i}", 1, "wei wang", year, **thu))
        rows.append(_row(f"b:{i}", 0, "jiayi sun" if i % 2 else "hongbo ma", year, **thu))
        rows.append(_row(f"b:{i}", 2, "qiong fang", year, **thu))
    return rows


def test_same_common_name_without_shared_evidence_stays_apart(background) -> None:
    got = run(_with(background, _common_name_corpus()))
    a = {got[(f"a:{i}", 0)][0] for i in range(4)}
    b = {got[(f"b:{i}", 1)][0] for i in range(4)}
    assert len(a) == 1, a  # one person's mentions share coauthors and organisation: merged
    assert len(b) == 1, b
    assert a.isdisjoint(b)  # two people, no shared evidence: apart
    ids = sorted(a | b)
    assert ids == ["name:wei wang", "name:wei wang#2"]  # numbered by first year, then mention
    assert got[("a:0", 0)] == ("name:wei wang", "name")  # a:0 comes before b:0


def test_one_person_merges_on_domain_alone(background) -> None:
    rows = [
        _row(f"d:{i}", 0, "wei wang", 2018 + i, domain="cmu.edu", institution=inst)
        for i, inst in enumerate(["carnegie mellon university", "cmu", "cmu robotics institute"])
    ]
    rows += [_row(f"d:{i}", 1, f"coauthor{i} smith", 2018 + i) for i in range(3)]
    got = run(_with(background, _common_name_corpus() + rows))
    persons = {got[(f"d:{i}", 0)][0] for i in range(3)}
    assert len(persons) == 1
    # and the CMU wei wang of the other corpus is the same person
    assert persons == {got[("a:0", 0)][0]}


def test_a_key_on_a_mention_of_another_name_does_not_join_it(background) -> None:
    """A student's id attached to the professor's mention (a misaligned record) must not
    file the professor under the student, nor the student's papers under him."""
    rows = [
        _row(f"s:{i}", 0, "mirela tanaka", 2019 + i, openreview_id="~Mirela_Tanaka1")
        for i in range(3)
    ]
    rows += [_row(f"s:{i}", 1, "zbigniew okafor", 2019 + i) for i in range(3)]
    rows.append(_row("s:9", 1, "zbigniew okafor", 2022, openreview_id="~Mirela_Tanaka1"))
    got = run(_with(background, rows))
    assert {got[(f"s:{i}", 0)] for i in range(3)} == {("or:~Mirela_Tanaka1", "openreview")}
    prof = {got[("s:9", 1)][0]} | {got[(f"s:{i}", 1)][0] for i in range(3)}
    assert prof == {"name:zbigniew okafor"}


def test_openreview_aliases_are_one_person(background) -> None:
    alias = SCHEMA.append(pa.field("openreview_alias", pa.string()))
    rows = [
        dict(_row("al:1", 0, "jo quist", 2020, openreview_id="~Jo_Quist2"), openreview_alias="~Jo_Quist1"),
        dict(_row("al:2", 0, "jo quist", 2023, openreview_id="~Jo_Quist1"), openreview_alias=None),
    ]  # fmt: skip
    bg = background.append_column("openreview_alias", pa.nulls(background.num_rows, pa.string()))
    got = run(pa.concat_tables([bg, pa.Table.from_pylist(rows, schema=alias)]))
    assert got[("al:1", 0)][0] == got[("al:2", 0)][0] == "or:~Jo_Quist1"


def test_a_rare_name_joins_its_one_keyed_bearer_despite_two_affiliations(background) -> None:
    """A professor who is also at a company: the keyed mentions (from the profile) say
    the company, the keyless ones (paper lists) the university, in the same years. The
    rare name joins them; a common name would not be joined on the name alone."""
    rows = [
        _row(f"k:{i}", 0, "svetozar lindqvist", 2019 + i, openreview_id="~Svetozar_Lindqvist1",
             domain="google.com", institution="google")
        for i in range(4)
    ]  # fmt: skip
    rows += [
        _row(f"u:{i}", 0, "lindqvist svetozar" if i == 0 else "svetozar lindqvist", 2017 + i,
             domain="berkeley.edu", institution="uc berkeley")
        for i in range(6)
    ]  # fmt: skip
    rows += [_row(f"u:{i}", 1, f"student{i} ngata", 2017 + i) for i in range(6)]
    got = run(_with(background, rows))
    assert {got[(f"u:{i}", 0)] for i in range(6)} == {("or:~Svetozar_Lindqvist1", "linked")}


# -- (c) planted truth -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_simulated_world_recovers_planted_people(tmp_path, seed: int) -> None:
    # the simulator draws coauthors at random, so the evidence is institution, time and
    # venue only; a fifth of the people share a name with someone else. A namesake who
    # starts at one institution about when another stops publishing at another is then
    # indistinguishable from one person moving, and linking movers (below) merges such
    # namesakes too: precision is bounded by them (m and match rates counted from the
    # planted truth give about 0.94 on seed 2). Namesakes active at two places at once
    # must stay apart.
    world = simulate(seed=seed, n_people=400, shared_name_rate=0.2, noise=0.1, move_rate=0.05)
    table, truth = sim_mentions(world, tmp_path)
    got = run(table)
    pred = {k: v[0] for k, v in got.items()}
    p, r = bcubed(pred, truth)
    keys = zip(table["work_id"].to_pylist(), table["position"].to_pylist(), strict=True)
    base = dict(zip(keys, table["name_norm"].to_pylist(), strict=True))
    bp, _br = bcubed(base, truth)
    assert bp < 0.95  # the world has shared names: the same-name baseline is wrong
    # just under the measured figures: seed 1 0.966 / 0.971, seed 2 0.913 / 0.991
    assert p >= 0.91, (p, r, bp)
    assert r >= 0.965, (p, r, bp)
    assert p > bp + 0.07
    n, apart = concurrent_namesakes(world, pred, truth)
    assert n >= 30 and apart >= n - 1, (n, apart)  # measured 51/52 and 40/41


@pytest.mark.parametrize("seed", [11, 12])
def test_keyless_movers_stay_one_person(tmp_path, seed: int) -> None:
    # the default move rate, and 30% of the papers of a move year with the previous
    # institution; no ids and random coauthors, so only the name and the succession of
    # institutions in time say that the papers before and after a move are one person's
    world = simulate(seed=seed, n_people=150, noise=0.3)
    table, truth = sim_mentions(world, tmp_path)
    got = run(table)
    pred = {k: v[0] for k, v in got.items()}
    p, r = bcubed(pred, truth)
    # just under the measured figures: seed 11 0.925 / 0.943, seed 12 0.969 / 0.978
    assert r >= 0.94, (p, r)
    assert p >= 0.92, (p, r)
    movers, linked = movers_linked(world, pred, truth)
    assert movers >= 20 and linked == movers, (movers, linked)  # every mover (25/25)
    n, apart = concurrent_namesakes(world, pred, truth)
    assert n >= 10 and apart >= n - 2, (n, apart)  # measured 18/20 and 10/11


@pytest.mark.slow
def test_keyless_build_finds_the_planted_moves(tmp_path) -> None:
    # end to end: the warehouse's country moves of a world written without ids
    world = simulate(seed=11, n_people=150, noise=0.3)
    world.write(tmp_path / "data", with_ids=False)
    s = make_settings(tmp_path)
    build(s)
    atlas = Atlas.open(s.warehouse)
    truth = {
        (f"{venue}:{year}:{rec['id']}", pos): pid
        for venue, year, rec in world.papers
        for pos, pid in enumerate(rec["authorids"].split(";"))
    }
    links = atlas.table("person_links").to_pyarrow().to_pylist()
    pred = {(r["work_id"], r["position"]): r["person_id"] for r in links}
    assert all(pid.startswith("name:") for pid in pred.values())
    held: dict[str, Counter] = defaultdict(Counter)
    for k, person in pred.items():
        if k in truth:
            held[person][truth[k]] += 1
    planted_of = {person: c.most_common(1)[0][0] for person, c in held.items()}
    oid = {p.pid: p.openreview_id for p in world.people}
    planted = {(oid[pid], y, o, d) for pid, y, o, d in world.expected("country").moves}
    mv = atlas.table("moves").to_pyarrow().to_pylist()
    found = [
        (planted_of.get(r["person_id"]), r["year"], r["origin"], r["destination"])
        for r in mv
        if r["dimension"] == "country"
    ]
    right = sum(f in planted for f in found)
    recovered = len(planted & set(found))
    assert len(planted) >= 30
    # measured: 39 of 49 planted moves recovered, 39 of 50 found moves right
    assert recovered >= 0.78 * len(planted), (recovered, len(planted))
    assert right >= 0.76 * len(found), (right, len(found))


def test_ids_and_kinds(tmp_path) -> None:
    world = simulate(seed=4, n_people=150, shared_name_rate=0.2)
    table, _ = sim_mentions(world, tmp_path)
    got = run(table)
    kinds = Counter(k for _, k in got.values())
    assert set(kinds) == {"name"}
    names = {n for n in table.column("name_norm").to_pylist()}
    for pid, _ in got.values():
        base, _, suffix = pid.removeprefix("name:").partition("#")
        assert base in names
        assert suffix == "" or int(suffix) >= 2


def test_without_materialize_returns_an_expression(background) -> None:
    con = ibis.duckdb.connect()
    t = con.create_table("m", background)
    out = link_people(t)
    assert isinstance(out, ibis.Table)
    assert out.columns == ("work_id", "position", "person_id", "key_kind")
    assert out.count().execute() == background.num_rows


def test_model_parameters_are_sensible(background) -> None:
    con = ibis.duckdb.connect()
    t = con.create_table("m", background)
    model = resolve_people(t).model
    w = model.weight["org"]
    for gap in range(4):
        # the same institution is evidence for; two institutions at once strongly against,
        # more than one after the other (people move)
        assert w[(gap, ORG_INST)] > 0 > w[(gap, ORG_OVERLAP)]
        assert w[(gap, ORG_OVERLAP)] < w[(gap, ORG_MOVE)] - 200 <= -200
        assert model.m["org"][(gap, ORG_OVERLAP)] == pytest.approx(M_OVERLAP)
    # a different institution in the same year says much, one years later little
    assert w[(0, ORG_MOVE)] < w[(2, ORG_MOVE)] - 200
    assert w[(2, ORG_MOVE)] >= -100
    assert model.u_pairs > 1000 and model.m_pairs > 100


# -- (d) real data ---------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_openreview_names_only_beat_the_same_name_baseline(shared_data: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    import eval_identity
    from rich.progress import Progress

    files = eval_identity.discover(shared_data / "openreview", {"iclr2020", "iclr2021"})
    assert len(files) == 2
    with Progress(disable=True) as progress:
        data = eval_identity.load(files, "authorids", progress)
    con = ibis.duckdb.connect()
    t = con.create_table("m", data.drop_columns(["truth"]))
    result = resolve_people(t, materialize=lambda n, e: con.create_table(n, e, overwrite=True))
    resolved = result.table.to_pyarrow()
    assert resolved.num_rows == data.num_rows
    sc, n = eval_identity.evaluate(data, resolved)
    for gap in range(2):  # on real papers a shared coauthor is strong evidence
        assert result.model.weight["coauthors"][(gap, 1)] > 300
    assert n > 10_000
    # just under the figures measured on these two files (eval_identity.py --only
    # iclr2020,iclr2021): 0.9953 / 0.9994 overall, 0.9862 / 1.0 on the top 200 names,
    # against a same-name baseline of 0.9816 and 0.9539
    assert sc[""]["bcubed_p"] >= 0.993 and sc[""]["bcubed_r"] >= 0.998
    assert sc["top200_"]["bcubed_p"] >= 0.983 and sc["top200_"]["bcubed_r"] >= 0.998
    assert sc["top200_"]["bcubed_p"] >= sc["base_top200_"]["bcubed_p"] + 0.025


# -- (e) Spark gives the same persons --------------------------------------------------


@pytest.mark.spark
@pytest.mark.slow
def test_spark_gives_the_same_persons_as_duckdb(tmp_path) -> None:
    import pyarrow.parquet as pq

    from talentatlas.store import SparkEngine

    world = simulate(seed=9, n_people=80, shared_name_rate=0.3)
    table, _ = sim_mentions(world, tmp_path / "data")
    extra = [
        _row("k:1", 0, "omar khan", 2015, openreview_id="~Omar_Khan1", orcid="0000-0002-1111-2222"),
        _row("k:2", 0, "o khan", 2016, orcid="0000-0002-1111-2222", domain="inst3.com"),
        _row("k:3", 0, "omar khan", 2017, dblp="99/1", domain="inst3.com"),
        _row("k:4", 0, "", 2017),
    ]  # fmt: skip
    table = pa.concat_tables([table, pa.Table.from_pylist(extra, schema=SCHEMA)])
    duck = run(table)

    engine = SparkEngine(tmp_path / "spark")
    path = tmp_path / "mentions.parquet"
    pq.write_table(table, path)
    mentions = engine.read_parquet("mentions", [str(path)], table.schema)
    res = link_people(mentions, materialize=engine.scratch).to_pyarrow().to_pylist()
    engine.close()
    spark = {(r["work_id"], r["position"]): (r["person_id"], r["key_kind"]) for r in res}
    assert len(res) == table.num_rows
    assert spark == duck
    assert len({p for p, _ in duck.values()}) > 50


def test_saved_model_reproduces_pair_weights(tmp_path: Path) -> None:
    """The linkage model the warehouse keeps (``linkage_weights``, ``linkage_prior``)
    gives back the match weight of every scored pair the linker used."""
    world = simulate(seed=11, n_people=150)
    world.write(tmp_path / "data")
    s = make_settings(tmp_path)
    build(s, keep_scratch=True)
    con = Atlas.open(s.warehouse).con
    rows = (
        con.sql(
            """
        SELECT p.*, s.w FROM people_pairs p JOIN people_scored s USING (a, b)
        ORDER BY hash(a, b) LIMIT 2000
        """
        )
        .to_pyarrow()
        .to_pylist()
    )
    assert len(rows) >= 500, len(rows)
    prior = {
        r["cell"]: r["prior_weight"] for r in con.table("linkage_prior").to_pyarrow().to_pylist()
    }
    weights = {
        (r["feature"], r["given_level"], r["level"]): r["weight"]
        for r in con.table("linkage_weights").to_pyarrow().to_pylist()
    }
    parent = {
        r["feature"]: r["given"] for r in con.table("linkage_weights").to_pyarrow().to_pylist()
    }
    for r in rows:
        w = prior.get(r["cell"], 0) + r["tf"]
        for f in ("gap", "org", "coauthors", "venue"):
            if r[f] is None:
                continue
            given = parent[f]
            if given is not None and r[given] is None:
                continue
            w += weights[(f, None if given is None else r[given], r[f])]
        assert w == r["w"], r
    assert {r["key"] for r in con.table("build_info").to_pyarrow().to_pylist()} >= {
        "linkage_pairs",
        "linkage_em_iterations",
        "linkage_em_converged",
    }


def test_scores_are_the_model_s_weights_added_up() -> None:
    """A pair's score is its cell's prior, each comparison's level weight (the org
    weight given the gap level) and the tf adjustment; evidence is an agreeing level
    weighing at least EVIDENCE_MIN; a level that is null or unknown to the model adds 0."""
    from talentatlas.resolve.people.estimation import LinkageModel
    from talentatlas.resolve.people.scoring import score

    model = LinkageModel(
        prior_weight={7: -500, 8: -200},
        weight={
            "gap": {(None, 0): 30, (None, 1): -10},
            "org": {(0, ORG_INST): 400, (1, ORG_INST): 90, (0, ORG_MOVE): -300},
            "coauthors": {(0, 1): 150},
            "venue": {(None, 1): 20, (None, 0): -5},
        },
    )
    pairs = ibis.memtable(
        pa.table(
            {
                "a": [1, 2, 3, 4],
                "b": [9, 9, 9, 9],
                "cell": [7, 8, 7, 99],
                "gap": pa.array([0, 1, None, 0], pa.int8()),
                "org": pa.array([ORG_INST, ORG_INST, ORG_INST, ORG_MOVE], pa.int8()),
                "coauthors": pa.array([1, None, 1, 2], pa.int8()),
                "venue": pa.array([1, 0, None, 1], pa.int8()),
                "tf": pa.array([25, 0, 3, 0], pa.int32()),
            }
        )
    )
    got = {r["a"]: (r["w"], r["evidence"]) for r in score(pairs, model).to_pyarrow().to_pylist()}
    assert got == {
        1: (-500 + 30 + 400 + 150 + 20 + 25, True),
        2: (-200 - 10 + 90 - 5, False),  # the institution weighs under EVIDENCE_MIN at gap 1
        3: (-500 + 3, False),  # no gap level: org and coauthors (given gap) are not weighed
        4: (0 + 30 - 300 + 20, False),  # cell 99 has no prior; 2+ coauthors no weight
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edges=st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40)), min_size=0, max_size=60))
def test_components_on_this_machine_equal_the_engines(edges) -> None:
    """SciPy's graph search (what a DuckDB build uses) labels every node as the engine's
    min-label propagation does (what a Spark build uses): the smallest id of its
    component, for every node an edge touches (self-loops and repeats included)."""
    con = ibis.duckdb.connect()
    t = pa.table({"a": [a for a, _ in edges], "b": [b for _, b in edges]},
                 schema=pa.schema([("a", pa.int64()), ("b", pa.int64())]))  # fmt: skip
    e = con.create_table("edges", t)
    engine = components(e, lambda name, expr: con.create_table(name, expr, overwrite=True), "cc")
    local = local_components(t)
    as_set = lambda r: {(x["mid"], x["label"]) for x in r.to_pylist()}  # noqa: E731
    assert as_set(local) == as_set(con.to_pyarrow(engine))
    assert local.schema.field("label").type == pa.int64()
