"""ROR registry reading, derived institution attributes, and the affiliation matcher."""

from __future__ import annotations

import gzip
import json
import pickle
import zipfile
from pathlib import Path

import pytest

from talentatlas.resolve.matcher import AffiliationMatcher
from talentatlas.resolve.registry import Institutions, institutions_table, norm_org
from talentatlas.sources import ror


def rec(rid, name, country, types, *, aliases=(), acronyms=(), rels=(), domains=(),
        status="active"):  # fmt: skip
    names = [{"value": name, "types": ["ror_display", "label"], "lang": "en"}]
    names += [{"value": a, "types": ["alias"], "lang": None} for a in aliases]
    names += [{"value": a, "types": ["acronym"], "lang": None} for a in acronyms]
    return {
        "id": f"https://ror.org/{rid}",
        "names": names,
        "types": list(types),
        "status": status,
        "locations": [{"geonames_details": {"country_code": country, "name": "X"}}],
        "domains": list(domains),
        "links": [],
        "relationships": [{"type": t, "id": f"https://ror.org/{o}", "label": o} for t, o in rels],
    }


WORLD = [
    rec("0alpha001", "Alphabet (United States)", "US", ["company"], rels=[("child", "0goog0001")]),
    rec("0goog0001", "Google (United States)", "US", ["company"],
        rels=[("parent", "0alpha001"), ("child", "0deep0001"), ("child", "0googsg01")]),
    # ROR lists google.com on a subsidiary only: the domain must still mean Google
    rec("0googsg01", "Google (Singapore)", "SG", ["company"], domains=["google.com"],
        rels=[("parent", "0goog0001")]),
    rec("0deep0001", "Google DeepMind (United Kingdom)", "GB", ["company"],
        rels=[("parent", "0goog0001")]),
    rec("0mich0001", "University of Michigan", "US", ["education", "funder"],
        acronyms=["UM"], domains=["umich.edu"]),
    rec("0lab00001", "Michigan Robotics Facility", "US", ["facility"],
        rels=[("parent", "0mich0001")]),
    rec("0neu00001", "Northeastern University", "US", ["education"], domains=["northeastern.edu"]),
    rec("0neu00002", "Northeastern University", "CN", ["education"], domains=["neu.edu.cn"]),
    rec("0cag00001", "University of Cagliari", "IT", ["education"], acronyms=["UNICA"]),
    rec("0old00001", "Old Institute of Robotics", "FR", ["education"], status="withdrawn",
        rels=[("successor", "0new00001")]),
    rec("0new00001", "New Institute of Robotics", "FR", ["education"]),
    rec("0tueb0001", "Universität Tübingen", "DE", ["education"]),
    rec("0kaist001", "Korea Advanced Institute of Science and Technology", "KR",
        ["education"], acronyms=["KAIST"], domains=["kaist.ac.kr"]),
    rec("0ntu00001", "National Taiwan University", "TW", ["education"], domains=["ntu.edu.tw"]),
    rec("0sinica01", "Institute of Information Science", "SI", ["facility"]),
    rec("0huawei01", "Huawei Technologies (China)", "CN", ["company"]),
    rec("0cuhk0001", "Chinese University of Hong Kong", "HK", ["education"]),
    rec("0fair0001", "Facility for Antiproton and Ion Research", "DE", ["facility"],
        acronyms=["FAIR"], domains=["fair-center.eu"]),
    rec("0meta0001", "Meta (United States)", "US", ["company"], domains=["meta.com"]),
    rec("0bore0001", "Borealis (Sweden)", "SE", ["company"], domains=["borealisgroup.com"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Institutions:
    d = tmp_path_factory.mktemp("ror")
    path = d / "ror_records_test.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in WORLD))
    reg = ror.read_registry([path])
    assert not reg.problems
    return Institutions.from_tables(reg.tables())


@pytest.fixture(scope="module")
def matcher(registry) -> AffiliationMatcher:
    return AffiliationMatcher(registry)


def test_sector_uses_all_types_and_parents(registry) -> None:
    assert registry.sector("0mich0001") == ("academia", "ror-types")  # education + funder
    assert registry.sector("0lab00001") == ("academia", "ror-parent-types")
    assert registry.sector("0deep0001")[0] == "industry"


def test_top_organisation_and_headquarters(registry) -> None:
    assert registry.chain("0deep0001") == ["0deep0001", "0goog0001", "0alpha001"]
    t = {r["institution_id"]: r for r in institutions_table(registry).to_pylist()}
    assert t["0deep0001"]["org_id"] == "0alpha001"
    assert t["0deep0001"]["country"] == "GB"
    assert t["0deep0001"]["hq_country"] == "US"  # MacroPolo's rule
    assert t["0old00001"]["successor_id"] == "0new00001"


@pytest.mark.parametrize(
    ("text", "kw", "expected"),
    [
        ("University of Michigan", {}, "0mich0001"),
        ("Dept. of EECS, Univ. of Michigan, Ann Arbor, MI, USA", {}, "0mich0001"),
        ("Cagliari University, Italy", {}, "0cag00001"),  # word order
        ("Univeristy of Cagliari", {}, "0cag00001"),  # typo, fuzzy
        ("KAIST", {}, "0kaist001"),  # acronym
        ("Google DeepMind", {}, "0deep0001"),  # company without its "(country)"
        ("Google Research", {}, "0goog0001"),  # unit word stripped
        ("Northeastern University, Shenyang, China", {}, "0neu00002"),  # country constraint
        ("Northeastern University", {"country_src": "United States"}, "0neu00001"),
        ("Northeastern University", {"domain": "ccs.neu.edu.cn"}, "0neu00002"),  # ccTLD
        ("Old Institute of Robotics", {}, "0new00001"),  # withdrawn -> successor
        (None, {"domain": "eecs.umich.edu"}, "0mich0001"),  # domain alone
        ("Google", {"domain": "google.com"}, "0goog0001"),  # domain of a subsidiary
        ("Google Zurich", {"domain": "google.com"}, "0alpha001"),  # domain only: the top
        ("Google Zurich", {"domain": "google.com", "country_src": "USA"}, "0goog0001"),
        ("Universitaet Tuebingen", {}, "0tueb0001"),  # German transliteration
        ("FAIR", {}, "0fair0001"),  # an acronym alone
        ("FAIR", {"domain": "meta.com"}, "0meta0001"),  # ... that another's domain contradicts
        ("Borealis AI", {"domain": "borealisgroup.com"}, "0bore0001"),
    ],
)
def test_matches(matcher, text, kw, expected) -> None:
    m = matcher.match(text, **kw)
    assert m.ror_id == expected, m


def test_a_pickled_matcher_matches_as_the_original(matcher) -> None:
    # workers receive the matcher pickled (its postings packed into one array)
    copy = pickle.loads(pickle.dumps(matcher))
    assert copy.postings.keys() == matcher.postings.keys()
    assert all((copy.postings[w] == matcher.postings[w]).all() for w in matcher.postings)
    for text in ("Univeristy of Cagliari", "Cagliari University, Italy", "Keio University"):
        assert copy.match(text) == matcher.match(text)


@pytest.mark.parametrize(
    "text",
    [
        "Northeastern University",  # two in the registry, no evidence: not guessed
        "University of Cagliari, Cagliari, France",  # named country contradicts
        "Department of Computer Science",  # no institution
        "Keio University",  # shares only the generic word with the registry
        "Providence, MI, USA",  # a place and a state code
    ],
)
def test_no_match_without_evidence(matcher, text) -> None:
    assert matcher.match(text).ror_id is None


def test_forced_and_forbidden(registry) -> None:
    m = AffiliationMatcher(
        registry,
        forced={norm_org("UM Robotics"): "0lab00001", norm_org("Nowhere U"): None},
        forbidden={norm_org("University of Michigan"): {"0mich0001"}},
    )
    assert m.match("UM Robotics").ror_id == "0lab00001"
    assert m.match("Nowhere U").ror_id is None
    assert m.match("University of Michigan").ror_id is None


def test_reader_formats_and_bad_records(tmp_path: Path) -> None:
    good = [WORLD[0], next(r for r in WORLD if r["id"].endswith("0mich0001"))]
    v1 = {"id": "https://ror.org/0v1000001", "name": "Legacy College", "types": ["Education"],
          "aliases": ["LC"], "acronyms": [], "labels": [], "country": {"country_code": "CA"},
          "addresses": [{"city": "Ottawa"}], "links": ["https://www.legacy.ca"],
          "relationships": [], "status": "active"}  # fmt: skip
    lines = [json.dumps(good[0]), "{not json", json.dumps({"id": "x"}), json.dumps(v1)]
    gz = tmp_path / "ror_records_a.jsonl.gz"
    gz.write_bytes(gzip.compress("\n".join(lines).encode()))
    z = tmp_path / "v2.0-2024-ror-data.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("v2.0-2024-ror-data_schema_v2.json", json.dumps([good[1]]))
        zf.writestr("v2.0-2024-ror-data.json", json.dumps([{"id": "https://ror.org/zzz"}]))
    reg = ror.read_registry([gz, z])
    ids = [i["ror_id"] for i in reg.institutions]
    assert ids == ["0alpha001", "0v1000001", "0mich0001"]
    assert len(reg.problems) == 2
    assert all(p.startswith("ror_records_a.jsonl.gz record") for p in reg.problems)
    legacy = reg.institutions[1]
    assert (legacy["country"], legacy["types"], legacy["schema"]) == ("CA", ["education"], "v1")


@pytest.mark.realdata
def test_real_registry_copy(shared_data: Path) -> None:
    files = ror.discover(shared_data)
    reg = ror.read_registry(files)
    assert len(reg.institutions) == 35_990 + 15_380
    assert not reg.problems
    inst = Institutions.from_tables(reg.tables())
    m = AffiliationMatcher(inst)
    assert m.match("Carnegie Mellon University").ror_id == "05x2bcf33"
    assert m.match("Tsinghua University, Beijing, China").ror_id == "03cve4549"
    assert inst.sector("00jmfr291")[0] == "academia"  # University of Michigan: education+funder


@pytest.mark.realdata
@pytest.mark.slow
def test_gold_precision_and_recall(shared_data: Path) -> None:
    """Just under the documented figures (precision 0.962 at recall 0.887 on the pairs
    whose gold is in the registry copy; 0.903 over every match made)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from eval_affiliations import evaluate, load_gold

    inst = Institutions.from_tables(ror.read_registry(ror.discover(shared_data)).tables())
    m = AffiliationMatcher(inst)
    known = set(inst.name)
    t = {"correct": 0, "predicted": 0, "present": 0, "absent_fp": 0, "noid_fp": 0}
    for path in sorted((shared_data / "ror").glob("ror_api_gold_dataset_*.json")):
        s = evaluate(m, load_gold(path), known)
        t = {k: v + s[k] for k, v in t.items()}
    assert t["present"] > 5000
    assert t["correct"] / t["predicted"] >= 0.955
    assert t["correct"] / t["present"] >= 0.88
    # every match made, also where the gold institution is absent from the registry copy
    # or the gold says none fits: documented 0.903 (255 and 75 wrong matches there)
    made = t["predicted"] + t["absent_fp"] + t["noid_fp"]
    assert t["correct"] / made >= 0.895, t


@pytest.mark.parametrize(
    ("raw", "country_src", "domain", "institution", "country"),
    [
        # the source files Taiwan under China: the registry record's location wins
        ("National Taiwan University", "China", None, "0ntu00001", "TW"),
        # the string names Taiwan: no institute elsewhere of the same name may win
        ("Institute of Information Science, Academia Sinica, Taiwan", None, None, None, "TW"),
        # unmatched, source "China", a Taiwanese e-mail domain
        ("Academia Sinica", "China", "iis.sinica.edu.tw", None, "TW"),
        # a lab in Hong Kong of a company in China is located in Hong Kong
        ("Huawei Technologies (China), Hong Kong", None, None, "0huawei01", "HK"),
        ("Some Lab, Kowloon", "China", None, None, "HK"),
        ("University of Macau", "China", None, None, "MO"),
        # a Hong Kong university's campus on the mainland is in China
        ("The Chinese University of Hong Kong, Shenzhen", "China", None, "0cuhk0001", "CN"),
        ("Chinese University of Hong Kong", None, "link.cuhk.edu.cn", "0cuhk0001", "CN"),
        ("Chinese University of Hong Kong", None, "cuhk.edu.hk", "0cuhk0001", "HK"),
        # free mail says nothing
        (None, None, "gmail.com", None, None),
    ],
)
def test_country_evidence_is_weighed(matcher, raw, country_src, domain, institution, country):
    from talentatlas.resolve.affiliations import AffiliationResolver
    from talentatlas.resolve.countries import DomainTable

    out = AffiliationResolver(DomainTable(None), matcher).resolve(raw, None, country_src, domain)
    assert (out["institution_id"], out["country"]) == (institution, country), out
    if domain == "gmail.com":
        assert out["sector"] is None and out["domain"] == "gmail.com"


def test_an_x_ai_company_is_not_a_unit_of_x(matcher) -> None:
    # "Borealis AI" (borealisai.com) is not the chemicals company Borealis
    assert matcher.match("Borealis AI", domain="borealisai.com").ror_id is None


def test_multinational_records_are_seats(tmp_path: Path) -> None:
    from talentatlas.resolve.affiliations import AffiliationResolver
    from talentatlas.resolve.countries import DomainTable

    path = tmp_path / "ror_records_test.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in WORLD))
    reg = Institutions.from_tables(ror.read_registry([path]).tables())
    assert not reg.multinational("0deep0001")
    reg.declared_multinational["0deep0001"] = True  # as the default corrections declare
    resolve = AffiliationResolver(DomainTable(None), AffiliationMatcher(reg)).resolve
    for raw, country_src, domain, country, evidence in [
        ("Google DeepMind", None, None, "GB", "seat"),  # a bare name: the record's seat
        ("Google DeepMind, Paris, France", None, None, "FR", "text"),  # where the string says
        ("Google DeepMind", None, "google.fr", "FR", "domain-tld"),
        ("Google DeepMind", "France", None, "GB", "seat"),  # a source's guess is not used
        ("University of Michigan", None, None, "US", "institution"),  # one place
    ]:
        out = resolve(raw, None, country_src, domain)
        assert (out["country"], out["country_evidence"]) == (country, evidence), (raw, out)
        assert out["institution_id"] in ("0deep0001", "0mich0001"), (raw, out)


def test_the_background_preparation_gives_what_the_stages_need(tmp_path: Path) -> None:
    """The registry prepared beside the build (a thread) is the registry read directly,
    with the corrections applied; a failure there is raised where the result is taken."""
    from talentatlas.resolve import corrections, prepared

    data = tmp_path / "data"
    (data / "ror").mkdir(parents=True)
    (data / "ror" / "ror_records_test.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in WORLD)
    )
    fixes = corrections.load(None)
    ready = prepared.Preparation(data, tmp_path / "landing", data / "none.csv", fixes).result()
    direct = Institutions.from_tables(ror.read_registry(ror.discover(data)).tables())
    assert ready.institutions.equals(institutions_table(direct))
    assert ready.matcher.match("Dept. of EECS, University of Michigan").ror_id == "0mich0001"
    assert ready.seconds > 0

    class Broken(type(fixes)):  # a corrections object whose registry step fails
        def apply_to_registry(self, reg: Institutions) -> list[str]:
            raise RuntimeError("corrections could not be applied")

    pending = prepared.Preparation(data, tmp_path / "landing", data / "none.csv", Broken())
    with pytest.raises(RuntimeError, match="could not be applied"):
        pending.result()


def test_resolution_in_workers_matches_in_process_and_fails_cleanly(matcher, monkeypatch) -> None:
    """Workers given the pickled resolver resolve as the process itself does; a resolver
    the workers cannot load is an error (a pool would otherwise restart them forever)."""
    import threading

    import pyarrow as pa

    from talentatlas.resolve import affiliations
    from talentatlas.resolve.affiliations import KEY_COLUMNS, AffiliationResolver
    from talentatlas.resolve.countries import DomainTable

    monkeypatch.setattr(affiliations, "_PARALLEL_FROM", 1)
    rows = ["University of Michigan, Ann Arbor", "Google DeepMind, London", "KAIST", "x"] * 5
    distinct = pa.table({c: rows if c == "raw" else [None] * len(rows) for c in KEY_COLUMNS},
                        schema=pa.schema([(c, pa.string()) for c in KEY_COLUMNS]))  # fmt: skip
    resolver = AffiliationResolver(DomainTable(None), matcher)
    alone = resolver.resolve_table(distinct, 1)
    assert resolver.resolve_table(distinct, 2, resolver.pickled()).equals(alone)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            resolver.resolve_table(distinct, 2, b"not a resolver")
        except BaseException as e:
            outcome.append(e)

    worker = threading.Thread(target=run, daemon=True)  # a hang must not hold the tests
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "resolution hung on a resolver the workers cannot load"
    assert isinstance(outcome[0], RuntimeError) and "could not be loaded" in str(outcome[0])
