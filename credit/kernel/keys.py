"""Data keys: authenticated encryption of personal values, keyed pseudonyms, the key directory.

Keys live outside the database, in one JSON file (``data-keys.json`` in the key directory, or
``CREDIT_KEY_FILE``) or in the environment variable ``CREDIT_DATA_KEYS`` (the same JSON). The file
holds one *index key* (HMAC: pseudonyms, keyed content hashes; never rotated, since every
pseudonym matching has seen derives from it) and any number of *data keys* (AES-256-GCM), one of
them active. A sealed value is ``{"$enc": "KID:BASE64(nonce|ciphertext|tag)", "m": MASK}``: the
key id travels with the value, and the mask the public sees needs no key.

Other modules keep their own secrets beside these (signing keys, say) with ``secret_path`` /
``write_secret`` / ``read_secret``: one file each in the same directory, 0600, written atomically.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from credit.kernel.errors import LianzhengError
from credit.kernel.identifiers import clean_code, gb11643_check, gb11643_valid, mask_id_number, mask_phone

log = logging.getLogger(__name__)

ENV_KEYS = "CREDIT_DATA_KEYS"
ENV_KEY_FILE = "CREDIT_KEY_FILE"
ENV_KEY_DIR = "CREDIT_KEY_DIR"
DATA_KEYS_NAME = "data-keys.json"
FORMAT = "lianzheng-data-keys/1"
SEALED = "$enc"
MASK = "m"
_PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
_MEMO_LIMIT = 1 << 16


class KeysMissing(LianzhengError):
    """The data keys are needed but absent, unreadable, or lack the key a value was sealed with."""


def key_dir() -> Path:
    """The key directory: ``CREDIT_KEY_DIR``, else ``instance/keys`` under the project root."""
    return Path(os.environ.get(ENV_KEY_DIR) or _PROJECT_ROOT / "instance" / "keys")


def data_keys_path() -> Path:
    """Where the data keys file is: ``CREDIT_KEY_FILE``, else ``data-keys.json`` in the key directory."""
    return Path(os.environ.get(ENV_KEY_FILE) or key_dir() / DATA_KEYS_NAME)


def _missing_message(where: str) -> str:
    return (f"没有数据密钥 / no data keys: {where} 不存在 does not exist；请运行 / run "
            f"`python -m credit keys init` (或设置 or set {ENV_KEY_FILE} / {ENV_KEYS})")


# ---------------------------------------------------------------- the key store


@dataclass
class KeyStore:
    """Loaded keys: seal and open values, derive pseudonyms and keyed content hashes."""

    source: str
    index_key: bytes
    active: str
    keys: dict[str, bytes]
    retired: frozenset[str] = frozenset()
    rotation: dict[str, Any] | None = None
    _aead: dict[str, AESGCM] = field(default_factory=dict, repr=False)
    _sealed: dict[Any, dict[str, str]] = field(default_factory=dict, repr=False)
    _pseudonyms: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.person_key = _subkey(self.index_key, b"person-pseudonym")
        self.content_key = _subkey(self.index_key, b"content-hash")
        # keyed once: a copy of it hashes a row without setting the key up again (ingest's hot path)
        self._content_hasher = hashlib.blake2b(digest_size=16, key=self.content_key)

    def _cipher(self, kid: str) -> AESGCM:
        cipher = self._aead.get(kid)
        if cipher is None:
            if kid not in self.keys:
                raise KeysMissing(f"密钥 {kid} 不在 {self.source} 中 / key {kid}, needed to read a stored value, "
                                  f"is not in {self.source}")
            cipher = self._aead[kid] = AESGCM(self.keys[kid])
        return cipher

    def seal(self, value: Any, kind: str = "id_number") -> dict[str, str]:
        """The sealed form of a value under the active key, with its public mask (memoised; kind
        ``""``: no mask, for values never shown, such as a raw row's cells)."""
        memo_key = (kind, value) if value.__class__ in (str, int) else None
        if memo_key is not None:
            found = self._sealed.get(memo_key)
            if found is not None:
                return found
        sealed = {SEALED: self.encrypt(value, self.active)}
        if kind:
            sealed[MASK] = public_mask(kind, value)
        if memo_key is not None:
            if len(self._sealed) >= _MEMO_LIMIT:
                self._sealed.clear()
            self._sealed[memo_key] = sealed
        return sealed

    def encrypt(self, value: Any, kid: str) -> str:
        """``KID:BASE64(nonce|ciphertext|tag)`` of the JSON of a value (AES-256-GCM, fresh nonce)."""
        nonce = os.urandom(12)
        body = self._cipher(kid).encrypt(nonce, orjson.dumps(value, default=str), _aad(kid))
        return f"{kid}:{base64.b64encode(nonce + body).decode('ascii')}"

    def open(self, sealed: dict[str, Any]) -> Any:
        """The clear value of a sealed value."""
        kid, _, text = str(sealed.get(SEALED, "")).partition(":")
        try:
            blob = base64.b64decode(text, validate=True)
            return orjson.loads(self._cipher(kid).decrypt(blob[:12], blob[12:], _aad(kid)))
        except KeysMissing:
            raise
        except (InvalidTag, ValueError) as exc:
            raise KeysMissing(f"无法解密 / a stored value cannot be decrypted with key {kid} of {self.source} "
                              f"(wrong key or altered value: {type(exc).__name__})") from None

    def reseal(self, sealed: dict[str, Any]) -> dict[str, Any]:
        """The same value sealed under the active key (unchanged when it already is)."""
        if key_id(sealed) == self.active:
            return sealed
        return {**sealed, SEALED: self.encrypt(self.open(sealed), self.active)}

    def pseudonym(self, code: str) -> str:
        """A stable stand-in for an 18-character ID number, the same shape: 17 digits derived
        from HMAC(index key, number) and a GB 11643 check character (an ID-shaped input), or a
        ``Z`` (anything else, so that it is never read as a person). The check character holds
        exactly when the number's own holds: a number with two digits transposed or one mistyped
        fails its check, and its pseudonym says so (matching takes it as evidence, not as a
        person for certain)."""
        found = self._pseudonyms.get(code)
        if found is None:
            digest = hmac.new(self.person_key, code.encode("utf-8"), hashlib.sha256).digest()
            body = f"{int.from_bytes(digest[:16], 'big') % 10 ** 17:017d}"
            found = body + (_pseudonym_check(body, code) if person_shaped(code) else "Z")
            if len(self._pseudonyms) >= _MEMO_LIMIT:
                self._pseudonyms.clear()
            self._pseudonyms[code] = found
        return found

    def content_hash(self, data: bytes) -> str:
        """A keyed 128-bit hash of a row's content (no guessing the personal values inside it)."""
        hasher = self._content_hasher.copy()
        hasher.update(data)
        return hasher.hexdigest()


def _pseudonym_check(body: str, code: str) -> str:
    """The check character of a pseudonym's body: right when ``code`` passes its check, else a wrong one."""
    right = gb11643_check(body)
    if gb11643_valid(code):
        return right
    return _GB11643_CHARS[(_GB11643_CHARS.index(right) + 1) % 11]


_GB11643_CHARS = "10X98765432"


def _subkey(index_key: bytes, purpose: bytes) -> bytes:
    return hmac.new(index_key, purpose, hashlib.sha256).digest()


def _aad(kid: str) -> bytes:
    return b"lianzheng/1/" + kid.encode("ascii")


def is_sealed(value: Any) -> bool:
    """Whether a stored value is a sealed (encrypted) one."""
    return value.__class__ is dict and SEALED in value


def key_id(sealed: dict[str, Any]) -> str:
    """The id of the key a sealed value was sealed with."""
    return str(sealed.get(SEALED, "")).partition(":")[0]


def person_shaped(code: str) -> bool:
    """An 18-character resident ID number by shape (17 digits, a digit or X), not a placeholder."""
    return (len(code) == 18 and code[:17].isdigit() and (code[17].isdigit() or code[17] == "X")
            and code.count(code[0]) < 17)


def public_mask(kind: str, value: Any) -> str:
    """The masked form the public sees: ID numbers 430***********1234, phones 138****5678, else stars."""
    text = value if value.__class__ is str else str(value)
    if kind == "id_number":
        return mask_id_number(text)
    if kind == "phone":
        return mask_phone(text)
    return "*" * len(text.strip())


def person_pseudonym(store: KeyStore, value: Any) -> str | None:
    """The identity column of an ID number: its pseudonym, or None when it is not ID-shaped
    (matching reads only ID-shaped values)."""
    code = clean_code(str(value)) if value is not None else ""
    return store.pseudonym(code) if person_shaped(code) else None


def individual_code_pseudonym(store: KeyStore, code: str) -> str:
    """An individual business's 20-character taxpayer id with its ID-number part pseudonymised."""
    return store.pseudonym(code[:18]) + code[18:]


# ---------------------------------------------------------------- loading and the key file


_CACHE: dict[str, Any] = {"source": None, "store": None}


def _source() -> tuple[Any, ...]:
    text = os.environ.get(ENV_KEYS)
    if text:
        return ("env", text)
    path = data_keys_path()
    try:
        info = path.stat()
    except FileNotFoundError:
        return ("missing", str(path))
    except OSError as exc:
        raise KeysMissing(f"无法读取数据密钥 / cannot read the data keys {path}: {exc.strerror or exc}") from None
    return ("file", str(path), info.st_mtime_ns, info.st_size)


def current() -> KeyStore:
    """The data keys, loaded once and again whenever the file changes; KeysMissing without them."""
    source = _source()
    if source == _CACHE["source"]:
        return _CACHE["store"]  # type: ignore[no-any-return]
    if source[0] == "missing":
        raise KeysMissing(_missing_message(source[1]))
    if source[0] == "env":
        store = parse_keys(source[1], ENV_KEYS)
    else:
        path = Path(source[1])
        _warn_if_open(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KeysMissing(f"无法读取数据密钥 / cannot read the data keys {path}: {exc.strerror or exc}") from None
        store = parse_keys(text, str(path))
    _CACHE.update(source=source, store=store)
    return store


def available() -> bool:
    """Whether data keys are configured (without loading them)."""
    return _source()[0] != "missing"


def _warn_if_open(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("data keys %s are readable by other users (mode %o); chmod 600", path, stat.S_IMODE(mode))


def parse_keys(text: str, source: str) -> KeyStore:
    """A KeyStore from the JSON of a key file; KeysMissing naming the source when it is malformed."""
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT}")
        keys = {k["id"]: _b64key(k["key"]) for k in data["keys"]}
        retired = frozenset(k["id"] for k in data["keys"] if k.get("retired"))
        active = data["active"]
        if active not in keys:
            raise ValueError(f"the active key {active} is not among the keys")
        return KeyStore(source, _b64key(data["index_key"]), active, keys, retired, data.get("rotation"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeysMissing(f"数据密钥文件无效 / the data keys in {source} are malformed: {exc}") from None


def _b64key(text: str) -> bytes:
    key = base64.b64decode(text, validate=True)
    if len(key) != 32:
        raise ValueError("a key must be 32 bytes")
    return key


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_key() -> dict[str, Any]:
    return {"id": "k" + secrets.token_hex(4), "key": base64.b64encode(AESGCM.generate_key(256)).decode(),
            "created": _now()}


def init_keys(path: Path | None = None) -> tuple[Path, bool]:
    """Create a data keys file (index key and one data key); never overwrites. (path, created)."""
    path = path or data_keys_path()
    if path.exists():
        parse_keys(path.read_text(encoding="utf-8"), str(path))
        return path, False
    first = _new_key()
    data = {"format": FORMAT, "index_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            "active": first["id"], "keys": [first]}
    _write_private(path, json.dumps(data, indent=2).encode("utf-8"), exclusive=True)
    log.info("created data keys %s (active key %s)", path, first["id"])
    return path, True


def _key_file_data() -> tuple[Path, dict[str, Any]]:
    if os.environ.get(ENV_KEYS):
        raise KeysMissing(f"密钥来自环境变量 {ENV_KEYS}，无法在此修改 / the keys come from {ENV_KEYS}: "
                          f"rotate them in a key file ({ENV_KEY_FILE}) and publish the new content")
    path = data_keys_path()
    current()  # a clear error when missing or malformed
    return path, json.loads(path.read_text(encoding="utf-8"))


def begin_rotation() -> tuple[str, list[str], bool]:
    """Add a new active data key, unless a rotation is already under way (then resume it).

    Returns (new key id, the older key ids, resumed). Old keys stay in the file, readable.
    """
    path, data = _key_file_data()
    rotation = data.get("rotation")
    if rotation:
        return rotation["to"], [k["id"] for k in data["keys"] if k["id"] != rotation["to"]], True
    new = _new_key()
    old = [k["id"] for k in data["keys"]]
    data["keys"].append(new)
    data["active"] = new["id"]
    data["rotation"] = {"to": new["id"], "started": _now()}
    _write_private(path, json.dumps(data, indent=2).encode("utf-8"))
    log.info("data keys %s: new active key %s", path, new["id"])
    return new["id"], old, False


def finish_rotation() -> list[str]:
    """Mark every key but the active one retired (kept, still readable: backups need them)."""
    path, data = _key_file_data()
    retired = []
    for k in data["keys"]:
        if k["id"] != data["active"] and not k.get("retired"):
            k["retired"] = _now()
            retired.append(k["id"])
    data.pop("rotation", None)
    _write_private(path, json.dumps(data, indent=2).encode("utf-8"))
    return retired


# ---------------------------------------------------------------- secrets beside the data keys


def secret_path(name: str) -> Path:
    """The path of a named secret file in the key directory (a plain file name, nothing else)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name or name == DATA_KEYS_NAME:
        raise ValueError(f"not a secret file name: {name!r}")
    return key_dir() / name


def read_secret(name: str) -> bytes | None:
    """A secret file's bytes, or None when it does not exist."""
    try:
        return secret_path(name).read_bytes()
    except FileNotFoundError:
        return None


def write_secret(name: str, data: bytes, *, exclusive: bool = False) -> Path:
    """Write a secret file in the key directory, 0600, atomically (``exclusive``: never replace one)."""
    path = secret_path(name)
    _write_private(path, data, exclusive=exclusive)
    return path


def _write_private(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write a file only its owner can read, atomically, in a directory only its owner can enter."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        if exclusive:
            os.link(tmp, path)  # fails if the file appeared meanwhile
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
