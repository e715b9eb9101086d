"""Helpers for the regulator's web tests: follow an export to its three downloads, read CSV and XLSX."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from flask.testing import FlaskClient
from openpyxl import load_workbook

DOWNLOAD = re.compile(r'href="(/regulator/exports/download/([^"]+))"')


def downloads(client: FlaskClient, page: str, folder: Path) -> Path:
    """Save every download a result page offers into ``folder``; the export file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    found = DOWNLOAD.findall(page)
    assert len(found) == 3, page
    for url, name in found:
        response = client.get(url, buffered=True)
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        (folder / name).write_bytes(response.data)
    return folder / min((name for _, name in found), key=len)


def export_via_web(client: FlaskClient, folder: Path, **form: str) -> Path:
    """Post the export form, follow to its page, download file, manifest and signature."""
    response = client.post("/regulator/exports", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return downloads(client, page.get_data(as_text=True), folder)


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it as such
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
