"""Envelope encryption, keys and tokens: round trips, tampering, fail-closed behaviour."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.errors import ConfigurationError, InvalidInputError, PrivacyError
from credo.privacy.envelope import decrypt, encrypt, key_id_of
from credo.privacy.keys import LocalKeyProvider, StaticKeyProvider, create_local_key, key_provider
from credo.privacy.tokens import Tokeniser, normalise_identifier
from credo.settings import DEV_MASTER_KEY, Settings, load_settings

KEY = bytes(range(32))


@given(
    plaintext=st.binary(max_size=2048),
    aad=st.binary(max_size=64),
    kid=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=40),
)
def test_decrypt_inverts_encrypt(plaintext: bytes, aad: bytes, kid: str) -> None:
    blob = encrypt(KEY, kid, plaintext, aad)
    assert key_id_of(blob) == kid
    assert decrypt(lambda k: KEY, blob, aad) == plaintext


def test_ciphertexts_differ_for_the_same_value() -> None:
    assert encrypt(KEY, "k", b"x", b"") != encrypt(KEY, "k", b"x", b"")


@pytest.mark.parametrize("flip", [0, 5, -1])
def test_tampering_fails_loudly(flip: int) -> None:
    blob = bytearray(encrypt(KEY, "k1", b"secret", b"ctx"))
    blob[flip] ^= 0x01
    with pytest.raises(PrivacyError):
        decrypt(lambda k: KEY, bytes(blob), b"ctx")


def test_wrong_context_or_key_or_unknown_key_fails() -> None:
    blob = encrypt(KEY, "k1", b"secret", b"subject-a|name")
    with pytest.raises(PrivacyError, match="failed"):
        decrypt(lambda k: KEY, blob, b"subject-b|name")
    with pytest.raises(PrivacyError, match="failed"):
        decrypt(lambda k: bytes(32), blob, b"subject-a|name")

    def missing(kid: str) -> bytes:
        raise KeyError(kid)

    with pytest.raises(PrivacyError, match="no key 'k1'"):
        decrypt(missing, blob, b"subject-a|name")


def test_local_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    key = create_local_key(tmp_path / "keys")
    path = tmp_path / "keys" / f"{key.key_id}.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert LocalKeyProvider(tmp_path / "keys").active().material == key.material
    with pytest.raises(FileExistsError):
        create_local_key(tmp_path / "keys", key_id=key.key_id)
    assert "material" not in repr(key)
    assert str(key.material) not in repr(key)


def test_missing_key_file_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(PrivacyError, match="run `credo init`"):
        LocalKeyProvider(tmp_path / "nothing").active()


def test_static_key_must_be_32_bytes_of_base64() -> None:
    with pytest.raises(PrivacyError, match="32 bytes"):
        StaticKeyProvider(base64.b64encode(b"short").decode())
    with pytest.raises(PrivacyError, match="base64"):
        StaticKeyProvider("not base64 !!")


def test_production_refuses_the_development_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="development master key"):
        load_settings(env="production", master_key=DEV_MASTER_KEY)
    create_local_key(tmp_path / "keys", material=base64.b64decode(DEV_MASTER_KEY), key_id="dev")
    settings = Settings(home=tmp_path, env="production")
    with pytest.raises(PrivacyError, match="development master key"):
        key_provider(settings)
    assert key_provider(Settings(home=tmp_path, env="development")).active().key_id == "dev"


def test_settings_refuse_unknown_fields() -> None:
    with pytest.raises(ConfigurationError, match="extra"):
        load_settings(colour="red")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("+86 138-0013-8000", "+8613800138000"),
        ("11010119900307421x", " 110101 19900307421X "),
        ("ＡＢ123456", "ab123456"),  # noqa: RUF001 - full-width forms must normalise
    ],
)
def test_identifier_formatting_does_not_change_the_token(a: str, b: str) -> None:
    tok = Tokeniser(KEY)
    assert tok.subject(a) == tok.subject(b)
    assert normalise_identifier(a) == normalise_identifier(b)


def test_tokens_depend_on_the_secret_and_domain() -> None:
    one, two = Tokeniser(KEY), Tokeniser(bytes(32))
    assert one.subject("110101199003074211") != two.subject("110101199003074211")
    assert one.ref("bank", "A1") != one.ref("shop", "A1")
    assert one.fingerprint("name", "Wang  WEI") == one.fingerprint("name", "wang wei")
    assert one.fingerprint("name", "x") != one.fingerprint("address", "x")


@pytest.mark.parametrize("raw", ["", "  ", "!!", "12", "+12345"])
def test_bad_identifiers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInputError):
        normalise_identifier(raw)
