"""Credit reports (信用报告): make one for a viewer, and verify a report by its number.

``make_report`` views the profile through ``queries.view_profile`` (the gate; a view beyond the
public's is audited there, an authorised query is logged there), scores it, renders and signs the
PDF, registers the report (number, enterprise, for whom, SHA-256 of the signed bytes) and writes
the ``report.make`` audit entry. ``verify_report`` is what the public verification page asks.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from credit.domain import audit
from credit.domain.profile import viewer_label
from credit.domain.queries import view_profile
from credit.domain.reports.content import build_content
from credit.domain.reports.pdf import render_pdf
from credit.domain.reports.pdfsign import SignatureCheck, check_signature, sign_pdf
from credit.domain.signature_models import CreditReport
from credit.domain.workflow_models import QueryGrant
from credit.domain.workflows import Actor
from credit.kernel import signing
from credit.kernel.errors import InvalidInput
from credit.kernel.models import utcnow

log = logging.getLogger(__name__)

VERIFY_PATH = "/reports/verify"
NUMBER = re.compile(r"^LZR-\d{8}-[0-9A-F]{10}$")
MAX_UPLOAD = 50 * 1024 * 1024


class ReportTampering(RuntimeError):
    """A registered report was about to be changed or removed."""


@event.listens_for(CreditReport, "before_update")
@event.listens_for(CreditReport, "before_delete")
def _refuse_change(_mapper: Any, _conn: Any, target: CreditReport) -> None:
    raise ReportTampering(f"credit report {target.number} is append-only")


def verify_url(number: str) -> str:
    """The public verification page of a report (base from CREDIT_PUBLIC_URL)."""
    return f"{signing.public_base_url()}{VERIFY_PATH}?{urlencode({'number': number})}"


def _new_number(made_at: datetime) -> str:
    return f"LZR-{made_at:%Y%m%d}-{secrets.token_hex(5).upper()}"


@dataclass(frozen=True)
class Report:
    """A made report: its number, the signed PDF and what the registry holds."""

    number: str
    enterprise_id: int
    viewer: str
    as_of: date
    made_at: datetime
    sha256: str
    pdf: bytes


def _for_whom(session: Session, viewer: str, grant_id: int | None) -> tuple[str, str | None]:
    """The viewer as the report and the public page name it, and the basis of an authorised query."""
    grant = session.get(QueryGrant, grant_id) if grant_id is not None else None
    if grant is None:
        return viewer_label(viewer), None
    basis = grant.legal_basis or f"企业书面同意 consent {grant.consent_ref}"
    return f"{viewer_label(viewer)}：{grant.querier}", f"{basis}（授权 grant {grant.id}，有效至 valid until {grant.valid_until}）"


def make_report(
    session: Session, actor: Actor, enterprise_id: int, *, at: date | None = None,
    grant_id: int | None = None, on: date | None = None,
) -> Report:
    """A signed credit report of one enterprise as ``actor`` may see it on ``at``; registered and audited."""
    profile = view_profile(session, actor, enterprise_id, at=at, grant_id=grant_id, on=on)
    made_at = utcnow()
    number = _new_number(made_at)
    viewer_text, basis = _for_whom(session, profile.viewer, grant_id)
    content = build_content(profile, number=number, made_at=made_at, basis=basis, viewer_text=viewer_text,
                            verify_url=verify_url(number))
    pdf = sign_pdf(render_pdf(content), number)
    digest = hashlib.sha256(pdf).hexdigest()
    session.add(CreditReport(number=number, enterprise_id=profile.enterprise_id, requested_id=enterprise_id,
                             enterprise_name=profile.identity.name, viewer=profile.viewer, viewer_label=viewer_text,
                             made_by=str(actor), grant_id=grant_id, as_of=profile.as_of, made_at=made_at,
                             sha256=digest, size=len(pdf)))
    session.flush()
    audit.record(session, actor=str(actor), action="report.make", subject=f"report:{number}",
                 enterprise_id=profile.enterprise_id,
                 details={"viewer": profile.viewer, "as_of": profile.as_of, "grant_id": grant_id, "sha256": digest,
                          "grade": content.rating.grade, "records": len(profile.records)})
    log.info("made report %s for enterprise %s (%s)", number, profile.enterprise_id, profile.viewer)
    return Report(number, profile.enterprise_id, profile.viewer, profile.as_of, made_at, digest, pdf)


@dataclass(frozen=True)
class ReportVerification:
    """What the verification page says about a report number (and an uploaded copy)."""

    number: str
    exists: bool
    made_at: datetime | None = None
    as_of: date | None = None
    enterprise_id: int | None = None
    enterprise_name: str | None = None
    viewer: str | None = None
    for_whom: str | None = None
    sha256: str | None = None
    identical: bool | None = None  # None: no copy uploaded
    uploaded_sha256: str | None = None
    signature: SignatureCheck | None = None  # the uploaded copy's PDF signature


def normalise_number(number: str) -> str:
    """A report number as typed or scanned (spaces, lower case) in its canonical form; InvalidInput if malformed."""
    text = re.sub(r"\s+", "", number or "").upper()
    if not NUMBER.match(text):
        raise InvalidInput(f"报告编号格式应为 LZR-YYYYMMDD-XXXXXXXXXX / not a report number: {number[:40]!r}")
    return text


def verify_report(session: Session, number: str, uploaded_bytes: bytes | None = None) -> ReportVerification:
    """Whether report ``number`` exists, when and for whom it was made, and whether a copy is byte-identical."""
    number = normalise_number(number)
    if uploaded_bytes is not None and len(uploaded_bytes) > MAX_UPLOAD:
        raise InvalidInput(f"上传文件过大 / the uploaded copy exceeds {MAX_UPLOAD // (1024 * 1024)} MB")
    row = session.scalars(select(CreditReport).where(CreditReport.number == number)).first()
    if row is None:
        return ReportVerification(number, False)
    found = ReportVerification(number, True, row.made_at, row.as_of, row.enterprise_id, row.enterprise_name,
                               row.viewer, row.viewer_label, row.sha256)
    if uploaded_bytes is None:
        return found
    uploaded = hashlib.sha256(uploaded_bytes).hexdigest()
    return ReportVerification(**{**found.__dict__, "identical": secrets.compare_digest(uploaded, row.sha256),
                                 "uploaded_sha256": uploaded, "signature": check_signature(uploaded_bytes)})
