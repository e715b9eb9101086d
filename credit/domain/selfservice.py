"""Enterprise self-service: its own records, the lawful queries about it, its objections and repairs.

Every function checks that the actor acts for the enterprise. Proof files of a repair application
are kept under their SHA-256 in the proof store (``CREDIT_PROOF_DIR``, default instance/proofs):
the uploaded name is only shown, never used as a path; size and kind (PDF, PNG, JPEG) are checked
from the bytes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.domain.objections import file_objection, objections_about
from credit.domain.profile import resolve_enterprise
from credit.domain.queries import queries_about
from credit.domain.repair import apply_for_repair, repairs_about
from credit.domain.web_models import ProofFile
from credit.domain.workflow_models import Objection, QueryLog, RepairApplication
from credit.domain.workflows import ROLE_ENTERPRISE, Actor, InvalidInput, NotAllowed, NotFound, require_enterprise
from credit.kernel.db import PROJECT_ROOT

log = logging.getLogger(__name__)

MAX_PROOF_BYTES = 10 * 1024 * 1024
MAX_PROOFS = 5
MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
_UNSAFE = re.compile(r"[^\w.\-（）() \u4e00-\u9fff]+")


@dataclass(frozen=True)
class Upload:
    """A proof file as it arrived: the name the person gave it and its bytes."""

    name: str
    data: bytes


def own_enterprise(actor: Actor) -> int:
    """The enterprise an enterprise actor acts for."""
    if actor.role != ROLE_ENTERPRISE:
        raise NotAllowed(f"{actor} 不是企业账户 / is not an enterprise account")
    if actor.enterprise_id is None:
        raise NotFound("账户绑定的统一社会信用代码尚未对应到企业 / the account's USCC leads to no enterprise yet")
    return actor.enterprise_id


def my_queries(session: Session, actor: Actor) -> list[QueryLog]:
    """Every lawful query made about the actor's enterprise, newest first."""
    return list(reversed(queries_about(session, own_enterprise(actor))))


def my_objections(session: Session, actor: Actor) -> list[Objection]:
    return list(reversed(objections_about(session, own_enterprise(actor))))


def my_repairs(session: Session, actor: Actor) -> list[RepairApplication]:
    return list(reversed(repairs_about(session, own_enterprise(actor))))


def object_to(session: Session, actor: Actor, record_key: str, reason: str, *, on: date) -> Objection:
    """Raise an objection to one record (``department/type/record_id``) of the actor's enterprise."""
    own_enterprise(actor)
    department, record_type, record_id = split_key(record_key)
    return file_objection(session, actor, department, record_type, record_id, reason=reason, on=on)


def split_key(record_key: str) -> tuple[str, str, str]:
    parts = (record_key or "").split("/", 2)
    if len(parts) != 3 or not all(parts):
        raise InvalidInput("记录应写作 部门/类型/记录编号 / a record is department/type/record_id")
    return parts[0], parts[1], parts[2]


def proof_dir() -> Path:
    """Where proof files are kept."""
    return Path(os.environ.get("CREDIT_PROOF_DIR") or PROJECT_ROOT / "instance" / "proofs")


def _kind(data: bytes) -> str:
    for magic, media_type in MAGIC:
        if data.startswith(magic):
            return media_type
    raise InvalidInput("证明材料须为 PDF、PNG 或 JPEG 文件 / proof files are PDF, PNG or JPEG")


def shown_name(name: str) -> str:
    """A name safe to show: no folders, no control characters, at most 100 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    return (_UNSAFE.sub("_", base).strip(" .") or "proof")[:100]


def _store(upload: Upload) -> tuple[str, str]:
    if not upload.data:
        raise InvalidInput(f"文件 {shown_name(upload.name)} 为空 / the file is empty")
    if len(upload.data) > MAX_PROOF_BYTES:
        raise InvalidInput(f"每个文件不超过 10 MB / each file is at most 10 MB ({shown_name(upload.name)})")
    media_type = _kind(upload.data)
    digest = hashlib.sha256(upload.data).hexdigest()
    folder = proof_dir() / digest[:2]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if not target.exists():
        tmp = folder / f".{digest}.{os.getpid()}.tmp"
        tmp.write_bytes(upload.data)
        os.replace(tmp, target)
    return digest, media_type


def apply_with_proof(session: Session, actor: Actor, record_key: str, proof: str, files: list[Upload], *,
                     on: date) -> RepairApplication:
    """Apply for credit repair of one record with a statement and up to MAX_PROOFS proof files."""
    own_enterprise(actor)
    department, record_type, record_id = split_key(record_key)
    if len(files) > MAX_PROOFS:
        raise InvalidInput(f"最多上传 {MAX_PROOFS} 个文件 / at most {MAX_PROOFS} files")
    stored = [(f, *_store(f)) for f in files]
    names = "；".join(shown_name(f.name) for f, _, _ in stored)
    text = proof if not names else f"{proof}\n证明材料 proof files: {names}"
    app = apply_for_repair(session, actor, department, record_type, record_id, proof=text, on=on)
    for upload, digest, media_type in stored:
        session.add(ProofFile(repair_id=app.id, sha256=digest, display_name=shown_name(upload.name),
                              media_type=media_type, size=len(upload.data), uploaded_by=actor.user))
    session.flush()
    return app


def proof_files(session: Session, actor: Actor, repair_id: int) -> list[ProofFile]:
    """The proof files of one of the actor's repair applications."""
    app = session.get(RepairApplication, repair_id)
    if app is None:
        raise NotFound(f"修复申请 {repair_id} 不存在 / no repair application {repair_id}")
    require_enterprise(actor, resolve_enterprise(session, app.enterprise_id))  # filed under an id since merged
    return list(session.scalars(select(ProofFile).where(ProofFile.repair_id == repair_id).order_by(ProofFile.id)))
