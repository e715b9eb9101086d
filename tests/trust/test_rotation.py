"""Key rotation: every stored value re-encrypted under a new key, in batches, resumable, old keys
readable until it is done; the clear content, hashes and pseudonyms unchanged."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from credit.domain.keyring import key_status, rotate_keys
from credit.domain.workflow_models import AuditEntry
from credit.domain.workflows import ROLE_ADMIN, ROLE_REGULATOR, Actor, NotAllowed
from credit.kernel import keys
from credit.kernel.models import SourceRecord
from ingest.loader import ingest_file

ADMIN = Actor("管理员", ROLE_ADMIN)
ROWS = 12


@pytest.fixture
def own_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A key file of this test's own (rotation rewrites it)."""
    path = tmp_path / "keys" / keys.DATA_KEYS_NAME
    monkeypatch.setenv(keys.ENV_KEY_FILE, str(path))
    keys.init_keys(path)
    return path


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path, own_keys: Path) -> Engine:
    path = tmp_path / "pen.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["记录编号", "行政相对人名称", "法定代表人证件号码", "处罚类别", "处罚决定日期"])
        for n in range(ROWS):
            number = f"4301021980010{n:04d}"  # every other one written with spaces: sealed in the raw row too
            w.writerow([f"P{n}", f"长沙某某{n}号店", number if n % 2 else f"{number[:6]} {number[6:]}", "罚款",
                        "2026-01-10"])
    ingest_file(engine, path, "commerce", "penalty")
    return engine


def _snapshot(engine: Engine) -> dict[str, tuple]:
    """Per record: the clear personal values, content hash and pseudonym, and the key ids used."""
    store = keys.current()
    out = {}
    with Session(engine) as session:
        for r in session.scalars(select(SourceRecord)):
            fields, raw = json.loads(r.fields), json.loads(r.raw)
            cells = raw.values() if isinstance(raw, dict) else raw  # a table row: a list of cells
            sealed = [v for v in (*fields.values(), *cells) if keys.is_sealed(v)]
            out[r.record_id] = (tuple(store.open(v) for v in sealed), r.content_hash, r.legal_rep_id,
                                frozenset(keys.key_id(v) for v in sealed))
    return out


def test_rotation_re_encrypts_every_value_and_changes_nothing_else(loaded: Engine) -> None:
    before = _snapshot(loaded)
    first = keys.current().active
    result = rotate_keys(loaded, ADMIN, batch=5)
    assert result.finished and result.rows == ROWS and result.values == ROWS + ROWS // 2 and result.retired == [first]
    after = _snapshot(loaded)
    assert {k: v[:3] for k, v in after.items()} == {k: v[:3] for k, v in before.items()}
    assert {kid for v in after.values() for kid in v[3]} == {result.to}
    status = key_status(loaded)
    assert {(k.id, k.active, k.retired, k.rows) for k in status.keys} == {(first, False, True, 0),
                                                                            (result.to, True, False, ROWS)}
    with Session(loaded) as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "keys.rotate"))
        assert json.loads(entry.details)["finished"] is True


def test_an_interrupted_rotation_resumes_and_old_keys_stay_readable(loaded: Engine) -> None:
    first = keys.current().active

    def stop_after_first_batch(seen: int, total: int, changed: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_keys(loaded, ADMIN, batch=4, progress=stop_after_first_batch)
    halfway = _snapshot(loaded)
    assert {kid for v in halfway.values() for kid in v[3]} == {first, keys.current().active}
    assert all(len(v[0]) in (1, 2) for v in halfway.values())  # every value opens, under either key
    assert key_status(loaded).rotating_to == keys.current().active
    result = rotate_keys(loaded, ADMIN, batch=4)
    assert result.resumed and result.finished and result.rows == ROWS - 4
    assert {kid for v in _snapshot(loaded).values() for kid in v[3]} == {result.to}
    assert key_status(loaded).rotating_to is None


def test_rows_written_during_a_rotation_are_caught(loaded: Engine, tmp_path: Path) -> None:
    """A new batch ingested under the old key while a rotation runs is re-encrypted by its next pass."""
    old_store = keys.current()
    path = tmp_path / "late.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["记录编号", "行政相对人名称", "法定代表人证件号码", "处罚类别", "处罚决定日期"],
                                  ["L1", "长沙晚到店", "430102199001011111", "罚款", "2026-01-11"]])
    written = []

    def ingest_with_old_key(seen: int, total: int, changed: int) -> None:
        if not written:
            written.append(True)
            from credit.kernel.keys import _CACHE
            saved = dict(_CACHE)
            _CACHE.update(source=keys._source(), store=old_store)  # a process that loaded the keys earlier
            try:
                ingest_file(loaded, path, "commerce", "penalty", parallel=False)
            finally:
                _CACHE.update(saved)

    result = rotate_keys(loaded, ADMIN, batch=100, progress=ingest_with_old_key)
    assert result.finished and result.passes >= 2
    assert {kid for v in _snapshot(loaded).values() for kid in v[3]} == {result.to}


def test_only_an_administrator_rotates(loaded: Engine) -> None:
    with pytest.raises(NotAllowed):
        rotate_keys(loaded, Actor("监管员", ROLE_REGULATOR))


def test_keys_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from credit.cli import main

    monkeypatch.setenv(keys.ENV_KEY_FILE, str(tmp_path / "k" / keys.DATA_KEYS_NAME))
    monkeypatch.setenv("CREDIT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["keys", "init"]) == 0
    assert "created" in capsys.readouterr().out
    assert main(["keys", "init"]) == 0
    assert "already exist" in capsys.readouterr().out
    assert main(["keys", "rotate", "-q"]) == 0
    assert "done" in capsys.readouterr().out
    assert main(["keys", "status"]) == 0
    out = capsys.readouterr().out
    assert out.count("retired") == 1 and "active" in out


def test_rotation_refuses_keys_from_the_environment(loaded: Engine, own_keys: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.ENV_KEYS, own_keys.read_text(encoding="utf-8"))
    with pytest.raises(keys.KeysMissing, match=keys.ENV_KEYS):
        rotate_keys(loaded, ADMIN)
