"""The audit log: append-only, hash-chained, verifiable."""

import pytest
from sqlalchemy import text

from credit.domain import audit
from credit.domain.workflow_models import AuditEntry


def _three(session):
    for i in range(3):
        audit.record(session, actor="clerk", action="test.step", subject=f"thing:{i}",
                     reason=f"because {i}", details={"n": i})
    session.commit()


def test_chain_links_each_entry_to_the_previous(session):
    _three(session)
    entries = session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert entries[0].prev_hash == audit.GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.entry_hash for e in entries[:-1]]
    assert audit.verify(session) == audit.Verification(True, 3)


def test_orm_updates_and_deletes_refused(session):
    _three(session)
    entry = session.get(AuditEntry, 2)
    entry.reason = "changed"
    with pytest.raises(audit.AuditTampering):
        session.flush()
    session.rollback()
    session.delete(session.get(AuditEntry, 2))
    with pytest.raises(audit.AuditTampering):
        session.flush()
    session.rollback()


def test_tampering_behind_the_orm_detected(session):
    _three(session)
    session.execute(text("UPDATE audit_log SET reason = 'forged' WHERE id = 2"))
    session.commit()
    session.expire_all()
    result = audit.verify(session)
    assert (result.ok, result.broken_id) == (False, 2)
    assert "hash" in result.problem


def test_deleted_entry_detected(session):
    _three(session)
    session.execute(text("DELETE FROM audit_log WHERE id = 2"))
    session.commit()
    session.expire_all()
    result = audit.verify(session)
    assert (result.ok, result.broken_id) == (False, 3)


def test_empty_log_verifies(session):
    assert audit.verify(session).ok
