"""Generate, ingest, resolve, export links and score, all through `python -m credit` as a user would.

    python -m bench.contract.run --enterprises N [--seed S] [--workdir DIR] [--db URL] [--reuse]

Each step runs as its own process; wall time and CPU time (user + sys of the children, from
getrusage) are printed beside the load average. Rejected rows and warnings of every upload are
written under WORKDIR/ingest/ and counted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.contract import generate, score


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def step(name: str, cmd: list[str], env: dict[str, str], timings: dict) -> subprocess.CompletedProcess[str]:
    t0, c0 = time.perf_counter(), _cpu()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    t = timings.setdefault(name, {"wall": 0.0, "cpu": 0.0})
    t["wall"] += wall
    t["cpu"] += cpu
    if done.returncode != 0:
        print(f"{name}: exit {done.returncode}\n{done.stderr[-2000:]}", file=sys.stderr)
    return done


def _rows(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return max(0, sum(1 for _ in csv.reader(fh)) - 1)


def run(n: int, seed: int, workdir: Path, db: str | None, reuse: bool) -> dict:
    data = workdir / "data"
    timings: dict[str, dict[str, float]] = {}
    t0 = time.perf_counter()
    if not (reuse and (data / "manifest.json").exists()):
        generate.generate(n, seed, data)
    timings["generate"] = {"wall": time.perf_counter() - t0, "cpu": 0.0}
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    if db is None:
        dbfile = workdir / "credit.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(dbfile) + suffix).unlink(missing_ok=True)
        db = f"sqlite:///{dbfile}"
    shutil.rmtree(workdir / "keys", ignore_errors=True)
    shutil.rmtree(workdir / "ingest", ignore_errors=True)
    (workdir / "ingest").mkdir(parents=True)
    env = {**os.environ, "CREDIT_DATABASE_URL": db, "CREDIT_KEY_DIR": str(workdir / "keys")}
    env.pop("CREDIT_KEY_FILE", None)
    env.pop("CREDIT_DATA_KEYS", None)
    py = [sys.executable, "-m", "credit"]
    step("init", py + ["keys", "init"], env, timings)
    step("init", py + ["init-db"], env, timings)
    rejects = warnings = failed = 0
    groups: list[list[dict]] = []
    for u in manifest["uploads"]:  # consecutive files of one type go in one command, a batch each
        if groups and (groups[-1][0]["department"], groups[-1][0]["type"]) == (u["department"], u["type"]) \
                and not u.get("repeat"):
            groups[-1].append(u)
        else:
            groups.append([u])
    for i, g in enumerate(groups):
        rej, warn = workdir / "ingest" / f"{i:02d}-rejects.csv", workdir / "ingest" / f"{i:02d}-warnings.csv"
        done = step("ingest", py + ["ingest", "-d", g[0]["department"], "-t", g[0]["type"], "--no-resolve", "-q",
                                    "--rejects", str(rej), "--warnings", str(warn)]
                    + [str(data / u["path"]) for u in g], env, timings)
        failed += done.returncode != 0
        rejects += _rows(rej)
        warnings += _rows(warn)
    step("resolve", py + ["resolve", "--full"], env, timings)
    links = workdir / "links.csv"
    step("links", py + ["links", "--out", str(links)], env, timings)
    records, entities, relations = score.load_truth(data)
    result = score.score(records, entities, relations, score.load_links(links))
    result["ingest"] = {"uploads": len(manifest["uploads"]), "failed_uploads": failed, "rejected_rows": rejects,
                        "warnings": warnings}
    result["timings"] = timings
    result["load"] = os.getloadavg()
    result["entities"] = manifest["entities"]
    score.write_samples(workdir / "samples.csv", records, result)
    (workdir / "result.json").write_text(json.dumps({k: v for k, v in result.items() if not k.startswith("_")},
                                                    indent=1), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.contract.run", description=__doc__.split("\n")[0])
    ap.add_argument("--enterprises", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None, help="default /tmp/lz-contract-N")
    ap.add_argument("--db", help="database URL (default a fresh SQLite file in the workdir)")
    ap.add_argument("--reuse", action="store_true", help="reuse the generated files of an earlier run")
    a = ap.parse_args(argv)
    workdir = a.workdir or Path(f"/tmp/lz-contract-{a.enterprises}")
    workdir.mkdir(parents=True, exist_ok=True)
    r = run(a.enterprises, a.seed, workdir, a.db, a.reuse)
    ing = r["ingest"]
    print(f"{r['entities']:,} entities · uploads {ing['uploads']} (failed {ing['failed_uploads']}) · rejected rows "
          f"{ing['rejected_rows']} · warnings {ing['warnings']}")
    for name, t in r["timings"].items():
        print(f"  {name:9} wall {t['wall']:7.1f} s  CPU {t['cpu']:7.1f} s")
    print(f"  load average {r['load'][0]:.2f} {r['load'][1]:.2f} {r['load'][2]:.2f}")
    score.report(r)
    print(f"samples: {workdir / 'samples.csv'} · figures: {workdir / 'result.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
