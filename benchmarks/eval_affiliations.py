"""Evaluate the affiliation matcher on ROR's gold affiliation datasets.

    python benchmarks/eval_affiliations.py [--data-dir ../shared/data] [--threshold 90]

For each gold pair (affiliation string -> one or more ROR ids) the matcher's top match
is compared with the gold ids. The registry copy is a subset of ROR, so pairs are split:

- *present*: every gold id is in the registry copy. Precision = correct top matches /
  matches made; recall = correct top matches / pairs. These are the headline figures.
- *absent*: some gold id is missing from the copy: the right answer cannot be given,
  so every match made there is wrong (``absent_fp``) — the build uses the same partial
  registry, so these wrong matches reach the warehouse;
- a gold id that ROR has since withdrawn in favour of a successor counts as that
  successor (the matcher answers with current records);
- *no id*: the gold says no ROR id fits; every match made there is a false positive
  (reported as ``noid_fp``).

``all_precision`` counts every match made on every pair: correct / (matches on present
pairs + matches on absent pairs + matches on no-id pairs).

Nothing about the gold strings is known to the matcher: it sees the registry only.
The last line is ``name=value`` pairs for comparison from run to run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from talentatlas.resolve.matcher import AffiliationMatcher
from talentatlas.resolve.registry import Institutions
from talentatlas.sources import ror

ROOT = Path(__file__).resolve().parents[1]


def default_data_dir() -> Path:
    env = os.environ.get("TALENTATLAS_SHARED_DATA")
    return Path(env) if env else (ROOT / ".." / "shared" / "data").resolve()


def load_gold(path: Path) -> list[tuple[str, list[str]]]:
    out = []
    for rec in json.loads(path.read_text()):
        ids = rec.get("ror_ids")
        if ids is None:
            ids = [rec["ror-id"]] if rec.get("ror-id") else []
        out.append((rec["affiliation"], [ror.short_id(i) for i in ids]))
    return out


def evaluate(matcher: AffiliationMatcher, gold: list[tuple[str, list[str]]], known: set[str]):
    current = matcher.reg.current
    s = {"pairs": 0, "present": 0, "absent": 0, "noid": 0, "predicted": 0, "correct": 0,
         "noid_fp": 0, "absent_fp": 0, "errors": []}  # fmt: skip
    for text, ids in gold:
        s["pairs"] += 1
        m = matcher.match(text)
        if not ids:
            s["noid"] += 1
            s["noid_fp"] += m.ror_id is not None
            continue
        if not all(i in known for i in ids):
            s["absent"] += 1
            s["absent_fp"] += m.ror_id is not None
            continue
        s["present"] += 1
        if m.ror_id is not None:
            s["predicted"] += 1
            if m.ror_id in ids or m.ror_id in {current(i) for i in ids}:
                s["correct"] += 1
            else:
                s["errors"].append((text, ids, m))
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=default_data_dir())
    ap.add_argument("--threshold", type=int, default=90)
    ap.add_argument("--show-errors", type=int, default=0, help="print this many wrong matches")
    args = ap.parse_args()
    console = Console()
    t0 = time.perf_counter()
    with console.status("reading the ROR registry copy"):
        files = ror.discover(args.data_dir)
        tables = ror.read_registry(files).tables()
        reg = Institutions.from_tables(tables)
        matcher = AffiliationMatcher(reg, threshold=args.threshold)
    known = set(reg.name)
    console.print(f"registry: {len(known):,} institutions from {len(files)} files")
    golds = sorted((args.data_dir / "ror").glob("ror_api_gold_dataset_*.json"))
    if not golds:
        raise SystemExit(f"no gold datasets under {args.data_dir / 'ror'}")
    table = Table("dataset", "pairs", "present", "absent", "no id", "precision", "recall",
                  "absent FP", "no-id FP", title="Top-match accuracy on ROR gold affiliations")  # fmt: skip
    total: dict[str, int] = {}
    t1 = time.perf_counter()
    for path in golds:
        s = evaluate(matcher, load_gold(path), known)
        p = s["correct"] / s["predicted"] if s["predicted"] else 0.0
        r = s["correct"] / s["present"] if s["present"] else 0.0
        name = path.stem.removeprefix("ror_api_gold_dataset_")
        table.add_row(name, str(s["pairs"]), str(s["present"]), str(s["absent"]),
                      str(s["noid"]), f"{p:.3f}", f"{r:.3f}", str(s["absent_fp"]),
                      str(s["noid_fp"]))  # fmt: skip
        for k, v in s.items():
            if k != "errors":
                total[k] = total.get(k, 0) + v
        for text, ids, m in s["errors"][: args.show_errors]:
            console.print(f"[red]x[/] {text!r} gold={ids} got={m.ror_id} "
                          f"({reg.name.get(m.ror_id)}) {m.evidence}")  # fmt: skip
    seconds = time.perf_counter() - t1
    p = total["correct"] / total["predicted"] if total["predicted"] else 0.0
    r = total["correct"] / total["present"] if total["present"] else 0.0
    table.add_row("all", str(total["pairs"]), str(total["present"]), str(total["absent"]),
                  str(total["noid"]), f"{p:.3f}", f"{r:.3f}", str(total["absent_fp"]),
                  str(total["noid_fp"]), style="bold")  # fmt: skip
    console.print(table)
    console.print(
        f"matched {total['pairs']:,} strings in {seconds:.1f}s; "
        f"{total['absent']:,} pairs have a gold id absent from the registry copy"
    )
    made = total["predicted"] + total["absent_fp"] + total["noid_fp"]
    print(
        f"precision={p:.4f} recall={r:.4f} all_precision={total['correct'] / made:.4f} "
        f"pairs={total['pairs']} present={total['present']} absent={total['absent']} "
        f"absent_fp={total['absent_fp']} noid={total['noid']} noid_fp={total['noid_fp']} "
        f"threshold={args.threshold} match_s={seconds:.2f} "
        f"total_s={time.perf_counter() - t0:.1f}"
    )


if __name__ == "__main__":
    main()
