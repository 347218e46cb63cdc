"""A model's fairness audit as a stored document and as a section of its HTML report.

The document (``kind`` ``"credo.fairness"``, ``schema_version`` 1) names the model it audits
by version and artifact SHA-256, so a card never shows the audit of another model::

    {"kind": "credo.fairness", "schema_version": 1, "model_version": "scorecard-0001",
     "model_sha256": "…", "created_at": "2026-11-30T10:00:00+00:00",
     "audits": [FairnessAudit.to_dict(), …]}

The section is rendered from ``templates/fairness.html.j2``, both inside the full report
(:func:`credo.model.report.render_report`) and on its own, to replace the section of a report
already written (:func:`with_fairness_section`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from credo.errors import InvalidInputError
from credo.model.fairness import FOUR_FIFTHS, FairnessAudit, GroupResult

__all__ = [
    "KIND",
    "FairnessReport",
    "fairness_context",
    "group_note",
    "render_fairness_section",
    "with_fairness_section",
]

KIND = "credo.fairness"
_SCHEMA_VERSION = 1
_TEMPLATES = Path(__file__).with_name("templates")
_DASH = "\N{EM DASH}"
_SECTION = re.compile(r'<section id="fairness">.*?</section>\n?', re.DOTALL)


@dataclass(frozen=True)
class FairnessReport:
    """The audits of one model (one per attribute), as stored beside its report."""

    model_version: str
    model_sha256: str
    created_at: str
    audits: tuple[FairnessAudit, ...]

    def to_json(self) -> str:
        """Stable JSON text (sorted keys, indent 2, trailing newline)."""
        doc = {
            "kind": KIND,
            "schema_version": _SCHEMA_VERSION,
            "model_version": self.model_version,
            "model_sha256": self.model_sha256,
            "created_at": self.created_at,
            "audits": [audit.to_dict() for audit in self.audits],
        }
        return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> FairnessReport:
        """Parse :meth:`to_json` text.

        Raises
        ------
        InvalidInputError
            When the text is not a fairness document of this schema version.
        """
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"a fairness audit must be JSON: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("kind") != KIND:
            raise InvalidInputError(f"not a fairness audit document (kind {KIND!r} expected)")
        if doc.get("schema_version") != _SCHEMA_VERSION:
            raise InvalidInputError(
                f"fairness audit schema_version {doc.get('schema_version')!r} is not "
                f"{_SCHEMA_VERSION}"
            )
        return cls(
            model_version=str(doc.get("model_version", "")),
            model_sha256=str(doc.get("model_sha256", "")),
            created_at=str(doc.get("created_at", "")),
            audits=tuple(FairnessAudit.from_dict(a) for a in doc.get("audits", ())),
        )


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else _DASH


def _rate(value: float) -> str:
    return f"{100 * value:.1f} %" if math.isfinite(value) else _DASH


def _interval(group: GroupResult) -> str:
    if not math.isfinite(group.auc):
        return _DASH
    if not math.isfinite(group.auc_se):
        return f"{group.auc:.3f}"
    low, high = group.auc - 1.96 * group.auc_se, group.auc + 1.96 * group.auc_se
    return f"{group.auc:.3f} ({max(low, 0.0):.3f}\N{EN DASH}{min(high, 1.0):.3f})"


def group_note(audit: FairnessAudit, group: GroupResult) -> str:
    """Why a group is not judged, or that it falls below four fifths of the best group."""
    if group.group == "all":
        return ""
    if not group.judged:
        if group.n < audit.min_group:
            return f"fewer than {audit.min_group}: too small to judge"
        return "attribute unknown: not judged"
    notes = []
    if math.isfinite(group.impact_ratio) and group.impact_ratio < FOUR_FIFTHS:
        notes.append("below four fifths of the highest approval rate")
    if 0 < group.outcomes < audit.min_group:
        notes.append(f"fewer than {audit.min_group} outcomes: AUC and calibration not judged")
    return "; ".join(notes)


def _row(audit: FairnessAudit, group: GroupResult) -> dict[str, str]:
    return {
        "group": group.group,
        "n": f"{group.n:,}",
        "na": _rate(group.na_rate),
        "approval": _rate(group.approval_rate),
        "ratio": _number(group.impact_ratio, 2),
        "outcomes": f"{group.outcomes:,}",
        "bad_rate": _rate(group.bad_rate),
        "predicted": _rate(group.mean_p_bad),
        "oe": _number(group.observed_to_expected, 2),
        "z": _number(group.calibration_z, 1),
        "auc": _interval(group),
        "note": group_note(audit, group),
    }


def _bands(group: GroupResult) -> list[dict[str, str]]:
    return [
        {
            "group": group.group,
            "band": row.band,
            "count": f"{row.count:,}",
            "bad_rate": _rate(row.bad_rate),
            "predicted": _rate(row.mean_p_bad),
        }
        for row in group.calibration
        if row.count
    ]


def fairness_context(audits: Sequence[FairnessAudit]) -> list[dict[str, Any]]:
    """The template's view of ``audits``: every figure formatted as text."""
    return [
        {
            "attribute": audit.attribute,
            "threshold": f"{audit.threshold:g}",
            "ratio": _number(audit.adverse_impact_ratio, 2),
            "verdict": audit.verdict,
            "verdict_class": {"pass": "stable", "adverse impact": "shift"}.get(
                audit.verdict, "watch"
            ),
            "auc_range": _number(audit.auc_range, 3),
            "sample": audit.sample,
            "notes": list(audit.notes),
            "min_group": audit.min_group,
            "rows": [_row(audit, g) for g in (*audit.groups, audit.overall)],
            "bands": [row for g in audit.groups for row in _bands(g)],
        }
        for audit in audits
    ]


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_fairness_section(audits: Sequence[FairnessAudit]) -> str:
    """The report's ``<section id="fairness">`` on its own (HTML-escaped)."""
    template = _environment().get_template("fairness.html.j2")
    return template.render(fairness=fairness_context(audits))


def with_fairness_section(html: str, audits: Sequence[FairnessAudit]) -> str:
    """``html`` (a model report) with its fairness section replaced by one of ``audits``;
    a report written before there were fairness sections gets one before its scorecard."""
    section = render_fairness_section(audits).strip() + "\n"
    if _SECTION.search(html):
        return _SECTION.sub(lambda _: section, html, count=1)
    for anchor in ('<section id="scorecard">', "</body>"):
        if anchor in html:
            return html.replace(anchor, section + anchor, 1)
    raise InvalidInputError("not a model report: it has no scorecard section and no </body>")
