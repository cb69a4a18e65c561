"""Generate the command and settings reference from the code: `docs/reference.md` and
the command list in the README (between its `commands` markers), and the warehouse catalogue
`docs/warehouse.md`.

    python scripts/reference.py           # rewrite both
    python scripts/reference.py --check   # exit 1 when either is stale (run by the tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import typer.main

from talentatlas.catalogue import markdown
from talentatlas.cli import app
from talentatlas.config import Scope, Settings

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference.md"
README = ROOT / "README.md"
WAREHOUSE = ROOT / "docs" / "warehouse.md"
WAREHOUSE_INTRO = """# Warehouse tables

Every table a build leaves in the warehouse (`warehouse/atlas.duckdb`, or one Parquet
dataset per table with `--engine spark`), with the stage that writes it and its grain.
The same catalogue, with each table's columns, is in the warehouse itself (table
`catalogue`). Working tables of the build (the person linker's pair and cluster
tables, the author-map matches, the facts before inference) live in temporary storage
and are gone when the build ends; `talentatlas build --keep-scratch` keeps them for
debugging. Generated from `src/talentatlas/catalogue.py` by `python
scripts/reference.py`; a test fails when a build leaves a table the catalogue does not
list. Definitions: [methodology.md](methodology.md)."""
START, END = "<!-- commands:start -->", "<!-- commands:end -->"


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def commands() -> list[tuple[str, Any]]:
    """``(name, command)`` of every command of the CLI, in its order."""
    return list(typer.main.get_command(app).commands.items())  # type: ignore[attr-defined]


def _option_row(p: Any) -> str:
    if p.param_type_name == "argument":
        return f"| `{p.name.upper()}` (argument) | {_cell(getattr(p, 'help', '') or '')} |"
    names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
    default = p.default if p.default not in (None, (), False) or p.is_flag else None
    extra = f" (default: `{default}`)" if default is not None and not callable(default) else ""
    return f"| {names} | {_cell(p.help or '')}{extra} |"


def reference() -> str:
    out = [
        "# Reference",
        "",
        "Generated from the code by `python scripts/reference.py`; a test fails when it is",
        "stale. Definitions of the figures: [methodology.md](methodology.md); warehouse",
        "tables: [warehouse.md](warehouse.md).",
        "",
        "## Commands",
        "",
    ]
    for name, cmd in commands():
        out += [f"### `talentatlas {name}`", "", " ".join((cmd.help or "").split()), ""]
        params = [p for p in cmd.params if p.name != "help"]
        if params:
            out += ["| option | meaning |", "| --- | --- |"]
            out += [_option_row(p) for p in params]
            out.append("")
    out += [
        "## Settings",
        "",
        "Flags, then environment variables, then `talentatlas.toml` in the working",
        "directory (or at `TALENTATLAS_CONFIG`). Nested settings take `__` in the",
        "environment (`TALENTATLAS_SCOPE__YEAR_MIN=2015`) and a table in the file",
        "(`[scope]`).",
        "",
        "| setting | environment | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for prefix, model, env in (("", Settings, "TALENTATLAS_"), ("scope.", Scope, None)):
        for name, f in model.model_fields.items():
            default = f.default if f.default_factory is None else f.default_factory()
            var = f"`{env}{name.upper()}`" if env else f"`TALENTATLAS_SCOPE__{name.upper()}`"
            out.append(f"| `{prefix}{name}` | {var} | `{default}` | {_cell(f.description or '')} |")
    return "\n".join(out) + "\n"


def readme_section() -> str:
    rows = ["| command | what it does |", "| --- | --- |"]
    for name, cmd in commands():
        rows.append(f"| `talentatlas {name}` | {_cell(_first_paragraph(cmd.help))} |")
    rows += ["", "Every option and setting: [docs/reference.md](docs/reference.md)."]
    return "\n".join([START, *rows, END])


def readme(text: str) -> str:
    if START not in text:
        raise SystemExit(f"README.md has no {START} marker")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    return head + readme_section() + tail


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true", help="exit 1 when a file is stale")
    args = ap.parse_args()
    stale = []
    for path, new in (
        (REFERENCE, reference()),
        (README, readme(README.read_text())),
        (WAREHOUSE, markdown(WAREHOUSE_INTRO)),
    ):
        old = path.read_text() if path.exists() else ""
        if old != new:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new)
    if args.check and stale:
        print(f"stale: {', '.join(map(str, stale))}; run python scripts/reference.py")
        sys.exit(1)
    print("reference up to date" if not stale else f"wrote {', '.join(map(str, stale))}")


if __name__ == "__main__":
    main()
