"""Pairwise pseudonyms: one open_id per partner and person, stable, unlinkable, not reversible."""

from __future__ import annotations

import pytest

from credo.clock import FixedClock
from credo.consent.pseudonyms import OPEN_ID_HEX, open_id, parse_open_id
from credo.errors import InvalidInputError
from credo.home import Home
from credo.privacy.tokens import Tokeniser

from factories import NOW, OTHER, PERSON


def test_two_partners_get_different_open_ids_for_one_person(home: Home) -> None:
    subject = home.tokeniser.subject(PERSON)
    assert open_id(home.tokeniser, "acme", subject) != open_id(home.tokeniser, "bikes", subject)


def test_one_partner_gets_different_open_ids_for_two_people(home: Home) -> None:
    one, two = home.tokeniser.subject(PERSON), home.tokeniser.subject(OTHER)
    assert open_id(home.tokeniser, "acme", one) != open_id(home.tokeniser, "acme", two)


def test_an_open_id_survives_a_restart(home: Home) -> None:
    subject = home.tokeniser.subject(PERSON)
    restarted = Home(home.settings, clock=FixedClock(NOW))
    try:
        again = open_id(restarted.tokeniser, "acme", subject)
    finally:
        restarted.dispose()
    assert again == open_id(home.tokeniser, "acme", subject)


def test_an_open_id_is_not_the_subject_token_nor_contains_it(home: Home) -> None:
    subject = home.tokeniser.subject(PERSON)
    value = open_id(home.tokeniser, "acme", subject)
    assert len(value) == OPEN_ID_HEX
    assert subject[:8] not in value


def test_an_open_id_depends_on_the_secret() -> None:
    one, two = Tokeniser(b"1" * 32), Tokeniser(b"2" * 32)
    assert open_id(one, "acme", "a" * 32) != open_id(two, "acme", "a" * 32)


def test_an_open_id_is_not_any_other_token_of_the_same_value(home: Home) -> None:
    # domain separation: the subject token of the same text is a different value
    value = open_id(home.tokeniser, "acme", PERSON)
    assert value != home.tokeniser.subject(PERSON)


@pytest.mark.parametrize("value", ["", "0" * 31, "0" * 33, "G" * 32, "A" * 32, "../" + "0" * 29])
def test_a_malformed_open_id_is_refused(value: str) -> None:
    with pytest.raises(InvalidInputError, match="32 lowercase hexadecimal"):
        parse_open_id(value)
