"""``credo train`` and ``credo model …``: train, list, show, activate and report scorecards."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from credo.cli.shell import JsonFlag, app, err, open_home, out, progress_bar
from credo.errors import InvalidInputError, NotFoundError, UnreadableInputError
from credo.features.service import parse_as_of
from credo.home import Home
from credo.model.artifact import from_artifact, loads
from credo.storage.registry import ModelRecord
from credo.training.fit import fit_and_evaluate
from credo.training.platform import TrainReport, model_bands, train_on_lake

__all__ = ["model_app", "read_target", "train_home"]

model_app = typer.Typer(
    help="Scorecards: train on any table, list, show, activate, report.", no_args_is_help=True
)
app.add_typer(model_app, name="model")


@app.command()
def train(
    as_of: Annotated[str, typer.Option("--as-of", help="Characteristics as of this date")],
    outcome_months: Annotated[
        int | None, typer.Option(min=1, help="Outcome window after the as-of date (default 12)")
    ] = None,
    engine: Annotated[str | None, typer.Option(help="duckdb (default) or spark")] = None,
    activate: Annotated[
        bool, typer.Option("--activate/--no-activate", help="Make it the active model")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Train a scorecard on the lake: characteristics as of a date, outcomes after it."""
    home = open_home({"engine": {"kind": engine}} if engine else None)
    home.require_ready()
    with progress_bar() as progress:
        task = progress.add_task("training", total=None)
        report = train_home(
            home,
            parse_as_of(as_of),
            outcome_months=outcome_months,
            activate=activate,
            progress=lambda step: progress.update(task, description=step),
        )
    payload = {
        "version": report.model.version,
        "active": report.model.active,
        "rows": report.rows,
        "bad_rate": report.bad_rate,
        "excluded": report.excluded,
        "characteristics": report.characteristics,
        "test_auc": report.test_auc,
        "test_ks": report.test_ks,
        "challenger_auc": report.challenger_auc,
        "report": str(report.report_path),
    }
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    state = "active" if report.model.active else "inactive"
    out.print(f"registered [bold]{report.model.version}[/] ({state})")
    out.print(
        f"{report.rows:,} people, bad rate {report.bad_rate:.1%}, "
        f"{report.characteristics} characteristics kept; left out: "
        + ", ".join(f"{n:,} {why}" for why, n in report.excluded.items())
    )
    rival = "" if report.challenger_auc is None else f" (LightGBM: {report.challenger_auc:.3f})"
    out.print(f"held-out AUC {report.test_auc:.3f}{rival}, KS {report.test_ks:.3f}")
    out.print(f"report: {report.report_path}")


def train_home(
    home: Home,
    as_of: datetime,
    *,
    outcome_months: int | None = None,
    activate: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> TrainReport:
    """Train on ``home``'s lake with its settings, reports under ``$CREDO_HOME/reports``."""
    with home.lake.reading():
        return train_on_lake(
            lake=home.lake,
            sources=home.sources,
            registry=home.models,
            reports=home.settings.home / "reports",
            as_of=as_of,
            scoring=home.settings.scoring,
            engine=home.settings.engine,
            clock=home.clock,
            outcome_months=outcome_months,
            activate=activate,
            disputed=home.disputes.excluded(),
            retention=home.settings.rights.retention_days(),
            progress=progress,
        )


def read_target(frame: pd.DataFrame, target: str, bad_value: str | None) -> pd.Series:
    """The 0/1 outcome (1 = bad) from ``target``: equal to ``bad_value`` when given, else the
    column must already be 0/1 (or true/false)."""
    if target not in frame.columns:
        raise InvalidInputError(
            f"no column {target!r}; the file has: {', '.join(map(str, frame.columns))}"
        )
    column = frame[target]
    if bad_value is not None:
        seen = sorted(column.dropna().astype(str).unique())
        if bad_value not in seen:
            raise InvalidInputError(
                f"--bad-value {bad_value!r} never occurs in {target!r} (values: {seen[:10]})"
            )
        return (column.astype(str) == bad_value).astype("int64")
    values = set(column.dropna().unique().tolist())
    if not values <= {0, 1}:
        raise InvalidInputError(
            f"{target!r} is not 0/1 (values like {sorted(map(str, values))[:5]}); "
            "say which value means bad with --bad-value"
        )
    return column.astype("int64")


@model_app.command("train")
def model_train(
    csv: Annotated[Path, typer.Option("--csv", help="A table with one row per applicant")],
    target: Annotated[str, typer.Option(help="The outcome column")],
    bad_value: Annotated[
        str | None, typer.Option(help="The target value that means bad (default: 1)")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Artifact JSON (default FILE.scorecard.json)")
    ] = None,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="HTML report (default FILE.report.html)")
    ] = None,
    register: Annotated[
        bool, typer.Option(help="Also register it in the credo home (inactive)")
    ] = False,
    protected: Annotated[
        list[str] | None,
        typer.Option(
            "--protected",
            help="A protected attribute (age, sex, …): kept out of the characteristics, for "
            "`credo model fairness` to audit (repeat for more)",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Train a scorecard on any CSV table (an analyst's own data)."""
    try:
        frame = pd.read_csv(csv)
    except (OSError, ValueError) as exc:
        raise UnreadableInputError(f"cannot read {csv}: {exc}") from exc
    y = read_target(frame, target, bad_value)
    apart = list(dict.fromkeys(protected or ()))
    unknown = [name for name in apart if name not in frame.columns or name == target]
    if unknown:
        raise InvalidInputError(
            f"--protected {unknown[0]!r} is not an attribute column; the file has: "
            + ", ".join(str(c) for c in frame.columns if c != target)
        )
    keep = frame[target].notna()
    X = frame.loc[keep].drop(columns=[target, *apart])  # noqa: N806 - scikit-learn's name
    stem = csv.name.removesuffix(".gz").removesuffix(".csv")
    out_file = out_file or csv.with_name(f"{stem}.scorecard.json")
    report_file = report_file or csv.with_name(f"{stem}.report.html")
    home = open_home() if register else None
    if home is not None:
        home.require_ready()
    now = datetime.now(UTC)
    bands = model_bands(open_home().settings.scoring)
    with progress_bar() as progress:
        progress.add_task(f"fitting on {len(X):,} rows of {csv.name}", total=None)
        fitted = fit_and_evaluate(
            X,
            y[keep].to_numpy(),
            period=f"{csv.name}, target {target}",
            bands=bands,
            created_at=now,
        )
    version = f"{stem}-{fitted.sha256[:8]}"
    if home is not None:
        record = home.models.register(
            artifact=fitted.text,
            sha256=fitted.sha256,
            kind="scorecard",
            created_at=now,
            origin=f"{csv.name}, target {target}",
            auc=fitted.test_evaluation.auc,
            activate=False,
        )
        version = record.version
    out_file.write_text(fitted.text, encoding="utf-8")
    report_file.write_text(
        fitted.report(title=f"credo scorecard on {csv.name}", version=version, bands=bands),
        encoding="utf-8",
    )
    test = fitted.test_evaluation
    payload = {
        "version": version,
        "rows": len(X),
        "characteristics": list(fitted.scorecard.features_),
        "test_auc": test.auc,
        "test_ks": test.ks,
        "challenger": fitted.artifact["metrics"].get("challenger"),
        "protected": apart,
        "artifact": str(out_file),
        "report": str(report_file),
    }
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    out.print(
        f"{len(fitted.scorecard.features_)} characteristics kept of {X.shape[1]}; "
        f"held-out AUC {test.auc:.3f}, KS {test.ks:.3f}"
    )
    if apart:
        out.print("kept apart from the characteristics: " + ", ".join(apart))
    out.print(f"artifact: {out_file}\nreport: {report_file}")
    if home is not None:
        out.print(f"registered as {version} (inactive)")


def _record(version: str | None) -> ModelRecord:
    home = open_home()
    home.require_ready()
    if version is not None:
        return home.models.get(version)
    active = home.models.active()
    if active is None:
        raise NotFoundError("no active model; `credo train --as-of DATE` trains one")
    return active


def _document(version: str | None, file: Path | None) -> tuple[str, dict[str, Any]]:
    if file is not None:
        try:
            return file.name, loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UnreadableInputError(f"cannot read {file}: {exc}") from exc
    record = _record(version)
    return record.version, loads(record.artifact)


@model_app.command("list")
def model_list(as_json: JsonFlag = False) -> None:
    """Every registered model, newest first."""
    home = open_home()
    home.require_ready()
    history = home.models.history()
    if as_json:
        rows = [
            {
                "version": m.version,
                "active": m.active,
                "created_at": m.created_at.isoformat(),
                "origin": m.origin,
                "auc": m.auc,
                "sha256": m.sha256,
            }
            for m in history
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not history:
        err.print("no model yet; `credo train --as-of DATE` trains one on the lake")
        return
    table = Table()
    for heading in ("version", "active", "created", "held-out AUC", "trained on"):
        table.add_column(heading)
    for m in history:
        auc = "" if m.auc is None else f"{m.auc:.3f}"
        table.add_row(
            m.version, "yes" if m.active else "", f"{m.created_at:%Y-%m-%d %H:%M}", auc, m.origin
        )
    out.print(table)


@model_app.command("show")
def model_show(
    version: Annotated[str | None, typer.Argument(help="Model version (default: active)")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="An artifact JSON instead")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The scorecard as credit analysts read it: characteristic, bin, count, bad rate, WoE,
    IV, points."""
    name, doc = _document(version, file)
    points = from_artifact(doc).points_table()
    if as_json:
        sys.stdout.write(points.to_json(orient="records", indent=2) + "\n")
        return
    table = Table(title=f"scorecard {name}")
    for heading in (
        "dimension",
        "characteristic",
        "bin",
        "count",
        "bad rate",
        "WoE",
        "IV",
        "points",
    ):
        table.add_column(
            heading,
            justify="right" if heading in ("count", "bad rate", "WoE", "IV", "points") else "left",
        )
    last = None
    records: list[dict[Any, Any]] = points.to_dict(orient="records")
    for row in records:
        first = row["characteristic"] != last
        last = row["characteristic"]
        rate = row["bad_rate"]
        table.add_row(
            str(row["dimension"]) if first else "",
            str(row["characteristic"]) if first else "",
            str(row["bin"]),
            f"{int(row['count']):,}",
            "" if rate is None or math.isnan(rate) else f"{rate:.1%}",
            f"{row['woe']:.3f}",
            f"{row['iv']:.4f}",
            f"{row['points']:.1f}",
        )
    out.print(table)
    weights = doc.get("dimensions", {})
    if len(weights) > 1:
        out.print(
            "dimension weights: " + ", ".join(f"{d} {v['weight']:.2f}" for d, v in weights.items())
        )


@model_app.command("activate")
def model_activate(version: Annotated[str, typer.Argument(help="Model version")]) -> None:
    """Make a registered model the one monthly runs use."""
    home = open_home()
    home.require_ready()
    record = home.models.activate(version)
    out.print(f"{record.version} is now the active model")


@model_app.command("report")
def model_report(
    version: Annotated[str | None, typer.Argument(help="Model version (default: active)")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Where to copy the report")] = None,
) -> None:
    """The model's HTML report (ROC, KS, score distribution, calibration, bands, stability,
    the scorecard table, beside a LightGBM challenger)."""
    record = _record(version)
    path = open_home().settings.home / "reports" / f"{record.version}.html"
    if not path.exists():
        raise NotFoundError(f"no report was written for {record.version} (expected {path})")
    if out_file is None:
        out.print(str(path))
        return
    out_file.write_bytes(path.read_bytes())
    out.print(f"report of {record.version} written to {out_file}")
