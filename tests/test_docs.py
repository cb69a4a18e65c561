"""Docs that fail when stale: the generated reference, every option, setting and table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer.main

from talentatlas.catalogue import CATALOGUE, TABLES
from talentatlas.cli import app
from talentatlas.config import Scope, Settings

ROOT = Path(__file__).resolve().parents[1]


def test_generated_reference_is_current() -> None:
    """docs/reference.md, the README's command list and docs/warehouse.md are what
    `python scripts/reference.py` writes from the code."""
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_command_option_and_setting_says_what_it_does() -> None:
    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        assert (cmd.help or "").strip(), f"command {name} has no help"
        for p in cmd.params:
            if p.param_type_name == "option" and p.name != "help":
                assert (p.help or "").strip(), f"{name} {p.opts} has no help"
    for model in (Settings, Scope):
        for field, info in model.model_fields.items():
            assert (info.description or "").strip(), f"setting {field} has no description"


def test_catalogue_lists_each_table_once_with_a_known_stage() -> None:
    assert len(TABLES) == len(set(TABLES))
    stages = {"landing", "build", "canonical", "institutions", "resolve", "people"}
    stages |= {"careers", "evidence", "discovery", "indicators", "pay"}
    assert {e.stage for e in CATALOGUE} <= stages
    assert all(e.grain and e.what for e in CATALOGUE)


def test_a_build_leaves_exactly_the_catalogued_tables(sim_build) -> None:
    _world, atlas, _s = sim_build
    assert set(atlas.tables()) == set(TABLES)
    cat = atlas.table("catalogue").to_pyarrow().to_pylist()
    assert [r["table"] for r in cat] == list(TABLES)
    for r in cat:  # the columns each table really has
        assert r["columns"] == ", ".join(atlas.table(r["table"]).columns), r["table"]
