"""The ``talentatlas`` command: a thin layer over the Python API (:mod:`talentatlas.api`).

Each command module registers its commands on :data:`app`; analysis lives in the
library, so that a command only reads options, calls the API and shows the result."""

# isort: off
# each module registers its commands; `--help` lists them in this order
from talentatlas.cli import build, countries, organisations, graduates, people, pay, lookup, serve  # noqa: F401
from talentatlas.cli.options import app

# isort: on

__all__ = ["app", "main"]


def main() -> None:
    app()
