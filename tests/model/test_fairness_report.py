"""The stored fairness audit and the fairness section of the HTML model report."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pytest

from credo.errors import InvalidInputError
from credo.model.fairness import FairnessAudit, audit_attribute
from credo.model.fairness_report import (
    FairnessReport,
    render_fairness_section,
    with_fairness_section,
)
from credo.model.report import EvaluationInput, ReportData, TrainingSummary, render_report

MALICIOUS = "<script>alert(1)</script>"


def audits() -> tuple[FairnessAudit, ...]:
    rng = np.random.default_rng(5)
    n = 400
    groups = rng.choice(["young", "old", MALICIOUS], size=n, p=[0.45, 0.45, 0.1])
    scores = np.round(rng.normal(600, 50, size=n)) - 30 * (groups == "young")
    p_bad = 1 / (1 + np.exp((scores - 520) / 40))
    y = (rng.random(n) < p_bad).astype(int)
    return (
        audit_attribute("age group", groups, scores, threshold=600, y=y, p_bad=p_bad,
                        order=["young", "old"], sample="400 people"),
        audit_attribute("empty", groups, scores, threshold=600),
    )  # fmt: skip


def report_data() -> ReportData:
    rng = np.random.default_rng(2)
    y = np.r_[np.zeros(50, int), np.ones(50, int)]
    p_bad = np.clip(0.3 + 0.3 * y + rng.normal(0, 0.1, 100), 0.01, 0.99)
    table = [{"dimension": "all", "characteristic": "x", "bin": "[0, 1)", "count": 100,
              "count_share": 1.0, "bad_count": 50, "bad_rate": 0.5, "woe": 0.0, "iv": 0.0,
              "points": 50.0}]  # fmt: skip
    return ReportData(
        title="t",
        model_version="v",
        created_at="now",
        training=TrainingSummary(100, 0.5, "test"),
        train=EvaluationInput("training", y, p_bad, np.round(600 - 200 * p_bad)),
        scorecard_table=table,
    )


class Balance(HTMLParser):
    void = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.void:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.errors += 1


def test_the_document_round_trips() -> None:
    stored = FairnessReport("scorecard-0001", "ab" * 32, "2026-11-30T10:00:00+00:00", audits())
    again = FairnessReport.from_json(stored.to_json())
    assert again.to_json() == stored.to_json()
    assert again.audits[0].groups[0].group == "young"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[", "must be JSON"),
        ('{"kind": "credo.scorecard"}', "not a fairness audit document"),
        ('{"kind": "credo.fairness", "schema_version": 9}', "schema_version 9 is not 1"),
    ],
)
def test_other_documents_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        FairnessReport.from_json(text)


def test_the_section_shows_every_group_escaped() -> None:
    section = render_fairness_section(audits())
    assert section.count('<section id="fairness">') == 1
    assert MALICIOUS not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert re.findall(r'<th scope="row">(young|old|all)</th>', section)[:3] == [
        "young",
        "old",
        "all",
    ]
    checker = Balance()
    checker.feed(section)
    assert (checker.errors, checker.stack) == (0, [])


def test_the_verdict_and_ratio_are_as_computed() -> None:
    audit = audits()[0]
    section = render_fairness_section([audit])
    assert f"adverse impact ratio {audit.adverse_impact_ratio:.2f}" in section
    colour = {"pass": "stable", "adverse impact": "shift"}[audit.verdict]
    assert f'<span class="verdict-{colour}">{audit.verdict}</span>' in section
    young = audit.groups[0]
    assert f"{100 * young.approval_rate:.1f} %" in section


def test_a_report_without_audits_has_no_section_and_gets_one_before_its_scorecard() -> None:
    html = render_report(report_data())
    assert 'id="fairness"' not in html
    added = with_fairness_section(html, audits())
    assert added.index('id="fairness"') < added.index('id="scorecard"')
    again = with_fairness_section(added, audits()[:1])
    assert again.count('<section id="fairness">') == 1
    assert "empty:" not in again  # the second audit was replaced, not kept
    checker = Balance()
    checker.feed(again)
    assert checker.errors == 0


def test_a_report_rendered_with_audits_has_the_section() -> None:
    html = render_report(replace(report_data(), fairness=audits()))
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert headings[-2:] == ["Fairness", "Scorecard"]


def test_something_else_than_a_report_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="not a model report"):
        with_fairness_section("<p>hello</p>", audits())
