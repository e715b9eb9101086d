"""Signed exports: a manifest and an Ed25519 signature beside the file; any change to any of the three shows."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from sqlalchemy.orm import Session

from credit.cli import main
from credit.domain import audit
from credit.domain.exports_signing import (
    ExportDigest,
    export_public_key_pem,
    manifest_path,
    sign_digest,
    sign_export,
    signature_path,
    verify_export,
)
from credit.domain.workflows import ROLE_REGULATOR, Actor
from credit.kernel.errors import NotFound
from tests.cli.fixtures import database  # noqa: F401
from tests.cli.test_commands import USCC, write  # noqa: F401 - the CLI's database fixture, on both backends

REGULATOR = Actor("监管员", ROLE_REGULATOR)
CSV = "名单 list,企业名称 name\r\n严重失信主体名单 black list,北京某某科技有限公司\r\n".encode("utf-8-sig")


@pytest.fixture
def session(engine):
    """A session on a fresh schema (SQLite and PostgreSQL)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def export(session: Session, tmp_path):
    """A two-line CSV export, signed (committed: the signing is audited)."""
    path = tmp_path / "black.csv"
    path.write_bytes(CSV)
    signed = sign_export(session, REGULATOR, path, kind="list:black", filters={"date": "2026-05-01"}, rows=1)
    session.commit()
    return path, signed


def test_manifest_says_who_when_what_and_the_hash(export):
    path, signed = export
    manifest = json.loads(manifest_path(path).read_bytes())
    assert manifest == signed.manifest
    assert manifest["exported_by"] == "监管员 (regulator)" and manifest["exported_at"].endswith("Z")
    assert (manifest["kind"], manifest["filters"], manifest["rows"]) == ("list:black", {"date": "2026-05-01"}, 1)
    assert manifest["size"] == len(CSV) and manifest["sha256"] == ExportDigest().feed([CSV]).sha256
    assert len(signature_path(path).read_bytes()) == 64
    check = verify_export(path)
    assert check.ok and not check.problems


def test_signing_is_audited_with_the_file_hash(export, session):
    _path, signed = export
    entries = audit.entries_about(session, "export:list:black")
    assert [e.action for e in entries] == ["export.sign"] and entries[0].id == signed.manifest["audit_entry"]
    assert json.loads(entries[0].details)["sha256"] == signed.manifest["sha256"]
    assert audit.verify(session).ok


def test_a_changed_byte_in_the_export_is_detected(export):
    path, _ = export
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))
    check = verify_export(path)
    assert not check.ok and any("differs from its manifest" in p for p in check.problems)


def test_a_row_appended_to_the_export_is_detected(export):
    path, _ = export
    with open(path, "ab") as fh:
        fh.write("严重失信主体名单 black list,无辜的公司\r\n".encode())
    assert not verify_export(path).ok


def test_a_changed_manifest_is_detected(export):
    path, _ = export
    manifest = json.loads(manifest_path(path).read_bytes())
    manifest["rows"] = 0
    manifest_path(path).write_text(json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n",
                                   encoding="utf-8")
    check = verify_export(path)
    assert not check.ok and any("signature does not match" in p for p in check.problems)


def test_a_manifest_rehashed_for_a_changed_export_is_detected(export):
    path, _ = export
    path.write_bytes(CSV.replace("北京".encode(), "上海".encode()))
    manifest = json.loads(manifest_path(path).read_bytes())
    manifest["sha256"] = ExportDigest.of_file(path).sha256  # the forger updates the hash too
    manifest_path(path).write_text(json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n",
                                   encoding="utf-8")
    assert not verify_export(path).ok


def test_a_changed_signature_is_detected(export):
    path, _ = export
    sig = bytearray(signature_path(path).read_bytes())
    sig[10] ^= 0x80
    signature_path(path).write_bytes(bytes(sig))
    assert not verify_export(path).ok


def test_a_missing_signature_is_a_clear_error(export):
    path, _ = export
    signature_path(path).unlink()
    with pytest.raises(NotFound, match="signature"):
        verify_export(path)


def test_a_recipient_verifies_offline_with_the_published_key(export, tmp_path, monkeypatch):
    path, _ = export
    published = export_public_key_pem()
    monkeypatch.setenv("CREDIT_KEY_DIR", str(tmp_path / "recipient-has-no-keys"))
    with pytest.raises(NotFound):
        verify_export(path)  # no platform key on the recipient's machine: it must be given
    assert verify_export(path, published).ok
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    check = verify_export(path, stranger)
    assert not check.ok and any("another key" in p for p in check.problems)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_alone_verifies_the_signature(export, tmp_path):
    path, _ = export
    key = tmp_path / "export-signing.pem"
    key.write_bytes(export_public_key_pem())
    done = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(key), "-rawin",
                           "-in", str(manifest_path(path)), "-sigfile", str(signature_path(path))],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_a_streamed_download_is_signed_from_its_chunks(session, tmp_path):
    chunks = [CSV[:7], CSV[7:]]
    signed = sign_digest(session, REGULATOR, "black.csv", ExportDigest().feed(chunks), kind="list:black", rows=1)
    path = tmp_path / "black.csv"
    path.write_bytes(b"".join(chunks))
    manifest_path(path).write_bytes(signed.manifest_bytes)
    signature_path(path).write_bytes(signed.signature)
    assert verify_export(path).ok


def test_lists_and_links_out_are_signed_and_verify_export_checks_them(database, tmp_path, capsys):  # noqa: F811
    write(tmp_path / "p.csv", [["P1", "北京某某科技有限公司", USCC, "罚款", "2", "2024-03-05", "是"]])
    assert main(["ingest", "-d", "commerce", "-t", "penalty", "-q", str(tmp_path / "p.csv")]) == 0
    out = tmp_path / "black.csv"
    assert main(["lists", "black", "--date", "2024-06-01", "--out", str(out), "--user", "监管员"]) == 0
    assert "signed" in capsys.readouterr().out
    manifest = json.loads(manifest_path(out).read_bytes())
    assert (manifest["rows"], manifest["filters"], manifest["exported_by"]) == (
        1, {"date": "2024-06-01", "viewer": "public"}, "监管员 (regulator)")
    assert main(["verify-export", str(out)]) == 0
    assert "genuine" in capsys.readouterr().out
    key = tmp_path / "platform.pem"
    key.write_bytes(export_public_key_pem())
    assert main(["verify-export", str(out), "--key", str(key)]) == 0
    links = tmp_path / "links.csv"
    assert main(["links", "--out", str(links)]) == 0
    assert main(["verify-export", str(links)]) == 0
    capsys.readouterr()
    out.write_bytes(out.read_bytes().replace("北京".encode(), "上海".encode()))
    assert main(["verify-export", str(out)]) == 1
    assert "does NOT verify" in capsys.readouterr().out
    assert main(["audit", "verify"]) == 0
