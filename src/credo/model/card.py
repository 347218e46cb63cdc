"""The model card: what a scorecard is for, what it was trained on and how well it works, in
Markdown a person can read and a repository can diff.

Every figure comes from the model's artifact (:mod:`credo.model.artifact`: hyper-parameters,
scaling, bins, dimension weights, metrics, stability) and, when one has been run, from its
fairness audit (:mod:`credo.model.fairness_report`), which must be of the same artifact
(same SHA-256). Sections, in order: intended use, data, characteristics and dimensions,
performance, stability, fairness, limitations, contact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from credo.errors import InvalidInputError
from credo.model.fairness_report import FairnessReport, group_note
from credo.model.stability import stability_verdict

__all__ = ["DEFAULT_CONTACT", "SECTIONS", "CardInput", "render_card"]

DEFAULT_CONTACT = (
    "The operator of this credo installation (its data-protection or model-risk contact). "
    "A person who disagrees with a score can see its reasons and dispute any record behind "
    "it from their own page (`credo rights`, `/v1/me`)."
)
SECTIONS = (
    "Intended use",
    "Data",
    "Characteristics and dimensions",
    "Performance",
    "Stability",
    "Fairness",
    "Limitations",
    "Contact",
)
_DASH = "\N{EM DASH}"


@dataclass(frozen=True)
class CardInput:
    """What a card is made of: the artifact ``doc`` and what the registry knows of it."""

    doc: Mapping[str, Any]
    version: str
    origin: str = ""
    registered_at: str = ""
    trained_as_of: str = ""
    active: bool | None = None
    fairness: FairnessReport | None = None
    contact: str = DEFAULT_CONTACT


def _num(value: object, digits: int = 3) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _DASH
    return f"{number:.{digits}f}" if math.isfinite(number) else _DASH


def _pct(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _DASH
    return f"{100 * number:.1f}%" if math.isfinite(number) else _DASH


def _table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [line(headings), line(["---"] * len(headings)), *(line(r) for r in rows), ""]


def _intended_use(card: CardInput) -> list[str]:
    s = card.doc["scaling"]
    return [
        "Ranks people by their odds of staying good (no default, collection or serious "
        "delinquency) over the outcome window the model was trained for. A score from "
        f"{s['score_min']:g} to {s['score_max']:g}: {s['base_score']:g} points mean good:bad "
        f"odds of {s['base_odds']:g}:1 and every {s['pdo']:g} points double them.",
        "",
        "For: threshold decisions (a yes/no by default) by lenders and partners whom the "
        "person has authorised, loyalty privileges, and explaining to each person what "
        "lowers their score and what would raise it.",
        "",
        "Not for: people below the minimum scoring criteria (they get N/A, not a guess); "
        "decisions on employment, housing allocation, insurance pricing or law enforcement; "
        "populations, products or periods unlike the training data without re-validation.",
        "",
    ]


def _data(card: CardInput) -> list[str]:
    training = card.doc.get("training", {})
    test = card.doc.get("metrics", {}).get("test", {})
    rows = [
        ["trained on", card.origin or _DASH],
        ["characteristics as of", card.trained_as_of or _DASH],
        ["training rows", f"{int(training.get('rows', 0)):,}"],
        ["training bad rate", _pct(training.get("bad_rate"))],
        ["held-out rows", f"{int(test.get('n', 0)):,}" if test else _DASH],
        ["held-out bad rate", _pct(test.get("bad_rate")) if test else _DASH],
        ["training data fingerprint (SHA-256)", f"`{training.get('fingerprint') or _DASH}`"],
    ]
    return _table(["", ""], rows)


def _characteristics(doc: Mapping[str, Any]) -> list[str]:
    features = doc.get("features", [])
    dimensions = doc.get("dimensions", {})
    lines = [
        f"{len(features)} characteristics in {len(dimensions)} dimension(s); the score is the "
        "sum of each characteristic's points for the bin a person falls in.",
        "",
    ]
    used: dict[str, list[Mapping[str, Any]]] = {}
    for feature in features:
        used.setdefault(str(feature["dimension"]), []).append(feature)
    lines += _table(
        ["dimension", "weight", "characteristics", "information value"],
        [
            [d, _num(v.get("weight")), str(len(used.get(d, []))),
             _num(sum(float(f["iv"]) for f in used.get(d, [])))]
            for d, v in dimensions.items()
        ],
    )  # fmt: skip
    lines += _table(
        ["characteristic", "dimension", "bins", "IV", "coefficient", "points", "trend"],
        [
            [
                str(f["name"]),
                str(f["dimension"]),
                str(len(f["bins"])),
                _num(f["iv"]),
                _num(f["coefficient"]),
                f"{_num(f['points_min'], 1)} to {_num(f['points_max'], 1)}",
                str(f.get("monotonic_trend") or _DASH),
            ]
            for f in features
        ],
    )
    excluded = doc.get("excluded", {})
    if excluded:
        lines.append(f"Considered but left out ({len(excluded)}):")
        lines.append("")
        lines += [f"- `{name}`: {reason}" for name, reason in sorted(excluded.items())]
        lines.append("")
    return lines


def _performance(doc: Mapping[str, Any]) -> list[str]:
    metrics = doc.get("metrics", {})
    samples = [(label, metrics[key]) for key, label in (("train", "training"),
               ("test", "held out")) if key in metrics]  # fmt: skip
    if not samples:
        return ["No evaluation was recorded in the artifact.", ""]
    lines = _table(
        ["sample", "rows", "bad rate", "AUC", "KS", "Gini", "Brier"],
        [
            [label, f"{int(m['n']):,}", _pct(m["bad_rate"]), _num(m["auc"]), _num(m["ks"]),
             _num(m["gini"]), _num(m["brier"], 4)]
            for label, m in samples
        ],
    )  # fmt: skip
    challenger = metrics.get("challenger")
    if challenger:
        lines += [
            f"A monotone LightGBM challenger on the same split: AUC {_num(challenger['auc'])}, "
            f"KS {_num(challenger['ks'])}.",
            "",
        ]
    label, last = samples[-1]
    calibration = [row for row in last.get("calibration", []) if row.get("count")]
    if calibration:
        lines += [f"Calibration by score band ({label}):", ""]
        lines += _table(
            ["band", "scores", "rows", "observed bad rate", "predicted bad rate"],
            [
                [str(r["band"]), f"{r['low']}-{r['high']}", f"{int(r['count']):,}",
                 _pct(r["bad_rate"]), _pct(r["mean_p_bad"])]
                for r in calibration
            ],
        )  # fmt: skip
    return lines


def _stability(doc: Mapping[str, Any]) -> list[str]:
    psi = doc.get("metrics", {}).get("psi", {})
    if not psi:
        return ["No stability sample was recorded.", ""]
    return [
        "Population stability index between the training sample and a later one (below 0.10 "
        "stable, 0.10-0.25 watch, above 0.25 shift):",
        "",
        *_table(
            ["characteristic", "PSI", "verdict"],
            [[name, _num(value), stability_verdict(float(value))] for name, value in psi.items()],
        ),
    ]


def _fairness(report: FairnessReport | None) -> list[str]:
    if report is None or not report.audits:
        return [
            "No fairness audit has been run for this model. `credo model fairness --attribute "
            "NAME` audits attributes the model never uses (age, sex, …): approval rate per "
            "group at a threshold and the four-fifths rule, AUC and calibration per group.",
            "",
        ]
    lines = [f"Audited {report.created_at or _DASH}.", ""]
    for audit in report.audits:
        lines += [
            f"### {audit.attribute}: {audit.verdict}",
            "",
            f"Approval at score >= {audit.threshold:g}; adverse impact ratio "
            f"{_num(audit.adverse_impact_ratio, 2)} (four-fifths rule: at least 0.80); AUC "
            f"range between judged groups {_num(audit.auc_range)}. Sample: {audit.sample}.",
            "",
            *[f"- {note}" for note in audit.notes],
            *([""] if audit.notes else []),
        ]
        lines += _table(
            ["group", "people", "approved", "ratio", "bad rate", "predicted", "AUC", "note"],
            [
                [g.group, f"{g.n:,}", _pct(g.approval_rate), _num(g.impact_ratio, 2),
                 _pct(g.bad_rate), _pct(g.mean_p_bad), _num(g.auc), group_note(audit, g)]
                for g in (*audit.groups, audit.overall)
            ],
        )  # fmt: skip
    return lines


def _limitations(card: CardInput) -> list[str]:
    doc = card.doc
    s = doc["scaling"]
    items = [
        f"Scores are clipped to {s['score_min']:g}-{s['score_max']:g}; the predicted "
        "probability of bad comes from the unclipped points.",
        "Every characteristic's bins are monotone and every coefficient has the expected sign, "
        "so that the score can be explained and never rewards risk; this costs a little "
        "discrimination against an unconstrained model (see the challenger).",
        "Protected attributes are never characteristics, but characteristics can be "
        "correlated with them; the fairness audit measures the outcome per group, not why.",
    ]
    test = doc.get("metrics", {}).get("test")
    if test:
        items.append(
            f"The held-out figures rest on {int(test['n']):,} rows ({int(test['bads']):,} "
            "bads); small differences in AUC between models or groups may be noise."
        )
    psi = doc.get("metrics", {}).get("psi", {})
    moved = [n for n, v in psi.items() if stability_verdict(float(v)) != "stable"]
    if moved:
        items.append("Populations have moved for: " + ", ".join(moved) + " (PSI of 0.10 or more).")
    if card.fairness is not None and card.fairness.audits:
        items.append(
            "Approval rates and their ratios hold at the audited threshold only; another "
            "cut-off gives other ratios."
        )
        for audit in card.fairness.audits:
            if audit.verdict == "adverse impact":
                low = min(audit.judged, key=lambda g: g.approval_rate)
                items.append(
                    f"Adverse impact by {audit.attribute}: group {low.group} is approved at "
                    f"{_pct(low.approval_rate)}, {_num(audit.adverse_impact_ratio, 2)} of the "
                    "highest group's rate."
                )
            for group in audit.judged_outcomes:
                if math.isfinite(group.calibration_z) and abs(group.calibration_z) > 2:
                    way = "underestimated" if group.calibration_z > 0 else "overestimated"
                    items.append(
                        f"Risk is {way} for {audit.attribute} = {group.group}: observed bad "
                        f"rate {_pct(group.bad_rate)} against {_pct(group.mean_p_bad)} "
                        f"predicted (z = {group.calibration_z:.1f})."
                    )
    return [*(f"- {item}" for item in items), ""]


def render_card(card: CardInput) -> str:
    """The model card as Markdown.

    Raises
    ------
    InvalidInputError
        When the fairness audit is of another artifact than ``card.doc``.
    """
    doc = card.doc
    sha = str(doc.get("sha256", ""))
    if card.fairness is not None and card.fairness.model_sha256 not in ("", sha):
        raise InvalidInputError(
            f"the fairness audit is of model {card.fairness.model_version!r} (sha256 "
            f"{card.fairness.model_sha256[:12]}…), not of {card.version} (sha256 {sha[:12]}…)"
        )
    state = "" if card.active is None else (" · active" if card.active else " · inactive")
    body: dict[str, list[str]] = {
        "Intended use": _intended_use(card),
        "Data": _data(card),
        "Characteristics and dimensions": _characteristics(doc),
        "Performance": _performance(doc),
        "Stability": _stability(doc),
        "Fairness": _fairness(card.fairness),
        "Limitations": _limitations(card),
        "Contact": [card.contact, ""],
    }
    lines = [
        f"# Model card: {card.version}",
        "",
        f"credo scorecard · created {doc.get('created_at', _DASH)}"
        + (f" · registered {card.registered_at}" if card.registered_at else "")
        + state,
        "",
        f"Artifact SHA-256 `{sha}`",
        "",
    ]
    for title in SECTIONS:
        lines += [f"## {title}", "", *body[title]]
    return "\n".join(lines).rstrip("\n") + "\n"
