"""The people a fairness audit looks at: held-out rows found again, attributes kept apart,
groups from numbers and from resident identity numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from credo.errors import InvalidInputError
from credo.model.evaluation import DEFAULT_BANDS
from credo.training.audit import (
    AttributeSpec,
    AuditSample,
    audit_sample,
    check_kept_apart,
    held_out_mask,
    national_id_attributes,
    people_attributes,
    table_sample,
)
from credo.training.fit import FittedModel, fit_and_evaluate

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def applicants(n: int = 600, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    debt = rng.gamma(2.0, 1.0, size=n).round(2)
    bad = (rng.random(n) < 1 / (1 + np.exp(-(debt - 2.5)))).astype(np.int64)
    return pd.DataFrame({"debt": debt, "sex": rng.choice(["f", "m"], size=n)}), bad


def fit(frame: pd.DataFrame, bad: np.ndarray) -> FittedModel:
    return fit_and_evaluate(
        frame[["debt"]], bad, bands=DEFAULT_BANDS, created_at=NOW, challenger=False
    )


def test_the_held_out_rows_are_found_again_and_only_for_the_same_data() -> None:
    frame, bad = applicants()
    fitted = fit(frame, bad)
    fingerprint = fitted.artifact["training"]["fingerprint"]
    mask = held_out_mask(frame[["debt"]], bad, fingerprint)
    assert mask is not None
    assert int(mask.sum()) == len(np.asarray(fitted.test.y)) == 180
    changed = frame[["debt"]].assign(debt=frame["debt"] + 0.01)
    assert held_out_mask(changed, bad, fingerprint) is None
    assert held_out_mask(frame[["debt"]], bad, None) is None


def test_a_table_sample_scores_everyone_and_evaluates_the_held_out() -> None:
    frame, bad = applicants()
    fitted = fit(frame, bad)
    sample = table_sample(frame, bad, fitted.artifact, ["sex"])
    assert len(sample.scores) == 600
    assert int(np.isfinite(sample.y).sum()) == 180
    assert sorted(sample.p_bad[np.isfinite(sample.y)]) == pytest.approx(
        sorted(np.asarray(fitted.test.p_bad))
    )
    assert "180 held out" in sample.description


def test_an_input_of_the_model_is_not_kept_apart() -> None:
    with pytest.raises(InvalidInputError, match="sex: an input of the model"):
        check_kept_apart({"input_features": ["debt", "sex"]}, ["sex", "age"])
    check_kept_apart({"input_features": ["debt"]}, ["sex"])


def test_few_numbers_are_groups_in_numeric_order() -> None:
    sample = AuditSample(
        scores=np.array([700.0, 500, 650, 600]),
        p_bad=np.full(4, 0.1),
        y=np.full(4, np.nan),
        attributes=pd.DataFrame({"children": [10, 2, 1, None]}),
        description="four",
    )
    (audit,) = audit_sample(sample, [AttributeSpec("children")], threshold=600,
                            bands=DEFAULT_BANDS, min_group=1)  # fmt: skip
    assert [g.group for g in audit.groups] == ["1", "2", "10", "(unknown)"]
    with pytest.raises(InvalidInputError, match="no attribute 'sex'; there are: children"):
        audit_sample(sample, [AttributeSpec("sex")], threshold=600, bands=DEFAULT_BANDS,
                     min_group=1)  # fmt: skip


def test_age_and_sex_from_resident_identity_numbers() -> None:
    at = datetime(2026, 3, 7, tzinfo=UTC)
    found = national_id_attributes(
        ["110101199003074211", "110101199003084220", "11010119900307421", "110101199013074211"],
        at,
    )
    assert found["age"].tolist()[:2] == [36, 35]  # the birthday on 7 March, not yet on the 8th
    assert found["sex"].tolist()[:2] == ["male", "female"]
    assert found["age"].isna().tolist()[2:] == [True, True]  # too short; no 13th month


def test_an_attribute_with_a_value_per_person_is_refused() -> None:
    sample = AuditSample(
        scores=np.full(60, 600.0),
        p_bad=np.full(60, 0.1),
        y=np.full(60, np.nan),
        attributes=pd.DataFrame({"name": [f"person {i}" for i in range(60)]}),
        description="sixty",
    )
    with pytest.raises(InvalidInputError, match="name has 60 distinct values"):
        audit_sample(sample, [AttributeSpec("name")], threshold=600, bands=DEFAULT_BANDS,
                     min_group=1)  # fmt: skip


def test_people_are_keyed_by_token_once_each() -> None:
    frame = pd.DataFrame(
        {
            "id": ["110101199003074211", "110101199003074211", None, "A2"],
            "group": ["x", "x", "y", "z"],
        }
    )
    people = people_attributes(frame, key="id", names=["group", "sex"], tokenise=str.lower,
                               national_id_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    assert people.index.tolist() == ["110101199003074211", "a2"]  # the same person once
    assert people["sex"].tolist()[0] == "male"
    clash = frame.assign(group=["x", "w", "y", "z"])
    with pytest.raises(InvalidInputError, match="different attribute values in data rows 1, 2"):
        people_attributes(clash, key="id", names=["group"], tokenise=str.lower)
    with pytest.raises(InvalidInputError, match="no identifier column 'identifier'"):
        people_attributes(frame, key="identifier", names=["group"], tokenise=str.lower)
