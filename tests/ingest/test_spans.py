"""A CSV file cut into byte spans for the parallel readers (ingest/spans.py): the same rows, row
numbers, rejects, progress and errors as one reader of the whole file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from ingest import loader, prepare, rowsource
from ingest.loader import IngestError, ingest_file
from ingest.spans import plan_spans
from tests.ingest.test_loader import HEADER, row

RTYPE = loader.load_catalog().get("commerce", "penalty")


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, lineterminator: str = "\n") -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator=lineterminator)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def rows_of(n: int) -> list[list[str]]:
    """n rows, every fourth one with a date that does not exist (rejected)."""
    return [row(f"P{i}", name=f"长沙市某某{i}科技有限公司") if i % 4 else row(f"P{i}", day="2024-13-45")
            for i in range(n)]


# name -> (file text, encoding, whether it can be cut by line ends)
VARIANTS: dict[str, tuple[str, str, bool]] = {
    "LF": (csv_bytes(rows_of(14)), "utf-8", True),
    "LF, lines dividing evenly": (csv_bytes(rows_of(15)), "utf-8", True),
    "CRLF": (csv_bytes(rows_of(14), lineterminator="\r\n"), "utf-8", True),
    "UTF-8 with BOM": (csv_bytes(rows_of(14)), "utf-8-sig", True),
    "GB18030": (csv_bytes(rows_of(14)), "gb18030", True),
    "title rows above the header": ("2024年第一季度行政处罚\n填报单位：某局,,\n" + csv_bytes(rows_of(14)), "utf-8", True),
    "blank lines": (csv_bytes(rows_of(14)).replace("\nP5,", "\n,,,\n\nP5,").replace("\nP9,", "\n\n\nP9,"),
                    "utf-8", True),
    "no line end after the last row": (csv_bytes(rows_of(14)).rstrip("\n"), "utf-8", True),
    "quoted cells": (csv_bytes(rows_of(13) + [row("P13", name="长沙市某某科技有限公司,长沙分公司")]), "utf-8", False),
    "a bare CR": (csv_bytes(rows_of(14)).replace("\nP6,", "\rP6,"), "utf-8", False),
}


def chunks_of(items) -> tuple:  # type: ignore[no-untyped-def]
    out = list(items)
    chunks = out[1:]
    return (out[0], [r[:4] for c in chunks for r in c.rows], [(r.row, r.errors) for c in chunks for r in c.rejected],
            [c.rows_read for c in chunks], chunks[-1].bytes_read)


@pytest.mark.parametrize("readers", [2, 3])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_spans_give_what_one_reader_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: str,
                                          readers: int) -> None:
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 3)
    text, encoding, cut = VARIANTS[variant]
    path = tmp_path / "p.csv"
    path.write_bytes(text.encode(encoding))
    header_line = 3 if variant.startswith("title") else 1
    assert (plan_spans(path, header_line, 3) is not None) == cut
    serial = chunks_of(prepare.prepare_chunks(path, RTYPE, None))
    split = chunks_of(prepare.parallel_chunks(path, RTYPE, None, readers=readers))
    assert split[:3] == serial[:3]  # file info, every stored row (number, id, op, hash), every reject
    assert split[3][-1] == serial[3][-1] and split[3] == sorted(split[3])  # rows read: all, growing
    if variant != "blank lines":  # chunks of three lines are chunks of three rows
        assert split[3] == serial[3]
    assert split[4] == path.stat().st_size


def test_spans_of_a_file_start_at_its_chunks_lines(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes(rows_of(7), lineterminator="\r\n").encode())
    lines = path.read_bytes().split(b"\r\n")
    spans = plan_spans(path, 1, 3)
    assert spans is not None and [s.line for s in spans] == [2, 5, 8]
    for span in spans[1:]:
        assert path.read_bytes()[span.start:].startswith(lines[span.line - 1] + b"\r\n")
    assert spans[-1].end == path.stat().st_size and [s.end for s in spans[:-1]] == [s.start for s in spans[1:]]


@pytest.mark.parametrize("bad_row", [7, 10])  # in the first reader's spans, in the second's
def test_bad_bytes_in_a_later_span_name_their_line(engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   bad_row: int) -> None:
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 3)
    monkeypatch.setattr(rowsource, "SAMPLE_BYTES", 200)  # the encoding is detected on the lines above
    data = csv_bytes(rows_of(14)).encode().replace(f"\nP{bad_row},".encode(), f"\nP{bad_row},".encode() + b"\xff\xfe")
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    for parallel in (False, True):
        with pytest.raises(IngestError, match=f"line {bad_row + 2} holds bytes"):
            ingest_file(engine, path, "commerce", "penalty", parallel=parallel)


def test_a_malformed_record_in_a_later_span_names_its_line(engine, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 3)
    rows = rows_of(14)
    rows[10][2] = "某" * (csv.field_size_limit() + 1)
    path = tmp_path / "huge.csv"
    path.write_text(csv_bytes(rows), encoding="utf-8")
    messages = []
    for parallel in (False, True):
        with pytest.raises(IngestError, match="malformed CSV at line 12") as info:
            ingest_file(engine, path, "commerce", "penalty", parallel=parallel)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
