"""The audit trail is verifiable: every kind of tampering with its rows is found and named.

Each test writes a few entries in separate transactions (as operations do: each commit seals the
head with a signed checkpoint in the database and a line in the witness file), then tampers
behind the ORM with plain SQL, as someone with database access would, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from credit.cli import main
from credit.domain import audit, audit_seal
from credit.domain.signature_models import AuditCheckpoint
from credit.domain.workflow_models import AuditEntry
from credit.domain.workflows import ROLE_ENTERPRISE, ROLE_REGULATOR, Actor, NotAllowed
from credit.kernel.db import transaction
from credit.kernel.models import utcnow
from tests.cli.fixtures import database  # noqa: F401 - the CLI's database fixture, on both backends

ENTRIES = AuditEntry.__table__


def _write(engine: Engine, n: int = 4) -> None:
    """n entries, one transaction each (so n checkpoints and n witness lines)."""
    for i in range(1, n + 1):
        with transaction(engine) as session:
            audit.record(session, actor=f"clerk{i}", action="test.step", subject=f"enterprise:{i}",
                         reason=f"because {i}", details={"n": i})


def _verify(engine: Engine, witness: str | None = None) -> audit.Verification:
    with Session(engine) as session:
        return audit.verify(session, witness)


def _tamper(engine: Engine, *statements) -> None:
    with engine.begin() as conn:
        for stmt in statements:
            conn.execute(stmt)


def _rechain(engine: Engine) -> None:
    """Recompute every link and hash, as a forger would after editing or removing an entry."""
    with engine.begin() as conn:
        prev = audit.GENESIS
        for row in conn.execute(select(ENTRIES).order_by(ENTRIES.c.id)).all():
            new = audit.entry_hash(prev, row)
            conn.execute(update(ENTRIES).where(ENTRIES.c.id == row.id).values(prev_hash=prev, entry_hash=new))
            prev = new


def _ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(select(ENTRIES.c.id).order_by(ENTRIES.c.id)))


def test_an_untouched_log_verifies_and_every_commit_is_sealed(engine):
    _write(engine)
    result = _verify(engine)
    assert result.ok and result.entries == 4
    assert result.sealed_through == _ids(engine)[-1]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 4
    lines = audit_seal.witness_path().read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and json.loads(json.loads(lines[-1])["statement"])["entry_id"] == _ids(engine)[-1]


def test_an_edited_entry_is_named(engine):
    _write(engine)
    second = _ids(engine)[1]
    _tamper(engine, update(ENTRIES).where(ENTRIES.c.id == second).values(reason="forged"))
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, second)
    assert "edited" in result.problem


def test_an_edit_with_every_hash_recomputed_is_caught_by_the_signed_checkpoints(engine):
    _write(engine)
    second = _ids(engine)[1]
    _tamper(engine, update(ENTRIES).where(ENTRIES.c.id == second).values(actor="someone else"))
    _rechain(engine)
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, second)
    assert "rewritten" in result.problem


def test_a_deleted_entry_is_found_at_the_next_one(engine):
    _write(engine)
    ids = _ids(engine)
    _tamper(engine, delete(ENTRIES).where(ENTRIES.c.id == ids[1]))
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, ids[2])
    assert "removed" in result.problem


def test_a_deleted_entry_with_the_chain_rebuilt_is_named_by_its_checkpoint(engine):
    _write(engine)
    ids = _ids(engine)
    _tamper(engine, delete(ENTRIES).where(ENTRIES.c.id == ids[1]))
    _rechain(engine)
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, ids[1])
    assert "missing" in result.problem


def test_reordered_entries_are_found(engine):
    _write(engine)
    ids = _ids(engine)
    _tamper(engine, update(ENTRIES).where(ENTRIES.c.id == ids[1]).values(id=-1),
            update(ENTRIES).where(ENTRIES.c.id == ids[2]).values(id=ids[1]),
            update(ENTRIES).where(ENTRIES.c.id == -1).values(id=ids[2]))
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, ids[1])


def test_swapped_contents_are_found(engine):
    _write(engine)
    ids = _ids(engine)
    with engine.begin() as conn:
        a, b = (conn.execute(select(ENTRIES).where(ENTRIES.c.id == i)).one() for i in ids[1:3])
        for row, other in ((a, b), (b, a)):
            conn.execute(update(ENTRIES).where(ENTRIES.c.id == row.id).values(
                actor=other.actor, subject=other.subject, reason=other.reason, details=other.details))
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, ids[1])


def test_a_truncated_tail_is_found_by_its_checkpoint(engine):
    _write(engine)
    last = _ids(engine)[-1]
    _tamper(engine, delete(ENTRIES).where(ENTRIES.c.id == last))
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, last)
    assert "truncated" in result.problem


def test_a_tail_truncated_with_its_checkpoints_is_found_by_the_witness_file(engine):
    _write(engine)
    ids = _ids(engine)
    _tamper(engine, delete(ENTRIES).where(ENTRIES.c.id >= ids[2]),
            delete(AuditCheckpoint.__table__).where(AuditCheckpoint.__table__.c.entry_id >= ids[2]))
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, ids[2])
    assert "truncated" in result.problem and "witness" in result.problem


def test_a_witness_copy_kept_elsewhere_still_finds_the_truncation(engine, tmp_path):
    _write(engine)
    copy = tmp_path / "offsite-witness.jsonl"
    copy.write_bytes(audit_seal.witness_path().read_bytes())
    ids = _ids(engine)
    _tamper(engine, delete(ENTRIES).where(ENTRIES.c.id >= ids[2]),
            delete(AuditCheckpoint.__table__).where(AuditCheckpoint.__table__.c.entry_id >= ids[2]))
    audit_seal.witness_path().unlink()  # the attacker also reached the local witness
    assert _verify(engine).ok  # the limit the threat model names: local evidence is gone ...
    assert "no checkpoints" in _verify(engine).witness
    result = _verify(engine, str(copy))  # ... an off-site copy of the witness still has it
    assert (result.ok, result.broken_id) == (False, ids[2])


def test_an_emptied_log_is_found(engine):
    _write(engine)
    _tamper(engine, delete(AuditCheckpoint.__table__), delete(ENTRIES))
    result = _verify(engine)
    assert not result.ok and "emptied" in result.problem


def _forged_entry(engine: Engine) -> int:
    with engine.begin() as conn:
        prev = conn.scalar(select(ENTRIES.c.entry_hash).order_by(ENTRIES.c.id.desc()).limit(1))
        fake = SimpleNamespace(at=utcnow(), actor="nobody", action="repair.approve", subject="repair:9",
                               reason="forged", details="{}", enterprise_id=None)
        return int(conn.execute(ENTRIES.insert().values(
            prev_hash=prev, entry_hash=audit.entry_hash(prev, fake), **vars(fake))).inserted_primary_key[0])


def test_an_entry_appended_around_the_application_is_unsealed(engine):
    _write(engine, 2)
    forged = _forged_entry(engine)
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, forged)
    assert "no signed checkpoint" in result.problem


def test_a_checkpoint_signed_with_another_key_is_refused(engine):
    _write(engine, 2)
    forged = _forged_entry(engine)
    with engine.connect() as conn:
        forged_hash = conn.scalar(select(ENTRIES.c.entry_hash).where(ENTRIES.c.id == forged))
    statement = json.dumps({"type": audit_seal.STATEMENT_TYPE, "entry_id": forged, "entry_hash": forged_hash})
    other = Ed25519PrivateKey.generate().sign(statement.encode()).hex()
    _tamper(engine, AuditCheckpoint.__table__.insert().values(
        entry_id=forged, entry_hash=forged_hash, made_at=utcnow(), key_id="0" * 16, statement=statement,
        signature=other))
    result = _verify(engine)
    assert (result.ok, result.broken_id) == (False, forged)
    assert "signature" in result.problem


def test_a_rolled_back_transaction_leaves_no_checkpoint(engine):
    _write(engine, 1)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        audit.record(session, actor="x", action="test.step", subject="thing:1")
        raise RuntimeError("the operation failed")
    assert _verify(engine).ok
    assert len(audit_seal.witness_path().read_text(encoding="utf-8").splitlines()) == 1


def test_checkpoints_refuse_orm_changes(engine):
    _write(engine, 1)
    with Session(engine) as session:
        checkpoint = session.scalars(select(AuditCheckpoint)).one()
        session.delete(checkpoint)
        with pytest.raises(audit_seal.CheckpointTampering):
            session.flush()


def test_show_reads_entries_by_enterprise_and_day_and_is_audited(engine):
    _write(engine, 3)
    regulator = Actor("监管员", ROLE_REGULATOR)
    with transaction(engine) as session:
        about_two = audit.show(session, regulator, enterprise_id=2)
        assert [e.actor for e in about_two] == ["clerk2"]
        assert len(audit.show(session, regulator, since=date.today())) == 4  # 3 + the first read itself
        assert audit.show(session, regulator, since=date.today() + timedelta(days=1)) == []
    with transaction(engine) as session:
        reads = audit.entries_about(session, "audit_log")
        assert [e.actor for e in reads] == ["监管员 (regulator)"] * 3
    assert _verify(engine).ok


def test_an_enterprise_reads_only_its_own_entries(engine):
    _write(engine, 3)
    with transaction(engine) as session:
        own = audit.show(session, Actor("李四", ROLE_ENTERPRISE, enterprise_id=3))
        assert [e.subject for e in own] == ["enterprise:3"]
        with pytest.raises(NotAllowed):
            audit.show(session, Actor("李四", ROLE_ENTERPRISE, enterprise_id=3), enterprise_id=2)


@pytest.fixture
def cli_database(database):  # noqa: F811
    """The engine of the database CREDIT_DATABASE_URL names (SQLite, PostgreSQL), schema made by the CLI."""
    from credit.cli.common import engine as cli_engine

    eng = cli_engine()
    yield eng
    eng.dispose()


def test_audit_verify_command_exits_1_and_names_the_broken_entry(cli_database, capsys):
    _write(cli_database)
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    second = _ids(cli_database)[1]
    _tamper(cli_database, text("UPDATE audit_log SET reason = 'forged' WHERE id = :i").bindparams(i=second))
    assert main(["audit", "verify"]) == 1
    assert f"BROKEN at entry {second}" in capsys.readouterr().out


def test_audit_show_command_filters(cli_database, capsys):
    _write(cli_database, 3)
    assert main(["audit", "show", "--enterprise", "2", "--user", "auditor"]) == 0
    out = capsys.readouterr().out
    assert "clerk2" in out and "clerk1" not in out and "because 2" in out
    assert main(["audit", "show", "--since", (date.today() + timedelta(days=1)).isoformat()]) == 0
    assert "no matching audit entries" in capsys.readouterr().out


def test_two_writers_at_once_both_land_in_one_chain(engine):
    """A second writer waits for the first to commit, then chains onto its entry (no lost or failed write)."""
    import threading

    failures: list[BaseException] = []

    def second() -> None:
        try:
            with transaction(engine) as session:
                audit.record(session, actor="second", action="test.step", subject="thing:2")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    with transaction(engine) as session:
        audit.record(session, actor="first", action="test.step", subject="thing:1")
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.5)  # the second writer is now waiting for this transaction
    thread.join()
    assert not failures
    with Session(engine) as session:
        assert [e.actor for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == ["first", "second"]
    assert _verify(engine).ok


def test_failed_uploads_and_link_exports_are_audited(engine, tmp_path):
    import io

    from credit.domain.uploads import export_links, upload_file
    from credit.domain.workflows import ROLE_ADMIN, ROLE_CLERK
    from ingest.loader import IngestError

    empty = tmp_path / "处罚.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError):
        upload_file(engine, Actor("王科员", ROLE_CLERK, "commerce"), empty, "commerce", "penalty")
    export_links(engine, Actor("管理员", ROLE_ADMIN), io.StringIO())
    with Session(engine) as session:
        [failed] = audit.entries_about(session, "file:处罚.csv")
        assert failed.action == "batch.upload_failed" and "处罚.csv" in (failed.reason or "")
        assert [e.action for e in audit.entries_about(session, "links")] == ["links.export"]
    assert _verify(engine).ok


def test_the_demo_uploads_and_resolves_as_audited_operations(tmp_path):
    from credit.domain.demo import run_demo
    from credit.kernel.db import make_engine

    eng = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    result = run_demo(eng, tmp_path / "demo", enterprises=10)
    with Session(eng) as session:
        actions = [e.action for e in session.scalars(select(AuditEntry))]
    assert actions.count("batch.upload") == result.files and actions[-1] == "matching.resolve"
    assert _verify(eng).ok
    eng.dispose()
