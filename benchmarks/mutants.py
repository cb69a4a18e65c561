"""Mutation check: do the tests fail when the code is wrong in the ways that matter?

    python benchmarks/mutants.py [--only NAME]

Each mutant is a copy of the repository's tracked files with one deliberate fault; the
tests named for it run against the copy (its ``src`` first on ``PYTHONPATH``). A mutant
is *caught* when those tests fail. The real corpus is read from ``../shared/data`` (or
``TALENTATLAS_SHARED_DATA``). The last line is ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant(
        "namesakes_halved",  # two authors of one name taken for a doubled list (issue 10.3)
        "src/talentatlas/sources/fields.py",
        "    for value in per_author:",
        "    for value in ():",
        ("tests/test_build.py::test_every_planted_authorship_lands",),
    ),
    Mutant(
        "empty_reader",  # a reader that gives back nothing (issue 10.4)
        "src/talentatlas/sources/reading.py",
        '    return text.lstrip("\\ufeff"), problems',
        '    return "", problems',
        ("tests/test_properties.py::test_any_truncation_of_a_gzip_array_reads_a_prefix",),
    ),
    Mutant(
        "peak_of_all_children",  # RUSAGE_CHILDREN instead of the case's own (issue 10.2)
        "benchmarks/child.py",
        '    out["peak_rss_mb"] = usage.ru_maxrss / 1024',
        '    out["peak_rss_mb"] = __import__("resource").getrusage('
        '__import__("resource").RUSAGE_CHILDREN).ru_maxrss / 1024',
        ("tests/test_benchmarks.py",),
    ),
    Mutant(
        "linking_looser",  # pairs linked at 3 bits below even odds (issue 10.7: floors)
        "src/talentatlas/resolve/people/params.py",
        "THRESHOLD = 0\n",
        "THRESHOLD = -300\n",
        ("tests/test_people.py::test_simulated_world_recovers_planted_people",),
    ),
    Mutant(
        "spark_at_import",  # the plain install needs PySpark (issue 10.12)
        "src/talentatlas/api.py",
        "from talentatlas.vocabulary import country_code, venue_code, year_in\n",
        "from talentatlas.vocabulary import country_code, venue_code, year_in\nimport pyspark\n",
        ("tests/test_cli.py::test_minimal_install_imports_and_runs_without_test_extras",),
    ),
    Mutant(
        "fuzzier_matching",  # affiliation matches accepted at a lower score (issue 10.8)
        "src/talentatlas/resolve/matcher.py",
        "        threshold: int = 90,",
        "        threshold: int = 84,",
        ("tests/test_institutions.py::test_gold_precision_and_recall",),
    ),
    Mutant(
        "versus_swapped",  # org --versus reports the pair the wrong way round (issue 10.10)
        "src/talentatlas/api.py",
        "        return organisations.balance(self.frame(filters), ids, other)",
        "        return organisations.balance(self.frame(filters), other, ids)",
        ("tests/test_cli.py::test_filters_and_options_the_readme_shows",),
    ),
    Mutant(
        "source_country_ignored",  # a source's country field unread (issue 10.5, slow)
        "src/talentatlas/resolve/affiliations.py",
        "            country = country_from_name(country_src)",
        "            country = None",
        ("tests/test_realdata.py::test_full_real_build",),
    ),
    Mutant(
        "basis_ignored",  # every indicator reads the location basis
        "src/talentatlas/indicators/frame.py",
        'if name == "country" and self.filters.basis == "headquarters":',
        "if False:",
        ("tests/test_indicators.py::test_headquarters_basis_reads_the_top_organisation",),
    ),
    Mutant(
        "authorship_dropped",  # landing loses the last authorship of every file
        "src/talentatlas/landing.py",
        "for table, data in result.tables().items():",
        "for table, data in ((t, d.slice(0, max(0, d.num_rows - 1)) if t == 'authorships'"
        " else d) for t, d in result.tables().items()):",
        ("tests/test_build.py::test_every_planted_authorship_lands",),
    ),
    Mutant(
        "download_restarts",  # a cut download starts again from byte 0
        "src/talentatlas/fetch.py",
        'headers = {"Range": f"bytes={have}-"} if have else {}',
        "headers = {}",
        ("tests/test_fetch.py::test_fetch_resumes_interrupted_downloads",),
    ),
    Mutant(
        "intervals_doubled",  # bootstrap intervals twice as wide
        "src/talentatlas/indicators/bootstrap.py",
        '    for name, arr in (("estimate", estimate), ("lo", lo), ("hi", hi)):',
        "    lo, hi = estimate - 2 * (estimate - lo), estimate + 2 * (hi - estimate)\n"
        '    for name, arr in (("estimate", estimate), ("lo", lo), ("hi", hi)):',
        (
            "tests/test_indicators.py::test_bootstrap_intervals_are_calibrated_over_50_worlds",
            "tests/test_indicators.py::test_migration_rate_intervals_are_calibrated",
        ),
    ),
    Mutant(
        "censored_as_left",  # graduates with an unfinished window counted as leavers
        "src/talentatlas/indicators/graduates.py",
        "censored = g.next_year.isnull() & (g.last + window > last_year)",
        "censored = g.next_year.isnull() & (g.last + window > last_year + 1)",
        ("tests/test_graduates.py::test_stated_graduations_and_destinations_are_the_planted_ones",),
    ),
    Mutant(
        "internship_ends_studies",  # an internship elsewhere taken for the first job
        "src/talentatlas/indicators/graduates.py",
        "moved = elsewhere & ~post.studying",
        "moved = elsewhere",
        ("tests/test_graduates.py::test_what_continues_and_what_ends_a_stated_spell",),
    ),
)


def copy_tree(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)


def run(m: Mutant, work: Path) -> tuple[bool, float]:
    """Apply the mutant to a fresh copy and run its tests: (caught, seconds)."""
    copy = work / m.name
    copy_tree(copy)
    path = copy / m.file
    text = path.read_text()
    if text.count(m.old) != 1:
        sys.exit(f"{m.name}: the text to mutate is not in {m.file} exactly once")
    path.write_text(text.replace(m.old, m.new))
    env = {**os.environ, "PYTHONPATH": str(copy / "src")}
    env.setdefault("TALENTATLAS_SHARED_DATA", str((ROOT / ".." / "shared" / "data").resolve()))
    t = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *m.tests],
        cwd=copy, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if "no tests ran" in p.stdout or p.returncode in (4, 5):
        sys.exit(f"{m.name}: its tests did not run\n{p.stdout[-2000:]}")
    return p.returncode != 0, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", help="run this mutant only")
    args = ap.parse_args()
    chosen = [m for m in MUTANTS if args.only in (None, m.name)]
    caught = 0
    with tempfile.TemporaryDirectory(prefix="talentatlas-mutants-") as tmp:
        for m in chosen:
            ok, secs = run(m, Path(tmp))
            caught += ok
            print(f"{m.name}: {'caught' if ok else 'NOT CAUGHT'} ({secs:.0f}s)", flush=True)
    print(f"mutants={len(chosen)} caught={caught} missed={len(chosen) - caught}")


if __name__ == "__main__":
    main()
