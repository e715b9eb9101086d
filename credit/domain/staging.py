"""Uploads kept safely until they are ingested: the web's upload calls these, never ``open(name)``.

An uploaded file's name is the sender's text: it never becomes a path. The file is written under a
name the server chooses (random, with the allowed extension of the original) in a folder the server
chooses, its size bounded while it is copied (``CREDIT_MAX_UPLOAD_BYTES``, one message), and the
original name survives only as a display name, cleaned, for messages and the batch record.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from credit.kernel.errors import InvalidInput
from ingest.readers import EXTENSIONS
from ingest.safety import ENV_MAX_UPLOAD, max_upload_bytes, too_large_message

log = logging.getLogger(__name__)

__all__ = ["ENV_MAX_UPLOAD", "Staged", "display_name", "max_upload_bytes", "stage_upload", "staged_upload",
           "too_large_message"]

_CHUNK = 1 << 20
_NAME_LIMIT = 200


class UploadTooLarge(InvalidInput):
    """The upload is larger than the limit (the web answers 413 with the same message)."""


@dataclass(frozen=True)
class Staged:
    """An upload on disk under a server-chosen path, and the sender's name for display only."""

    path: Path
    display_name: str
    size: int


def _last_part(name: str | None) -> str:
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()


def display_name(name: str | None) -> str:
    """The sender's file name, for display: its last path part, no control or format characters,
    at most 200 characters (the extension kept)."""
    text = _last_part(name).strip(".")
    if len(text) > _NAME_LIMIT:
        stem, dot, ext = text.rpartition(".")
        text = (stem[:_NAME_LIMIT - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else text[:_NAME_LIMIT]
    return text or "upload"


def _extension(name: str) -> str:
    last = _last_part(name)
    ext = "." + last.rsplit(".", 1)[1].lower() if "." in last else ""
    if ext not in EXTENSIONS:
        known = " ".join(sorted(EXTENSIONS))
        raise InvalidInput(f"不支持的文件类型“{ext or '无扩展名'}”（支持 {known}）/ unsupported file type '{ext}' "
                           f"(supported: {known})")
    return ext


def stage_upload(stream: BinaryIO, original_name: str | None, folder: str | Path, *,
                 limit: int | None = None) -> Staged:
    """Copy an upload stream to a new file in ``folder`` under a random name, at most ``limit`` bytes
    (default the upload limit); a larger one is removed and refused with one clear message."""
    limit = max_upload_bytes() if limit is None else limit
    ext = _extension(original_name or "")
    base = Path(folder)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = base / f"{uuid.uuid4().hex}{ext}"
    size = 0
    try:
        with open(path, "xb") as out:
            while block := stream.read(_CHUNK):
                size += len(block)
                if size > limit:
                    raise UploadTooLarge(too_large_message(limit))
                out.write(block)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    log.info("staged upload %s as %s (%d bytes)", display_name(original_name), path.name, size)
    return Staged(path, display_name(original_name), size)


@contextmanager
def staged_upload(stream: BinaryIO, original_name: str | None, folder: str | Path, *,
                  limit: int | None = None) -> Iterator[Staged]:
    """``stage_upload`` whose file is removed when the block ends (after the ingest)."""
    staged = stage_upload(stream, original_name, folder, limit=limit)
    try:
        yield staged
    finally:
        staged.path.unlink(missing_ok=True)
