"""Identity-resolution evaluation: the name-only path scored against OpenReview ids.

    python benchmarks/eval_identity.py [--data-dir ../shared/data/openreview] [--only iclr2020,iclr2021]
    python benchmarks/eval_identity.py --warehouse warehouse/atlas.duckdb

Reads OpenReview author files (``authors/<venue>/<venue><year>.jsonl.gz``) with the
project's adapter, hides every person key (OpenReview id, ORCID, DBLP, Scholar) and runs
:func:`talentatlas.resolve.people.link_people` on names, coauthors, affiliations (first
affiliation: normalised name as institution key, e-mail domain), venue and year.

Truth (``--truth``) is by default the OpenReview id in the record's ``authorids`` slot
of each author, the slot aligned with the author names (the adapter re-aligns the
profile-ordered fields, ``sources.openreview.align_profiles``). ``aliases`` joins the
ids one person used (an author slot whose ``authorids`` and own ``or_profile`` ids
differ, or that share a DBLP / ORCID / Scholar key); ``profile`` is the author's own
profile id; ``adapter`` scores against the adapter's ``openreview_id``. Mentions without
an id (e-mail or empty) are linked but not scored.

**The build as it is** (``--warehouse PATH``): no ids hidden, nothing re-aligned. Every
authorship of the built warehouse whose OpenReview id is known from a record aligned
with its names (the ``authorids`` slot of an OpenReview record, read again from the
raw file; the id of a paper list's ``authorids`` slot) is scored: B-cubed precision
and recall of the built persons against those ids (ids joined as ``aliases``), and the
200 most prolific ids: each should end as one person whose name shares a word with
the id. Also counted: OpenReview-keyed persons whose name shares no word with their id.

Scores: B-cubed and pairwise precision/recall/F1, overall and on the mentions of the
200 most frequent names (by mentions with truth), next to the baseline "same
normalised name = same person". The last line is ``name=value`` pairs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import ibis
import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from talentatlas.resolve.names import normalise_name
from talentatlas.sources import REGISTRY
from talentatlas.sources.fields import slots
from talentatlas.sources.openreview import id_name
from talentatlas.sources.reading import iter_json_lines, read_text

ROOT = Path(__file__).resolve().parents[1]
KEY_COLUMNS = ("openreview_id", "orcid", "dblp", "google_scholar")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def default_data_dir() -> Path:
    env = os.environ.get("TALENTATLAS_SHARED_DATA")
    base = Path(env) if env else ROOT / ".." / "shared" / "data"
    return (base / "openreview").resolve()


def discover(data_dir: Path, only: set[str] | None) -> list[Path]:
    base = data_dir / "authors" if (data_dir / "authors").is_dir() else data_dir
    files = sorted(p for p in base.glob("*/*.jsonl*") if p.is_file())
    if only:
        files = [p for p in files if p.name.split(".")[0].split("@")[0] in only]
    return files


def institution_key(raw: str | None) -> str | None:
    """Lower-case ASCII form of an affiliation string (accents folded, punctuation to spaces)."""
    if not raw:
        return None
    s = unicodedata.normalize("NFKD", raw)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = _NON_WORD.sub(" ", s).strip()
    return s or None


def _union(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Each id -> the smallest id connected to it by the pairs."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def raw_records(path: Path) -> dict[int, dict]:
    text, _ = read_text(path)
    return {i: obj for i, obj, _raw in iter_json_lines(text) if isinstance(obj, dict)}


def load(files: list[Path], truth_kind: str, progress: Progress) -> pa.Table:
    """One row per authorship: the mention columns of link_people, and ``truth``."""
    adapter = REGISTRY["openreview"]
    rows = []
    aliases: list[tuple[str, str]] = []
    task = progress.add_task("parse", total=len(files))
    for path in files:
        tables = adapter.parse(path, str(path)).tables()
        works = {r["work_id"]: r for r in tables["works"].to_pylist()}
        affs = {}
        for r in tables["affiliations"].to_pylist():
            if r["aff_pos"] == 0:
                affs[(r["work_id"], r["position"])] = (r["raw"], r["domain"])
        raw = raw_records(path)
        for r in tables["authorships"].to_pylist():
            w = works[r["work_id"]]
            pos = r["position"]
            rec = raw[w["record"]]
            ids = slots(str(rec.get("authorids") or ""), w["n_authors"]) or [""] * w["n_authors"]
            own = ids[pos] if ids[pos].startswith("~") else None
            p = r["openreview_id"] or ""  # the author's own profile id (aligned by the adapter)
            if own and p.startswith("~") and (p == own or id_name(p) == r["name_norm"]):
                # the author's own profile slot: its id and keys belong to the same person
                if p != own:
                    aliases.append((own, p))
                aliases.extend(
                    (own, f"{c}:{r[c]}") for c in ("dblp", "orcid", "google_scholar") if r[c]
                )
            if truth_kind == "adapter":
                truth = r["openreview_id"]
            elif truth_kind == "profile":  # the author's own profile id, else authorids
                truth = p if p.startswith("~") else own
            else:
                truth = own
            aff_raw, domain = affs.get((r["work_id"], pos), (None, None))
            rows.append(
                {
                    "work_id": r["work_id"],
                    "position": pos,
                    "name_norm": r["name_norm"],
                    "year": w["year"],
                    "venue": w["venue"],
                    "domain": domain,
                    "institution": institution_key(aff_raw),
                    "truth": truth,
                }
            )
        progress.advance(task)
    schema = pa.schema(
        [
            ("work_id", pa.string()),
            ("position", pa.int32()),
            ("name_norm", pa.string()),
            ("year", pa.int32()),
            ("venue", pa.string()),
            ("domain", pa.string()),
            ("institution", pa.string()),
            ("truth", pa.string()),
        ]
    )
    if truth_kind == "aliases":
        # keys carried by 3+ names are placeholders or homonym pages, not people
        names_of: dict[str, set[str]] = defaultdict(set)
        by_id = {r["truth"]: r["name_norm"] for r in rows if r["truth"]}
        for own, k in aliases:
            names_of[k].add(by_id.get(own, own))
        root = _union([(a, b) for a, b in aliases if b.startswith("~") or len(names_of[b]) < 3])
        for r in rows:
            if r["truth"] is not None:
                r["truth"] = root.get(r["truth"], r["truth"])
    t = pa.Table.from_pylist(rows, schema=schema)
    for c in KEY_COLUMNS:  # every key hidden
        t = t.append_column(c, pa.nulls(t.num_rows, pa.string()))
    return t


def scores(pred: list[str], truth: list[str]) -> dict[str, float]:
    """B-cubed and pairwise precision/recall/F1 of a clustering against the truth."""
    n = len(pred)
    if n == 0:
        return {
            k: float("nan")
            for k in ("bcubed_p", "bcubed_r", "bcubed_f1", "pair_p", "pair_r", "pair_f1")
        }
    cp = Counter(pred)
    ct = Counter(truth)
    cpt = Counter(zip(pred, truth, strict=True))
    bp = sum(cpt[(p, t)] / cp[p] for p, t in zip(pred, truth, strict=True)) / n
    br = sum(cpt[(p, t)] / ct[t] for p, t in zip(pred, truth, strict=True)) / n

    def pairs(c: Counter) -> int:
        return sum(k * (k - 1) // 2 for k in c.values())

    tp, pp, tt = pairs(cpt), pairs(cp), pairs(ct)
    pair_p = tp / pp if pp else 1.0
    pair_r = tp / tt if tt else 1.0
    return {
        "bcubed_p": bp,
        "bcubed_r": br,
        "bcubed_f1": 2 * bp * br / (bp + br) if bp + br else 0.0,
        "pair_p": pair_p,
        "pair_r": pair_r,
        "pair_f1": 2 * pair_p * pair_r / (pair_p + pair_r) if pair_p + pair_r else 0.0,
    }


def evaluate(
    mentions: pa.Table, resolved: pa.Table, top_n: int = 200
) -> tuple[dict[str, dict[str, float]], int]:
    """Scores for the model and the same-name baseline, overall and on the top names."""
    person = {(r["work_id"], r["position"]): r["person_id"] for r in resolved.to_pylist()}
    items = [
        (r["name_norm"], r["truth"], person[(r["work_id"], r["position"])])
        for r in mentions.select(["work_id", "position", "name_norm", "truth"]).to_pylist()
        if r["truth"] is not None
    ]
    freq = Counter(name for name, _, _ in items)
    top = {name for name, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]}
    sel = [it for it in items if it[0] in top]
    out = {
        "": scores([p or "" for _, _, p in items], [t for _, t, _ in items]),
        "base_": scores([nm for nm, _, _ in items], [t for _, t, _ in items]),
        "top200_": scores([p or "" for _, _, p in sel], [t for _, t, _ in sel]),
        "base_top200_": scores([nm for nm, _, _ in sel], [t for _, t, _ in sel]),
    }
    return out, len(items)


def _words(name: str) -> set[str]:
    return {w for w in normalise_name(name).split() if len(w) >= 2}


def _mapped(work_id: str) -> bool:
    """A work of a venue-year whose authors' ids may come from an author map."""
    from talentatlas.sources.authormaps import USED, venue_year_of

    venue, year, _ = work_id.split(":", 2)
    return (venue, int(year)) in {venue_year_of(n) for n in USED}


def score_build(warehouse: Path, data_root: Path, top_n: int = 200) -> dict[str, object]:
    """Scores of the built persons (see the module doc, "The build as it is")."""
    con = ibis.duckdb.connect(str(warehouse), read_only=True)
    a = con.sql(
        "SELECT a.work_id, a.position, a.source, a.file, a.record, a.name_norm,"
        " a.openreview_id, w.n_authors, l.person_id"
        " FROM authorships a JOIN person_links l USING (work_id, position)"
        " JOIN works w USING (work_id)"
    ).to_pyarrow()
    names = {
        r["person_id"]: r["name"]
        for r in con.sql("SELECT person_id, name FROM persons").to_pyarrow().to_pylist()
    }
    records: dict[str, dict[int, dict]] = {}
    items: list[tuple[str, str]] = []  # (truth id, built person)
    aliases: list[tuple[str, str]] = []
    for r in a.to_pylist():
        if r["source"] == "openreview":
            if r["file"] not in records:
                records[r["file"]] = raw_records(data_root / r["file"])
            rec = records[r["file"]].get(r["record"], {})
            ids = slots(str(rec.get("authorids") or ""), r["n_authors"]) or []
            own = ids[r["position"]] if r["position"] < len(ids) else ""
            own = own if own.startswith("~") else None
            p = r["openreview_id"]
            if own and p and p != own and _words(id_name(p)) & _words(r["name_norm"]):
                aliases.append((own, p))
        elif _mapped(r["work_id"]):
            continue  # an id given by an author map (by name), not read off the record
        else:
            own = r["openreview_id"]
        if own:
            items.append((own, r["person_id"] or ""))
    root = _union(aliases)
    truth = [root.get(t, t) for t, _ in items]
    pred = [p for _, p in items]
    sc = scores(pred, truth)
    by_id: dict[str, Counter] = defaultdict(Counter)
    for t, p in zip(truth, pred, strict=True):
        by_id[t][p] += 1
    top = sorted(by_id, key=lambda t: (-sum(by_id[t].values()), t))[:top_n]
    whole = [t for t in top if len(by_id[t]) == 1]
    named = [
        t for t in top
        if _words(names.get(by_id[t].most_common(1)[0][0], "") or "") & _words(id_name(t))
    ]  # fmt: skip
    split = [(t, dict(by_id[t].most_common(4))) for t in top if len(by_id[t]) > 1]
    keyed = [(pid, nm) for pid, nm in names.items() if pid.startswith("or:")]
    mismatched = [(pid, nm) for pid, nm in keyed if not _words(nm or "") & _words(id_name(pid[3:]))]
    return {
        "build_bcubed_p": f"{sc['bcubed_p']:.4f}", "build_bcubed_r": f"{sc['bcubed_r']:.4f}",
        "build_scored": len(items), f"top{top_n}_one_person": len(whole),
        f"top{top_n}_name_matches_id": len(named), "or_persons_name_not_id": len(mismatched),
        "_split": split[:20], "_mismatched": mismatched,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data-dir", type=Path, default=default_data_dir())
    ap.add_argument("--only", default="", help="comma-separated file stems, e.g. iclr2020,iclr2021")
    ap.add_argument(
        "--truth", choices=["authorids", "aliases", "profile", "adapter"], default="authorids",
        help="authorids: the author's authorids entry; aliases: the same, with two ids joined"
        " when one author slot carries both (authorids and the author's own or_profile id);"
        " profile: the author's own or_profile id (re-aligned), else authorids;"
        " adapter: the adapter's openreview_id",
    )  # fmt: skip
    ap.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all)")
    ap.add_argument("--memory", default="8GB", help="DuckDB memory limit")
    ap.add_argument("--model", action="store_true", help="print the estimated parameters")
    ap.add_argument(
        "--warehouse", type=Path,
        help="score this built warehouse as it is (its data directory: --data-dir's parent)",
    )  # fmt: skip
    args = ap.parse_args()

    if args.warehouse is not None:
        out = score_build(args.warehouse, args.data_dir.parent)
        console = Console()
        for t, parts in out.pop("_split"):
            console.print(f"split: {t} -> {parts}")
        for pid, nm in out.pop("_mismatched"):
            console.print(f"name not id: {pid} {nm!r}")
        print(" ".join(f"{k}={v}" for k, v in out.items()))
        return

    from talentatlas.resolve.people import resolve_people
    from talentatlas.resolve.people.components import local_components

    console = Console(stderr=True)
    only = {s.strip() for s in args.only.split(",") if s.strip()} or None
    files = discover(args.data_dir, only)
    if not files:
        sys.exit(f"no OpenReview author files under {args.data_dir}")
    t0 = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console,
    ) as progress:  # fmt: skip
        data = load(files, args.truth, progress)
    t_parse = time.perf_counter() - t0
    console.print(f"{len(files)} files, {data.num_rows:,} mentions parsed in {t_parse:.1f}s")

    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit = '{args.memory}'")
    if args.threads:
        con.raw_sql(f"SET threads = {int(args.threads)}")
    mentions = con.create_table("mentions", data.drop_columns(["truth"]))

    def materialize(name: str, expr: ibis.Table) -> ibis.Table:
        return con.create_table(name, expr, overwrite=True)

    def local(edges: ibis.Table, name: str) -> ibis.Table:  # as a DuckDB build does
        return con.create_table(name, local_components(edges.to_pyarrow()), overwrite=True)

    with console.status("linking people"):
        t1 = time.perf_counter()
        result = resolve_people(mentions, materialize=materialize, local=local)
        resolved = result.table.to_pyarrow()
        t_link = time.perf_counter() - t1
    console.print(f"link_people: {t_link:.1f}s for {data.num_rows:,} mentions")
    if args.model:
        console.print(result.model.describe())

    sc, n_truth = evaluate(data, resolved)
    table = RichTable(title=f"identity resolution, {n_truth:,} mentions with truth ({args.truth})")
    for col in ("scope", "method", "B3 P", "B3 R", "B3 F1", "pair P", "pair R", "pair F1"):
        table.add_column(col, justify="right" if " " in col else "left")
    for scope, pre in (("all", ""), ("top 200 names", "top200_")):
        for method, p in (("model", pre), ("same name", "base_" + pre)):
            s = sc[p]
            table.add_row(
                scope, method,
                *(f"{s[k]:.4f}" for k in ("bcubed_p", "bcubed_r", "bcubed_f1", "pair_p", "pair_r", "pair_f1")),
            )  # fmt: skip
    Console().print(table)
    persons = len({p for p in resolved.column("person_id").to_pylist() if p})
    vals: dict[str, object] = {}
    for pre in ("", "top200_", "base_", "base_top200_"):
        for k in ("bcubed_p", "bcubed_r", "bcubed_f1", "pair_p", "pair_r", "pair_f1"):
            vals[pre + k] = f"{sc[pre][k]:.4f}"
    vals.update(
        mentions=data.num_rows, scored=n_truth, persons=persons, files=len(files),
        truth=args.truth, link_seconds=f"{t_link:.1f}",
        seconds=f"{time.perf_counter() - t0:.1f}",
    )  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in vals.items()))


if __name__ == "__main__":
    main()
