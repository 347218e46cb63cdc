"""Master key rotation: online re-wrapping, resumption, retirement, and loud decryption failures."""

from __future__ import annotations

import base64
import secrets
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, update

from credo.errors import ConflictError, InvalidInputError, NotFoundError, PrivacyError
from credo.home import Home
from credo.privacy.envelope import key_id_of
from credo.privacy.keys import LocalKeyProvider, StaticKeyProvider, create_local_key
from credo.privacy.rotation import Keyring, KeyUsage, envelope_header
from credo.privacy.tokens import Tokeniser
from credo.privacy.vault import IdentityVault, PersonalValue
from credo.settings import DEV_MASTER_KEY
from credo.storage.tables import secrets as secrets_table
from credo.storage.tables import vault_fields, vault_subjects

from factories import NOW, PERSON, make_home

PEOPLE = 25
BATCH = 10


class CrashError(Exception):
    """Stands for the process dying between two batches."""


def person(i: int, prefix: str = "s") -> list[PersonalValue]:
    subject = f"{prefix}{i:03d}"
    return [
        PersonalValue(subject, "name", "bank", f"Person {i}", f"fp-name-{i}", NOW),
        PersonalValue(subject, "phone", "bank", f"+86138{i:08d}", f"fp-phone-{i}", NOW),
    ]


def fill(vault: IdentityVault, numbers: range, prefix: str = "s") -> None:
    vault.store([v for i in numbers for v in person(i, prefix)])


def readable(home: Home) -> dict[str, list[tuple[str, str]]]:
    """Every person's values, read through a vault with nothing cached."""
    vault = IdentityVault(home.engine, home.keys, home.clock)
    with home.engine.connect() as conn:
        subjects = conn.execute(select(vault_subjects.c.subject)).scalars().all()
    return {s: [(r.field, r.value) for r in vault.read(s)] for s in subjects}


def wrapping_keys(home: Home) -> Counter[str]:
    """Which master key wraps each wrapped key, read from the envelopes themselves."""
    with home.engine.connect() as conn:
        blobs = [*conn.execute(select(vault_subjects.c.wrapped_key)).scalars()]
        blobs += conn.execute(select(secrets_table.c.ciphertext)).scalars().all()
    return Counter(key_id_of(blob) for blob in blobs)


def stale_vault(home: Home) -> IdentityVault:
    """A vault in a process that still wraps with the development key."""
    return IdentityVault(home.engine, StaticKeyProvider(DEV_MASTER_KEY), home.clock)


@pytest.fixture
def filled(home: Home) -> Home:
    fill(home.vault, range(PEOPLE))
    return home


def test_rotation_keeps_every_value_the_secret_and_the_tokens(filled: Home) -> None:
    before = readable(filled)
    secret = filled.vault.token_secret()
    token = Tokeniser(secret).subject(PERSON)
    report = Keyring(filled.engine, filled.keys).rotate(batch_size=BATCH)
    assert report.created
    assert report.key_id == filled.keys.active().key_id != "dev"
    assert (report.rewrapped, report.batches) == (PEOPLE + 1, 4)  # 10+10+5 data keys, 1 secret
    assert report.retirable == ("dev",)
    assert wrapping_keys(filled) == Counter({report.key_id: PEOPLE + 1})
    assert readable(filled) == before
    assert len(before) == PEOPLE
    assert filled.vault.token_secret() == secret
    assert Tokeniser(filled.vault.token_secret()).subject(PERSON) == token


def test_rotation_leaves_values_untouched(filled: Home) -> None:
    with filled.engine.connect() as conn:
        before = conn.execute(select(vault_fields.c.ciphertext)).scalars().all()
    Keyring(filled.engine, filled.keys).rotate(batch_size=BATCH)
    with filled.engine.connect() as conn:
        assert conn.execute(select(vault_fields.c.ciphertext)).scalars().all() == before


def test_progress_is_reported_after_each_batch(filled: Home) -> None:
    seen: list[tuple[int, int]] = []
    Keyring(filled.engine, filled.keys).rotate(
        batch_size=BATCH, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(0, 26), (10, 26), (20, 26), (25, 26), (26, 26)]


def test_writes_during_rotation_are_readable_and_end_under_the_new_key(filled: Home) -> None:
    keyring = Keyring(filled.engine, filled.keys)
    calls = 0

    def write_meanwhile(done: int, total: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # after the first batch has committed
            fill(filled.vault, range(100, 103))  # this process: wrapped by the new key
            # a stale process, still on the old key, writes behind the walk ("a…" < "s…")
            fill(stale_vault(filled), range(3), prefix="a")
            assert readable(filled)["s100"] == [("name", "Person 100"), ("phone", "+8613800000100")]

    report = keyring.rotate(batch_size=BATCH, progress=write_meanwhile)
    assert wrapping_keys(filled) == Counter({report.key_id: PEOPLE + 7})
    everyone = readable(filled)
    assert everyone["a001"] == [("name", "Person 1"), ("phone", "+8613800000001")]
    assert everyone["s102"][0] == ("name", "Person 102")
    assert report.rewrapped == PEOPLE + 1 + 3  # the stale writes were caught by a second walk


def test_a_crashed_rotation_stays_readable_and_a_rerun_finishes_it(filled: Home) -> None:
    before = readable(filled)
    keyring = Keyring(filled.engine, filled.keys)

    def crash_after_first_batch(done: int, total: int) -> None:
        if done >= BATCH:
            raise CrashError

    with pytest.raises(CrashError):
        keyring.rotate(batch_size=BATCH, progress=crash_after_first_batch)
    new = filled.keys.active().key_id
    assert wrapping_keys(filled) == Counter({new: BATCH, "dev": PEOPLE + 1 - BATCH})
    assert readable(filled) == before  # online: a half-rotated vault reads as before
    assert keyring.pending(new) == PEOPLE + 1 - BATCH

    report = keyring.rotate(batch_size=BATCH)
    assert (report.created, report.key_id) == (False, new)
    assert report.rewrapped == PEOPLE + 1 - BATCH
    assert wrapping_keys(filled) == Counter({new: PEOPLE + 1})
    assert readable(filled) == before
    assert sorted(LocalKeyProvider(filled.settings.keys_path).key_ids()) == sorted(["dev", new])


def test_rotating_again_makes_another_key(filled: Home) -> None:
    keyring = Keyring(filled.engine, filled.keys)
    first = keyring.rotate().key_id
    second = keyring.rotate()
    assert second.created
    assert second.key_id != first
    assert set(second.retirable) == {"dev", first}


def test_a_writer_stuck_on_an_old_key_is_reported(filled: Home) -> None:
    numbers = iter(range(100, 1000))

    def stale_writes(done: int, total: int) -> None:  # one new person after every batch
        number = next(numbers)
        fill(stale_vault(filled), range(number, number + 1))

    with pytest.raises(ConflictError, match="still configured with an old key"):
        Keyring(filled.engine, filled.keys).rotate(batch_size=BATCH, progress=stale_writes)


def test_usage_counts_what_each_key_wraps(filled: Home) -> None:
    keyring = Keyring(filled.engine, filled.keys)
    assert keyring.usage() == ([KeyUsage("dev", True, PEOPLE + 1)], 0)
    new = keyring.rotate().key_id
    assert keyring.usage() == ([KeyUsage("dev", False, 0), KeyUsage(new, True, PEOPLE + 1)], 0)


def test_retire_refuses_a_key_that_still_wraps_something_then_succeeds(filled: Home) -> None:
    keyring = Keyring(filled.engine, filled.keys)

    def crash(done: int, total: int) -> None:
        if done:
            raise CrashError

    with pytest.raises(CrashError):
        keyring.rotate(batch_size=BATCH, progress=crash)
    with pytest.raises(ConflictError, match=f"'dev' still wraps {PEOPLE + 1 - BATCH} keys"):
        keyring.retire("dev")
    assert (filled.settings.keys_path / "dev.key").exists()
    keyring.rotate()
    keyring.retire("dev")
    assert not (filled.settings.keys_path / "dev.key").exists()
    assert [u.key_id for u in keyring.usage()[0]] == [filled.keys.active().key_id]
    fill(filled.vault, range(200, 201))
    assert readable(filled)["s200"][0] == ("name", "Person 200")


def test_retire_refuses_the_active_key_and_unknown_ids(filled: Home) -> None:
    keyring = Keyring(filled.engine, filled.keys)
    with pytest.raises(ConflictError, match="active master key"):
        keyring.retire("dev")
    with pytest.raises(NotFoundError, match="no master key 'k-nope'"):
        keyring.retire("k-nope")
    with pytest.raises(NotFoundError):
        keyring.retire("../keys/dev")
    with pytest.raises(ConflictError, match="active master key"):
        LocalKeyProvider(filled.settings.keys_path).retire("dev")


def test_batch_size_must_be_positive(filled: Home) -> None:
    with pytest.raises(InvalidInputError, match="batch_size"):
        Keyring(filled.engine, filled.keys).rotate(batch_size=0)


# --- decryption failures are loud -------------------------------------------------------------


def test_reading_after_retiring_without_rotating_fails_loudly(filled: Home) -> None:
    create_local_key(filled.settings.keys_path)
    LocalKeyProvider(filled.settings.keys_path).retire("dev")  # the provider cannot see the store
    vault = IdentityVault(filled.engine, filled.keys, filled.clock)
    with pytest.raises(PrivacyError, match=r"data key of subject s003: no key 'dev'"):
        vault.read("s003")
    with pytest.raises(PrivacyError, match=r"tokenisation secret: no key 'dev'"):
        vault.token_secret()
    with pytest.raises(PrivacyError, match="data key of subject s004"):
        vault.data_keys(["s004"])
    assert Keyring(filled.engine, filled.keys).usage()[1] == PEOPLE + 1


def test_rotation_stops_loudly_at_a_key_it_cannot_unwrap(filled: Home) -> None:
    keyring = Keyring(filled.engine, filled.keys)
    create_local_key(filled.settings.keys_path)
    LocalKeyProvider(filled.settings.keys_path).retire("dev")
    with pytest.raises(PrivacyError, match=r"stopped after 0 .*subject s000: no key 'dev'"):
        keyring.rotate(batch_size=BATCH)


def test_a_tampered_wrapped_key_fails_loudly(filled: Home) -> None:
    with filled.engine.begin() as conn:
        blob = bytearray(
            conn.execute(
                select(vault_subjects.c.wrapped_key).where(vault_subjects.c.subject == "s007")
            ).scalar_one()
        )
        blob[-1] ^= 0x01
        conn.execute(
            update(vault_subjects)
            .where(vault_subjects.c.subject == "s007")
            .values(wrapped_key=bytes(blob))
        )
    vault = IdentityVault(filled.engine, filled.keys, filled.clock)
    with pytest.raises(PrivacyError, match=r"data key of subject s007: .*key 'dev' failed"):
        vault.read("s007")
    assert vault.read("s008")  # the others are untouched
    with pytest.raises(PrivacyError, match="subject s007"):
        Keyring(filled.engine, filled.keys).rotate()


def test_a_tampered_value_fails_loudly(filled: Home) -> None:
    with filled.engine.begin() as conn:
        blob = bytearray(
            conn.execute(
                select(vault_fields.c.ciphertext).where(
                    vault_fields.c.subject == "s002", vault_fields.c.field == "phone"
                )
            ).scalar_one()
        )
        blob[-3] ^= 0x10
        conn.execute(
            update(vault_fields)
            .where(vault_fields.c.subject == "s002", vault_fields.c.field == "phone")
            .values(ciphertext=bytes(blob))
        )
    with pytest.raises(PrivacyError, match="field 'phone' of subject s002"):
        filled.vault.read("s002")


def test_a_tampered_token_secret_fails_loudly(home: Home) -> None:
    with home.engine.begin() as conn:
        blob = bytearray(conn.execute(select(secrets_table.c.ciphertext)).scalar_one())
        blob[20] ^= 0x01
        conn.execute(update(secrets_table).values(ciphertext=bytes(blob)))
    with pytest.raises(PrivacyError, match="tokenisation secret: decryption with key 'dev'"):
        home.vault.token_secret()


def test_a_wrong_key_under_the_right_id_fails_loudly(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    fill(home.vault, range(2))
    key = home.settings.keys_path / "dev.key"
    key.write_text(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    with pytest.raises(PrivacyError, match="subject s001: decryption with key 'dev' failed"):
        IdentityVault(home.engine, home.keys, home.clock).read("s001")
    home.dispose()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"\x01\x02\xff\xfe", "key id is corrupt"),  # not ASCII
        (b"\x01\x05../ab", r"no key '\.\./ab'"),  # would name a file outside the key folder
        (b"\x01\x05k-gon", "no key 'k-gon'"),  # a key that never existed
        (b"\x02\x03dev", "unknown format version"),
    ],
)
def test_a_wrapped_key_naming_a_bad_key_id_fails_loudly(
    filled: Home, header: bytes, message: str
) -> None:
    with filled.engine.begin() as conn:
        blob = conn.execute(
            select(vault_subjects.c.wrapped_key).where(vault_subjects.c.subject == "s001")
        ).scalar_one()
        conn.execute(
            update(vault_subjects)
            .where(vault_subjects.c.subject == "s001")
            .values(wrapped_key=header + blob[len(envelope_header("dev")) :])
        )
    with pytest.raises(PrivacyError, match=rf"data key of subject s001: .*{message}"):
        filled.vault.read("s001")


# --- keys held in CREDO_MASTER_KEY --------------------------------------------------------------


def test_static_keys_are_not_rotated_by_credo(tmp_path: Path) -> None:
    home = make_home(tmp_path, master_key=DEV_MASTER_KEY)
    fill(home.vault, range(3))
    with pytest.raises(PrivacyError, match="CREDO_MASTER_KEY=NEW,OLD"):
        Keyring(home.engine, home.keys).rotate()
    home.dispose()


def test_static_keys_rotate_with_the_old_key_listed_after_the_new(tmp_path: Path) -> None:
    before = make_home(tmp_path, master_key=DEV_MASTER_KEY)
    fill(before.vault, range(3))
    values = readable(before)
    before.dispose()
    new = base64.b64encode(secrets.token_bytes(32)).decode()
    home = make_home(tmp_path, master_key=f"{new}, {DEV_MASTER_KEY}")
    keyring = Keyring(home.engine, home.keys)
    assert readable(home) == values  # the old key still reads
    report = keyring.rotate(batch_size=2)
    assert not report.created
    assert report.key_id.startswith("env-")
    assert report.retirable == ("dev",)
    with pytest.raises(PrivacyError, match="remove it from CREDO_MASTER_KEY"):
        keyring.retire("dev")
    home.dispose()
    after = make_home(tmp_path, master_key=new)
    assert readable(after) == values
    after.dispose()


def test_static_key_lists_refuse_an_empty_entry() -> None:
    with pytest.raises(PrivacyError, match="empty key"):
        StaticKeyProvider(f"{DEV_MASTER_KEY},")
    with pytest.raises(PrivacyError, match=r"\(key 2\): master key must be 32 bytes"):
        StaticKeyProvider(f"{DEV_MASTER_KEY},{base64.b64encode(b'short').decode()}")


def test_local_keys_refuse_ids_that_are_not_file_names(tmp_path: Path) -> None:
    create_local_key(tmp_path / "keys", key_id="k-1")
    (tmp_path / "outside.key").write_text(base64.b64encode(bytes(32)).decode())
    provider = LocalKeyProvider(tmp_path / "keys")
    with pytest.raises(KeyError):
        provider.get("../outside")
    with pytest.raises(PrivacyError, match="key id must be"):
        create_local_key(tmp_path / "keys", key_id="../evil")


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_rotation_and_counts_on_postgres(tmp_path: Path, fresh_postgres_url: str) -> None:
    home = make_home(tmp_path, database_url=fresh_postgres_url)
    fill(home.vault, range(PEOPLE))
    before = readable(home)
    keyring = Keyring(home.engine, home.keys)

    def crash(done: int, total: int) -> None:
        if done:
            raise CrashError

    with pytest.raises(CrashError):
        keyring.rotate(batch_size=BATCH, progress=crash)
    new = home.keys.active().key_id
    assert (keyring.count("dev"), keyring.count(new), keyring.pending(new)) == (16, 10, 16)
    report = keyring.rotate(batch_size=BATCH)
    assert (report.created, report.rewrapped) == (False, 16)
    keyring.retire("dev")
    assert keyring.usage() == ([KeyUsage(new, True, PEOPLE + 1)], 0)
    assert readable(home) == before
    home.dispose()
