"""Personal data at rest: SM4 encryption, a keyed blind index, SM3 hashes (GB/T 39786, MLPS 2.0 level 3).

Everything goes through one small provider interface, `CryptoProvider`, chosen by the dotted path in
settings `CRYPTO_PROVIDER`, so a hardware security module (密码机) can replace the software one without
touching models or services. `get_provider()` returns the configured provider.

The software provider (`SoftwareSM4Provider`, the `cryptography` package on its bundled OpenSSL):

* **Encryption**: SM4 (GB/T 32907) in GCM mode with a random 96-bit nonce per value; the token's
  header is authenticated too, so a value cannot be moved to another key id. Where the linked OpenSSL
  has no SM4-GCM, SM4-CBC with a random IV and HMAC-SM3 over header, IV and ciphertext
  (encrypt-then-MAC), with encryption and MAC keys derived from the data key.
* **Tokens** are self-describing text, so keys can rotate: `sm4:<key_id>:<base64>` (GCM: nonce,
  ciphertext, tag) or `sm4cbc:<key_id>:<base64>` (IV, ciphertext, MAC). Anything else in an encrypted
  column is legacy plaintext and is read as it is.
* **Blind index**: HMAC-SM3 of the normalised value under a separate key, hex: equal values give equal
  indexes, so an exact search (a phone number) still works, and nothing else can be learnt from it.

Keys (settings, from the environment; see the settings block "Personal data at rest"):

* `PERSONAL_DATA_KEYS`: ordered mapping key id → 16-byte key. The first encrypts, every one decrypts.
* `PERSONAL_DATA_INDEX_KEY`: the blind-index key (bytes), separate from the encryption keys.
* Unset, both are derived from SECRET_KEY (HMAC-SM3 with distinct labels) so the demo and the tests
  run; `investdesk check --deploy` warns about that (`check_personal_data_keys`).

Rotation of the encryption key: put the new key first (`PERSONAL_DATA_KEYS="k2:<new>,k1:<old>"`),
restart, run `investdesk rekey` (re-encrypts every value with the current key and recomputes every
blind index, in batches), then remove the old key. Rotation of the index key: change
`PERSONAL_DATA_INDEX_KEY`, restart and run `investdesk rekey` at once: exact search by phone number
misses rows whose index was computed with the old key until it has run.
"""

from __future__ import annotations

import abc
import base64
import binascii
import functools
import hashlib
import hmac as std_hmac
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives import padding as crypto_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

DEFAULT_PROVIDER = "investdesk.core.crypto.SoftwareSM4Provider"
# The id of the key derived from SECRET_KEY: always kept for decryption, so data written before real
# keys were configured still reads until `investdesk rekey` has moved it to the current key.
DERIVED_KEY_ID = "sk"
KEY_BYTES = 16  # SM4 has 128-bit keys
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# scheme:key_id:payload — a phone or ID number never contains a colon, so legacy plaintext is told apart.
TOKEN = re.compile(r"^(?P<scheme>[a-z][a-z0-9]{1,15}):(?P<key_id>[A-Za-z0-9_-]{1,16}):(?P<payload>[A-Za-z0-9_=+/-]+)$")
_INDEX_LABEL = b"investdesk blind index v1\x00"


class CryptoError(ValueError):
    """A token that cannot be decrypted: unknown key id, damaged or tampered with."""


# --- SM3 (GB/T 32905) -------------------------------------------------------------------------------


def _sm3_available() -> bool:
    try:
        hashes.Hash(hashes.SM3())
    except UnsupportedAlgorithm:
        return False
    return True


SM3_AVAILABLE = _sm3_available()
# What `hmac_sm3` computes with the linked OpenSSL (recorded next to MACs, e.g. the audit chain).
HASH_NAME = "HMAC-SM3" if SM3_AVAILABLE else "HMAC-SHA256"


def sm3(data: bytes) -> bytes:
    """The SM3 digest (32 bytes). Raises CryptoError where the linked OpenSSL has no SM3."""
    if not SM3_AVAILABLE:
        raise CryptoError("SM3 is not available in the linked OpenSSL.")
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC-SM3 (32 bytes); HMAC-SHA256 only where the linked OpenSSL has no SM3 (see HASH_NAME)."""
    if not SM3_AVAILABLE:
        return std_hmac.new(key, data, hashlib.sha256).digest()
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


# --- keys from settings -----------------------------------------------------------------------------


def derived_key(secret_key: str, label: str, length: int) -> bytes:
    """A key derived from SECRET_KEY for one purpose (distinct labels give independent keys)."""
    return hmac_sm3(secret_key.encode(), f"investdesk {label} key v1".encode())[:length]


def derived_personal_data_key(secret_key: str) -> bytes:
    """The encryption key used when PERSONAL_DATA_KEYS is unset (id DERIVED_KEY_ID)."""
    return derived_key(secret_key, "personal data", KEY_BYTES)


def derived_index_key(secret_key: str) -> bytes:
    """The blind-index key used when PERSONAL_DATA_INDEX_KEY is unset."""
    return derived_key(secret_key, "blind index", 32)


def _hex_key(text: str, *, name: str, lengths: tuple[int, ...]) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}: a key must be written in hexadecimal.") from None
    if len(key) not in lengths:
        raise ImproperlyConfigured(
            f"{name}: a key of {len(key)} bytes; expected {' or '.join(str(n) for n in lengths)} bytes "
            f"({' or '.join(str(2 * n) for n in lengths)} hex digits)."
        )
    return key


def parse_keys(text: str, *, name: str = "PERSONAL_DATA_KEYS") -> dict[str, bytes]:
    """ "k2:<32 hex>,k1:<32 hex>" → {"k2": b"...", "k1": b"..."} in that order (the first is current)."""
    keys: dict[str, bytes] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key_id, sep, hex_key = item.strip().partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                f"{name}: write each key as id:hex, e.g. k1:00112233445566778899aabbccddeeff "
                "(ids of letters, digits, - and _, at most 16 characters)."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"{name}: the key id {key_id!r} appears twice.")
        keys[key_id] = _hex_key(hex_key, name=name, lengths=(KEY_BYTES,))
    return keys


def parse_index_key(text: str, *, name: str = "PERSONAL_DATA_INDEX_KEY") -> bytes | None:
    """The blind-index key from hex (16 to 64 bytes), or None when unset."""
    if not (text or "").strip():
        return None
    return _hex_key(text, name=name, lengths=tuple(range(16, 65)))


# --- the provider interface -------------------------------------------------------------------------


class CryptoProvider(abc.ABC):
    """What the application needs from a cryptographic module. A hardware security module provider
    implements the four abstract methods (its tokens must match `TOKEN`: scheme:key_id:payload)."""

    @property
    @abc.abstractmethod
    def current_key_id(self) -> str:
        """The id of the key new values are encrypted with."""

    @abc.abstractmethod
    def encrypt(self, plaintext: str) -> str:
        """A token for `plaintext`, with the current key and a fresh IV."""

    @abc.abstractmethod
    def decrypt(self, token: str) -> str:
        """The plaintext of a token written with any configured key; CryptoError otherwise."""

    @abc.abstractmethod
    def blind_index(self, value: str) -> str:
        """A keyed, deterministic digest of an already normalised value (64 hex characters)."""

    def is_token(self, value: str) -> bool:
        return bool(value) and TOKEN.match(value) is not None

    def key_id_of(self, token: str) -> str:
        match = TOKEN.match(token or "")
        if match is None:
            raise CryptoError("Not an encrypted value.")
        return match["key_id"]

    def needs_rekey(self, token: str) -> bool:
        """Whether a stored token should be rewritten with the current key."""
        return self.key_id_of(token) != self.current_key_id

    def sm3(self, data: bytes) -> bytes:
        return sm3(data)

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        return hmac_sm3(key, data)


@functools.cache
def sm4_gcm_available() -> bool:
    """Whether the linked OpenSSL does SM4-GCM (it has since 3.0; older builds only do CBC and friends)."""
    try:
        encryptor = Cipher(algorithms.SM4(bytes(KEY_BYTES)), modes.GCM(bytes(12))).encryptor()
        encryptor.update(b"x")
        encryptor.finalize()
    except (UnsupportedAlgorithm, ValueError):
        return False
    return True


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, ValueError):
        raise CryptoError("The encrypted value is damaged (not base64).") from None


class SoftwareSM4Provider(CryptoProvider):
    """SM4-GCM (or SM4-CBC + HMAC-SM3) in software, keys from settings (see the module docstring)."""

    GCM = "sm4"
    CBC = "sm4cbc"
    NONCE_BYTES = 12
    TAG_BYTES = 16
    BLOCK_BYTES = 16
    MAC_BYTES = 32

    def __init__(
        self, keys: Mapping[str, bytes] | None = None, index_key: bytes | None = None, *, use_gcm: bool | None = None
    ):
        if keys is None or index_key is None:
            from django.conf import settings

            keys = settings.PERSONAL_DATA_KEYS if keys is None else keys
            index_key = settings.PERSONAL_DATA_INDEX_KEY if index_key is None else index_key
        if not keys:
            raise ImproperlyConfigured("PERSONAL_DATA_KEYS holds no key.")
        for key_id, key in keys.items():
            if not _KEY_ID.match(key_id) or len(key) != KEY_BYTES:
                raise ImproperlyConfigured(f"PERSONAL_DATA_KEYS: key {key_id!r} must be {KEY_BYTES} bytes.")
        if not index_key or len(index_key) < 16:
            raise ImproperlyConfigured("PERSONAL_DATA_INDEX_KEY must be at least 16 bytes.")
        self._keys = dict(keys)
        self._current = next(iter(self._keys))
        self._index_key = bytes(index_key)
        self.use_gcm = sm4_gcm_available() if use_gcm is None else use_gcm

    @property
    def current_key_id(self) -> str:
        return self._current

    @property
    def scheme(self) -> str:
        return self.GCM if self.use_gcm else self.CBC

    def needs_rekey(self, token: str) -> bool:
        """Another key, or CBC where GCM has become available."""
        return super().needs_rekey(token) or not token.startswith(f"{self.scheme}:")

    def _key(self, key_id: str) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise CryptoError(
                f"No key {key_id!r} is configured (PERSONAL_DATA_KEYS): was an old key removed before "
                "`investdesk rekey` had run?"
            ) from None

    def _cbc_keys(self, key: bytes) -> tuple[bytes, bytes]:
        return hmac_sm3(key, b"sm4-cbc encryption")[:KEY_BYTES], hmac_sm3(key, b"sm4-cbc mac")

    def encrypt(self, plaintext: str) -> str:
        data = plaintext.encode("utf-8")
        key = self._keys[self._current]
        if self.use_gcm:
            header = f"{self.GCM}:{self._current}"
            nonce = os.urandom(self.NONCE_BYTES)
            encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
            encryptor.authenticate_additional_data(header.encode("ascii"))
            body = encryptor.update(data) + encryptor.finalize()
            return f"{header}:{_b64encode(nonce + body + encryptor.tag)}"
        header = f"{self.CBC}:{self._current}"
        enc_key, mac_key = self._cbc_keys(key)
        iv = os.urandom(self.BLOCK_BYTES)
        padder = crypto_padding.PKCS7(128).padder()
        padded = padder.update(data) + padder.finalize()
        encryptor = Cipher(algorithms.SM4(enc_key), modes.CBC(iv)).encryptor()
        body = encryptor.update(padded) + encryptor.finalize()
        mac = hmac_sm3(mac_key, header.encode("ascii") + iv + body)
        return f"{header}:{_b64encode(iv + body + mac)}"

    def decrypt(self, token: str) -> str:
        match = TOKEN.match(token or "")
        if match is None:
            raise CryptoError("Not an encrypted value.")
        scheme, key_id = match["scheme"], match["key_id"]
        header = f"{scheme}:{key_id}".encode("ascii")
        raw = _b64decode(match["payload"])
        key = self._key(key_id)
        if scheme == self.GCM:
            if len(raw) < self.NONCE_BYTES + self.TAG_BYTES:
                raise CryptoError("The encrypted value is damaged (too short).")
            nonce, body, tag = raw[: self.NONCE_BYTES], raw[self.NONCE_BYTES : -self.TAG_BYTES], raw[-self.TAG_BYTES :]
            decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
            decryptor.authenticate_additional_data(header)
            try:
                data = decryptor.update(body) + decryptor.finalize()
            except InvalidTag:
                raise CryptoError("The encrypted value does not authenticate: damaged or tampered with.") from None
        elif scheme == self.CBC:
            if len(raw) < 2 * self.BLOCK_BYTES + self.MAC_BYTES or (len(raw) - self.MAC_BYTES) % self.BLOCK_BYTES:
                raise CryptoError("The encrypted value is damaged (wrong length).")
            enc_key, mac_key = self._cbc_keys(key)
            iv, body, mac = raw[: self.BLOCK_BYTES], raw[self.BLOCK_BYTES : -self.MAC_BYTES], raw[-self.MAC_BYTES :]
            if not std_hmac.compare_digest(mac, hmac_sm3(mac_key, header + iv + body)):
                raise CryptoError("The encrypted value does not authenticate: damaged or tampered with.")
            decryptor = Cipher(algorithms.SM4(enc_key), modes.CBC(iv)).decryptor()
            padded = decryptor.update(body) + decryptor.finalize()
            unpadder = crypto_padding.PKCS7(128).unpadder()
            data = unpadder.update(padded) + unpadder.finalize()
        else:
            raise CryptoError(f"Unknown encryption scheme {scheme!r}.")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoError("The encrypted value is damaged (not text).") from None

    def blind_index(self, value: str) -> str:
        return hmac_sm3(self._index_key, _INDEX_LABEL + value.encode("utf-8")).hex()


@functools.cache
def get_provider() -> CryptoProvider:
    """The configured provider (settings CRYPTO_PROVIDER, a dotted path to a CryptoProvider class)."""
    from django.conf import settings

    path = getattr(settings, "CRYPTO_PROVIDER", DEFAULT_PROVIDER) or DEFAULT_PROVIDER
    provider_class = import_string(path)
    if not (isinstance(provider_class, type) and issubclass(provider_class, CryptoProvider)):
        raise ImproperlyConfigured(f"CRYPTO_PROVIDER {path} is not a CryptoProvider class.")
    return provider_class()


def _reset(*, setting: str, **kwargs) -> None:
    if setting in {"CRYPTO_PROVIDER", "PERSONAL_DATA_KEYS", "PERSONAL_DATA_INDEX_KEY", "SECRET_KEY"}:
        get_provider.cache_clear()


setting_changed.connect(_reset, dispatch_uid="investdesk.core.crypto.reset")


# --- system checks ------------------------------------------------------------------------------------


def check_crypto_provider(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every command: the configured provider must encrypt and decrypt."""
    try:
        provider = get_provider()
        ok = provider.decrypt(provider.encrypt("check")) == "check"
    except Exception as exc:  # anything: a broken provider must be reported, not crash the check
        return [checks.Error(f"The crypto provider does not work: {exc}", id="investdesk.E001")]
    return [] if ok else [checks.Error("The crypto provider does not decrypt what it encrypts.", id="investdesk.E001")]


def check_personal_data_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: the keys must not be the ones derived from SECRET_KEY."""
    from django.conf import settings

    messages: list[checks.CheckMessage] = []
    keys = getattr(settings, "PERSONAL_DATA_KEYS", None) or {}
    current = next(iter(keys), None)
    if current == DERIVED_KEY_ID or (current and keys[current] == derived_personal_data_key(settings.SECRET_KEY)):
        messages.append(
            checks.Warning(
                "Personal data is encrypted with a key derived from SECRET_KEY.",
                hint="Set PERSONAL_DATA_KEYS (e.g. k1:<32 hex digits>) from the key management system, "
                "then run `investdesk rekey`.",
                id="investdesk.W001",
            )
        )
    if getattr(settings, "PERSONAL_DATA_INDEX_KEY", None) == derived_index_key(settings.SECRET_KEY):
        messages.append(
            checks.Warning(
                "The blind index of personal data is keyed with a key derived from SECRET_KEY.",
                hint="Set PERSONAL_DATA_INDEX_KEY (32 to 128 hex digits), then run `investdesk rekey`.",
                id="investdesk.W002",
            )
        )
    return messages
