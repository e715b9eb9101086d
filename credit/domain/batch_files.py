"""The files around an upload: stored under a generated name, checked, and its rejected rows.

An uploaded file is written to the upload folder (``CREDIT_UPLOAD_DIR``, default instance/uploads;
a folder every worker machine shares) as ``<uuid>.<ext>``: the name the clerk gave is kept for
display only and never touches the file system. Its SHA-256 is computed while it is written, the
size is bounded (``CREDIT_MAX_UPLOAD_BYTES``) and its first bytes must fit its extension.
Rejected rows are spooled while the batch is read and stored with personal values masked.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import time
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
import xlsxwriter

from credit.domain.cells import safe_cell
from credit.kernel.catalog import RecordType
from credit.kernel.db import PROJECT_ROOT
from credit.kernel.errors import InvalidInput
from credit.kernel.identifiers import mask_id_number, mask_phone
from ingest import safety
from ingest.loader import Reject
from ingest.readers import EXTENSIONS

log = logging.getLogger(__name__)

_BLOCK = 1 << 20
REJECT_HEADER = ["行号 row", "列 column", "原因 reason", "记录编号 record_id", "原始行 raw row"]


def upload_dir() -> Path:
    """Where uploaded files are kept (shared by every worker)."""
    folder = Path(os.environ.get("CREDIT_UPLOAD_DIR") or PROJECT_ROOT / "instance" / "uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def max_upload_bytes() -> int:
    """One limit for every upload (``CREDIT_MAX_UPLOAD_BYTES``, ingest/safety.py): web, API, CLI."""
    return safety.max_upload_bytes()


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file as kept: generated name, hash, size, the format its extension names."""

    path: Path
    stored_name: str
    sha256: str
    size: int
    file_format: str


def file_format_of(filename: str) -> str:
    """The format an upload's extension names; InvalidInput naming the accepted ones otherwise."""
    ext = Path(filename or "").suffix.lower()
    if ext not in EXTENSIONS:
        known = "、".join(sorted(EXTENSIONS))
        raise InvalidInput(f"{filename}: 不支持的文件类型“{ext or '无扩展名'}”，请上传 {known} / "
                           f"unsupported file type '{ext}'; accepted: {known}")
    return EXTENSIONS[ext]


class SpooledUpload:
    """An upload written into the upload folder as it arrives, hashed on the way: the web's
    multipart parser writes a file part here instead of into a temporary file, so that a large
    upload is written to disk once (``store_upload`` then adopts it instead of copying it).

    Written under a hidden name (``.<uuid><ext>.part``) and moved to ``<uuid><ext>`` when adopted;
    closing it unadopted (a refused request, an aborted upload) deletes it."""

    def __init__(self, suffix: str, directory: Path | None = None) -> None:
        self.stored_name = f"{uuid.uuid4().hex}{suffix}"
        self.folder = directory or upload_dir()
        self._spool = self.folder / f".{self.stored_name}.part"
        self._fh = open(self._spool, "xb+")  # noqa: SIM115 - closed by close() or adopt()
        self._digest = hashlib.sha256()
        self.size = 0
        self._adopted: StoredFile | None = None

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        return self._fh.write(data)

    def read(self, size: int = -1) -> bytes:
        return self._fh.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._fh.readline(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def flush(self) -> None:
        self._fh.flush()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def close(self) -> None:
        self._fh.close()
        if self._adopted is None:
            self._spool.unlink(missing_ok=True)

    def adopt(self, filename: str, limit: int) -> StoredFile:
        """The spooled file as stored (``store_upload``'s checks); deleted when refused."""
        if self._adopted is not None:
            return self._adopted
        try:
            fmt = file_format_of(filename)
            if Path(filename).suffix.lower() != Path(self.stored_name).suffix:
                raise InvalidInput(f"{filename}: 文件名与上传时不同 / not the file name it was uploaded with")
            self._fh.close()
            if self.size > limit:
                raise InvalidInput(f"{filename}: 文件超过上传上限 {limit >> 20} MB / "
                                   f"the file is larger than the upload limit of {limit >> 20} MB")
            _check_content(self._spool, filename, fmt, self.size)
            target = self.folder / self.stored_name
            os.replace(self._spool, target)
        except BaseException:
            self.close()
            raise
        self._adopted = StoredFile(target, self.stored_name, self._digest.hexdigest(), self.size, fmt)
        return self._adopted


STALE_SPOOL_SECONDS = 24 * 3600


def sweep_spools(now: float | None = None) -> int:
    """Delete spooled uploads older than a day (a process killed while receiving one)."""
    limit = (time.time() if now is None else now) - STALE_SPOOL_SECONDS
    removed = 0
    for path in upload_dir().glob(".*.part"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def spool_for(filename: str | None) -> SpooledUpload | None:
    """A spool in the upload folder for a file part of this name, None when its type is not accepted."""
    suffix = Path(filename or "").suffix.lower()
    return SpooledUpload(suffix) if suffix in EXTENSIONS else None


def store_upload(stream: IO[bytes] | SpooledUpload, filename: str, *, directory: Path | None = None,
                 max_bytes: int | None = None) -> StoredFile:
    """Copy the upload to ``<uuid>.<ext>``, hashing it (or adopt a ``SpooledUpload`` already in the
    folder); refuse it when too large or not its type."""
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if isinstance(stream, SpooledUpload) and (directory is None or directory == stream.folder):
        return stream.adopt(filename, limit)
    fmt = file_format_of(filename)
    folder = directory or upload_dir()
    stored = f"{uuid.uuid4().hex}{Path(filename).suffix.lower()}"
    target = folder / stored
    digest, size = hashlib.sha256(), 0
    try:
        with open(target, "xb") as out:
            for block in iter(lambda: stream.read(_BLOCK), b""):
                size += len(block)
                if size > limit:
                    raise InvalidInput(f"{filename}: 文件超过上传上限 {limit >> 20} MB / "
                                       f"the file is larger than the upload limit of {limit >> 20} MB")
                digest.update(block)
                out.write(block)
        _check_content(target, filename, fmt, size)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return StoredFile(target, stored, digest.hexdigest(), size, fmt)


def _check_content(path: Path, filename: str, fmt: str, size: int) -> None:
    """The first bytes fit the format: a zip for xlsx, text for the others."""
    if size == 0:
        raise InvalidInput(f"{filename}: 文件为空 / the file is empty")
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if fmt == "xlsx":
        if not head.startswith(b"PK\x03\x04") or not zipfile.is_zipfile(path):
            raise InvalidInput(f"{filename}: 不是有效的 Excel (.xlsx) 文件 / not a valid .xlsx file")
        return
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))  # ingest answers those with its own message
    if head.startswith(b"PK\x03\x04") or (b"\x00" in head and not utf16):
        raise InvalidInput(f"{filename}: 不是文本文件，与扩展名不符 / not a text file, as its extension says")


# ---------------------------------------------------------------- rejected rows


def personal_keys(rtype: RecordType) -> dict[str, str]:
    """Every header or key a personal column may arrive under -> its column type."""
    out: dict[str, str] = {}
    for col in rtype.columns:
        if col.personal:
            for name in (col.key, col.zh, *col.aliases):
                out[name] = col.type
    return out


def _mask(value: Any, col_type: str) -> str:
    text = "" if value is None else str(value)
    if col_type == "id_number":
        return mask_id_number(text)
    if col_type == "phone":
        return mask_phone(text)
    return "*" * len(text)


def masked_reject(rej: Reject, personal: dict[str, str]) -> tuple[int, str, str, str | None, str]:
    """A reject as stored: personal values in the raw row (and in the reason) masked."""
    raw = dict(rej.raw)
    reason = rej.reason
    for name, value in rej.raw.items():
        col_type = personal.get(str(name).strip())
        if col_type is not None and value not in (None, ""):
            raw[name] = _mask(value, col_type)
            reason = reason.replace(str(value), str(raw[name]))
    return (rej.row, rej.column[:200], reason, rej.record_id,
            orjson.dumps(raw, default=str).decode())


class RejectSpool:
    """Rejected rows written to a file while the batch is read (there may be a million)."""

    def __init__(self, path: Path, rtype: RecordType):
        self.path, self.personal = path, personal_keys(rtype)
        self.count = 0
        self._fh: IO[bytes] = open(path, "wb")

    def add(self, rej: Reject) -> None:
        self._fh.write(orjson.dumps(masked_reject(rej, self.personal)) + b"\n")
        self.count += 1

    def close(self) -> None:
        self._fh.close()

    def rows(self) -> Iterator[tuple[Any, ...]]:
        with open(self.path, "rb") as fh:
            for line in fh:
                yield tuple(orjson.loads(line))


def write_rejects_csv(rows: Iterable[tuple[Any, ...]], fh: IO[str]) -> int:
    """Rejected rows as CSV (the caller opens ``fh`` as UTF-8 with BOM), formula-safe."""
    writer = csv.writer(fh)
    writer.writerow(REJECT_HEADER)
    n = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        n += 1
    return n


def write_rejects_xlsx(rows: Iterable[tuple[Any, ...]], path: str | Path) -> int:
    """Rejected rows as XLSX, every cell text, written in constant memory."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("rejected")
    for c, head in enumerate(REJECT_HEADER):
        sheet.write_string(0, c, head)
    n = 0
    for n, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            sheet.write_string(n, c, safe_cell(value))
    book.close()
    return n
