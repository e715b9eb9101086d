"""Credit reports (信用报告): signed PDFs of a gated profile, registered and verifiable by number."""

from credit.domain.reports.pdfsign import SignatureCheck, check_signature
from credit.domain.reports.service import (
    Report,
    ReportVerification,
    make_report,
    normalise_number,
    verify_report,
    verify_url,
)

__all__ = ["Report", "ReportVerification", "SignatureCheck", "check_signature", "make_report", "normalise_number",
           "verify_report", "verify_url"]
