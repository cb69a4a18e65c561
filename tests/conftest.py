from __future__ import annotations

import os
from pathlib import Path

import pytest

from talentatlas.config import Settings
from talentatlas.pipeline import build
from talentatlas.sources.simulated import World, simulate

SHARED = Path(
    os.environ.get("TALENTATLAS_SHARED_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")
).resolve()


def pytest_collection_modifyitems(config, items):
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(
        reason=f"real corpus not found at {SHARED} (set TALENTATLAS_SHARED_DATA)"
    )
    for item in items:
        if "realdata" in item.keywords:
            item.add_marker(skip)


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
