"""Readers for structured files: a JSON array of objects, NDJSON (one object a line) and XML
(records under a root naming department and type)."""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterator
from typing import IO, Any

import ijson
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ingest import safety
from ingest.rowsource import (
    INVALID_KEY,
    RawRow,
    RowSource,
    _decodes,
    _fail,
    _open_binary,
    _Recoder,
    _refuse,
    _sample,
    detect_encoding,
)


def _json_rows(src: RowSource, fmt: str) -> Iterator[RawRow]:
    """Rows of a JSON array of objects or of NDJSON (one object per line)."""
    sample, whole = _sample(src)
    src.encoding = detect_encoding(src.path, sample, whole)
    first = sample.decode(src.encoding, errors="ignore").lstrip("\ufeff \t\r\n")[:1]
    if fmt == "json" and first == "[":
        yield from _json_array(src)
    elif first in ("{", "[") or fmt == "ndjson":
        yield from _ndjson(src, strict_first=(fmt == "json"))
    else:
        raise _fail(src.path, "不是 JSON 数组，也不是每行一个 JSON 对象",
                    "neither a JSON array nor one JSON object per line")


def _json_reader(src: RowSource) -> Any:
    """A UTF-8 byte stream of the file for ijson, whatever its encoding."""
    raw = _open_binary(src)
    if src.encoding == "utf-8-sig":
        raw.read(len(codecs.BOM_UTF8))
    if src.encoding in ("utf-8", "utf-8-sig"):
        return raw
    return _Recoder(raw, src.encoding or "utf-8")


def _json_array(src: RowSource) -> Iterator[RawRow]:
    """Objects of a top-level JSON array, streamed with ijson."""
    seen: dict[str, None] = {}
    number = 0
    reader = _json_reader(src)
    items = ijson.items(reader, "item", use_float=True)
    skip, retried = 0, False
    while True:
        try:
            item = next(items)
        except StopIteration:
            return
        except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
            if "integer overflow" in str(exc) and not retried:
                # a number beyond 64 bits (a 20-digit taxpayer id written as a number): the C parser
                # cannot hold it, the pure-Python one can; read again from the start, past what was read
                # (slower: only files holding such a number pay for it)
                reader.close()
                reader = _json_reader(src)
                items, skip, retried = ijson.get_backend("python").items(reader, "item", use_float=True), number, True
                continue
            raise _fail(src.path, f"JSON 格式错误，位于第 {number + 1} 项（{exc}）",
                        f"malformed JSON at item {number + 1} ({exc})") from None
        if skip:
            skip -= 1
            continue
        number += 1
        yield _json_row(src, seen, number, item, f"第{number}项")


def _json_row(src: RowSource, seen: dict[str, None], number: int, item: Any, where: str) -> RawRow:
    """A RawRow for one decoded JSON value; non-objects become a row the validator rejects."""
    if not isinstance(item, dict):
        return RawRow(number, {INVALID_KEY: f"{where}不是对象 / not an object: {repr(item)[:200]}"})
    for key, value in item.items():
        if key not in seen:
            seen[key] = None
            src.headers.append(key)
        if value.__class__ is int and not -_INT64 <= value < _INT64:
            # a 20-digit taxpayer id written as a JSON number: its digits are all in the text, and
            # the stored row (JSON, sealed) holds integers of 64 bits at most
            item[key] = str(value)
    return RawRow(number, item)


_INT64 = 2 ** 63


def _ndjson(src: RowSource, strict_first: bool) -> Iterator[RawRow]:
    """One JSON object per line; a bad line becomes a row the validator rejects."""
    text = io.TextIOWrapper(_open_binary(src), encoding=src.encoding, newline=None)
    seen: dict[str, None] = {}
    first = True
    for number, line in _numbered_lines(src, text):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            if first and strict_first:
                raise _fail(src.path, "不是 JSON 数组，也不是每行一个 JSON 对象（第 1 个对象不完整）",
                            f"neither a JSON array nor one object per line ({exc})") from None
            yield RawRow(number, {INVALID_KEY: f"第{number}行不是有效的 JSON / invalid JSON: {exc}"})
            continue
        first = False
        yield _json_row(src, seen, number, item, f"第{number}行")


def _numbered_lines(src: RowSource, text: IO[str]) -> Iterator[tuple[int, str]]:
    """(line number, line) of a text stream, turning a decode error into a FileError."""
    number = 0
    while True:
        try:
            line = text.readline()
        except UnicodeDecodeError:
            raise _fail(src.path, f"第 {number + 1} 行附近的内容不是 {src.encoding} 编码",
                        f"line {number + 1}: bytes that are not valid {src.encoding}") from None
        if not line:
            return
        number += 1
        yield number, line


# ---------------------------------------------------------------- XML

_DECL_RE = re.compile(r"""^(\ufeff?\s*<\?xml[^>]*?encoding\s*=\s*["'])([^"']+)(["'])""")
_UTF8_NAMES = frozenset(["utf-8", "utf8", "utf_8"])


def _xml_rows(src: RowSource, department: str | None, record_type: str | None) -> Iterator[RawRow]:
    """Records of a <dataset><record><field name=…>…</field></record></dataset> file."""
    try:
        yield from _xml_records(src, department, record_type)
    except DefusedXmlException:
        raise _fail(src.path, "XML 含 DTD 或实体声明，出于安全原因拒绝读取",
                    "DTD and entity declarations are refused") from None
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise _fail(src.path, f"XML 格式错误，位于第 {line} 行（{exc}）",
                    f"malformed XML at line {line} ({exc})") from None
    except (LookupError, UnicodeError) as exc:  # an encoding the declaration names but no codec knows
        raise _fail(src.path, f"XML 声明的字符编码无法使用（{exc}）", f"the XML declares an unusable encoding ({exc})") from None


def _xml_records(src: RowSource, department: str | None, record_type: str | None) -> Iterator[RawRow]:
    """Parse incrementally, clearing each finished record from its parent so memory stays flat."""
    number = 0
    stack: list[Any] = []
    for event, el in SafeET.iterparse(_xml_reader(src), events=("start", "end"), forbid_dtd=True):
        if event == "start":
            if not stack:
                _check_root(src, el, department, record_type)
            stack.append(el)
            continue
        stack.pop()
        if _local(el.tag) == "record" and stack:
            number += 1
            row = RawRow(number, _record_values(el))
            if number == 1:
                src.headers = list(row.values)
            stack[-1].clear()
            yield row


def _xml_reader(src: RowSource) -> Any:
    """A byte stream for the XML parser; GB-encoded files are recoded to UTF-8 on the fly."""
    sample, whole = _sample(src)
    if not sample.removeprefix(codecs.BOM_UTF8).strip():
        raise _fail(src.path, "文件为空（只有空白）", "file is empty (whitespace only)")
    if not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _refuse(src.path, safety.check_text_sample, sample)
    head = sample[:200].decode("latin-1")
    match = _DECL_RE.match(head)
    declared = match.group(2).lower() if match else None
    raw = _open_binary(src)
    if declared is None or declared in _UTF8_NAMES:
        if sample.startswith(codecs.BOM_UTF8) or _decodes(sample, "utf-8", whole):
            src.encoding = "utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"
            return raw
        declared = detect_encoding(src.path, sample, whole)
    elif declared.replace("-", "").replace("_", "") not in ("gbk", "gb2312", "gb18030", "cp936"):
        src.encoding = declared
        return raw
    src.encoding = "gb18030" if declared.startswith("gb") or declared == "cp936" else declared
    return _Recoder(raw, src.encoding, lambda s: _DECL_RE.sub(r"\g<1>utf-8\g<3>", s, count=1))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _check_root(src: RowSource, el: Any, department: str | None, record_type: str | None) -> None:
    """The root must be <dataset>, and its department/type must match the upload's."""
    if _local(el.tag) != "dataset":
        raise _fail(src.path, f"根元素应为 <dataset>，实为 <{_local(el.tag)}>",
                    f"root element must be <dataset>, found <{_local(el.tag)}>")
    says_dept, says_type = el.get("department"), el.get("type")
    wrong_dept = department and says_dept and says_dept != department
    wrong_type = record_type and says_type and says_type != record_type
    if wrong_dept or wrong_type:
        file_says = f"{says_dept or '?'}/{says_type or '?'}"
        upload = f"{department or '?'}/{record_type or '?'}"
        raise _fail(src.path, f"根元素声明的部门/类型（{file_says}）与上传时声明的（{upload}）不符",
                    f"root element says {file_says}, upload says {upload}")


def _record_values(record: Any) -> dict[str, Any]:
    """Field name -> text (None when empty) of one <record>."""
    values: dict[str, Any] = {}
    fields = [f for f in record if _local(f.tag) == "field"]
    for i, field in enumerate(fields, 1):
        name = (field.get("name") or "").strip() or f"_field_{i}"
        values[name] = field.text
    return values
