"""The acceptance-style generator (bench/contract): deterministic, valid codes, files that ingest
whole, and a scorer that computes known figures on a hand-made truth."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bench.contract import generate, score, world
from credit.domain.schema import create_all
from credit.kernel.db import make_engine
from credit.kernel.identifiers import VALID, gb11643_valid, org_code_status, reg_no_status, uscc_status
from ingest.loader import ingest_file


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("contract") / "data"
    generate.generate(160, 3, out)
    return out


def test_same_seed_same_bytes_other_seed_other_files(small: Path, tmp_path: Path) -> None:
    generate.generate(160, 3, tmp_path / "again")
    generate.generate(160, 4, tmp_path / "other")
    assert _digest(tmp_path / "again") == _digest(small)
    assert _digest(tmp_path / "other") != _digest(small)


def test_codes_pass_the_projects_own_checks() -> None:
    w = world.build(400, 7)
    for e in w.entities:
        assert gb11643_valid(e.legal_rep.id_number), e
        if e.uscc:
            expected = "bad_check" if "uscc_fails_check" in e.flags else VALID
            assert uscc_status(e.uscc) == expected, e
            assert e.uscc[8:17] == e.org
        if e.org:
            assert org_code_status(e.org) == VALID, e
        if e.reg_no:
            assert reg_no_status(e.reg_no) == VALID, e


def test_every_hard_case_and_form_is_there(small: Path) -> None:
    truth = [json.loads(line) for line in open(small / "truth" / "records.jsonl", encoding="utf-8")]
    flags = {f for t in truth for f in t["flags"]}
    for needed in ("individual", "taxpayer_id_20", "operator_name", "branch", "head_office", "generic_name",
                   "same_trade_name_other_city", "one_char_apart_same_city", "renamed", "former_name",
                   "district_only_address", "written_without_division", "id_mistyped"):
        assert needed in flags, needed
    manifest = json.loads((small / "manifest.json").read_text(encoding="utf-8"))
    assert {u["format"] for u in manifest["uploads"]} >= {"csv-utf8", "csv-bom", "csv-gbk", "xlsx", "json",
                                                           "ndjson", "xml"}
    assert any(u.get("repeat") for u in manifest["uploads"])


def test_every_file_ingests_whole_with_no_rejected_row(small: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    create_all(engine)
    manifest = json.loads((small / "manifest.json").read_text(encoding="utf-8"))
    rejects: list[object] = []
    loaded = 0
    for u in manifest["uploads"]:
        r = ingest_file(engine, small / u["path"], u["department"], u["type"], on_reject=rejects.append)
        assert r.status == ("already_ingested" if u.get("repeat") else "loaded"), u
        loaded += r.loaded
    assert rejects == []
    # every record of the truth was stored (updates and revokes are versions of stored records)
    assert loaded >= manifest["records"]


def _truth(groups: dict[str, list[str]], flags: dict[str, list[str]] | None = None) -> dict:
    out = {}
    for entity, ids in groups.items():
        for rid in ids:
            out[("d", "t", rid)] = {"entity": entity, "flags": list((flags or {}).get(rid, [])), "fields": {},
                                    "file": "f.csv", "rows": [2]}
    return out


def test_scorer_counts_pairs_and_names_the_false_merge() -> None:
    # truth: A = {a1, a2, a3}, B = {b1, b2}, C = {c1} (C is a branch of A); predicted: {a1, a2}, {a3},
    # {b1, b2, c1}: true pairs 3 + 1 = 4, predicted 1 + 3 = 4, correct 1 + 1 = 2
    records = _truth({"A": ["a1", "a2", "a3"], "B": ["b1", "b2"], "C": ["c1"]},
                     {"a1": ["individual"], "c1": ["branch"]})
    entities = {e: {"entity": e, "kind": "company", "operator": e, "head": None} for e in "ABC"}
    relations = {frozenset(("B", "C")): "branch_head"}
    links = {("d", "t", k): v for k, v in {"a1": "1", "a2": "1", "a3": "2", "b1": "3", "b2": "3", "c1": "3"}.items()}
    r = score.score(records, entities, relations, links)
    assert (r["overall"]["tp"], r["overall"]["predicted_pairs"], r["overall"]["true_pairs"]) == (2, 4, 4)
    assert r["overall"]["precision"] == 0.5 and r["overall"]["recall"] == 0.5
    ind = r["categories"]["individual"]  # pairs with a1: true a1-a2, a1-a3; predicted a1-a2
    assert (ind["tp"], ind["predicted_pairs"], ind["true_pairs"]) == (1, 1, 2)
    assert r["false_merges"] == {"branch_head": 1}  # entity pairs joined: B with C
    assert not r["bars"]["zero branch_head merges"]


def test_scorer_treats_an_unlinked_record_as_alone() -> None:
    records = _truth({"A": ["a1", "a2"]})
    r = score.score(records, {"A": {"entity": "A", "kind": "company", "operator": "x", "head": None}}, {},
                    {("d", "t", "a1"): "1"})
    assert r["unlinked"] == 1 and r["overall"]["recall"] == 0.0 and r["overall"]["precision"] == 1.0
