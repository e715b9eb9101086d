"""PDF signatures on reports (pyHanko): sign with the platform certificate, validate a copy.

The certificate is the platform's self-signed P-256 report certificate (credit/kernel/signing.py);
a reader that has not been told to trust it shows the signature as intact but of unknown
validity, which is why the verification page exists. A certification signature (DocMDP: no
changes allowed) is used, so any later edit is reported as a change, not accepted as a revision.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from credit.kernel import signing

log = logging.getLogger(__name__)

FIELD = "LianzhengReportSignature"


def _certificate() -> tuple[asn1_x509.Certificate, asn1_keys.PrivateKeyInfo]:
    key_pem, cert_pem = signing.report_credentials()
    key = serialization.load_pem_private_key(key_pem, password=None)
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert = asn1_x509.Certificate.load(_pem_to_der(cert_pem))
    return cert, asn1_keys.PrivateKeyInfo.load(der_key)


def _pem_to_der(pem: bytes) -> bytes:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def sign_pdf(pdf: bytes, number: str) -> bytes:
    """The PDF with the platform's certification signature (SHA-256, P-256 ECDSA)."""
    cert, key = _certificate()
    signer = signers.SimpleSigner(signing_cert=cert, signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs([cert]))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", certify=True, docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=f"联征信用报告 Lianzheng credit report {number}", location="联征 Lianzheng")
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    """A copy's PDF signature: present, intact (bytes unchanged), valid and by the platform certificate."""

    present: bool
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.present and self.intact and self.valid and self.trusted


def check_signature(pdf: bytes) -> SignatureCheck:
    """Validate the report signature of ``pdf`` against the platform's report certificate."""
    cert, _ = _certificate()
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        found = [s for s in reader.embedded_signatures if s.field_name == FIELD]
        if not found:
            return SignatureCheck(False, problem="没有平台签名 / no platform signature in the file")
        status = validate_pdf_signature(found[0], ValidationContext(trust_roots=[cert]))
    except Exception as exc:  # noqa: BLE001 - an uploaded copy is untrusted bytes; any parser failure is "not valid"
        log.info("could not read a PDF signature: %s: %s", type(exc).__name__, exc)
        return SignatureCheck(False, problem=f"无法读取 PDF 签名 / cannot read the PDF signature ({type(exc).__name__})")
    problem = "" if status.bottom_line else "签名无效或文件被改动 / the signature fails: the file was changed"
    return SignatureCheck(True, bool(status.intact), bool(status.valid), bool(status.trusted), problem)
