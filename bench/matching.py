"""Matching benchmark: labelled messy data → ingest → resolve → links, scored pairwise.

    python -m bench.matching --records 10000 --records 100000 [--incremental 10000] [--workdir DIR]

For each size: ``credit.demodata.datagen`` writes CSV files with the hard cases and ``truth.csv``; each file
goes through ``python -m credit ingest``; ``resolve`` (full) and ``write_links`` run in a child
process whose wall time and peak memory are reported; the links are scored against the truth:
pairwise precision, recall and F1, and false merges of a branch with its head office, of two
different companies with similar names and of two individual businesses with the same name; and
pair precision and recall of the pairs touching each category of issue 9: records of individual
businesses, records carrying a 20-character taxpayer id, records of operator-name businesses
(``--records 6000`` is about 2k enterprises, ``--records 60000`` about 20k).
With ``--incremental N`` a second, independent batch of about N records (other seed, prefixed
record ids) is ingested afterwards and resolved incrementally, timed, and everything scored again.
Files are ingested with ``--no-resolve``: the full run and the incremental run (the whole batch
in one run) are the only resolves, each timed with its CPU time (the forked scorer's included)
and the load average before and after.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

from credit.demodata import datagen
from credit.domain.schema import create_all
from credit.kernel.db import make_engine

log = logging.getLogger(__name__)

CHILD = """
import json, os, resource, sys, time
from credit.kernel.db import make_engine
from matching.service import resolve, write_links
def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
engine = make_engine(sys.argv[1])
load = os.getloadavg()[0]
t0, c0 = time.perf_counter(), cpu()
r = resolve(engine, full=sys.argv[2] == "full")
dt, cpu_s = time.perf_counter() - t0, cpu() - c0
t1 = time.perf_counter()
links = write_links(engine, sys.argv[3])
print(r.counts(), file=sys.stderr)
print(json.dumps({"seconds": dt, "cpu_seconds": cpu_s, "load": [load, os.getloadavg()[0]],
                  "links_seconds": time.perf_counter() - t1, "rows": links.rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "records": r.records, "changed": r.changed, "new": len(r.new), "merges": len(r.merges),
                  "splits": len(r.splits), "reviews": r.reviews}))
"""


def generate(out: Path, records: int, seed: int, id_prefix: str = "") -> tuple[Path, list[tuple[str, str, Path]]]:
    """Generate about ``records`` labelled records as UTF-8 CSV; (truth path, files)."""
    m = datagen.generate(out, enterprises=max(20, round(records / 3.0)), seed=seed, forms=("csv",),
                         encodings=("utf-8",), mess=0.3)
    files = [(f.department, f.type, out / Path(f.path).name) for f in m.files]
    if id_prefix:
        for _, _, path in files:
            _prefix_ids(path, id_prefix)
        _prefix_truth(Path(m.truth), id_prefix)
    return Path(m.truth), files


def _prefix_ids(path: Path, prefix: str) -> None:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    col = None
    for row in rows:
        if col is None and "记录编号" in row:
            col = row.index("记录编号")
        elif col is not None and len(row) > col and row[col]:
            row[col] = prefix + row[col]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def _prefix_truth(path: Path, prefix: str) -> None:
    rows = datagen.read_truth(path)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            r["record_id"] = prefix + r["record_id"]
            r["entity_id"] = prefix + r["entity_id"]
            w.writerow(r)


def ingest(db_url: str, files: list[tuple[str, str, Path]]) -> float:
    """Ingest every file with the CLI; seconds taken."""
    env = {**os.environ, "CREDIT_DATABASE_URL": db_url}
    if not (os.environ.get("CREDIT_KEY_FILE") or os.environ.get("CREDIT_DATA_KEYS")):  # ID numbers are sealed
        from credit.kernel import keys

        env["CREDIT_KEY_FILE"] = str(keys.init_keys(Path(db_url.removeprefix("sqlite:///")).parent / "keys.json")[0])
    t0 = time.perf_counter()
    for department, record_type, path in files:
        subprocess.run([sys.executable, "-m", "credit", "ingest", "-d", department, "-t", record_type, "-q",
                        "--no-resolve", str(path)], check=False, env=env, capture_output=True, text=True)
    return time.perf_counter() - t0


def run_resolve(db_url: str, mode: str, links: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, db_url, mode, str(links)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    log.info(out.stderr.strip())
    return json.loads(out.stdout.strip().splitlines()[-1])


def read_entities(path: Path, prefix: str = "") -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {prefix + r["entity_id"]: {**r, "related": prefix + r["related"] if r["related"] else ""}
                for r in csv.DictReader(fh)}


def score(truth_rows: list[dict[str, str]], links_path: Path, entities: dict[str, dict[str, str]]) -> dict:
    """Pairwise precision / recall / F1 and the false merges by hard case."""
    truth = {(r["department"], r["type"], r["record_id"]): r["entity_id"] for r in truth_rows}
    pred: dict[tuple[str, str, str], str] = {}
    with open(links_path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            pred[(r["department"], r["type"], r["record_id"])] = r["enterprise_id"]
    keys = [k for k in truth if k in pred and pred[k]]
    pairs = lambda n: n * (n - 1) // 2  # noqa: E731
    both = Counter((truth[k], pred[k]) for k in keys)
    tp = sum(pairs(n) for n in both.values())
    t_pairs = sum(pairs(n) for n in Counter(truth[k] for k in keys).values())
    p_pairs = sum(pairs(n) for n in Counter(pred[k] for k in keys).values())
    precision = tp / p_pairs if p_pairs else 1.0
    recall = tp / t_pairs if t_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    merged = _merged_entity_pairs(keys, truth, pred)
    kinds = Counter()
    for a, b in merged:
        ea, eb = entities.get(a, {}), entities.get(b, {})
        if ea.get("related") == b or eb.get("related") == a:
            rel = ea if ea.get("related") == b else eb
            kinds["branch" if "branch" in rel.get("kind", "") else
                  "individual" if "individual" in rel.get("kind", "") else "similar_name"] += 1
        else:
            kinds["other"] += 1
    return {"records": len(keys), "missing_links": len(truth) - len(keys), "precision": precision,
            "recall": recall, "f1": f1, "false_merges": dict(kinds),
            "categories": category_scores(truth_rows, truth, pred, keys)}


CATEGORIES = {  # records involving: an individual business, a 20-character taxpayer id, an operator-name business
    "individual": lambda r: "individual" in r["kind"],
    "tax20": lambda r: "tax20" in r["mess"].split(";"),
    "operator_name": lambda r: "operator_name" in r["kind"],
}


def category_scores(truth_rows: list[dict[str, str]], truth: dict, pred: dict, keys: list) -> dict:  # type: ignore[type-arg]
    """Pair precision and recall of the pairs with at least one record of each category."""
    rows = {(r["department"], r["type"], r["record_id"]): r for r in truth_rows}
    pairs = lambda n: n * (n - 1) // 2  # noqa: E731
    out = {}
    for name, member in CATEGORIES.items():
        in_cat = {k for k in keys if member(rows[k])}
        tot_t: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        tot_p: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        both: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for k in keys:
            c = int(k in in_cat)
            for group in (tot_t[truth[k]], tot_p[pred[k]], both[(truth[k], pred[k])]):
                group[0] += 1
                group[1] += c
        touching = lambda g: pairs(g[0]) - pairs(g[0] - g[1])  # noqa: E731
        tp = sum(touching(g) for g in both.values())
        t_pairs = sum(touching(g) for g in tot_t.values())
        p_pairs = sum(touching(g) for g in tot_p.values())
        out[name] = {"records": len(in_cat), "precision": tp / p_pairs if p_pairs else 1.0,
                     "recall": tp / t_pairs if t_pairs else 1.0}
    return out


def _merged_entity_pairs(keys, truth, pred) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    by_pred: dict[str, set[str]] = defaultdict(set)
    for k in keys:
        by_pred[pred[k]].add(truth[k])
    out: set[tuple[str, str]] = set()
    for ents in by_pred.values():
        if len(ents) > 1:
            out.update(tuple(sorted(p)) for p in combinations(sorted(ents), 2))  # type: ignore[misc]
    return out


def bench(records: int, workdir: Path, seed: int, incremental: int, reuse: bool = False,
          only_ingest: bool = False, reingest: bool = False) -> None:
    base = workdir / f"m{records}"
    base.mkdir(parents=True, exist_ok=True)
    db, snapshot = base / "bench.db", base / "ingested.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    truth_path = base / "gen" / "truth.csv"
    gen_s = ing_s = 0.0
    if reuse and snapshot.exists() and truth_path.exists():
        shutil.copyfile(snapshot, db)  # the database as ingested by an earlier run: no generation or ingest
    else:
        t0 = time.perf_counter()
        if reingest and truth_path.exists():  # the files generated by an earlier run, ingested anew
            files = [(f["department"], f["type"], base / "gen" / Path(f["path"]).name)
                     for f in json.loads((base / "gen" / "manifest.json").read_text())["files"]]
        else:
            truth_path, files = generate(base / "gen", records, seed)
        gen_s = time.perf_counter() - t0
        _init_db(url)
        ing_s = ingest(url, files)
        _checkpoint(db)
        shutil.copyfile(db, snapshot)
    if only_ingest:
        print(f"{records:>9,} records: generate {gen_s:.0f}s, ingest {ing_s:.0f}s", flush=True)
        return
    figures = run_resolve(url, "full", base / "links.csv")
    truth = datagen.read_truth(truth_path)
    entities = read_entities(truth_path.with_name("entities.csv"))
    result = score(truth, base / "links.csv", entities)
    print(f"{records:>9,} records: generate {gen_s:.0f}s, ingest {ing_s:.0f}s | resolve full {figures['seconds']:.1f}s "
          f"(CPU {figures['cpu_seconds']:.1f}s, load {figures['load'][0]:.1f}-{figures['load'][1]:.1f}), "
          f"peak {figures['peak_mb']:.0f} MB (worker {figures['worker_peak_mb']:.0f} MB), "
          f"links {figures['links_seconds']:.1f}s | {_fmt(result)} | "
          f"reviews {figures['reviews']}", flush=True)
    if incremental:
        truth2 = base / "gen2" / "truth.csv"
        if reuse and truth2.exists():
            files2 = [(f["department"], f["type"], base / "gen2" / Path(f["path"]).name)
                      for f in json.loads((base / "gen2" / "manifest.json").read_text())["files"]]
        else:
            shutil.rmtree(base / "gen2", ignore_errors=True)
            truth2, files2 = generate(base / "gen2", incremental, seed + 1000, id_prefix="INC")
        ingest(url, files2)
        fig2 = run_resolve(url, "incremental", base / "links2.csv")
        entities.update(read_entities(truth2.with_name("entities.csv"), "INC"))
        result2 = score(truth + datagen.read_truth(truth2), base / "links2.csv", entities)
        print(f"  + {incremental:,} new records incremental: resolve {fig2['seconds']:.1f}s "
              f"(CPU {fig2['cpu_seconds']:.1f}s, load {fig2['load'][0]:.1f}-{fig2['load'][1]:.1f}), "
              f"{fig2['records']:,} records in the run, peak {fig2['peak_mb']:.0f} MB "
              f"(worker {fig2['worker_peak_mb']:.0f} MB)"
              f" | {_fmt(result2)}", flush=True)


def _init_db(url: str) -> None:
    subprocess.run([sys.executable, "-m", "credit", "init-db"], env={**os.environ, "CREDIT_DATABASE_URL": url},
                   check=False, capture_output=True)
    engine = make_engine(url)
    create_all(engine)
    engine.dispose()


def _checkpoint(db: Path) -> None:
    """Fold the SQLite WAL into the database file, so that one file copy is the whole database."""
    import sqlite3
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _fmt(r: dict) -> str:
    cats = " ".join(f"{k} ({c['records']}) P {c['precision']:.4f} R {c['recall']:.4f}"
                    for k, c in r.get("categories", {}).items())
    return (f"P {r['precision']:.4f} R {r['recall']:.4f} F1 {r['f1']:.4f} | false merges {r['false_merges']} "
            f"| unlinked {r['missing_links']} | {cats}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__.split("\n")[0])
    p.add_argument("--records", type=int, action="append", help="benchmark size (repeatable)")
    p.add_argument("--incremental", type=int, default=0, help="then resolve this many new records incrementally")
    p.add_argument("--workdir", default="/tmp/lz-match")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--reuse", action="store_true", help="reuse the data generated and ingested by an earlier run")
    p.add_argument("--only-ingest", action="store_true", help="generate and ingest, do not resolve")
    p.add_argument("--reingest", action="store_true", help="ingest the files generated by an earlier run anew")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if os.environ.get("BENCH_VERBOSE") else logging.WARNING, format="%(message)s")
    for n in args.records or [10_000]:
        bench(n, Path(args.workdir), args.seed, args.incremental, args.reuse, args.only_ingest, args.reingest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
