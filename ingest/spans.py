"""A CSV file cut into byte spans of whole rows, so that parallel readers each parse only their own.

Two readers used to read the whole file each and validate every other chunk: every row was parsed
twice. When the file holds no quote character and no bare carriage return, a record is exactly one
physical line, so a quick scan for line ends (C-speed ``bytes`` methods over 1 MB blocks) finds
where each chunk of ``chunk_rows`` lines after the header starts: byte offset and line number. A
reader then seeks to its spans and numbers their rows as the whole-file reader would. Any quote
(a field may then span lines, or a quote inside a field may stand for itself) or bare CR (a line
end the byte scan would miss) and the plan is None: the readers fall back to reading it all.

In UTF-8 and GB18030 the bytes 0x0A, 0x0D and 0x22 occur only as those characters (never inside a
multibyte character), so the scan is exact in every encoding the readers accept.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

BLOCK = 1 << 20
_BARE_CR = re.compile(rb"\r(?!\n)")


class Span(NamedTuple):
    """Lines ``line`` to ``end_line`` (exclusive) of a file, at bytes ``start`` to ``end``."""

    start: int
    end: int
    line: int
    end_line: int


def plan_spans(path: str | Path, header_line: int, chunk_rows: int) -> list[Span] | None:
    """The spans of the data lines after ``header_line``, ``chunk_rows`` lines each (the last one
    shorter, or empty when the lines divide evenly, as the whole-file reader's last chunk); None
    when the file cannot be cut by line ends (see the module docstring).

    The first span starts at the line after the header; its reader reads the file from the top
    (the header search), so only the later spans' offsets matter."""
    first = header_line + 1
    targets: list[tuple[int, int]] = []  # (line number, byte offset) of each later span's first line
    want = first + chunk_rows  # the next span's first line
    newlines = 0  # line ends before the current block
    offset = 0  # the current block's offset in the file
    last_byte = b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(BLOCK)
            if not block:
                break
            if block.endswith(b"\r"):
                block += fh.read(1)  # a CR's LF may be the next block's first byte
            if b'"' in block or (b"\r" in block and _BARE_CR.search(block)):
                return None
            count = block.count(b"\n")
            pos, found = -1, 0  # the last line end found in this block, and how many so far
            while newlines + count >= want - 1:  # line ``want`` starts after the file's (want - 1)-th line end
                for _ in range(want - 1 - newlines - found):
                    pos = block.find(b"\n", pos + 1)
                found = want - 1 - newlines
                targets.append((want, offset + pos + 1))
                want += chunk_rows
            newlines += count
            offset += len(block)
            last_byte = block[-1:]
    last_line = newlines if last_byte == b"\n" else newlines + 1  # a last line without its line end
    size = offset
    starts = [(first, -1)] + [(line, byte) for line, byte in targets if line <= last_line]
    data_lines = last_line - header_line
    if data_lines > 0 and data_lines % chunk_rows == 0:
        starts.append((last_line + 1, size))  # the empty last chunk
    spans = []
    for i, (line, byte) in enumerate(starts):
        end, end_line = (starts[i + 1][1], starts[i + 1][0]) if i + 1 < len(starts) else (size, 1 << 62)
        spans.append(Span(byte, end, line, end_line))
    return spans
