"""Partners: keys shown once and stored hashed; anything but a live key is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from credo.consent.partners import KEY_MARK, Partner, hash_api_key, parse_purposes
from credo.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError
from credo.home import Home
from credo.storage.tables import partners


@pytest.fixture
def acme(home: Home) -> tuple[Partner, str]:
    return home.partners.add("acme", ["lending", "rental"])


def test_a_new_partner_gets_a_key_it_can_authenticate_with(
    home: Home, acme: tuple[Partner, str]
) -> None:
    partner, key = acme
    assert home.partners.authenticate(key) == partner


def test_only_the_hash_and_prefix_of_the_key_are_stored(
    home: Home, acme: tuple[Partner, str]
) -> None:
    _, key = acme
    with home.engine.connect() as conn:
        row = conn.execute(select(partners)).mappings().one()
    assert row["api_key_hash"] == hash_api_key(key)
    assert key not in {str(value) for value in row.values()}
    assert row["key_prefix"] == key[: len(KEY_MARK) + 8]


def test_keys_are_long_random_and_distinct(home: Home) -> None:
    _, one = home.partners.add("one", "lending")
    _, two = home.partners.add("two", "lending")
    assert one != two
    assert len(one) == len(KEY_MARK) + 43


def test_an_unknown_key_is_refused(home: Home, acme: tuple[Partner, str]) -> None:
    with pytest.raises(AuthenticationError, match="API key is not valid"):
        home.partners.authenticate(KEY_MARK + "A" * 43)


def test_a_forged_key_with_a_real_prefix_is_refused(home: Home, acme: tuple[Partner, str]) -> None:
    _, key = acme
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    with pytest.raises(AuthenticationError, match="API key is not valid"):
        home.partners.authenticate(forged)


def test_a_malformed_key_is_refused(home: Home, acme: tuple[Partner, str]) -> None:
    _, key = acme
    with pytest.raises(AuthenticationError, match="API key is not valid"):
        home.partners.authenticate(key + " ")


def test_an_empty_key_is_refused(home: Home) -> None:
    with pytest.raises(AuthenticationError, match="API key is not valid"):
        home.partners.authenticate("")


def test_a_disabled_partners_key_is_refused(home: Home, acme: tuple[Partner, str]) -> None:
    _, key = acme
    home.partners.disable("acme")
    with pytest.raises(AuthenticationError, match="partner 'acme' is disabled"):
        home.partners.authenticate(key)


def test_an_unknown_purpose_is_refused(home: Home) -> None:
    with pytest.raises(InvalidInputError, match=r"unknown purpose\(s\) 'dating'"):
        home.partners.add("cupid", ["lending", "dating"])


def test_a_partner_needs_a_purpose(home: Home) -> None:
    with pytest.raises(InvalidInputError, match="at least one purpose"):
        home.partners.add("vague", " , ")


def test_a_badly_formed_name_is_refused(home: Home) -> None:
    with pytest.raises(InvalidInputError, match="partner name 'Acme Corp'"):
        home.partners.add("Acme Corp", "lending")


def test_a_name_is_registered_once(home: Home, acme: tuple[Partner, str]) -> None:
    with pytest.raises(ConflictError, match="'acme' already exists"):
        home.partners.add("acme", "rental")


def test_disabling_an_unknown_partner_is_not_found(home: Home) -> None:
    with pytest.raises(NotFoundError, match="no partner named 'ghost'"):
        home.partners.disable("ghost")


def test_partners_are_listed_by_name(home: Home) -> None:
    home.partners.add("zeta", "rental")
    home.partners.add("alpha", "lending", is_source=True)
    listed = home.partners.list()
    assert [(p.name, p.is_source) for p in listed] == [("alpha", True), ("zeta", False)]


def test_purposes_from_a_comma_list_are_sorted_and_deduplicated() -> None:
    assert parse_purposes("rental,lending, rental") == ("lending", "rental")


def test_partner_changes_are_audited(home: Home, acme: tuple[Partner, str]) -> None:
    home.partners.disable("acme")
    entries = home.audit.entries()
    assert [(e.actor, e.action, e.subject) for e in entries] == [
        ("operator", "partner.added", None),
        ("operator", "partner.disabled", None),
    ]
    assert entries[0].detail == {
        "partner": "acme",
        "purposes": ["lending", "rental"],
        "is_source": False,
    }
