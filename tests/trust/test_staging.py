"""Uploads staged for ingest: no path from an uploaded name reaches the file system; size bounded."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from credit.domain.staging import UploadTooLarge, display_name, stage_upload, staged_upload
from credit.kernel.errors import InvalidInput
from ingest import safety

HOSTILE_NAMES = ["../../etc/cron.d/x.csv", "/etc/passwd.csv", "..\\..\\windows\\system.ini.csv",
                 "C:\\Users\\clerk\\处罚.csv", "a/../../b.csv", "\x00evil.csv", "CON.csv", "..csv",
                 "名单\u202egpj.csv", "x" * 5000 + ".csv"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_an_uploaded_name_never_becomes_a_path(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "uploads"
    staged = stage_upload(io.BytesIO(b"a,b\n1,2\n"), name, folder)
    assert staged.path.parent == folder and staged.path.suffix == ".csv"
    assert len(staged.path.name) == 36 and staged.path.read_bytes() == b"a,b\n1,2\n"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [staged.path.name]
    assert "/" not in staged.display_name and "\\" not in staged.display_name
    assert all(ch.isprintable() for ch in staged.display_name) and len(staged.display_name) <= 200


def test_display_name_keeps_what_a_clerk_recognises() -> None:
    assert display_name("C:\\Users\\clerk\\2024年行政处罚.xlsx") == "2024年行政处罚.xlsx"
    assert display_name("") == display_name(None) == "upload"


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unsupported file type"):
        stage_upload(io.BytesIO(b"MZ"), "setup.exe", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_upload_over_the_limit_is_refused_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(safety.ENV_MAX_UPLOAD, "1000")
    with pytest.raises(UploadTooLarge) as info:
        stage_upload(io.BytesIO(b"x" * 5000), "big.csv", tmp_path)
    assert str(info.value) == safety.too_large_message() == "文件过大，上限为 1000 B / the file is larger than the limit of 1000 B"
    assert list(tmp_path.iterdir()) == []


def test_a_staged_upload_is_removed_after_use(tmp_path: Path) -> None:
    with staged_upload(io.BytesIO(b"a\n"), "f.json", tmp_path) as staged:
        assert staged.path.exists() and staged.path.suffix == ".json"
    assert not staged.path.exists()
