"""Minimal disclosure: answers say no more than their scope; probing thresholds is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from credo.clock import FixedClock
from credo.consent.disclosure import (
    PROBE_LIMIT,
    ReasonItem,
    band_answer,
    is_probe_allowed,
    score_answer,
    score_reasons_answer,
    threshold_answer,
)
from credo.consent.grants import GrantDeniedError
from credo.consent.partners import Partner
from credo.errors import ConsentDeniedError, InvalidInputError, ProbeLimitError
from credo.home import Home
from credo.storage.snapshots import ScoreRecord

from factories import NOW, OTHER, PERSON

DAY = timedelta(days=1)
REASON = {
    "code": "H03",
    "characteristic": "hist_utilisation",
    "dimension": "history",
    "text": "Credit used relative to limits",
    "tip": "Keep balances low",
    "points_lost": 12.5,
    "value": 0.8,
    "value_text": "80.0%",
}


def record(score: int | None = 662, band: str | None = "very good") -> ScoreRecord:
    return ScoreRecord(
        run_id=1,
        as_of=NOW,
        subject="s" * 32,
        score=score,
        na_reason=None if score is not None else "too little history",
        band=band,
        percentile=0.71,
        detail={"reasons": [REASON], "dims": {"history": 61}},
    )


# --- pure answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(("minimum", "expected"), [(600, "Y"), (662, "Y"), (663, "N"), (950, "N")])
def test_threshold_answer(minimum: int, expected: str) -> None:
    assert threshold_answer(record(), minimum) == expected


def test_threshold_answer_without_a_published_score_is_na() -> None:
    assert threshold_answer(None, 350) == "N/A"


def test_threshold_answer_below_the_scoring_criteria_is_na() -> None:
    assert threshold_answer(record(score=None, band=None), 350) == "N/A"


def test_band_answer_is_the_band_alone() -> None:
    answer = band_answer(record())
    assert (answer.band, answer.as_of) == ("very good", NOW)


def test_band_answer_of_an_unscored_person_is_na() -> None:
    assert band_answer(record(score=None, band=None)).band is None


def test_score_answer_carries_the_model_version() -> None:
    answer = score_answer(record(), model_version="scorecard-0001")
    assert (answer.score, answer.band, answer.model_version) == (
        662,
        "very good",
        "scorecard-0001",
    )


def test_score_reasons_answer_gives_codes_and_sentences_only() -> None:
    answer = score_reasons_answer(record())
    assert answer.reasons == (ReasonItem("H03", "Credit used relative to limits", "history"),)


def test_score_answer_holds_no_percentile_nor_dimensions() -> None:
    fields = set(score_reasons_answer(record()).__slots__)
    assert fields == {"score", "band", "as_of", "model_version", "reasons"}


def test_a_repeated_threshold_is_not_a_new_probe() -> None:
    asked = {600: NOW, 650: NOW, 700: NOW}
    assert is_probe_allowed(asked, 650, NOW)


def test_a_fourth_distinct_threshold_is_a_probe_too_many() -> None:
    asked = {600: NOW, 650: NOW, 700: NOW}
    assert not is_probe_allowed(asked, 675, NOW)


def test_thresholds_older_than_the_window_do_not_count() -> None:
    asked = {600: NOW - 30 * DAY, 650: NOW, 700: NOW}
    assert is_probe_allowed(asked, 675, NOW)


# --- the service -------------------------------------------------------------------------------


@dataclass
class Shop:
    home: Home
    acme: Partner
    open_id: str
    subject: str

    def ask(self, minimum: int, partner: Partner | None = None) -> str:
        return self.home.disclosures.threshold(partner or self.acme, self.open_id, minimum)


def publish(home: Home, rows: list[dict[str, Any]], *, model: bool = True) -> None:
    model_id = None
    if model:
        model_id = home.models.register(
            artifact="{}", sha256="f" * 64, kind="scorecard", created_at=NOW, origin="test"
        ).id
    run = home.snapshots.begin(as_of=NOW, model_id=model_id, engine="duckdb", started_at=NOW)
    home.snapshots.write(run, rows)
    home.snapshots.publish(run, summary={}, finished_at=NOW)


def grant(home: Home, partner: Partner, scope: str) -> str:
    pending = home.grants.request(partner, PERSON, purpose="rental", scope=scope, duration_days=90)
    approved = home.grants.approve(home.tokeniser.subject(PERSON), pending.id)
    assert approved.open_id is not None
    return approved.open_id


@pytest.fixture
def shop(home: Home) -> Shop:
    acme, _ = home.partners.add("acme", ["rental"])
    subject = home.tokeniser.subject(PERSON)
    publish(
        home,
        [
            {
                "subject": subject,
                "score": 662,
                "band": "very good",
                "percentile": 0.7,
                "detail": {"reasons": [REASON]},
            },
            {"subject": home.tokeniser.subject(OTHER), "score": None, "na_reason": "thin file"},
        ],
    )
    return Shop(home, acme, grant(home, acme, "threshold"), subject)


def advance(home: Home, days: int) -> None:
    assert isinstance(home.clock, FixedClock)
    home.clock.set(home.clock.now() + days * DAY)


def test_a_threshold_query_answers_yes_or_no(shop: Shop) -> None:
    assert (shop.ask(650), shop.ask(700)) == ("Y", "N")


def test_a_person_without_a_score_is_na(shop: Shop) -> None:
    other = shop.home.grants.request(shop.acme, OTHER, purpose="rental")
    approved = shop.home.grants.approve(shop.home.tokeniser.subject(OTHER), other.id)
    assert approved.open_id is not None
    assert shop.home.disclosures.threshold(shop.acme, approved.open_id, 600) == "N/A"


def test_a_threshold_grant_does_not_disclose_the_band(shop: Shop) -> None:
    with pytest.raises(GrantDeniedError, match=r"no grant covers this band query \(scope\)"):
        shop.home.disclosures.band(shop.acme, shop.open_id)


def test_a_score_grant_discloses_score_band_and_model(shop: Shop) -> None:
    open_id = grant(shop.home, shop.acme, "score")
    answer = shop.home.disclosures.score(shop.acme, open_id)
    assert (answer.score, answer.band, answer.as_of) == (662, "very good", NOW)
    assert answer.model_version == "scorecard-0001"


def test_a_reasons_grant_discloses_the_reason_codes(shop: Shop) -> None:
    open_id = grant(shop.home, shop.acme, "score_reasons")
    answer = shop.home.disclosures.score_reasons(shop.acme, open_id)
    assert [r.code for r in answer.reasons] == ["H03"]


def test_a_band_grant_discloses_the_band(shop: Shop) -> None:
    open_id = grant(shop.home, shop.acme, "band")
    assert shop.home.disclosures.band(shop.acme, open_id).band == "very good"


def test_a_fourth_distinct_threshold_in_30_days_is_refused(shop: Shop) -> None:
    for minimum in (600, 650, 700):
        shop.ask(minimum)
    with pytest.raises(ProbeLimitError, match="asked 3 distinct thresholds about this person"):
        shop.ask(675)


def test_the_probe_refusal_is_a_consent_denial(shop: Shop) -> None:
    for minimum in (600, 650, 700):
        shop.ask(minimum)
    with pytest.raises(ConsentDeniedError):
        shop.ask(675)


def test_repeating_an_asked_threshold_is_allowed(shop: Shop) -> None:
    for minimum in (600, 650, 700, 650, 600, 700):
        shop.ask(minimum)
    assert shop.ask(650) == "Y"


def test_the_probe_window_slides(shop: Shop) -> None:
    shop.ask(600)
    advance(shop.home, 10)
    shop.ask(650)
    shop.ask(700)
    advance(shop.home, 20)  # 600 was asked 30 days ago: out of the window
    assert shop.ask(625) == "Y"


def test_asking_again_keeps_a_threshold_in_the_window(shop: Shop) -> None:
    shop.ask(600)
    advance(shop.home, 20)
    shop.ask(600)
    shop.ask(650)
    advance(shop.home, 15)  # 600 was last asked 15 days ago
    shop.ask(700)
    with pytest.raises(ProbeLimitError):
        shop.ask(675)


def test_the_probe_limit_is_per_person(shop: Shop) -> None:
    for minimum in (600, 650, 700):
        shop.ask(minimum)
    other = shop.home.grants.request(shop.acme, OTHER, purpose="rental")
    approved = shop.home.grants.approve(shop.home.tokeniser.subject(OTHER), other.id)
    assert approved.open_id is not None
    assert shop.home.disclosures.threshold(shop.acme, approved.open_id, 675) == "N/A"


def test_a_partner_that_may_see_the_score_is_not_limited(shop: Shop) -> None:
    open_id = grant(shop.home, shop.acme, "score")
    answers = [shop.home.disclosures.threshold(shop.acme, open_id, m) for m in range(600, 700, 10)]
    assert len(answers) > PROBE_LIMIT


def test_a_refused_probe_is_not_remembered(shop: Shop) -> None:
    for minimum in (600, 650, 700):
        shop.ask(minimum)
    with pytest.raises(ProbeLimitError):
        shop.ask(675)
    advance(shop.home, 31)
    for minimum in (610, 620, 630):
        shop.ask(minimum)


def test_every_answer_is_in_the_persons_access_log(shop: Shop) -> None:
    shop.ask(650)
    last = shop.home.audit.for_subject(shop.subject)[0]
    assert (last.actor, last.action) == ("partner:acme", "disclosure.threshold")
    assert last.detail == {
        "authorization": 1,
        "partner": "acme",
        "scope": "threshold",
        "threshold": 650,
    }


def test_the_access_log_never_holds_the_answer(shop: Shop) -> None:
    shop.ask(650)
    last = shop.home.audit.for_subject(shop.subject)[0]
    assert "Y" not in last.detail.values()
    assert 662 not in last.detail.values()


def test_a_refused_probe_is_in_the_access_log(shop: Shop) -> None:
    for minimum in (600, 650, 700):
        shop.ask(minimum)
    with pytest.raises(ProbeLimitError):
        shop.ask(675)
    last = shop.home.audit.for_subject(shop.subject)[0]
    assert (last.action, last.detail["reason"]) == ("disclosure.denied", "probe_limit")


@pytest.mark.parametrize("minimum", [349, 951, True])
def test_a_threshold_off_the_scale_is_refused(shop: Shop, minimum: int) -> None:
    with pytest.raises(InvalidInputError, match="a threshold is a score from 350 to 950"):
        shop.ask(minimum)


def test_an_invalid_query_is_not_audited(shop: Shop) -> None:
    before = shop.home.audit.count()
    with pytest.raises(InvalidInputError):
        shop.ask(10)
    assert shop.home.audit.count() == before


def test_a_malformed_open_id_is_refused(shop: Shop) -> None:
    with pytest.raises(InvalidInputError, match="open_id"):
        shop.home.disclosures.threshold(shop.acme, "not-an-open-id", 600)


def test_a_revoked_grant_answers_nothing(shop: Shop) -> None:
    shop.home.grants.revoke(shop.subject, 1)
    with pytest.raises(GrantDeniedError, match=r"\(revoked\)"):
        shop.ask(600)


def test_without_a_published_snapshot_the_answer_is_na(home: Home) -> None:
    acme, _ = home.partners.add("acme", ["rental"])
    assert home.disclosures.threshold(acme, grant(home, acme, "threshold"), 600) == "N/A"


def test_without_a_model_the_version_is_unknown(home: Home) -> None:
    acme, _ = home.partners.add("acme", ["rental"])
    subject = home.tokeniser.subject(PERSON)
    publish(home, [{"subject": subject, "score": 700, "band": "excellent"}], model=False)
    answer = home.disclosures.score(acme, grant(home, acme, "score"))
    assert (answer.score, answer.model_version) == (700, None)
