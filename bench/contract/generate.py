"""Acceptance-style department files and their truth, built from the exchange formats only.

    python -m bench.contract.generate --enterprises N --seed S --out DIR

Writes DIR/files/… (each department's record types, split over several files in every form the
contract lists), DIR/manifest.json (what to upload, in order, department and type of each, with
the deliberate second upload of one file) and DIR/truth/ (records.jsonl: every record's true
entity and category flags with its file, row and key fields; entities.jsonl; relations.jsonl:
the pairs of distinct entities that must never merge, by kind).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path

from bench.contract import records as rec_mod
from bench.contract import world as world_mod
from bench.contract import writers
from bench.contract.writers import EXTENSIONS, FORMATS, write

COMMON = ["记录编号", "操作类型"]
PENALTY = ["行政相对人名称", "统一社会信用代码", "注册号", "组织机构代码", "法定代表人", "法定代表人证件号码",
           "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "罚款金额（万元）",
           "没收违法所得金额（万元）", "处罚决定日期", "处罚有效期", "公示截止期", "处罚机关", "是否严重失信"]
COLUMNS: dict[tuple[str, str], list[str]] = {
    ("finance", "loan_default"): ["借款人名称", "统一社会信用代码", "贷款卡号", "贷款机构", "合同编号", "贷款余额（万元）",
                                  "逾期金额（万元）", "逾期天数", "五级分类", "报告日期"],
    ("commerce", "registration"): ["统一社会信用代码", "注册号", "企业名称", "企业类型", "法定代表人", "注册资本（万元）",
                                   "成立日期", "登记机关", "住所", "经营范围", "登记状态", "核准日期", "曾用名"],
    ("commerce", "abnormal_list"): ["统一社会信用代码", "注册号", "企业名称", "列入原因", "列入日期", "作出决定机关",
                                    "移出原因", "移出日期"],
    ("commerce", "penalty"): PENALTY,
    ("tax", "credit_rating"): ["纳税人识别号", "纳税人名称", "评价年度", "信用等级"],
    ("tax", "major_violation"): ["纳税人识别号", "纳税人名称", "组织机构代码", "注册地址", "法定代表人姓名",
                                 "法定代表人身份证号码", "案件性质", "主要违法事实", "处理处罚情况", "公布日期"],
    ("tax", "arrears"): ["纳税人识别号", "纳税人名称", "法定代表人", "经营地点", "欠税税种", "欠税余额（元）", "公告日期"],
    ("quality", "spot_check"): ["受检单位名称", "组织机构代码", "所在地", "产品名称", "规格型号", "生产日期或批号",
                                "抽查结果", "不合格项目", "检验机构", "抽查机关", "公告日期"],
    ("quality", "penalty"): PENALTY,
    ("public_security", "case"): ["涉案单位名称", "统一社会信用代码", "法定代表人", "法定代表人身份证号码", "案件类别",
                                  "立案日期", "案件状态", "办案单位"],
    ("public_security", "fire_penalty"): PENALTY,
}
KEY_FIELDS = {"name": ["企业名称", "借款人名称", "行政相对人名称", "纳税人名称", "受检单位名称", "涉案单位名称"],
              "uscc": ["统一社会信用代码"], "reg_no": ["注册号"], "org_code": ["组织机构代码"],
              "taxpayer_id": ["纳税人识别号"], "loan_card": ["贷款卡号"], "legal_rep": ["法定代表人", "法定代表人姓名"],
              "legal_rep_id": ["法定代表人证件号码", "法定代表人身份证号码"],
              "address": ["住所", "注册地址", "经营地点", "所在地"],
              "former": ["曾用名"]}


def key_fields(fields: dict[str, object]) -> dict[str, str]:
    out = {}
    for k, cols in KEY_FIELDS.items():
        for c in cols:
            if fields.get(c) not in (None, ""):
                out[k] = str(fields[c])
    return out


def weak(t: dict) -> set[str]:
    """No code that another department shares and a name that does not place the business: a record
    nobody can link for sure (it is left in the figures; its category shows how it fares)."""
    f, flags = t["fields"], set(t["flags"])
    if any(f.get(k) for k in ("uscc", "reg_no", "org_code", "taxpayer_id", "legal_rep_id")):
        return set()
    address = f.get("address", "")
    placed = "division" not in " ".join(flags) or "division_added" in flags or "district_only_name" in flags
    if "written_without_division" in flags or "operator_name" in flags or "borrower_is_operator" in flags:
        placed = False
    if not placed and (not address or "district_only_address" in flags):
        return {"weak_evidence"}
    return set()


def generate(n: int, seed: int, out: Path) -> dict:
    """Build the world, its records and files; returns the manifest."""
    world = world_mod.build(n, seed)
    records = rec_mod.make(world, seed)
    rng = random.Random(seed * 31 + 7)
    if out.exists():
        shutil.rmtree(out)
    (out / "files").mkdir(parents=True)
    (out / "truth").mkdir()
    by_type: dict[tuple[str, str], list[rec_mod.Record]] = {}
    for r in records:
        by_type.setdefault((r.department, r.type), []).append(r)
    ents = {e.eid: e for e in world.entities}
    uploads: list[dict] = []
    truth: dict[tuple[str, str, str], dict] = {}
    later: list[tuple[tuple[str, str], list[tuple[dict[str, object], rec_mod.Record]]]] = []
    fmt_i = rng.randrange(len(FORMATS))
    for key in COLUMNS:
        recs = by_type.get(key, [])
        if not recs:
            continue
        rng.shuffle(recs)
        dept, rtype = key
        updates: list[tuple[dict[str, object], rec_mod.Record]] = []
        if key == ("commerce", "registration"):  # an old name first, the rename sent later as 修改
            for r in recs:
                e = ents[r.entity]
                if e.former and rng.random() < 0.3:
                    updates.append(({**r.fields, "操作类型": "修改"}, r))
                    r.fields = {**r.fields, "企业名称": e.former[0], "曾用名": None}
                    r.flags.add("renamed_by_update")
        if key[1] in ("penalty", "fire_penalty"):  # a penalty annulled on review
            for r in recs:
                if rng.random() < 0.03:
                    updates.append(({"记录编号": r.fields["记录编号"], "操作类型": "撤销",
                                     COLUMNS[key][0]: r.fields[COLUMNS[key][0]]}, r))
                    r.flags.add("revoked")
        parts = 1 if len(recs) < 40 else rng.choice([2, 3])
        size = -(-len(recs) // parts)
        for p in range(parts):
            chunk = recs[p * size:(p + 1) * size]
            fmt = FORMATS[(fmt_i * 3) % len(FORMATS)]
            fmt_i += 1
            rows = [r.fields for r in chunk]
            dup_of = [i for i in range(len(rows)) if rng.random() < 0.01]  # duplicate rows inside the file
            order = list(range(len(rows))) + dup_of
            path = out / "files" / f"{dept}-{rtype}-{p + 1}{EXTENSIONS[fmt]}"
            numbers, extra = write(path, fmt, dept, rtype, COMMON + COLUMNS[key], [rows[i] for i in order], rng)
            uploads.append({"path": str(path.relative_to(out)), "department": dept, "type": rtype, "format": fmt,
                            "rows": len(order)})
            for pos, i in enumerate(order):
                r = chunk[i]
                k = (dept, rtype, str(r.fields["记录编号"]))
                if k in truth:
                    truth[k]["rows"].append(numbers[pos])
                    continue
                truth[k] = {"department": dept, "type": rtype, "record_id": k[2], "entity": r.entity,
                            "file": path.name, "rows": [numbers[pos]], "flags": sorted(r.flags | extra[pos]),
                            "fields": key_fields(r.fields)}
        if updates:
            later.append((key, updates))
    for key, updates in later:
        dept, rtype = key
        path = out / "files" / f"{dept}-{rtype}-updates.csv"
        numbers, _ = write(path, "csv-utf8", dept, rtype, COMMON + COLUMNS[key], [u for u, _ in updates], rng)
        uploads.append({"path": str(path.relative_to(out)), "department": dept, "type": rtype, "format": "csv-utf8",
                        "rows": len(updates)})
        for (fields, r), row in zip(updates, numbers):
            t = truth[(dept, rtype, str(r.fields["记录编号"]))]
            t["update"] = {"file": path.name, "row": row, "op": fields["操作类型"]}
            if fields["操作类型"] == "修改":
                t["fields"] = key_fields(fields)
    again = next(u for u in uploads if u["department"] == "tax")
    uploads.append({**again, "repeat": True})  # the same file uploaded twice: nothing may change
    with open(out / "truth" / "records.jsonl", "w", encoding="utf-8") as fh:
        for t in truth.values():
            t["flags"] = sorted(set(t["flags"]) | ents[t["entity"]].flags | weak(t))
            fh.write(json.dumps(t, ensure_ascii=False) + "\n")
    with open(out / "truth" / "entities.jsonl", "w", encoding="utf-8") as fh:
        for e in world.entities:
            fh.write(json.dumps({"entity": e.eid, "kind": e.kind, "name": e.name, "county": e.county.code,
                                 "uscc": e.uscc, "reg_no": e.reg_no, "operator": e.legal_rep.name,
                                 "head": e.head or None, "former": e.former, "flags": sorted(e.flags)},
                                ensure_ascii=False) + "\n")
    with open(out / "truth" / "relations.jsonl", "w", encoding="utf-8") as fh:
        for a, b, kind in world.relations:
            fh.write(json.dumps({"a": a, "b": b, "kind": kind}) + "\n")
    manifest = {"enterprises": n, "seed": seed, "entities": len(world.entities), "records": len(truth),
                "uploads": uploads}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.contract.generate", description=__doc__.split("\n")[0])
    ap.add_argument("--enterprises", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--excel-20-digit-numbers", action="store_true",
                    help="also store 20-digit taxpayer ids as Excel numbers (ingest cannot read such a sheet today)")
    a = ap.parse_args(argv)
    if a.excel_20_digit_numbers:
        writers.MAX_NUMERIC_DIGITS = 20
    m = generate(a.enterprises, a.seed, a.out)
    print(f"{m['entities']} entities, {m['records']} records, {len(m['uploads'])} uploads -> {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
