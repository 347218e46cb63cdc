"""The identity vault: per-person data keys, field encryption, no plaintext at rest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from credo.errors import NotFoundError, PrivacyError
from credo.home import Home
from credo.privacy.vault import PersonalValue
from credo.storage.tables import vault_fields, vault_subjects

AT = datetime(2026, 10, 1, tzinfo=UTC)


def value(subject: str, field: str, text: str, source: str = "bank") -> PersonalValue:
    return PersonalValue(subject, field, source, text, f"fp-{text}", AT)


def test_store_and_read_back(home: Home) -> None:
    home.vault.store(
        [
            value("s1", "name", "Li Na"),
            value("s1", "phone", "+8613800000000"),
            value("s2", "name", "Wang Fang"),
        ]
    )
    records = home.vault.read("s1")
    assert [(r.field, r.value) for r in records] == [("name", "Li Na"), ("phone", "+8613800000000")]
    assert "Li Na" not in repr(records)


def test_same_value_from_same_source_is_stored_once(home: Home) -> None:
    home.vault.store([value("s1", "name", "Li Na")])
    home.vault.store([value("s1", "name", "Li Na")])
    home.vault.store([value("s1", "name", "Li Na", source="shop")])
    assert len(home.vault.read("s1")) == 2


def test_ciphertexts_hold_no_plaintext(home: Home) -> None:
    home.vault.store([value("s1", "name", "Li Na")])
    with home.engine.connect() as conn:
        blobs = [row[0] for row in conn.execute(select(vault_fields.c.ciphertext))]
    assert blobs
    assert all(b"Li Na" not in blob for blob in blobs)


def test_a_ciphertext_moved_to_another_person_does_not_decrypt(home: Home) -> None:
    home.vault.store([value("s1", "name", "Li Na"), value("s2", "name", "Wang Fang")])
    with home.engine.begin() as conn:
        blob = conn.execute(
            select(vault_fields.c.ciphertext).where(vault_fields.c.subject == "s1")
        ).scalar()
        conn.execute(
            update(vault_fields).where(vault_fields.c.subject == "s2").values(ciphertext=blob)
        )
    home.vault.forget_cached_keys()
    with pytest.raises(PrivacyError):
        home.vault.read("s2")


def test_destroying_the_data_key_makes_values_unreadable(home: Home) -> None:
    home.vault.store([value("s1", "name", "Li Na")])
    with home.engine.begin() as conn:
        conn.execute(update(vault_subjects).values(wrapped_key=b"\x01\x02xx" + bytes(40)))
    home.vault.forget_cached_keys()
    with pytest.raises(PrivacyError):
        home.vault.read("s1")


def test_unknown_subject(home: Home) -> None:
    with pytest.raises(NotFoundError, match="no vault entry"):
        home.vault.read("nobody")


def test_token_secret_survives_reinit_and_is_wrapped(home: Home) -> None:
    from credo.home import initialise

    secret = home.vault.token_secret()
    initialise(home.settings, dev_key=True)
    assert home.vault.token_secret() == secret
