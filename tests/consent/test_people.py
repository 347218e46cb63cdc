"""People's accounts: argon2id passwords, sessions, one-time codes, operator tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import select

from credo.clock import FixedClock
from credo.consent.people import (
    CODE_ATTEMPTS,
    CODE_TTL,
    PeopleAccounts,
    change_consents,
    hash_token,
)
from credo.errors import AuthenticationError, InvalidInputError
from credo.home import Home
from credo.storage.tables import people_credentials, sessions

from factories import NOW, OTHER, PERSON

PASSWORD = "correct horse battery"
HOURS = 12


class CountingHasher(PasswordHasher):
    """The cheapest argon2id parameters (tests), counting the hashes checked."""

    def __init__(self) -> None:
        params = CHEAPEST
        super().__init__(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
            hash_len=params.hash_len,
            salt_len=params.salt_len,
            type=params.type,
        )
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def accounts(home: Home) -> PeopleAccounts:
    return PeopleAccounts(
        home.engine, home.tokeniser, home.audit, home.clock, HOURS, hasher=CountingHasher()
    )


def clock_of(home: Home) -> FixedClock:
    assert isinstance(home.clock, FixedClock)
    return home.clock


def stored_hash(home: Home, identifier: str) -> str:
    subject = home.tokeniser.subject(identifier)
    query = select(people_credentials.c.password_hash).where(
        people_credentials.c.subject == subject
    )
    with home.engine.connect() as conn:
        return str(conn.execute(query).scalar_one())


def session_rows(home: Home) -> list[Any]:
    with home.engine.connect() as conn:
        return list(conn.execute(select(sessions)).mappings())


# --- passwords ----------------------------------------------------------------------------------


def test_a_password_is_kept_only_as_an_argon2id_hash(home: Home) -> None:
    home.people.set_password(PERSON, PASSWORD)  # the production hasher, default parameters
    stored = stored_hash(home, PERSON)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in stored
    assert home.people.login(PERSON, PASSWORD).subject == home.tokeniser.subject(PERSON)


@pytest.mark.parametrize("password", ["", "short", "nine char"])
def test_a_short_password_is_refused(accounts: PeopleAccounts, password: str) -> None:
    with pytest.raises(InvalidInputError, match="a password has 10 to 256 characters"):
        accounts.set_password(PERSON, password)


def test_a_malformed_identifier_cannot_get_a_password(accounts: PeopleAccounts) -> None:
    with pytest.raises(InvalidInputError, match="identifier"):
        accounts.set_password("not an id!", PASSWORD)


def test_wrong_password_unknown_person_and_malformed_identifier_fail_alike(
    accounts: PeopleAccounts,
) -> None:
    accounts.set_password(PERSON, PASSWORD)
    messages = set()
    for identifier, password in [(PERSON, "wrong password"), (OTHER, PASSWORD), ("?!", PASSWORD)]:
        with pytest.raises(AuthenticationError) as caught:
            accounts.login(identifier, password)
        messages.add(str(caught.value))
    assert messages == {"the identifier or the password is wrong"}


def test_an_unknown_person_costs_one_hash_check_like_a_known_one(
    home: Home, accounts: PeopleAccounts
) -> None:
    hasher = accounts._hasher
    assert isinstance(hasher, CountingHasher)
    with pytest.raises(AuthenticationError):
        accounts.login(OTHER, PASSWORD)
    assert hasher.verified == 1
    accounts.set_password(PERSON, PASSWORD)
    with pytest.raises(AuthenticationError):
        accounts.login(PERSON, "wrong password")
    assert hasher.verified == 2


def test_a_new_password_replaces_the_old(accounts: PeopleAccounts) -> None:
    accounts.set_password(PERSON, PASSWORD)
    accounts.set_password(PERSON, "another long password")
    with pytest.raises(AuthenticationError):
        accounts.login(PERSON, PASSWORD)
    assert accounts.login(PERSON, "another long password").subject


def test_a_hash_with_old_parameters_is_upgraded_at_login(
    home: Home, accounts: PeopleAccounts
) -> None:
    accounts.set_password(PERSON, PASSWORD)  # the cheapest parameters
    assert "m=8," in stored_hash(home, PERSON)
    home.people.login(PERSON, PASSWORD)  # the production hasher
    assert stored_hash(home, PERSON).startswith("$argon2id$v=19$m=65536,")


def test_logins_and_password_changes_are_audited_without_personal_data(
    home: Home, accounts: PeopleAccounts
) -> None:
    accounts.set_password(PERSON, PASSWORD)
    accounts.login(PERSON, PASSWORD)
    subject = home.tokeniser.subject(PERSON)
    entries = home.audit.for_subject(subject)
    assert [(e.actor, e.action) for e in entries] == [
        ("person", "person.login"),
        ("operator", "person.password_set"),
    ]
    assert entries[0].detail == {"method": "password"}
    text = repr([e.detail for e in entries])
    assert PERSON not in text
    assert PASSWORD not in text
    assert home.audit.verify().ok


# --- sessions ------------------------------------------------------------------------------------


def test_a_session_token_is_kept_only_as_its_sha256(home: Home, accounts: PeopleAccounts) -> None:
    accounts.set_password(PERSON, PASSWORD)
    session = accounts.login(PERSON, PASSWORD)
    assert session.token not in repr(session)
    (row,) = session_rows(home)
    assert row["token_hash"] == hash_token(session.token)
    assert (row["kind"], row["subject"]) == ("person", home.tokeniser.subject(PERSON))
    assert session.expires_at == NOW + timedelta(hours=HOURS)
    assert accounts.authenticate(session.token) == home.tokeniser.subject(PERSON)


def test_a_session_expires_after_the_configured_hours(home: Home, accounts: PeopleAccounts) -> None:
    accounts.set_password(PERSON, PASSWORD)
    token = accounts.login(PERSON, PASSWORD).token
    clock_of(home).set(NOW + timedelta(hours=HOURS) - timedelta(seconds=1))
    accounts.authenticate(token)
    clock_of(home).set(NOW + timedelta(hours=HOURS))
    with pytest.raises(AuthenticationError, match="expired; log in again"):
        accounts.authenticate(token)


@pytest.mark.parametrize("token", ["", "x" * 43, "not a token at all", "é" * 43])
def test_an_unknown_token_is_refused(accounts: PeopleAccounts, token: str) -> None:
    with pytest.raises(AuthenticationError):
        accounts.authenticate(token)


def test_logout_ends_the_session(accounts: PeopleAccounts) -> None:
    accounts.set_password(PERSON, PASSWORD)
    first = accounts.login(PERSON, PASSWORD).token
    second = accounts.login(PERSON, PASSWORD).token
    accounts.logout(first)
    accounts.logout(first)  # again: nothing to do
    with pytest.raises(AuthenticationError):
        accounts.authenticate(first)
    accounts.authenticate(second)


# --- one-time codes ------------------------------------------------------------------------------


def test_a_code_logs_in_once(home: Home, accounts: PeopleAccounts) -> None:
    code = accounts.issue_code(PERSON)
    assert len(code) == 8
    assert code.isdigit()
    assert code not in repr(session_rows(home))
    session = accounts.login_with_code(PERSON, code)
    assert accounts.authenticate(session.token) == home.tokeniser.subject(PERSON)
    with pytest.raises(AuthenticationError, match="code"):
        accounts.login_with_code(PERSON, code)


def test_a_code_is_the_persons_own(accounts: PeopleAccounts) -> None:
    code = accounts.issue_code(PERSON)
    with pytest.raises(AuthenticationError):
        accounts.login_with_code(OTHER, code)
    accounts.login_with_code(PERSON, code)


def test_a_code_expires_after_15_minutes(home: Home, accounts: PeopleAccounts) -> None:
    code = accounts.issue_code(PERSON)
    clock_of(home).set(NOW + CODE_TTL)
    with pytest.raises(AuthenticationError, match="expired"):
        accounts.login_with_code(PERSON, code)


def test_a_new_code_cancels_the_earlier_one(accounts: PeopleAccounts) -> None:
    first = accounts.issue_code(PERSON)
    second = accounts.issue_code(PERSON)
    if first != second:  # one chance in 10^8 that both are equal
        with pytest.raises(AuthenticationError):
            accounts.login_with_code(PERSON, first)
    accounts.login_with_code(PERSON, second)


def test_too_many_wrong_codes_cancel_the_code_until_the_window_passes(
    home: Home, accounts: PeopleAccounts
) -> None:
    code = accounts.issue_code(PERSON)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(CODE_ATTEMPTS):
        with pytest.raises(AuthenticationError):
            accounts.login_with_code(PERSON, wrong)
    with pytest.raises(AuthenticationError):
        accounts.login_with_code(PERSON, code)
    fresh = accounts.issue_code(PERSON)
    with pytest.raises(AuthenticationError):
        accounts.login_with_code(PERSON, fresh)  # still locked
    clock_of(home).set(NOW + CODE_TTL)
    accounts.login_with_code(PERSON, accounts.issue_code(PERSON))


def test_a_malformed_code_is_refused(accounts: PeopleAccounts) -> None:
    with pytest.raises(AuthenticationError):
        accounts.login_with_code(PERSON, "1234")


# --- operators -----------------------------------------------------------------------------------


def test_an_operator_token_works_until_it_expires(home: Home, accounts: PeopleAccounts) -> None:
    token = accounts.issue_operator_token(hours=2)
    accounts.authenticate_operator(token)
    (row,) = session_rows(home)
    assert (row["kind"], row["subject"], row["token_hash"]) == ("operator", None, hash_token(token))
    clock_of(home).set(NOW + timedelta(hours=2))
    with pytest.raises(AuthenticationError, match="operator token"):
        accounts.authenticate_operator(token)


def test_operator_and_person_tokens_do_not_stand_in_for_each_other(
    accounts: PeopleAccounts,
) -> None:
    operator = accounts.issue_operator_token()
    person = accounts.login_with_code(PERSON, accounts.issue_code(PERSON)).token
    with pytest.raises(AuthenticationError):
        accounts.authenticate(operator)
    with pytest.raises(AuthenticationError):
        accounts.authenticate_operator(person)


@pytest.mark.parametrize("hours", [0, -1, 24 * 30 + 1])
def test_an_operator_token_lasts_between_an_hour_and_30_days(
    accounts: PeopleAccounts, hours: int
) -> None:
    with pytest.raises(InvalidInputError, match="1 to 720 hours"):
        accounts.issue_operator_token(hours=hours)


# --- a person's own consents ---------------------------------------------------------------------


def test_a_persons_consent_choices_are_recorded_and_audited(home: Home) -> None:
    home.sources.add("bank", ["history"], reliability=0.9)
    subject = home.tokeniser.subject(PERSON)
    choices = [("history", "*", True), ("history", "bank", False)]
    change_consents(home.consents, home.sources, home.audit, subject, choices)
    assert [(c, s, g) for c, s, g, _at in home.consents.show(PERSON)] == [
        ("history", "*", True),
        ("history", "bank", False),
    ]
    actions = [e.action for e in home.audit.for_subject(subject)]
    assert actions == ["consent.withdrawn", "consent.granted"]


def test_a_consent_for_an_unknown_source_changes_nothing(home: Home) -> None:
    subject = home.tokeniser.subject(PERSON)
    with pytest.raises(InvalidInputError, match="unknown source"):
        change_consents(
            home.consents, home.sources, home.audit, subject, [("history", "nowhere", True)]
        )
    assert home.consents.show(PERSON) == []
    assert home.audit.count() == 0
