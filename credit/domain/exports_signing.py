"""Signed exports: a manifest and a detached Ed25519 signature beside every exported file.

``FILE.manifest.json`` says who exported what, when, with which filters, how many rows, and the
file's size and SHA-256; ``FILE.sig`` is the raw 64-byte Ed25519 signature of the manifest's exact
bytes by the platform's export key (published at ``GET /keys/export-signing.pem``). The file is
hashed as a stream, so exports of any size are signed in constant memory, and anyone can check
one offline: ``python -m credit verify-export FILE [--key PEM]``, or with OpenSSL alone::

    openssl pkeyutl -verify -pubin -inkey export-signing.pem -rawin \\
        -in FILE.manifest.json -sigfile FILE.sig && sha256sum FILE
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from credit.domain import audit
from credit.domain.workflows import Actor
from credit.kernel import signing
from credit.kernel.db import publish_on_commit, staging_path
from credit.kernel.errors import InvalidInput, LianzhengError, NotFound
from credit.kernel.models import utcnow

log = logging.getLogger(__name__)

MANIFEST_TYPE = "lianzheng.export-manifest/1"
MANIFEST_SUFFIX, SIGNATURE_SUFFIX = ".manifest.json", ".sig"
PUBLIC_KEY_PATH = "/keys/export-signing.pem"  # where the web app publishes export_public_key_pem()
CHUNK = 1 << 20


class SignatureWriteError(LianzhengError):
    """FILE.manifest.json or FILE.sig could not be written (no permission, disk full)."""


def manifest_path(path: str | os.PathLike[str]) -> Path:
    """FILE.manifest.json beside FILE."""
    return Path(f"{os.fspath(path)}{MANIFEST_SUFFIX}")


def signature_path(path: str | os.PathLike[str]) -> Path:
    """FILE.sig beside FILE."""
    return Path(f"{os.fspath(path)}{SIGNATURE_SUFFIX}")


def export_public_key_pem() -> bytes:
    """The platform's export verification key (PEM); what GET /keys/export-signing.pem serves."""
    return signing.public_pem(signing.public_key(signing.EXPORT))


class ExportDigest:
    """SHA-256 and size of an export, fed chunk by chunk while it is written or streamed."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._sha.update(chunk)
        self.size += len(chunk)

    def feed(self, chunks: Iterable[bytes]) -> ExportDigest:
        for chunk in chunks:
            self.update(chunk)
        return self

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    @classmethod
    def of_file(cls, path: str | os.PathLike[str]) -> ExportDigest:
        with open(path, "rb") as fh:
            return cls().feed(iter(lambda: fh.read(CHUNK), b""))


@dataclass(frozen=True)
class SignedExport:
    """The manifest (as data and as the exact signed bytes) and its signature."""

    manifest: dict[str, Any]
    manifest_bytes: bytes
    signature: bytes
    manifest_file: Path | None = None
    signature_file: Path | None = None


def _canonical(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2, default=str) + "\n").encode("utf-8")


def sign_digest(
    session: Session, actor: Actor, filename: str, digest: ExportDigest, *, kind: str,
    filters: dict[str, Any] | None = None, rows: int | None = None,
) -> SignedExport:
    """Sign a finished export known by its digest (streamed downloads); audited as export.sign.

    ``kind`` names what was exported (``list:black``, ``links``, ``records:tax/penalty`` …),
    ``filters`` how it was chosen, ``rows`` how many data rows it holds (header excluded).
    """
    if not filename or "/" in filename or "\\" in filename:
        raise InvalidInput(f"导出文件名无效 / not a file name: {filename!r}")
    made_at = utcnow().isoformat(timespec="seconds") + "Z"
    entry = audit.record(session, actor=str(actor), action="export.sign", subject=f"export:{kind}",
                         details={"file": filename, "sha256": digest.sha256, "size": digest.size,
                                  "rows": rows, "filters": filters or {}})
    manifest = {
        "type": MANIFEST_TYPE, "platform": "联征 Lianzheng", "file": filename, "size": digest.size,
        "sha256": digest.sha256, "rows": rows, "kind": kind, "filters": filters or {},
        "exported_by": str(actor), "exported_at": made_at, "audit_entry": entry.id,
        "key_id": signing.public_key_id(signing.EXPORT),
        "public_key_url": signing.public_base_url() + PUBLIC_KEY_PATH,
    }
    data = _canonical(manifest)
    return SignedExport(json.loads(data), data, signing.sign(signing.EXPORT, data))


def sign_export(
    session: Session, actor: Actor, path: str | os.PathLike[str], *, kind: str,
    filters: dict[str, Any] | None = None, rows: int | None = None, staged: Path | None = None,
) -> SignedExport:
    """Sign a finished export file: hash it as a stream, write FILE.manifest.json and FILE.sig.

    With ``staged`` (the file as written under a hidden name, ``credit.kernel.db.staging_path``, and
    registered by the caller with ``publish_on_commit``), the manifest and the signature are staged
    too and appear beside ``path`` only when the session commits (their audit entries with them); a
    rollback deletes them."""
    final = Path(path)
    manifest, sig = manifest_path(final), signature_path(final)
    manifest_out, sig_out = (staging_path(manifest), staging_path(sig)) if staged else (manifest, sig)
    if staged:  # registered first: a failure below rolls back, and the rollback deletes what was written
        for written, target in ((manifest_out, manifest), (sig_out, sig)):
            publish_on_commit(session, written, target)
    signed = sign_digest(session, actor, final.name, ExportDigest.of_file(staged or final), kind=kind,
                         filters=filters, rows=rows)
    try:
        manifest_out.write_bytes(signed.manifest_bytes)
        sig_out.write_bytes(signed.signature)
    except OSError as exc:
        raise SignatureWriteError(f"无法写入签名文件 / cannot write the signature files beside {path}: "
                                  f"{exc.strerror or exc}") from None
    log.info("signed export %s (%s rows, sha256 %s)", path, rows, signed.manifest["sha256"])
    return SignedExport(signed.manifest, signed.manifest_bytes, signed.signature, manifest, sig)


@dataclass
class ExportCheck:
    """What verifying an export found: ok, and every problem in words."""

    path: Path
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    key_id: str = ""


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"找不到{what} / no {what}: {path}") from None
    except OSError as exc:
        raise NotFound(f"无法读取 / cannot read {path}: {exc.strerror or exc}") from None


def _verification_key(key_pem: bytes | None, where: str) -> Ed25519PublicKey:
    if key_pem is not None:
        return signing.load_public_pem(key_pem, where)
    return signing.public_key(signing.EXPORT, create=False)


def verify_export(path: str | os.PathLike[str], key_pem: bytes | None = None, key_where: str = "--key") -> ExportCheck:
    """Check FILE against FILE.manifest.json and FILE.sig with the platform key (or ``key_pem``), offline."""
    target = Path(path)
    check = ExportCheck(target)
    manifest_bytes = _read(manifest_path(target), "清单 manifest")
    signature = _read(signature_path(target), "签名 signature")
    key = _verification_key(key_pem, key_where)
    check.key_id = signing.key_id(key)
    if not signing.signature_ok(key, signature, manifest_bytes):
        check.problems.append("签名无效：清单或签名被改动，或非本平台密钥签发 / the signature does not match the manifest "
                              f"for key {check.key_id}: the manifest or the signature was changed, or another key signed it")
    try:
        check.manifest = json.loads(manifest_bytes)
    except ValueError:
        check.problems.append("清单不是 JSON / the manifest is not JSON")
        return check
    _check_file(target, check)
    check.ok = not check.problems
    return check


def _check_file(target: Path, check: ExportCheck) -> None:
    manifest = check.manifest
    if manifest.get("type") != MANIFEST_TYPE:
        check.problems.append(f"不是联征导出清单 / not a Lianzheng export manifest: {manifest.get('type')!r}")
    if manifest.get("key_id") not in (None, check.key_id):
        check.problems.append(f"清单由另一密钥签发 / the manifest names key {manifest.get('key_id')}, not {check.key_id}")
    if not target.exists():
        check.problems.append(f"找不到导出文件 / no such export file: {target}")
        return
    digest = ExportDigest.of_file(target)
    if digest.size != manifest.get("size") or digest.sha256 != manifest.get("sha256"):
        check.problems.append(f"文件内容已改变 / the file differs from its manifest: SHA-256 {digest.sha256} "
                              f"({digest.size} bytes), manifest {manifest.get('sha256')} ({manifest.get('size')} bytes)")
