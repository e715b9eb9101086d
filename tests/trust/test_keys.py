"""Data keys: sealed values, their key ids and masks, pseudonyms matching can use, where keys live."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from credit.kernel import keys
from credit.kernel.keys import KeysMissing
from matching.identity import _persons, person_id

ID_NO = "43010219800101123X"
VALID_ID_NO = "11010519491231002X"  # passes its GB 11643 check


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh key file of this test's own."""
    path = tmp_path / "keys" / keys.DATA_KEYS_NAME
    monkeypatch.setenv(keys.ENV_KEY_FILE, str(path))
    monkeypatch.setenv(keys.ENV_KEY_DIR, str(path.parent))
    keys.init_keys(path)
    return path


def test_a_sealed_value_names_its_key_carries_its_mask_and_opens(key_file: Path) -> None:
    store = keys.current()
    sealed = store.seal(ID_NO)
    assert keys.is_sealed(sealed) and keys.key_id(sealed) == store.active
    assert sealed["m"] == "430***********123X"
    assert ID_NO not in json.dumps(sealed)
    assert store.open(sealed) == ID_NO


def test_sealing_uses_a_fresh_nonce_per_distinct_value(key_file: Path) -> None:
    store = keys.current()
    a, b = store.encrypt(ID_NO, store.active), store.encrypt(ID_NO, store.active)
    assert a != b
    assert store.seal(ID_NO) is store.seal(ID_NO)  # repeats within a process reuse one ciphertext


def test_an_altered_value_is_refused_with_a_clear_error(key_file: Path) -> None:
    store = keys.current()
    sealed = dict(store.seal(ID_NO))
    kid, _, text = sealed["$enc"].partition(":")
    sealed["$enc"] = f"{kid}:{text[:-6]}AAAAA{text[-1]}"
    with pytest.raises(KeysMissing, match="cannot be decrypted"):
        store.open(sealed)


def test_a_value_under_an_unknown_key_names_the_key(key_file: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = keys.current().seal(ID_NO)
    other = tmp_path / "other.json"
    keys.init_keys(other)
    monkeypatch.setenv(keys.ENV_KEY_FILE, str(other))
    with pytest.raises(KeysMissing, match=keys.key_id(sealed)):
        keys.current().open(sealed)


def test_missing_keys_are_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.ENV_KEY_FILE, str(tmp_path / "nowhere.json"))
    assert not keys.available()
    with pytest.raises(KeysMissing, match="keys init"):
        keys.current()


def test_malformed_keys_name_their_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(keys.ENV_KEY_FILE, str(path))
    with pytest.raises(KeysMissing, match="malformed"):
        keys.current()


def test_keys_from_the_environment(key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = keys.current().seal(ID_NO)
    monkeypatch.setenv(keys.ENV_KEYS, key_file.read_text(encoding="utf-8"))
    monkeypatch.setenv(keys.ENV_KEY_FILE, "/nonexistent/keys.json")
    assert keys.current().source == keys.ENV_KEYS
    assert keys.current().open(sealed) == ID_NO


def test_init_never_replaces_keys_and_keeps_them_private(key_file: Path) -> None:
    before = key_file.read_bytes()
    path, created = keys.init_keys(key_file)
    assert (path, created) == (key_file, False) and key_file.read_bytes() == before
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700


def test_pseudonyms_keep_the_shape_matching_reads(key_file: Path) -> None:
    store = keys.current()
    p = store.pseudonym(ID_NO)
    assert len(p) == 18 and p[:17].isdigit() and p != ID_NO
    assert person_id(p) == p  # matching reads it as an ID number
    assert store.pseudonym(ID_NO) == p
    assert store.pseudonym("43010219800101124X") != p


def test_pseudonym_check_character_is_gb11643(key_file: Path) -> None:
    from stdnum.cn import ric

    assert keys.gb11643_check("11010519491231002") == "X"  # the standard's own example
    p = keys.current().pseudonym(VALID_ID_NO)
    assert ric.calc_check_digit(p) == p[17] == keys.gb11643_check(p[:17])


def test_a_pseudonym_fails_its_check_where_the_number_does(key_file: Path) -> None:
    """An ID number with two digits transposed fails its GB 11643 check; its pseudonym fails its
    own, so matching can tell a number read right from one that is not (it never sees the number)."""
    store = keys.current()
    transposed = VALID_ID_NO[:5] + VALID_ID_NO[6] + VALID_ID_NO[5] + VALID_ID_NO[7:]
    assert not keys.gb11643_valid(transposed) and keys.gb11643_valid(VALID_ID_NO)
    good, bad = store.pseudonym(VALID_ID_NO), store.pseudonym(transposed)
    assert keys.gb11643_valid(good) and not keys.gb11643_valid(bad)
    assert person_id(bad) == bad and len(bad) == 18  # still read as an ID number, as evidence


def test_an_individual_taxpayer_id_leads_to_the_same_person(key_file: Path) -> None:
    store = keys.current()
    rep_id = keys.person_pseudonym(store, ID_NO)
    tax20 = keys.individual_code_pseudonym(store, ID_NO + "01")
    assert tax20 == rep_id + "01"
    assert _persons(rep_id or "", frozenset({tax20})) == {rep_id}


def test_what_is_not_an_id_number_is_not_made_one(key_file: Path) -> None:
    store = keys.current()
    assert keys.person_pseudonym(store, "E12345678") is None
    assert keys.person_pseudonym(store, "0" * 18) is None
    odd = keys.individual_code_pseudonym(store, "ABCDEFGHIJKLMNOPQR01")
    assert len(odd) == 20 and person_id(odd[:18]) == ""


def test_other_secrets_live_beside_the_data_keys(key_file: Path) -> None:
    path = keys.write_secret("signing-ed25519.pem", b"secret")
    assert path.parent == key_file.parent and keys.read_secret("signing-ed25519.pem") == b"secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.read_secret("absent.pem") is None
    for bad in ("../x", "a/b", "", keys.DATA_KEYS_NAME):
        with pytest.raises(ValueError):
            keys.secret_path(bad)


def test_keys_reload_when_the_file_changes(key_file: Path) -> None:
    first = keys.current()
    to, old, resumed = keys.begin_rotation()
    assert not resumed and old == [first.active]
    second = keys.current()
    assert second.active == to and first.active in second.keys
    assert keys.begin_rotation() == (to, old, True)  # under way: resumed, no third key
    assert keys.finish_rotation() == old
    assert keys.current().retired == frozenset(old)
    assert os.environ[keys.ENV_KEY_FILE] == str(key_file)
