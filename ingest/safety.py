"""Limits that keep a hostile or broken upload from costing more than a clear error.

- Upload size: ``CREDIT_MAX_UPLOAD_BYTES`` (default 512 MB; the 1M-row benchmark CSV is 382 MB),
  checked by every reader and by the web before a byte is kept (``credit.domain.staging``).
- XLSX packages (zip): at most ``MAX_ENTRIES`` entries, ``MAX_EXPANDED`` bytes expanded in all,
  no entry of more than ``RATIO_FROM`` bytes expanding more than ``MAX_RATIO`` times its compressed
  size, no encryption, only stored or deflated entries; and every entry is inflated once here,
  counting, so a size its header understates (a zip bomb's trick) is caught before any parser,
  calamine included, reads it. XML parts may not declare a DTD (no entities: billion laughs,
  external entities).
- Text files: a zip, an old Office or a PDF file renamed .csv/.json/.xml is named for what it is;
  other binary content is refused.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import zipfile
import zlib
from typing import IO

from credit.kernel.errors import InvalidInput

log = logging.getLogger(__name__)

ENV_MAX_UPLOAD = "CREDIT_MAX_UPLOAD_BYTES"
DEFAULT_MAX_UPLOAD = 512 << 20
MAX_ENTRIES = 1000
MAX_EXPANDED = 2 << 30
MAX_RATIO = 200
RATIO_FROM = 1 << 20
XML_HEAD = 1 << 16
_BLOCK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, …, file name length, extra field length
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_CONTROL = bytes(range(0, 32)).translate(None, b"\t\n\r\x0c\x1a")
MAGIC = {
    b"PK\x03\x04": ("zip/xlsx 压缩包", "a zip (xlsx) package: upload it as .xlsx"),
    b"\xd0\xcf\x11\xe0": ("旧版 Excel (.xls) 或加密的 Office 文件", "an old Excel (.xls) or encrypted Office file: save it "
                                                             "as .xlsx or CSV without a password"),
    b"%PDF": ("PDF 文件", "a PDF file"),
}


class Refused(ValueError):
    """The file breaks a limit; the message says which (Chinese, then English), without the path."""


def max_upload_bytes() -> int:
    """The upload size limit in bytes (``CREDIT_MAX_UPLOAD_BYTES``, default 512 MB)."""
    raw = os.environ.get(ENV_MAX_UPLOAD, "").strip()
    if not raw:
        return DEFAULT_MAX_UPLOAD
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if limit <= 0:
        raise InvalidInput(f"{ENV_MAX_UPLOAD} 应为正整数（字节） / must be a positive number of bytes, not {raw!r}")
    return limit


def _mb(size: int) -> str:
    """A size as people read it: 512 MB, 1.5 MB, 12 KB, 800 B."""
    if size >= 10 << 20:
        return f"{size >> 20} MB"
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB"
    return f"{size >> 10} KB" if size >= 1 << 10 else f"{size} B"


def too_large_message(limit: int | None = None) -> str:
    """The one message for an upload over the limit."""
    limit = max_upload_bytes() if limit is None else limit
    return f"文件过大，上限为 {_mb(limit)} / the file is larger than the limit of {_mb(limit)}"


def check_size(size: int) -> None:
    """Refuse a file larger than the upload limit."""
    limit = max_upload_bytes()
    if size > limit:
        raise Refused(f"{too_large_message(limit)} ({_mb(size)})")


def check_text_sample(sample: bytes) -> None:
    """Refuse bytes that are not text: another kind of file renamed, or binary content."""
    for magic, (zh, en) in MAGIC.items():
        if sample.startswith(magic):
            raise Refused(f"这是{zh}，不是文本文件 / this is {en}, not a text file")
    head = sample[:65536]
    if b"\x00" in head or len(head) - len(head.translate(None, _CONTROL)) > max(8, len(head) // 100):
        raise Refused("不是文本文件（含二进制内容） / not a text file (binary content)")


def check_package(path: str, zf: zipfile.ZipFile) -> None:
    """Refuse a zip package that breaks the limits or whose entries expand beyond what they declare."""
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise Refused(f"压缩包内文件过多（{len(infos)} 个，上限 {MAX_ENTRIES}） / too many entries in the package "
                      f"({len(infos)}; at most {MAX_ENTRIES})")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise Refused("工作簿已加密，请去掉密码后另存 / the workbook is encrypted: save it without a password")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused(f"不支持的压缩方式 / unsupported compression method {info.compress_type}: {info.filename}")
        total += info.file_size
        if total > MAX_EXPANDED:
            raise Refused(f"解压后超过 {_mb(MAX_EXPANDED)}（疑似压缩炸弹） / expands to more than {_mb(MAX_EXPANDED)} "
                          "(a zip bomb?)")
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise Refused(f"压缩比异常（{info.file_size // max(info.compress_size, 1)}:1，疑似压缩炸弹） / "
                          f"compression ratio {info.file_size // max(info.compress_size, 1)}:1 in {info.filename} "
                          "(a zip bomb?)")
    with open(path, "rb") as fh:
        for info in infos:
            _inflate_counting(fh, info)


def _inflate_counting(fh: IO[bytes], info: zipfile.ZipInfo) -> None:
    """Inflate one entry from its raw bytes, refusing it as soon as it outgrows its declared size."""
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise zipfile.BadZipFile(f"truncated local header of {info.filename}")
    signature, name_len, extra_len = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header of {info.filename}")
    fh.seek(name_len + extra_len, os.SEEK_CUR)
    left, counted = info.compress_size, _Counter(info)
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0:
        block = fh.read(min(_BLOCK, left))
        if not block:
            raise zipfile.BadZipFile(f"{info.filename} is cut short")
        left -= len(block)
        if inflate is None:
            counted.add(block)
            continue
        while True:  # bounded steps; output may still be pending when the input is used up
            out = inflate.decompress(block, _BLOCK)
            counted.add(out)
            block = inflate.unconsumed_tail
            if not block and (len(out) < _BLOCK or inflate.eof):
                break
    if inflate is not None and not inflate.eof:
        raise zipfile.BadZipFile(f"{info.filename} is cut short")
    if counted.size != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename} is {counted.size} bytes, not the {info.file_size} it declares")
    if info.filename.endswith((".xml", ".rels", ".vml")):
        check_xml_prolog(counted.head, info.filename)


class _Counter:
    """Counts an entry's inflated bytes against its declared size and keeps its first bytes."""

    def __init__(self, info: zipfile.ZipInfo) -> None:
        self.info, self.size, self.head = info, 0, b""

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.info.file_size:
            name = self.info.filename
            raise Refused(f"{name} 解压后超过其声明的大小（疑似压缩炸弹） / {name} expands beyond its declared "
                          f"{self.info.file_size} bytes (a zip bomb?)")
        if len(self.head) < XML_HEAD:
            self.head += data[:XML_HEAD - len(self.head)]


def check_xml_prolog(head: bytes, name: str = "") -> None:
    """Refuse an XML document that declares a DTD or entities (they can only precede the root)."""
    root = _ROOT_START.search(head)
    prolog = head[:root.start()] if root else head
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise Refused(f"XML 含 DTD 或实体声明，出于安全原因拒绝读取 / DTD and entity declarations are refused "
                      f"{name}".rstrip())
