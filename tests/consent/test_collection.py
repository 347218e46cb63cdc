"""Collection consent decisions: fail closed, source-specific choices win, latest change wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.consent.collection import ALL_SOURCES, ConsentChange, is_collection_allowed
from credo.errors import InvalidInputError
from credo.home import Home

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PERSON = "110101199003074211"


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ({}, False),
        ({("history", ALL_SOURCES): True}, True),
        ({("history", ALL_SOURCES): False}, False),
        ({("history", ALL_SOURCES): True, ("history", "bank"): False}, False),
        ({("history", ALL_SOURCES): False, ("history", "bank"): True}, True),
        ({("history", "shop"): True}, False),
        ({("behavior", ALL_SOURCES): True}, False),
    ],
)
def test_decision_table(choices: dict[tuple[str, str], bool], expected: bool) -> None:
    assert is_collection_allowed(choices, "history", "bank") is expected


@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["history", "network"]), st.sampled_from(["*", "bank", "shop"])),
        st.booleans(),
    )
)
def test_a_withdrawn_specific_choice_never_allows(choices: dict[tuple[str, str], bool]) -> None:
    choices[("history", "bank")] = False
    assert not is_collection_allowed(choices, "history", "bank")


def test_latest_change_wins_whatever_the_order(home: Home) -> None:
    grant = ConsentChange(PERSON, "history", "grant", T0)
    withdraw = ConsentChange(PERSON, "history", "withdraw", T0 + timedelta(days=1))
    home.consents.record([withdraw, grant])
    assert home.consents.show(PERSON)[0][2] is False
    home.consents.record([grant])  # an older grant arriving late changes nothing
    assert home.consents.show(PERSON)[0][2] is False


def test_bulk_import_reports_bad_rows(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "consents.csv"
    path.write_text(
        "subject,category,source,action,at\n"
        f"{PERSON},history,,grant,2026-01-01T00:00:00Z\n"
        f"{PERSON},astrology,,grant,2026-01-01T00:00:00Z\n"
        f"{PERSON},history,bank,withdraw,2026-02-01T00:00:00+08:00\n"
        f"{PERSON},history,,maybe,2026-01-01T00:00:00Z\n"
        f"{PERSON},history,,grant,2026-01-01T00:00:00\n"
    )
    result = home.consents.import_file(path)
    assert (result.read, result.applied) == (5, 2)
    assert [n for n, _ in result.errors] == [3, 5, 6]
    assert {(c, s, g) for c, s, g, _ in home.consents.show(PERSON)} == {
        ("history", "*", True),
        ("history", "bank", False),
    }


def test_unknown_category_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown category 'astrology'"):
        ConsentChange(PERSON, "astrology", "grant", T0)
