"""``credo model fairness`` and ``credo model card``: audit a model across groups of people it
never tells apart, and describe it in a Markdown card.

Where audits are kept: a registered model's beside its report, as
``$CREDO_HOME/reports/<version>.fairness.json`` (its HTML report gains a fairness section);
an artifact file's beside the table it was trained on (``german.csv`` →
``german.fairness.json``, and ``german.report.html`` when it is that model's report).
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from credo.cli.models import model_app, read_target
from credo.cli.shell import JsonFlag, err, open_home, out, progress_bar, wide
from credo.errors import InvalidInputError, NotFoundError, UnreadableInputError
from credo.features.service import parse_as_of
from credo.home import Home
from credo.model.artifact import loads
from credo.model.card import DEFAULT_CONTACT, CardInput, render_card
from credo.model.fairness import (
    FOUR_FIFTHS,
    MIN_GROUP,
    FairnessAudit,
    GroupResult,
    threshold_for_share,
)
from credo.model.fairness_report import FairnessReport, with_fairness_section
from credo.storage.registry import ModelRecord
from credo.training.audit import (
    AttributeSpec,
    AuditSample,
    audit_sample,
    lake_sample,
    people_attributes,
    table_sample,
)
from credo.training.platform import model_bands

__all__ = ["model_card", "model_fairness"]

_VERSION_IN_REPORT = re.compile(r"Model version <strong>(.*?)</strong>")


@dataclass(frozen=True)
class _Model:
    """The audited model: its artifact and, when registered, its record."""

    name: str
    doc: dict[str, Any]
    record: ModelRecord | None


def _model(home: Home, version: str | None, file: Path | None) -> _Model:
    if file is not None:
        try:
            return _Model(file.name, loads(file.read_text(encoding="utf-8")), None)
        except OSError as exc:
            raise UnreadableInputError(f"cannot read {file}: {exc}") from exc
    home.require_ready()
    record = home.models.get(version) if version else home.models.active()
    if record is None:
        raise NotFoundError("no active model; name a VERSION or an artifact with --file")
    return _Model(record.version, loads(record.artifact), record)


def _specs(attributes: list[str], bins: list[str] | None) -> list[AttributeSpec]:
    edges: dict[str, tuple[float, ...]] = {}
    for text in bins or ():
        name, _, cuts = text.partition("=")
        try:
            edges[name.strip()] = tuple(float(c) for c in cuts.split(",") if c.strip())
        except ValueError as exc:
            raise InvalidInputError(f"--bins {text!r}: expected NAME=25,40") from exc
        if not name.strip() or not edges[name.strip()]:
            raise InvalidInputError(f"--bins {text!r}: expected NAME=25,40")
    stray = sorted(set(edges) - set(attributes))
    if stray:
        raise InvalidInputError(f"--bins names {stray[0]!r}, which is not an --attribute")
    return [AttributeSpec(name, edges.get(name, ())) for name in dict.fromkeys(attributes)]


def _read(path: Path, key: str | None = None) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=None if key is None else {key: str})
    except (OSError, ValueError) as exc:
        raise UnreadableInputError(f"cannot read {path}: {exc}") from exc


@dataclass(frozen=True)
class _People:
    """Where the platform's people's attributes come from (``--attributes`` and friends)."""

    path: Path
    key: str
    national_id: bool


def _table_sample(
    model: _Model, names: list[str], csv: Path, target: str | None, bad_value: str | None
) -> AuditSample:
    """Every applicant of an analyst's table, scored with the model."""
    if target is None:
        raise InvalidInputError("--csv needs --target (the outcome column)")
    frame = _read(csv)
    y = read_target(frame, target, bad_value)
    keep = frame[target].notna().to_numpy()
    return table_sample(frame[keep].reset_index(drop=True), y[keep], model.doc, names)


def _lake_sample(
    home: Home,
    model: _Model,
    names: list[str],
    people: _People,
    as_of_text: str | None,
    outcome_months: int | None,
) -> AuditSample:
    """Everyone in the lake as of the model's training date (or ``--as-of``), scored."""
    record = model.record
    as_of = parse_as_of(as_of_text) if as_of_text else None
    as_of = as_of or (record.trained_as_of if record else None)
    if as_of is None:
        raise InvalidInputError("--as-of DATE is needed: the model records no training date")
    home.require_ready()
    attributes = people_attributes(  # identifiers become tokens here and go no further
        _read(people.path, people.key),
        key=people.key,
        names=names,
        tokenise=home.tokeniser.subject,
        national_id_at=as_of - timedelta(days=1) if people.national_id else None,
        file_name=people.path.name,
    )
    trained_here = record is not None and record.trained_as_of == as_of
    with progress_bar() as progress, home.lake.reading():
        task = progress.add_task("fairness audit", total=None)
        return lake_sample(
            lake=home.lake,
            sources=home.sources,
            doc=model.doc,
            attributes=attributes,
            as_of=as_of,
            outcome_months=outcome_months or home.settings.scoring.outcome_months,
            min_history_months=home.settings.scoring.min_history_months,
            engine=home.settings.engine,
            now=home.clock.now(),
            known_at=record.created_at if trained_here and record else None,
            trained_as_of=record.trained_as_of if record else None,
            excluded=home.disputes.excluded(),
            retention=home.settings.rights.retention_days(),
            progress=lambda step: progress.update(task, description=step),
        )


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%" if math.isfinite(value) else "-"


def _short_note(audit: FairnessAudit, group: GroupResult) -> str:
    if group.group == "all":
        return ""
    if not group.judged:
        return "too small" if group.n < audit.min_group else "not judged"
    notes = []
    if math.isfinite(group.impact_ratio) and group.impact_ratio < FOUR_FIFTHS:
        notes.append("< 4/5")
    if 0 < group.outcomes < audit.min_group:
        notes.append("few outcomes")
    return ", ".join(notes)


def _print(audit: FairnessAudit) -> None:
    """A compact table per attribute (the report and the JSON have every figure)."""
    rows = (*audit.groups, audit.overall)
    na = audit.overall.scored < audit.overall.n
    table = Table(title=f"{audit.attribute}: approval at score >= {audit.threshold:g}")
    headings = ["group", "people", *(["N/A"] if na else []), "approved", "ratio", "outcomes",
                "bad rate", "predicted", "AUC ±1.96se", "note"]  # fmt: skip
    for heading in headings:
        table.add_column(heading, justify="left" if heading in ("group", "note") else "right")
    for g in rows:
        auc = "-" if not math.isfinite(g.auc) else f"{g.auc:.3f}"
        if math.isfinite(g.auc_se):
            auc += f"±{1.96 * g.auc_se:.3f}"
        cells = [g.group, f"{g.n:,}", *([_pct(g.na_rate)] if na else []),
                 _pct(g.approval_rate), "-" if math.isnan(g.impact_ratio) else
                 f"{g.impact_ratio:.2f}", f"{g.outcomes:,}", _pct(g.bad_rate),
                 _pct(g.mean_p_bad), auc, _short_note(audit, g)]  # fmt: skip
        table.add_row(*cells)
    wide(120).print(table)
    colour = {"pass": "green", "adverse impact": "red"}.get(audit.verdict, "yellow")
    ratio = audit.adverse_impact_ratio
    auc_range = audit.auc_range
    out.print(
        f"adverse impact ratio {'-' if math.isnan(ratio) else f'{ratio:.2f}'}: "
        f"[{colour}]{audit.verdict}[/] (four-fifths rule); AUC range "
        f"{'-' if math.isnan(auc_range) else f'{auc_range:.3f}'}"
    )


def _store(
    home: Home, model: _Model, result: FairnessReport, csv: Path | None, **paths: Path | None
) -> list[str]:
    """Write the audit document and add the section to the model's report; what was written."""
    reports = home.settings.home / "reports"
    stem = None if csv is None else csv.name.removesuffix(".gz").removesuffix(".csv")
    json_path = paths["out_file"] or (
        reports / f"{model.name}.fairness.json"
        if model.record
        else csv.with_name(f"{stem}.fairness.json")
        if csv is not None
        else None
    )
    html_path = paths["report"]
    if html_path is None and paths["out_file"] is None:  # the stored audit and report agree
        html_path = (
            reports / f"{model.name}.html"
            if model.record
            else csv.with_name(f"{stem}.report.html")
            if csv is not None
            else None
        )
    written = []
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(result.to_json(), encoding="utf-8")
        written.append(f"audit: {json_path}")
    if html_path is not None and html_path.is_file():
        html = html_path.read_text(encoding="utf-8")
        found = _VERSION_IN_REPORT.search(html)
        named = "" if found is None else found.group(1)
        if named == model.name or named.endswith(result.model_sha256[:8]):
            html_path.write_text(with_fairness_section(html, result.audits), encoding="utf-8")
            written.append(f"report: {html_path} (fairness section)")
        else:
            err.print(f"note: {html_path} is the report of {named or 'another model'}; unchanged")
    return written


@model_app.command("fairness")
def model_fairness(
    attribute: Annotated[
        list[str], typer.Option("--attribute", help="An attribute to audit (repeat for more)")
    ],
    version: Annotated[str | None, typer.Argument(help="Model version (default: active)")] = None,
    bins: Annotated[
        list[str] | None,
        typer.Option("--bins", help="NAME=25,40: cut a numeric attribute at these edges"),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="Approve at this score or above (default: the model's base score)"),
    ] = None,
    approve: Annotated[
        float | None,
        typer.Option(help="Instead: the threshold that approves this share of those scored"),
    ] = None,
    min_group: Annotated[
        int, typer.Option(min=1, help="Smaller groups are shown but not judged")
    ] = MIN_GROUP,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="A table: one row per applicant")
    ] = None,
    target: Annotated[str | None, typer.Option(help="With --csv: the outcome column")] = None,
    bad_value: Annotated[str | None, typer.Option(help="The target value meaning bad")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="An artifact JSON instead")] = None,
    attributes: Annotated[
        Path | None,
        typer.Option(help="People's attributes (CSV or Parquet), by identifier, kept apart"),
    ] = None,
    key: Annotated[str, typer.Option(help="The identifier column of --attributes")] = "identifier",
    national_id: Annotated[
        bool, typer.Option("--national-id", help="Add age and sex read from resident id numbers")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Audit as of this date (default: training's)")
    ] = None,
    outcome_months: Annotated[int | None, typer.Option(min=1, help="Outcome window")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Where to write the audit")] = None,
    report: Annotated[Path | None, typer.Option(help="The HTML report to add it to")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Audit a model across groups of people by attributes it never uses: approval rate at a
    threshold and the four-fifths rule, AUC and calibration per group."""
    if threshold is not None and approve is not None:
        raise InvalidInputError("give --threshold or --approve, not both")
    if approve is not None and not 0 < approve <= 1:
        raise InvalidInputError(f"--approve is a share in (0, 1]; got {approve}")
    specs = _specs(attribute, bins)
    home = open_home()
    model = _model(home, version, file)
    names = [spec.name for spec in specs]
    if csv is not None:
        sample = _table_sample(model, names, csv, target, bad_value)
    elif attributes is not None:
        people = _People(attributes, key, national_id)
        sample = _lake_sample(home, model, names, people, as_of, outcome_months)
    else:
        raise InvalidInputError(
            "say whose attributes to audit: --attributes FILE (people on the platform) or "
            "--csv FILE --target COLUMN (a table)"
        )
    cut = threshold
    if cut is None:
        cut = (
            threshold_for_share(sample.scores, approve)
            if approve is not None
            else float(model.doc["scaling"]["base_score"])
        )
    audits = audit_sample(
        sample,
        specs,
        threshold=cut,
        bands=model_bands(home.settings.scoring),
        min_group=min_group,
    )
    result = FairnessReport(
        model_version=model.name,
        model_sha256=str(model.doc["sha256"]),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        audits=tuple(audits),
    )
    written = _store(home, model, result, csv, out_file=out_file, report=report)
    if as_json:
        sys.stdout.write(result.to_json())
        return
    out.print(f"fairness of [bold]{model.name}[/]: {sample.description}")
    for note in sample.notes:
        err.print(f"note: {note}")
    if approve is not None:
        out.print(f"threshold {cut:g} approves {approve:.0%} of those scored")
    for audit in audits:
        _print(audit)
    for line in written:
        out.print(line)


def _fairness_for(home: Home, model: _Model, path: Path | None) -> FairnessReport | None:
    if path is None:
        if model.record is not None:
            path = home.settings.home / "reports" / f"{model.name}.fairness.json"
        else:
            path = Path(model.name.removesuffix(".json").removesuffix(".scorecard"))
            path = path.with_name(f"{path.name}.fairness.json")
        if not path.is_file():
            return None
    try:
        return FairnessReport.from_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {path}: {exc}") from exc


@model_app.command("card")
def model_card(
    version: Annotated[str | None, typer.Argument(help="Model version (default: active)")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="An artifact JSON instead")] = None,
    fairness: Annotated[
        Path | None, typer.Option(help="Its fairness audit (default: the one stored beside it)")
    ] = None,
    contact: Annotated[
        str | None, typer.Option(help="Who to contact about the model (default: the operator)")
    ] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the card here")] = None,
) -> None:
    """The model card in Markdown: intended use, data, characteristics and dimensions,
    performance, stability, fairness, limitations and who to contact."""
    home = open_home()
    model = _model(home, version, file)
    if file is not None:
        model = _Model(str(file), model.doc, None)
    record = model.record
    card = render_card(
        CardInput(
            doc=model.doc,
            version=model.name if record else Path(model.name).name,
            origin=record.origin if record else f"the artifact file {model.name}",
            registered_at=f"{record.created_at:%Y-%m-%d %H:%M} UTC" if record else "",
            trained_as_of=(
                f"{record.trained_as_of - timedelta(days=1):%Y-%m-%d} (end of day, UTC)"
                if record and record.trained_as_of
                else ""
            ),
            active=record.active if record else None,
            fairness=_fairness_for(home, model, fairness),
            contact=contact or DEFAULT_CONTACT,
        )
    )
    if out_file is None:
        sys.stdout.write(card)
        return
    out_file.write_text(card, encoding="utf-8")
    out.print(f"card of {model.name} written to {out_file}")
