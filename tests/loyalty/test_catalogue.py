"""The privileges catalogue: the shipped defaults, TOML validation and partner entries."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from credo.errors import InvalidInputError, NotFoundError, UnreadableInputError
from credo.loyalty.catalogue import (
    CATEGORIES,
    CREDO,
    Catalogue,
    Privilege,
    default_catalogue,
    load_catalogue,
    loads_catalogue,
)
from credo.loyalty.facts import DIMENSIONS, Facts
from credo.loyalty.rules import parse_rule

ENTRY = """
[privileges.{key}]
name = "Deposit-free e-bike"
category = "rental"
rule = "{rule}"
benefit = "Unlock an e-bike without a deposit"
"""
BEST = Facts(
    score=950,
    band="excellent",
    percentile=99.9,
    dims=dict.fromkeys(DIMENSIONS, 95.0),
    months_scored=36,
    defaults_24m=0,
    worst_dpd_12m=0,
    identity_verified=True,
    score_trend_3m=0,
)


def partner_file(partner: str, *entries: tuple[str, str]) -> str:
    body = "".join(ENTRY.format(key=key, rule=rule) for key, rule in entries)
    return f'partner = "{partner}"\n{body}'


# -- the shipped catalogue --------------------------------------------------------------------


def test_the_default_catalogue_ships_as_package_data() -> None:
    data = resources.files("credo.loyalty").joinpath("default_privileges.toml")
    assert data.is_file()
    assert "Zhima" in data.read_text(encoding="utf-8")


def test_the_default_catalogue_has_the_issue_privileges_with_their_rules() -> None:
    catalogue = default_catalogue()
    assert len(catalogue) >= 10
    assert {
        key: catalogue[key].rule_text
        for key in (
            "deposit_free_power_bank",
            "deposit_free_bike",
            "deposit_free_device_rental",
            "visa_document_waiver",
        )
    } == {
        "deposit_free_power_bank": "score >= 600",
        "deposit_free_bike": "score >= 650 and defaults_24m == 0",
        "deposit_free_device_rental": "score >= 700",
        "visa_document_waiver": "score >= 700 and identity_verified",
    }


def test_the_default_catalogue_is_credo_s_and_covers_several_categories() -> None:
    catalogue = default_catalogue()
    assert {p.partner for p in catalogue} == {CREDO}
    assert {p.category for p in catalogue} <= set(CATEGORIES)
    assert len({p.category for p in catalogue}) >= 4
    assert all(p.name and p.benefit for p in catalogue)


def test_the_best_person_holds_every_default_privilege() -> None:
    assert [p.key for p in default_catalogue() if not p.rule.evaluate(BEST)] == []


def test_a_poor_score_holds_no_default_privilege() -> None:
    poor = Facts(
        score=400,
        band="poor",
        percentile=3,
        dims=dict.fromkeys(DIMENSIONS, 20.0),
        months_scored=36,
        defaults_24m=0,
        worst_dpd_12m=0,
        identity_verified=True,
        score_trend_3m=0,
    )
    assert [p.key for p in default_catalogue() if p.rule.evaluate(poor)] == []


def test_an_unscored_person_holds_nothing() -> None:
    assert not any(p.rule.evaluate(Facts(identity_verified=True)) for p in default_catalogue())


def test_an_unknown_key_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="no privilege 'free_lunch'"):
        default_catalogue()["free_lunch"]


# -- TOML validation --------------------------------------------------------------------------


def test_a_partner_file_loads_in_order(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(
        partner_file("acme", ("acme_ebike", "score >= 680"), ("acme_scooter", "score >= 620"))
    )
    catalogue = load_catalogue(path, partner="acme")
    assert catalogue.keys() == ("acme_ebike", "acme_scooter")
    assert catalogue["acme_ebike"].partner == "acme"
    assert catalogue["acme_ebike"].description == ""
    assert catalogue["acme_ebike"].rule.root == parse_rule("score >= 680").root


def test_a_file_without_partner_is_credo_s() -> None:
    catalogue = loads_catalogue(ENTRY.format(key="x", rule="score >= 600"))
    assert catalogue["x"].partner == CREDO


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            ENTRY.format(key="ebike", rule="score >= 680") + 'rules = "x"\n',
            InvalidInputError,
            r"^acme.toml: privilege 'ebike': unknown field 'rules' \(allowed: name, category",
        ),
        (
            ENTRY.format(key="ebike", rule="score >= 680").replace('rule = "score >= 680"', ""),
            InvalidInputError,
            r"^acme.toml: privilege 'ebike': missing field 'rule'",
        ),
        (
            ENTRY.format(key="ebike", rule="score >= 60o"),
            InvalidInputError,
            r"^acme.toml: privilege 'ebike': rule 'score >= 60o': .* at column 10",
        ),
        (
            ENTRY.format(key="ebike", rule="scor >= 680"),
            InvalidInputError,
            r"^acme.toml: privilege 'ebike': rule 'scor >= 680': unknown name 'scor'",
        ),
        (
            ENTRY.format(key="ebike", rule="x").replace('rule = "x"', "rule = 680"),
            InvalidInputError,
            r"^acme.toml: privilege 'ebike': rule must be a string, got int",
        ),
        (
            ENTRY.format(key="ebike", rule="score >= 680").replace("rental", "gambling"),
            InvalidInputError,
            r"^acme.toml: privilege 'ebike': unknown category 'gambling' \(known: rental",
        ),
        (
            ENTRY.format(key="ebike", rule="score >= 680").replace(
                'name = "Deposit-free e-bike"', 'name = " "'
            ),
            InvalidInputError,
            r"^acme.toml: privilege 'ebike': name must not be empty",
        ),
        (
            ENTRY.format(key='"E-Bike"', rule="score >= 680"),
            InvalidInputError,
            r"^acme.toml: privilege 'E-Bike': the key must be snake_case",
        ),
        ('[privileges]\nebike = "score >= 680"\n', InvalidInputError, r"'ebike': must be a table"),
        ('partner = "acme"\n', InvalidInputError, r"^acme.toml: no \[privileges.<key>\] tables"),
        (
            'owner = "acme"\n' + ENTRY.format(key="ebike", rule="score >= 680"),
            InvalidInputError,
            r"^acme.toml: unknown top-level key 'owner'",
        ),
        ("[privileges.ebike\n", UnreadableInputError, r"^acme.toml: not valid TOML"),
    ],
)
def test_bad_catalogues_are_refused_naming_the_entry(
    text: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        loads_catalogue(text, source="acme.toml")


def test_a_file_cannot_claim_another_partner() -> None:
    text = partner_file("credo", ("deposit_free_bike", "score >= 350"))
    with pytest.raises(InvalidInputError, match="declares partner 'credo', expected 'acme'"):
        loads_catalogue(text, source="acme.toml", partner="acme")


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInputError, match=r"nowhere.toml: cannot read the catalogue"):
        load_catalogue(tmp_path / "nowhere.toml")


def test_keys_are_unique_within_a_catalogue() -> None:
    privilege = default_catalogue()["deposit_free_bike"]
    with pytest.raises(InvalidInputError, match="privilege 'deposit_free_bike' appears twice"):
        Catalogue((privilege, privilege))


# -- partner entries --------------------------------------------------------------------------


def test_a_partner_adds_entries_after_credo_s() -> None:
    acme = loads_catalogue(partner_file("acme", ("acme_ebike", "score >= 680")), partner="acme")
    merged = default_catalogue().merge(acme)
    assert merged.keys() == (*default_catalogue().keys(), "acme_ebike")
    assert merged["acme_ebike"].partner == "acme"
    assert "acme_ebike" not in default_catalogue()


def test_a_partner_cannot_override_a_credo_privilege() -> None:
    acme = loads_catalogue(partner_file("acme", ("deposit_free_bike", "score >= 350")))
    with pytest.raises(
        InvalidInputError,
        match=r"partner 'acme' may not override privilege 'deposit_free_bike', .* to 'credo'",
    ):
        default_catalogue().merge(acme)


def test_a_partner_cannot_override_another_partner() -> None:
    acme = loads_catalogue(partner_file("acme", ("city_ebike", "score >= 680")))
    rival = loads_catalogue(partner_file("rival", ("city_ebike", "score >= 350")))
    with pytest.raises(InvalidInputError, match=r"'rival' may not .* belongs to 'acme'"):
        default_catalogue().merge(acme).merge(rival)


def test_a_partner_replaces_its_own_entry_in_place() -> None:
    first = loads_catalogue(
        partner_file("acme", ("acme_ebike", "score >= 680"), ("acme_scooter", "score >= 620"))
    )
    update = loads_catalogue(partner_file("acme", ("acme_ebike", "score >= 660")))
    merged = first.merge(update)
    assert merged.keys() == ("acme_ebike", "acme_scooter")
    assert merged["acme_ebike"].rule_text == "score >= 660"


def test_a_privilege_serialises_with_its_rule_text() -> None:
    privilege = default_catalogue()["visa_document_waiver"]
    assert privilege.to_dict()["rule"] == "score >= 700 and identity_verified"
    assert default_catalogue().to_dict()["privileges"][0]["key"] == default_catalogue().keys()[0]


def test_privileges_validate_their_own_fields() -> None:
    with pytest.raises(InvalidInputError, match="partner 'Acme Inc' must be snake_case"):
        Privilege("x", "X", "Acme Inc", "rental", parse_rule("score >= 600"), "b")
