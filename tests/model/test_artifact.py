"""The scorecard artifact: golden document, exact round trip, tamper detection, reference scorer.

Regenerate the golden document after an intended change to the model or the format with::

    CREDO_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/model/test_artifact.py -k golden

then review the diff of ``tests/model/golden/scorecard_v1.json`` like code.
"""

from __future__ import annotations

import ast
import bisect
import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

import credo.model
from credo.errors import InvalidInputError, ModelError
from credo.model import Scorecard, dumps, from_artifact, loads, to_artifact, training_fingerprint

GOLDEN = Path(__file__).parent / "golden" / "scorecard_v1.json"
CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
EXACT_KEYS = {"splits", "categories", "special_codes", "label", "unseen_bin", "count", "bad_count"}
Data = tuple[pd.DataFrame, pd.Series]


def golden_document(sc: Scorecard, frame: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    """The artifact of ``sc`` refitted on the synthetic data plus a column outside every
    dimension (so the document records an exclusion)."""
    frame = frame.assign(customer_id=np.arange(len(frame)))
    sc = clone(sc).fit(frame, y)
    auc = roc_auc_score(y, sc.predict_proba(frame)[:, 1])
    return to_artifact(
        sc,
        metrics={"auc_train": auc},
        training_fingerprint=training_fingerprint(frame, y),
        created_at=CREATED,
    )


def compare(actual: Any, expected: Any, path: str = "$") -> None:
    """Field by field: structure, text, integers and splits exactly; floats to 1e-9."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        assert sorted(actual) == sorted(expected), f"{path}: keys {sorted(actual)}"
        for key in expected:
            compare(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), path
        assert len(actual) == len(expected), f"{path}: {len(actual)} != {len(expected)} items"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            compare(a, e, f"{path}[{i}]")
    elif (
        isinstance(expected, float)
        and path.rsplit(".", 1)[-1].split("[", maxsplit=1)[0] not in EXACT_KEYS
    ):
        assert isinstance(actual, int | float), path
        assert not isinstance(actual, bool), path
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12), (
            f"{path}: {actual!r} != {expected!r}"
        )
    else:
        assert type(actual) is type(expected), f"{path}: {type(actual)} != {type(expected)}"
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def test_artifact_matches_the_golden_document(dimensional: Scorecard, credit: Data) -> None:
    doc = golden_document(dimensional, *credit)
    if os.environ.get("CREDO_REGENERATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(dumps(doc), encoding="utf-8")
        pytest.skip(f"regenerated {GOLDEN}; review its diff before committing")
    expected = loads(GOLDEN.read_text(encoding="utf-8"))
    compare(
        {k: v for k, v in doc.items() if k != "sha256"},
        {k: v for k, v in expected.items() if k != "sha256"},
    )


def test_golden_document_lists_what_a_scoring_engine_needs() -> None:
    doc = loads(GOLDEN.read_text(encoding="utf-8"))
    assert doc["schema_version"] == 1
    assert doc["kind"] == "credo.scorecard"
    kinds = {f["kind"] for f in doc["features"]}
    assert kinds == {"numerical", "categorical"}
    for f in doc["features"]:
        assert [b["label"] for b in f["bins"]][-2:] == ["Special", "Missing"]
        if f["kind"] == "numerical":
            assert f["closed"] == "left"
            assert f["splits"] == sorted(f["splits"])
        else:
            assert 0 <= f["unseen_bin"] < len(f["categories"])
    assert set(doc["dimensions"]) == {"behaviour", "capacity", "stability"}
    assert doc["excluded"] == {"customer_id": "no dimension"}
    assert all(
        d["weight"] >= 0 and d["points_max"] > d["points_min"] for d in doc["dimensions"].values()
    )


# ------------------------------------------------------------------- round trip


def test_round_trip_scores_identically(dimensional: Scorecard, credit: Data) -> None:
    frame, _ = credit
    doc = to_artifact(dimensional, created_at=CREATED)
    restored = from_artifact(loads(dumps(doc)))
    assert np.array_equal(restored.score(frame), dimensional.score(frame))
    assert np.array_equal(restored.predict_proba(frame), dimensional.predict_proba(frame))
    pd.testing.assert_frame_equal(
        restored.dimension_scores(frame), dimensional.dimension_scores(frame)
    )
    pd.testing.assert_frame_equal(restored.points_table(), dimensional.points_table())
    assert restored.reasons(frame.head(30)) == dimensional.reasons(frame.head(30))
    head = frame.head(30)
    assert restored.improvements(head, 650.0) == dimensional.improvements(head, 650.0)
    assert to_artifact(restored, created_at=CREATED) == doc


def test_round_trip_of_a_model_fitted_on_arrays(credit: Data) -> None:
    frame, y = credit
    numeric = frame[["income", "utilisation", "age"]].to_numpy()
    sc = Scorecard(special_codes=[-1.0]).fit(numeric, y)
    restored = from_artifact(loads(dumps(to_artifact(sc))))
    assert not hasattr(restored, "feature_names_in_")
    assert np.array_equal(restored.score(numeric), sc.score(numeric))


def test_dumps_is_stable_text(scorecard: Scorecard) -> None:
    text = dumps(to_artifact(scorecard))
    assert dumps(loads(text)) == text
    assert text.endswith("}\n")
    top = [line.split('"')[1] for line in text.splitlines() if line.startswith('  "')]
    assert top == sorted(top)


def test_document_is_plain_json(scorecard: Scorecard) -> None:
    doc = to_artifact(scorecard)
    assert json.loads(json.dumps(doc)) == doc


# ---------------------------------------------------------------------- tamper


def test_changed_points_are_detected(scorecard: Scorecard) -> None:
    doc = to_artifact(scorecard)
    doc["features"][0]["bins"][0]["points"] += 1.0
    with pytest.raises(ModelError, match="sha256 mismatch"):
        loads(dumps(doc))
    with pytest.raises(ModelError, match="sha256 mismatch"):
        from_artifact(doc)


def test_missing_digest_is_refused(scorecard: Scorecard) -> None:
    doc = to_artifact(scorecard)
    del doc["sha256"]
    with pytest.raises(ModelError, match="no sha256"):
        loads(dumps(doc))


def test_other_kind_or_version_is_refused(scorecard: Scorecard) -> None:
    for field, value in (("kind", "credo.other"), ("schema_version", 2)):
        doc = {**to_artifact(scorecard), field: value}
        with pytest.raises(ModelError, match="expected kind"):
            from_artifact(doc)


def test_malformed_document_with_a_valid_digest_is_refused(scorecard: Scorecard) -> None:
    doc = to_artifact(scorecard)
    del doc["features"][0]["bins"]
    body = json.dumps({k: v for k, v in doc.items() if k != "sha256"}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)  # fmt: skip
    doc["sha256"] = __import__("hashlib").sha256(body.encode()).hexdigest()
    with pytest.raises(ModelError, match="malformed"):
        from_artifact(doc)


def test_garbage_text_is_refused() -> None:
    with pytest.raises(ModelError, match="not JSON"):
        loads("{not json")
    with pytest.raises(ModelError, match="JSON object"):
        loads("[1, 2]")


def test_unfitted_and_bad_arguments_are_refused(scorecard: Scorecard) -> None:
    with pytest.raises(ModelError, match="not fitted"):
        to_artifact(Scorecard())
    with pytest.raises(InvalidInputError, match="created_at"):
        to_artifact(scorecard, created_at=datetime(2026, 1, 1))  # naive on purpose
    with pytest.raises(InvalidInputError, match="finite JSON"):
        to_artifact(scorecard, metrics={"auc": math.nan})


# ----------------------------------------------------- the documented scoring rule


def score_from_document(doc: dict[str, Any], row: dict[str, Any]) -> tuple[float, dict[str, float]]:
    """Brute-force reference of artifact.py's scoring rule: one row, plain Python."""
    total, by_dimension = 0.0, dict.fromkeys(doc["dimensions"], 0.0)
    for f in doc["features"]:
        value = row[f["name"]]
        regular = len(f["bins"]) - 2
        if value is None or (isinstance(value, float) and math.isnan(value)):
            k = regular + 1
        elif f["kind"] == "numerical":
            x = float(value)
            k = regular if x in f["special_codes"] else bisect.bisect_right(f["splits"], x)
        else:
            k = next((i for i, g in enumerate(f["categories"]) if str(value) in g), f["unseen_bin"])
        total += f["bins"][k]["points"]
        by_dimension[f["dimension"]] += f["bins"][k]["points"]
    s = doc["scaling"]
    dims = {
        d: min(
            max(
                100 * (by_dimension[d] - v["points_min"]) / (v["points_max"] - v["points_min"]), 0.0
            ),
            100.0,
        )
        for d, v in doc["dimensions"].items()
    }
    return min(max(total, s["score_min"]), s["score_max"]), dims


def test_documented_scoring_rule_reproduces_the_scorecard(
    dimensional: Scorecard, credit: Data
) -> None:
    frame = credit[0].head(300).copy()
    frame.loc[frame.index[:3], "region"] = ["atlantis", None, "north"]
    frame.loc[frame.index[3:6], "utilisation"] = [
        -1.0,
        math.inf,
        dimensional.binnings_["utilisation"].splits[0],
    ]
    doc = loads(dumps(to_artifact(dimensional)))
    expected = [score_from_document(doc, row) for row in frame.to_dict("records")]
    np.testing.assert_allclose(dimensional.score(frame), [e[0] for e in expected], rtol=1e-12)
    reference = pd.DataFrame([e[1] for e in expected], index=frame.index)
    pd.testing.assert_frame_equal(dimensional.dimension_scores(frame), reference, rtol=1e-9)


# ------------------------------------------------------------------- fingerprint


def test_training_fingerprint_is_stable_and_sensitive(credit: Data) -> None:
    frame, y = credit
    first = training_fingerprint(frame, y)
    assert first == training_fingerprint(frame.copy(), y.copy())
    assert len(first) == 64
    changed = frame.copy()
    changed.iloc[0, 0] = changed.iloc[0, 0] + 1e-9
    assert training_fingerprint(changed, y) != first
    assert training_fingerprint(frame, 1 - y) != first
    assert training_fingerprint(frame.iloc[::-1], y.iloc[::-1]) != first


def test_model_code_never_pickles() -> None:
    banned = {"pickle", "joblib", "dill", "cloudpickle", "shelve", "marshal"}
    for path in Path(credo.model.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            assert not {n.split(".")[0] for n in names} & banned, f"{path.name} imports {names}"
