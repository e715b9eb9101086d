"""The platform's signing keys: Ed25519 for exports and audit checkpoints, a certificate for reports.

Keys live in the platform key directory (``CREDIT_KEY_DIR``, default ``instance/keys`` under the
project root), outside the database, beside the data keys of the encryption at rest but in files
of their own (``*-signing*``, ``report-signing.*``). Each key is created on first use (or by
``ensure_signing_keys``); creation is race-free: a key is written to a temporary file and linked
into place, so two processes starting together end up with the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

from credit.kernel.db import PROJECT_ROOT
from credit.kernel.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

ENV_KEY_DIR = "CREDIT_KEY_DIR"
ENV_PUBLIC_URL, DEFAULT_PUBLIC_URL = "CREDIT_PUBLIC_URL", "http://127.0.0.1:8000"
EXPORT, AUDIT = "export", "audit"
PURPOSES = (EXPORT, AUDIT)
_ED25519_FILES = {EXPORT: "export-signing", AUDIT: "audit-checkpoint-signing"}
REPORT_KEY_FILE, REPORT_CERT_FILE = "report-signing.key.pem", "report-signing.cert.pem"
REPORT_SUBJECT = "联征 Lianzheng 信用报告签章 credit report signing"
REPORT_CERT_YEARS = 10


def key_directory() -> Path:
    """The platform key directory (created, owner-only, when missing)."""
    path = Path(os.environ.get(ENV_KEY_DIR) or PROJECT_ROOT / "instance" / "keys")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def public_base_url() -> str:
    """Where the platform is reached from outside (``CREDIT_PUBLIC_URL``): keys and verification pages."""
    return (os.environ.get(ENV_PUBLIC_URL) or DEFAULT_PUBLIC_URL).rstrip("/")


def _place(path: Path, data: bytes, mode: int) -> bool:
    """Write ``data`` to ``path`` unless it exists; True when this call created it."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)


def _file_stem(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown signing purpose {purpose}")
    return _ED25519_FILES[purpose]


def public_key_path(purpose: str) -> Path:
    """Where the public half of a signing key is kept (PEM, readable by anyone)."""
    return key_directory() / f"{_file_stem(purpose)}.pem"


def _ensure_ed25519(folder: Path, purpose: str) -> bool:
    path, public = folder / f"{_file_stem(purpose)}.key.pem", folder / f"{_file_stem(purpose)}.pem"
    created = False
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        created = _place(path, pem, 0o600)
        if created:
            log.warning("created the %s signing key in %s", purpose, folder)
    if not public.exists():
        _place(public, public_pem(_read_private(path).public_key()), 0o644)
    return created


def _read_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} is not an Ed25519 private key")
    return key


@dataclass(frozen=True)
class KeyPair:
    """A loaded signing key, its public half and key id."""

    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    key_id: str


_PAIRS: dict[tuple[str, str], KeyPair] = {}


def key_pair(purpose: str) -> KeyPair:
    """The Ed25519 key pair for ``purpose`` (export or audit), created on first use, loaded once per directory."""
    folder = key_directory()
    cached = _PAIRS.get((str(folder), purpose))
    if cached is None:
        _ensure_ed25519(folder, purpose)
        private = _read_private(folder / f"{_file_stem(purpose)}.key.pem")
        cached = _PAIRS[(str(folder), purpose)] = KeyPair(private, private.public_key(), key_id(private.public_key()))
    return cached


def private_key(purpose: str) -> Ed25519PrivateKey:
    """The Ed25519 signing key for ``purpose``, created on first use."""
    return key_pair(purpose).private


def public_key(purpose: str, *, create: bool = True) -> Ed25519PublicKey:
    """The public key for ``purpose``; with ``create=False`` the key directory's public PEM, NotFound if none.

    Without ``create`` a recipient's key directory may hold only the published public key file.
    """
    if create:
        return key_pair(purpose).public
    path = public_key_path(purpose)
    if not path.exists():
        raise NotFound(f"没有签名公钥 / no {purpose} signing key in {path.parent}")
    return load_public_pem(path.read_bytes(), str(path))


def public_key_id(purpose: str) -> str:
    """The key id of the ``purpose`` key (created on first use)."""
    return key_pair(purpose).key_id


def public_pem(key: Ed25519PublicKey) -> bytes:
    """A public key as PEM (SubjectPublicKeyInfo), what the app publishes."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_pem(data: bytes, where: str = "key") -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; InvalidInput naming ``where`` when it is not one."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise InvalidInput(f"不是 PEM 公钥 / not a PEM public key: {where}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"不是 Ed25519 公钥 / not an Ed25519 public key: {where}")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint: the first 16 hex digits of SHA-256 over the raw public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(purpose: str, message: bytes) -> bytes:
    """A detached 64-byte Ed25519 signature of ``message`` with the ``purpose`` key."""
    return key_pair(purpose).private.sign(message)


def signature_ok(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``key``'s signature of ``message``."""
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, REPORT_SUBJECT),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "联征 Lianzheng")])
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365 * REPORT_CERT_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))


def _ensure_report_certificate() -> bool:
    folder = key_directory()
    key_path, cert_path = folder / REPORT_KEY_FILE, folder / REPORT_CERT_FILE
    created = False
    if not key_path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        created = _place(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()), 0o600)
    if not cert_path.exists():
        loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        created = _place(cert_path, _self_signed(loaded).public_bytes(serialization.Encoding.PEM), 0o644) or created
        log.warning("created the report signing certificate in %s", folder)
    return created


def report_credentials() -> tuple[bytes, bytes]:
    """The report signing key and its self-signed P-256 certificate, both PEM, created on first use."""
    _ensure_report_certificate()
    folder = key_directory()
    return (folder / REPORT_KEY_FILE).read_bytes(), (folder / REPORT_CERT_FILE).read_bytes()


def report_certificate_pem() -> bytes:
    """The report signing certificate (PEM), for readers who want to trust it."""
    return report_credentials()[1]


def ensure_signing_keys() -> list[Path]:
    """Create every signing key that is missing; the paths of those created (``keys init`` calls it)."""
    made = [public_key_path(p) for p in PURPOSES if _ensure_ed25519(key_directory(), p)]
    if _ensure_report_certificate():
        made.append(key_directory() / REPORT_CERT_FILE)
    return made
