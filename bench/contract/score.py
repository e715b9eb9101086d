"""Score a links file against the truth, pairwise, overall and per category.

    python -m bench.contract.score --data DIR (--links FILE | --db URL) [--samples FILE] [--json FILE]

Pair precision / recall / F1 overall and for every category flag (a pair counts for a category when
either of its records carries the flag), false merges by the kind of the two entities joined, the
bars of issue 9, and a sample of missed and falsely merged pairs with both records' key fields.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HEADLINE = ["individual", "taxpayer_id_20", "operator_name", "branch", "head_office", "same_trade_name_other_city",
            "one_char_apart_same_city", "company"]
ZERO_MERGE_KINDS = ["branch_head", "sibling_branches", "same_trade_name_other_city", "one_char_apart_same_city"]
Key = tuple[str, str, str]


def c2(n: int) -> int:
    return n * (n - 1) // 2


def load_truth(data: Path) -> tuple[dict[Key, dict], dict[str, dict], dict[frozenset[str], str]]:
    records: dict[Key, dict] = {}
    with open(data / "truth" / "records.jsonl", encoding="utf-8") as fh:
        for line in fh:
            t = json.loads(line)
            if "individual" not in t["flags"]:
                t["flags"].append("company")
            records[(t["department"], t["type"], t["record_id"])] = t
    with open(data / "truth" / "entities.jsonl", encoding="utf-8") as fh:
        entities = {e["entity"]: e for e in map(json.loads, fh)}
    relations: dict[frozenset[str], str] = {}
    with open(data / "truth" / "relations.jsonl", encoding="utf-8") as fh:
        for r in map(json.loads, fh):
            relations[frozenset((r["a"], r["b"]))] = r["kind"]
    return records, entities, relations


def load_links(path: Path) -> dict[Key, str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {(r["department"], r["type"], r["record_id"]): r["enterprise_id"] for r in csv.DictReader(fh)}


def prf(tp: int, pred: int, true: int) -> dict[str, Any]:
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp,
            "predicted_pairs": pred, "true_pairs": true}


def score(records: dict[Key, dict], entities: dict[str, dict], relations: dict[frozenset[str], str],
          links: dict[Key, str]) -> dict:
    missing = [k for k in records if k not in links]
    pred_of = {k: links.get(k, "unlinked:" + "/".join(k)) for k in records}
    true_of = {k: t["entity"] for k, t in records.items()}
    flags = sorted({f for t in records.values() for f in t["flags"]})
    cluster: dict[str, list[Key]] = defaultdict(list)
    for k, p in pred_of.items():
        cluster[p].append(k)
    ent: dict[str, list[Key]] = defaultdict(list)
    for k, e in true_of.items():
        ent[e].append(k)

    def counts(groups: Mapping[Any, list[Key]]) -> tuple[int, dict[str, int]]:
        total, per = 0, Counter[str]()
        for ks in groups.values():
            n = len(ks)
            total += c2(n)
            have = Counter(f for k in ks for f in records[k]["flags"])
            for f in flags:  # pairs with at least one flagged record
                if have[f]:
                    per[f] += c2(n) - c2(n - have[f])
        return total, dict(per)

    cells: dict[tuple[str, str], list[Key]] = defaultdict(list)
    for k in records:
        cells[(pred_of[k], true_of[k])].append(k)
    tp, tp_cat = counts(cells)
    pp, pp_cat = counts(cluster)
    tt, tt_cat = counts(ent)
    result: dict[str, Any] = {"records": len(records), "unlinked": len(missing),
                              "links_not_in_truth": len(set(links) - set(records)),
              "overall": prf(tp, pp, tt),
              "categories": {f: prf(tp_cat.get(f, 0), pp_cat.get(f, 0), tt_cat.get(f, 0)) for f in flags}}
    merges: Counter[str] = Counter()
    merge_pairs: list[tuple[str, Key, Key]] = []
    for ks in cluster.values():
        by_ent: dict[str, list[Key]] = defaultdict(list)
        for k in ks:
            by_ent[true_of[k]].append(k)
        es = sorted(by_ent)
        if len(es) > 60:
            merges["giant_cluster"] += 1
            continue
        for i, a in enumerate(es):
            for b in es[i + 1:]:
                kind = relations.get(frozenset((a, b))) or _infer(entities[a], entities[b])
                merges[kind] += 1
                merge_pairs.append((kind, by_ent[a][0], by_ent[b][0]))
    result["false_merges"] = dict(merges)
    missed: list[tuple[str, Key, Key]] = []
    for ks in ent.values():
        parts: dict[str, list[Key]] = defaultdict(list)
        for k in ks:
            parts[pred_of[k]].append(k)
        if len(parts) > 1:
            ordered = sorted(parts.values(), key=len, reverse=True)
            for part in ordered[1:]:
                missed.append((_main_flag(records[part[0]]["flags"]), ordered[0][0], part[0]))
    by_types: Counter[str] = Counter()
    for ks in ent.values():
        parts_t: dict[str, list[Key]] = defaultdict(list)
        for k in ks:
            parts_t[pred_of[k]].append(k)
        if len(parts_t) > 1:  # the record types of each part left apart from the largest one
            ordered_t = sorted(parts_t.values(), key=len, reverse=True)
            main = "+".join(sorted({f"{k[0]}/{k[1]}" for k in ordered_t[0]}))
            for part in ordered_t[1:]:
                by_types["+".join(sorted({f"{k[0]}/{k[1]}" for k in part})) + "  apart from  " + main] += 1
    result["missed_parts_by_types"] = dict(by_types)
    weak = [k for k, t in records.items() if "weak_evidence" not in t["flags"]]
    sub_cells = {c: [k for k in ks if "weak_evidence" not in records[k]["flags"]] for c, ks in cells.items()}
    sub_cl = {c: [k for k in ks if "weak_evidence" not in records[k]["flags"]] for c, ks in cluster.items()}
    sub_ent = {c: [k for k in ks if "weak_evidence" not in records[k]["flags"]] for c, ks in ent.items()}
    result["overall_without_weak"] = prf(sum(c2(len(v)) for v in sub_cells.values()),
                                         sum(c2(len(v)) for v in sub_cl.values()),
                                         sum(c2(len(v)) for v in sub_ent.values()))
    result["overall_without_weak"]["records"] = len(weak)
    result["missed_cause"] = dict(Counter(_cause(records[a], records[b]) + " | " + kind for kind, a, b in missed))
    result["bars"] = bars(result)
    result["_samples"] = (missed, merge_pairs)
    return result


def _infer(a: dict, b: dict) -> str:
    if a["kind"] == "individual" and b["kind"] == "individual":
        if a["operator"] == b["operator"]:
            return "individual_same_operator_name"
        return "individual_other"
    if "individual" in (a["kind"], b["kind"]):
        return "individual_with_company"
    if a["head"] and a["head"] == b["head"] or b["entity"] == a["head"] or a["entity"] == b["head"]:
        return "branch_head"
    return "other"


def _main_flag(flags: list[str]) -> str:
    return next((f for f in HEADLINE if f in flags), "company")


def norm_code(s: str | None) -> str:
    if not s:
        return ""
    s = unicodedata.normalize("NFKC", s).upper().replace(" ", "").replace("-", "")
    return s.replace("O", "0")


def norm_name(s: str | None) -> str:
    s = unicodedata.normalize("NFKC", s or "").replace(" ", "")
    return s.replace("(", "（").replace(")", "）")


def identity_keys(t: dict) -> set[str]:
    f = t["fields"]
    out = set()
    for col in ("uscc", "reg_no", "org_code", "taxpayer_id", "loan_card"):
        c = norm_code(f.get(col))
        if not c or set(c) == {"0"}:
            continue
        if len(c) == 18 and col != "legal_rep_id":
            out.add("code:" + c)
            out.add("org:" + c[8:17])
        elif len(c) == 20:
            out.add("person:" + c[:18])
        elif len(c) == 9:
            out.add("org:" + c)
        elif len(c) == 15 and col == "taxpayer_id":
            out.add("org:" + c[6:])
        else:
            out.add("code:" + c)
    if f.get("legal_rep_id"):
        out.add("person:" + norm_code(f["legal_rep_id"]))
    return out


def _cause(a: dict, b: dict) -> str:
    shared = {k.split(":")[0] for k in identity_keys(a) & identity_keys(b)}
    if "code" in shared:
        return "same code"
    if "org" in shared:
        return "same organization code"
    if "person" in shared:
        return "same operator ID number"
    if norm_name(a["fields"].get("name")) == norm_name(b["fields"].get("name")):
        return "same written name, no shared code"
    return "nothing shared directly"


def bars(r: dict) -> dict[str, bool]:
    cats, out = r["categories"], {}
    for f in ("individual", "taxpayer_id_20", "operator_name"):
        c = cats.get(f, {"recall": 1.0, "precision": 1.0})
        out[f"{f} recall >= 0.98 at precision >= 0.999"] = c["recall"] >= 0.98 and c["precision"] >= 0.999
    out["overall F1 >= 0.995"] = r["overall"]["f1"] >= 0.995
    for k in ZERO_MERGE_KINDS:
        out[f"zero {k} merges"] = r["false_merges"].get(k, 0) == 0
    return out


def write_samples(path: Path, records: dict[Key, dict], result: dict, per_kind: int = 40) -> None:
    missed, merged = result["_samples"]
    cols = ["name", "uscc", "reg_no", "org_code", "taxpayer_id", "loan_card", "legal_rep", "legal_rep_id", "address",
            "former"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["problem", "kind", "cause", "side", "record", "file:row", "entity", "flags"] + cols)
        for problem, pairs in (("missed", missed), ("false_merge", merged)):
            seen: Counter[str] = Counter()
            for kind, a, b in pairs:
                cause = _cause(records[a], records[b]) if problem == "missed" else ""
                if seen[kind + cause] >= per_kind:
                    continue
                seen[kind + cause] += 1
                for side, k in (("a", a), ("b", b)):
                    t = records[k]
                    w.writerow([problem, kind, cause, side, "/".join(k), f"{t['file']}:{t['rows'][0]}", t["entity"],
                                " ".join(t["flags"])] + [t["fields"].get(c, "") for c in cols])


def report(result: dict, out=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    o = result["overall"]
    print(f"records {result['records']:,} · unlinked {result['unlinked']:,} · links not in truth "
          f"{result['links_not_in_truth']:,}", file=out)
    print(f"overall  P {o['precision']:.4f}  R {o['recall']:.4f}  F1 {o['f1']:.4f}  "
          f"(true pairs {o['true_pairs']:,}, predicted {o['predicted_pairs']:,})", file=out)
    o = result["overall_without_weak"]
    print(f"without weak-evidence records ({result['records'] - o['records']:,} left out): P {o['precision']:.4f}  "
          f"R {o['recall']:.4f}  F1 {o['f1']:.4f}", file=out)
    cats = result["categories"]
    order = [f for f in HEADLINE if f in cats] + sorted(f for f in cats if f not in HEADLINE)
    print(f"{'category':34} {'P':>7} {'R':>7} {'F1':>7} {'true pairs':>11}", file=out)
    for f in order:
        c = cats[f]
        print(f"{f:34} {c['precision']:7.4f} {c['recall']:7.4f} {c['f1']:7.4f} {c['true_pairs']:11,}", file=out)
    print("false merges (entity pairs): " + (", ".join(f"{k} {v}" for k, v in
                                                   sorted(result["false_merges"].items())) or "none"), file=out)
    print("missed (record pairs between split parts), by shared evidence | category:", file=out)
    for k, v in sorted(result["missed_cause"].items(), key=lambda kv: -kv[1])[:20]:
        print(f"  {v:6,}  {k}", file=out)
    print("parts left apart (entities split), by record types of the part | of the largest part:", file=out)
    for k, v in sorted(result["missed_parts_by_types"].items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {v:6,}  {k}", file=out)
    for bar, ok in result["bars"].items():
        print(f"  [{'met' if ok else 'NOT met'}] {bar}", file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.contract.score", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--links", type=Path)
    g.add_argument("--db", help="database URL: its links are exported with `python -m credit links`")
    ap.add_argument("--samples", type=Path, help="CSV of missed and falsely merged pairs (default DATA/samples.csv)")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    a = ap.parse_args(argv)
    links_path = a.links
    if a.db:
        links_path = Path(tempfile.mkdtemp()) / "links.csv"
        subprocess.run([sys.executable, "-m", "credit", "links", "--out", str(links_path)], check=True,
                       env={**os.environ, "CREDIT_DATABASE_URL": a.db}, capture_output=True)
    records, entities, relations = load_truth(a.data)
    result = score(records, entities, relations, load_links(links_path))
    report(result)
    write_samples(a.samples or a.data / "samples.csv", records, result)
    if a.json:
        a.json.write_text(json.dumps({k: v for k, v in result.items() if not k.startswith("_")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
