"""The HTML model report: complete, self-contained, escaped and well-formed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from credo.errors import InvalidInputError
from credo.model.evaluation import auc, ks
from credo.model.report import (
    SCORECARD_COLUMNS,
    ChallengerInput,
    EvaluationInput,
    ReportData,
    TrainingSummary,
    render_report,
)
from credo.model.stability import PsiRow, psi, stability_verdict

SECTIONS = (
    "Summary metrics",
    "ROC curve",
    "KS plot",
    "Score distribution by outcome",
    "Calibration by score band",
    "Score bands",
    "Stability",
    "Dimension weights",
    "Scorecard",
)
MALICIOUS = "<script>alert(1)</script>"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr"}


def sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcomes, P(bad) and scores (points to double the odds 50, 600 at odds 1:10)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(latent * 1.5 - 1.5)))).astype(int)
    p_bad = 1 / (1 + np.exp(-(latent - 1.4)))
    scores = np.clip(np.round(600 - 50 * np.log2(p_bad / (1 - p_bad) / 0.1)), 350, 950)
    return y, p_bad, scores


def scorecard_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    layout = {"history": ["months_since_delinquency", MALICIOUS], "capacity": ["avg_balance"]}
    for dimension, characteristics in layout.items():
        for characteristic in characteristics:
            for i, label in enumerate(["(-inf, 3)", "[3, 12)", "[12, inf)", "Missing"]):
                rows.append(
                    {
                        "dimension": dimension,
                        "characteristic": characteristic,
                        "bin": label,
                        "count": 250 - 10 * i,
                        "count_share": 0.25,
                        "bad_count": 10 * i,
                        "bad_rate": 0.04 * i,
                        "woe": 0.6 - 0.4 * i,
                        "iv": 0.0125,
                        "points": 21.5 - 7 * i,
                    }
                )
    return rows


@pytest.fixture(scope="module")
def report_data() -> ReportData:
    train, test = sample(3_000, 1), sample(1_000, 2)
    challenger = np.clip(test[1] + np.random.default_rng(0).normal(0, 0.05, 1_000), 0.001, 0.999)
    score_psi = psi(train[2], test[2])
    return ReportData(
        title="credo scorecard 2026-11",
        model_version="2026.11.0",
        created_at="2026-11-29T12:00:00+00:00",
        training=TrainingSummary(3_000, float(train[0].mean()), "as of 2025-01 to 2025-12"),
        train=EvaluationInput("training", *train),
        test=EvaluationInput("test 2026-10", *test),
        scorecard_table=scorecard_rows(),
        dimension_weights={"history": 0.62, "capacity": 0.38},
        psi_rows=[
            PsiRow("score", score_psi, stability_verdict(score_psi)),
            PsiRow("avg_balance", 0.17, "watch"),
            PsiRow(MALICIOUS, 0.4, "shift"),
        ],
        challenger=ChallengerInput("test 2026-10", test[0], challenger),
    )


@pytest.fixture(scope="module")
def html(report_data: ReportData) -> str:
    return render_report(report_data)


class BalanceChecker(HTMLParser):
    """Tracks open elements; records every close that does not match the innermost open."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def test_every_section_has_its_heading(html: str) -> None:
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert headings == list(SECTIONS)


def test_summary_shows_the_metrics_as_formatted(html: str, report_data: ReportData) -> None:
    for sample_ in (report_data.train, report_data.test):
        assert sample_ is not None
        assert f'<td class="num">{auc(sample_.y, sample_.p_bad):.3f}</td>' in html
        assert f'<td class="num">{ks(sample_.y, sample_.p_bad):.3f}</td>' in html
    challenger = report_data.challenger
    assert challenger is not None
    assert f'<td class="num">{auc(challenger.y, challenger.p_bad):.3f}</td>' in html
    assert "Challenger (LightGBM)" in html
    assert "2026.11.0" in html


def test_each_chart_is_an_accessible_valid_svg(html: str) -> None:
    charts = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)
    assert len(charts) == 4
    for chart in charts:
        root = ET.fromstring(chart)
        title = root.find("title")
        assert title is not None
        assert title.text
        assert len([t for t in root.iter("text") if t.text]) >= 2  # axis labels at least


def test_page_references_nothing_outside_itself(html: str) -> None:
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html
    assert not re.search(r"\b(src|href)\s*=", html)
    assert "<link" not in html


def test_characteristic_names_are_escaped(html: str) -> None:
    assert MALICIOUS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_document_is_balanced(html: str) -> None:
    checker = BalanceChecker()
    checker.feed(html)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []


def test_scorecard_is_grouped_by_dimension_with_points(html: str) -> None:
    scorecard = html[html.index("<h2>Scorecard</h2>") :]
    assert scorecard.index("<h3>history</h3>") < scorecard.index("<h3>capacity</h3>")
    assert "months_since_delinquency &middot; IV 0.050" in scorecard
    assert '<td class="num">21.5</td>' in scorecard
    assert '<td class="num">-0.600</td>' in scorecard


def test_stability_verdicts_are_coloured_and_worded(html: str) -> None:
    assert '<td class="verdict-watch">watch</td>' in html
    assert '<td class="verdict-shift">shift</td>' in html


def test_scorecard_table_may_be_a_dataframe(report_data: ReportData) -> None:
    frame = pd.DataFrame(scorecard_rows())
    data = ReportData(
        title="t",
        model_version="v",
        created_at="c",
        training=report_data.training,
        train=report_data.train,
        scorecard_table=frame,
    )
    html = render_report(data)
    assert "avg_balance &middot; IV 0.050" in html
    assert "No stability sample was supplied." in html


def test_report_without_test_sample_or_challenger(report_data: ReportData) -> None:
    data = ReportData(
        title="train only",
        model_version="v",
        created_at="c",
        training=report_data.training,
        train=report_data.train,
        scorecard_table=scorecard_rows(),
    )
    html = render_report(data)
    assert "Challenger" not in html
    assert len(re.findall(r"<svg\b", html)) == 4


def test_scorecard_rows_must_have_every_column(report_data: ReportData) -> None:
    rows = scorecard_rows()
    del rows[3]["woe"]
    data = ReportData(
        title="t",
        model_version="v",
        created_at="c",
        training=report_data.training,
        train=report_data.train,
        scorecard_table=rows,
    )
    with pytest.raises(InvalidInputError, match=r"row 3 lacks the keys \['woe'\]"):
        render_report(data)
    assert "woe" in SCORECARD_COLUMNS


def test_scores_on_an_unusual_scale_still_chart(report_data: ReportData) -> None:
    y, p_bad, _ = sample(500, 4)
    wide = EvaluationInput("wide", y, p_bad, 1e5 * (1 - p_bad))
    narrow = EvaluationInput("constant", y, p_bad, np.full(500, 600.0))
    for train in (wide, narrow):
        data = ReportData(
            title="t",
            model_version="v",
            created_at="c",
            training=report_data.training,
            train=train,
            scorecard_table=scorecard_rows(),
        )
        html = render_report(data)
        assert len(re.findall(r"<svg\b", html)) == 4
        assert "nan" not in "".join(re.findall(r'\b[dxy]="[^"]*"', html)).lower()
