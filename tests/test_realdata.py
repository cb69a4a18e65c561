"""The real corpus in ../shared/data: adapters' quirks, and a full build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talentatlas.config import Settings
from talentatlas.pipeline import build
from talentatlas.sources.openreview import OpenReviewAuthors
from talentatlas.sources.paperlists import Paperlists

pytestmark = pytest.mark.realdata


def _parse(shared: Path, rel: str):
    adapter = OpenReviewAuthors() if rel.startswith("openreview") else Paperlists()
    return adapter.parse(shared / rel, rel).tables()


def test_icra_doubled_author_lists_are_undoubled(shared_data: Path) -> None:
    t = _parse(shared_data, "paperlists/icra/icra2023.json.gz")
    works = {w["work_id"]: w for w in t["works"].to_pylist()}
    w = works["icra:2023:10160459"]
    names = [a["name"] for a in t["authorships"].to_pylist() if a["work_id"] == w["work_id"]]
    assert w["n_authors"] == 4 == len(names) == len(set(names))  # the file lists 8


def test_multi_affiliation_indices_and_countries(shared_data: Path) -> None:
    t = _parse(shared_data, "paperlists/aaai/aaai2022.json.gz")
    aff = [a for a in t["affiliations"].to_pylist() if a["work_id"] == "aaai:2022:00444"]
    assert aff  # a paper read; now the one with 0+1 indices
    rows = [a for a in t["affiliations"].to_pylist()
            if a["inst_src"] == "Deepwise AI Lab" and a["aff_pos"] == 1]  # fmt: skip
    assert rows and all(r["country_src"] is None for r in rows)
    hku = [a for a in t["affiliations"].to_pylist() if a["inst_src"] == "University of Hong Kong"]
    assert hku and all(a["country_src"] == "China" for a in hku)


def test_cvpr_unaligned_affiliations_stay_at_work_level(shared_data: Path) -> None:
    t = _parse(shared_data, "paperlists/cvpr/cvpr2023.json.gz")
    aff = t["affiliations"].to_pylist()
    assert any(a["position"] == -1 for a in aff)
    assert t["authorships"].num_rows > 10_000
    assert t["quarantine"].num_rows == 0


def test_comma_separated_author_lists(shared_data: Path) -> None:
    t = _parse(shared_data, "paperlists/nips/nips2024.json.gz")
    names = t["authorships"].column("name").to_pylist()
    assert names and not any("," in n for n in names)


def test_openreview_slots_align_and_keys_are_read(shared_data: Path) -> None:
    t = _parse(shared_data, "openreview/authors/nips/nips2021.jsonl.gz")
    a = [r for r in t["authorships"].to_pylist() if r["work_id"] == "neurips:2021:-16dlERMZkO"]
    assert [r["openreview_id"] for r in a] == [
        "~Janardhan_Kulkarni2",
        "~Yin_Tat_Lee1",
        "~Daogao_Liu1",
    ]
    assert a[2]["google_scholar"] == "auA3AaQAAAAJ" and a[2]["role"] == "PhD student"
    aff = {
        r["position"]: r for r in t["affiliations"].to_pylist() if r["work_id"] == a[0]["work_id"]
    }
    assert set(aff) == {0, 2} and aff[2]["domain"] == "uw.edu"
    assert not any(
        "@" in (r["email_key"] or "@x") and r["email_key"] for r in t["authorships"].to_pylist()
    )


@pytest.mark.slow
def test_full_real_build(tmp_path: Path, shared_data: Path) -> None:
    s = Settings(data_dir=shared_data, warehouse=tmp_path / "atlas.duckdb")
    build(s)
    from talentatlas.api import Atlas

    with Atlas.open(s.warehouse) as atlas:
        counts = atlas.counts()
        assert counts["authorships"] >= 700_000
        cov = atlas.coverage()
        assert 0.5 < cov.with_country < 1 and 0.1 < cov.with_reliable_key < 1
        kr = atlas.migration(country="KR").to_pylist()
        assert len(kr) >= 15 and all(r["stock"] >= 0 for r in kr)
        st = {r["country"]: r["stock"] for r in atlas.stock(by="country", year=2018).to_pylist()}
        assert st["US"] > st["CN"] > st["KR"] > 100
    _indicator_commands_on_the_real_corpus(s.warehouse, shared_data, tmp_path)
    again = build(s)
    assert again.skipped


def _indicator_commands_on_the_real_corpus(wh: Path, data: Path, tmp: Path) -> None:
    """The issue's commands print real tables with coverage, and draw their charts."""
    from typer.testing import CliRunner

    from talentatlas.cli import app

    runner = CliRunner()
    env = {"TALENTATLAS_DATA_DIR": str(data), "TALENTATLAS_WAREHOUSE": str(wh)}

    def run(*args: str) -> str:
        r = runner.invoke(app, list(args), env=env)
        assert r.exit_code == 0, (args, r.output[-3000:])
        return r.output

    for args in (
        ["migration", "--country", "KR"],
        ["flows", "--country", "KR"],
        ["pathways", "--venue", "neurips", "--year", "2021"],
        ["sectors"],
        ["org", "Google", "--flows", "--retention"],
    ):
        out = run(*args)
        assert "coverage of" in out and "authorships" in out, args
    r = runner.invoke(app, ["migration", "--country", "KR", "-f", "json"], env=env)
    kr = json.loads(r.stdout)
    assert len(kr) >= 15
    for row in kr:
        if row["stock"] >= 100:
            assert row["net_rate_lo"] <= row["net_rate"] <= row["net_rate_hi"]
    r = runner.invoke(app, ["pathways", "--venue", "neurips", "--year", "2021", "-f", "json"],
                      env=env)  # fmt: skip
    shares = json.loads(r.stdout)
    work = [x for x in shares if x["tier"] == "all" and x["stage"] == "workplace"]
    assert work[0]["country"] == "US" and 0.3 < work[0]["share"] < 0.7
    assert any(x["tier"] == "oral" for x in shares)
    r = runner.invoke(app, ["org", "Google", "--flows", "-f", "json"], env=env)
    assert sum(x["inflow"] for x in json.loads(r.stdout)) > 100
    for args, name in (
        (["migration"], "map.png"),
        (["pathways", "--venue", "neurips", "--year", "2021"], "sankey.png"),
        (["org", "Google", "--retention"], "retention.html"),
    ):
        run(*args, "--plot", str(tmp / name))
        head = (tmp / name).read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if name.endswith("png") else b"<html" in head
    out = run("validate")
    assert "talentatlas" in out and "openalex_2023" in out and "scopus_2024" in out
