"""Staged export files after a crash: publish the committed ones, delete the abandoned ones.

An export is written under hidden names (``.NAME.<hex>.part``, ``credit.kernel.db.staging_path``)
and moved to its names when the transaction holding its audit entries commits. A process killed
between that commit and the move leaves an audited, signed export hidden; one killed before the
commit leaves files that no entry vouches for. ``sweep`` tells the two apart by the database, not by
the files' age:

- a staged manifest is *committed* when the ``export.sign`` entry it names exists and records the
  same file and SHA-256; its signature is the staged ``.sig`` that verifies it with the platform's
  export key, its data file the staged file of that SHA-256. The three are moved to their names
  (signature and manifest first, as at commit), so the export appears as it would have;
- anything else older than a day is deleted (a worker killed while writing, a rolled-back attempt
  whose files a crash kept).

Files younger than ``SETTLE_SECONDS`` are left alone: their transaction may be committing now, and
its own move follows within milliseconds.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from credit.domain.exports_signing import MANIFEST_SUFFIX, SIGNATURE_SUFFIX, ExportDigest
from credit.domain.workflow_models import AuditEntry
from credit.kernel import signing
from credit.kernel.errors import LianzhengError

log = logging.getLogger(__name__)

STALE_SECONDS = 24 * 3600
SETTLE_SECONDS = 60
_PART = re.compile(r"^\.(?P<final>.+)\.[0-9a-f]{12}\.part$")


@dataclass
class Swept:
    """What a sweep did: exports made visible (their file names), staged files deleted."""

    published: list[str] = field(default_factory=list)
    removed: int = 0


def sweep(folder: Path, session: Session | None = None, now: float | None = None) -> Swept:
    """Publish the committed exports a crash left staged in ``folder`` (with a session to check
    their entries), and delete staged files older than a day that no entry vouches for."""
    now = time.time() if now is None else now
    out = Swept()
    groups: dict[str, list[tuple[Path, str, float]]] = {}
    for path in folder.glob(".*.part"):
        match = _PART.match(path.name)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if match is None:
            final, base = "", ""
        else:
            final = match.group("final")
            base = final.removesuffix(MANIFEST_SUFFIX).removesuffix(SIGNATURE_SUFFIX)
        groups.setdefault(base, []).append((path, final, mtime))
    for base, parts in groups.items():
        settled = [p for p in parts if now - p[2] >= SETTLE_SECONDS]
        if session is not None and base and settled and _publish(session, folder, base, settled):
            out.published.append(base)
            continue
        for path, _, mtime in parts:
            if now - mtime >= STALE_SECONDS and _unlink(path):
                out.removed += 1
    return out


def _publish(session: Session, folder: Path, base: str, parts: list[tuple[Path, str, float]]) -> bool:
    """Move the committed export ``base`` (its three staged files) to its names; False if none is."""
    if (folder / base).exists():
        return False
    manifests = [p for p, final, _ in parts if final == base + MANIFEST_SUFFIX]
    signatures = [p for p, final, _ in parts if final == base + SIGNATURE_SUFFIX]
    data = [p for p, final, _ in parts if final == base]
    for manifest in manifests:
        try:
            body = manifest.read_bytes()
            info = json.loads(body)
        except (OSError, ValueError):
            continue
        if not isinstance(info, dict) or not _committed(session, base, info):
            continue
        signature = next((s for s in signatures if _signs(s, body)), None)
        file = next((d for d in data if _sha256(d) == info.get("sha256")), None)
        if signature is None or file is None:
            log.error("export %s was committed but its staged files are incomplete; left for a person", base)
            return False
        for staged, target in ((signature, base + SIGNATURE_SUFFIX), (manifest, base + MANIFEST_SUFFIX),
                               (file, base)):
            try:
                os.replace(staged, folder / target)
            except FileNotFoundError:  # the committing process moved it meanwhile
                pass
        log.warning("published export %s, committed but left staged by an interrupted process", base)
        for path, _, _ in parts:
            if path not in (signature, manifest, file):
                _unlink(path)
        return True
    return False


def _committed(session: Session, base: str, info: dict[str, Any]) -> bool:
    entry_id = info.get("audit_entry")
    if not isinstance(entry_id, int) or info.get("file") != base:
        return False
    entry = session.get(AuditEntry, entry_id)
    if entry is None or entry.action != "export.sign":
        return False
    try:
        details = json.loads(entry.details)
    except ValueError:
        return False
    return bool(details.get("file") == base and details.get("sha256") == info.get("sha256"))


def _signs(signature: Path, manifest: bytes) -> bool:
    try:
        return signing.signature_ok(signing.public_key(signing.EXPORT), signature.read_bytes(), manifest)
    except (OSError, ValueError, LianzhengError):
        return False


def _sha256(path: Path) -> str | None:
    try:
        return ExportDigest.of_file(path).sha256
    except OSError:
        return None


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except OSError:
        return False
    return True
