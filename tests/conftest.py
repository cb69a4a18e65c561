from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from talentatlas.config import Settings
from talentatlas.pipeline import build
from talentatlas.sources.simulated import World, simulate

SHARED = Path(
    os.environ.get("TALENTATLAS_SHARED_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")
).resolve()


def pytest_collection_modifyitems(config, items):
    """Tests that need what this machine lacks skip and say why: the real corpus, or
    Java for the Spark engine (``bash scripts/test`` installs Java where it can)."""
    reasons = {}
    if not SHARED.is_dir():
        reasons["realdata"] = f"real corpus not found at {SHARED} (set TALENTATLAS_SHARED_DATA)"
    if shutil.which("java") is None:
        reasons["spark"] = "no Java for PySpark (Debian: apt-get install openjdk-17-jre-headless)"
    for item in items:
        for mark, reason in reasons.items():
            if mark in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


def make_settings(root: Path, engine: str = "duckdb", **kw) -> Settings:
    return Settings(
        data_dir=root / "data", warehouse=root / "wh" / "atlas.duckdb", engine=engine,
        workers=1, **kw,
    )  # fmt: skip


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED


@pytest.fixture(scope="session")
def sim_world() -> World:
    return simulate(seed=7, n_people=300, noise=0.0)


@pytest.fixture(scope="session")
def sim_build(tmp_path_factory: pytest.TempPathFactory, sim_world: World):
    root = tmp_path_factory.mktemp("sim")
    sim_world.write(root / "data")
    s = make_settings(root)
    build(s)
    from talentatlas.api import Atlas

    return sim_world, Atlas.open(s.warehouse), s
