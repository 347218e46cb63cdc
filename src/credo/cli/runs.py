"""``credo run`` (the monthly scoring run), ``credo rescore`` and ``credo score`` (one person),
and ``credo runs``.

The statutory dispute clock runs at the start of ``credo run`` and of ``credo rescore``: the
disputes it has resolved by then are recorded first (upheld, in the person's favour), so the
run or the re-score already leaves their events out for good.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from credo.cli.models import train_home
from credo.cli.shell import JsonFlag, app, err, open_home, out, progress_bar
from credo.errors import InvalidInputError, NotFoundError
from credo.features.service import parse_as_of
from credo.features.training import add_months
from credo.home import Home
from credo.scoring.rescore import Rescored
from credo.scoring.run import RunSummary
from credo.scoring.truth import check_against_truth
from credo.training.platform import lake_last_instant

__all__ = ["print_summary", "rescore", "run", "runs_list", "score_show", "truth"]


def _train_first(home: Home, progress: Any, task: Any) -> str:
    """Train on the latest date whose outcomes are all in the lake; returns the version."""
    last = lake_last_instant(home.lake)
    if last is None:
        raise InvalidInputError("the lake is empty: ingest events before running")
    months = home.settings.scoring.outcome_months
    as_of = add_months(min(home.clock.now(), last), -months)
    err.print(
        f"no active model: training one first, as of {as_of - timedelta(days=1):%Y-%m-%d} "
        f"with {months}-month outcomes"
    )
    report = train_home(home, as_of, progress=lambda step: progress.update(task, description=step))
    err.print(
        f"registered {report.model.version}: held-out AUC {report.test_auc:.3f} on "
        f"{report.rows:,} people"
    )
    return report.model.version


@app.command()
def run(
    as_of: Annotated[str, typer.Option("--as-of", help="Score everyone as of this date")],
    engine: Annotated[str | None, typer.Option(help="duckdb (default) or spark")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The monthly run: score everyone with the active model and publish the snapshot."""
    home = open_home({"engine": {"kind": engine}} if engine else None)
    home.require_ready()
    instant = parse_as_of(as_of)
    _tick(home, rescore=False)  # the run re-scores everyone
    with progress_bar() as progress:
        task = progress.add_task("monthly run", total=None)
        if home.models.active() is None:
            _train_first(home, progress, task)
        summary = home.monthly_run(
            instant, progress=lambda step: progress.update(task, description=step)
        )
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
        return
    print_summary(summary)


def _tick(home: Home, *, rescore: bool) -> None:
    """Record the disputes the statutory clock has resolved (and re-score those people)."""
    resolved = home.disputes.resolve_expired(rescore=rescore)
    if resolved:
        err.print(
            f"{len(resolved)} dispute(s) unanswered within the statutory period: upheld "
            f"(ids {', '.join(str(d.id) for d in resolved)})"
        )


@app.command()
def rescore(
    person: Annotated[str, typer.Argument(help="National id or phone (or --token)")],
    token: Annotated[bool, typer.Option(help="PERSON is a subject token")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Re-score one person in the current snapshot, in seconds: their characteristics without
    their disputed events, with the snapshot's model and as-of date."""
    home = open_home()
    home.require_ready()
    subject = person if token else home.tokeniser.subject(person)
    _tick(home, rescore=True)
    done = home.rescore([subject], trigger="credo rescore")
    if not done:
        raise NotFoundError("no published snapshot yet: `credo run --as-of DATE` scores everyone")
    result = done[0]
    if as_json:
        payload = {**asdict(result), "as_of": result.as_of.isoformat()}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    out.print(_rescored_line(result))


def _rescored_line(result: Rescored) -> str:
    day = result.as_of - timedelta(days=1)
    where = f"run {result.run_id} (as of {day:%Y-%m-%d})"
    if not result.present:
        return f"no event of this person counts: no row in {where}"
    after = "N/A" if result.after is None else str(result.after)
    before = "N/A" if result.before is None else str(result.before)
    reason = f" ({result.na_reason})" if result.na_reason else ""
    return f"re-scored in {where}: {before} → {after}{reason}"


def print_summary(summary: RunSummary) -> None:
    """The closing summary of a run, for people."""
    day = summary.as_of - timedelta(days=1)
    out.print(
        f"[bold]run {summary.run_id}[/] as of {day:%Y-%m-%d} with {summary.model_version} on "
        f"{summary.engine}: {summary.scored:,} people scored, {summary.not_scored:,} N/A "
        f"({summary.seconds:.1f} s)"
    )
    for reason, count in summary.na_reasons.items():
        out.print(f"  N/A: {count:,} with {reason}")
    table = Table(title="bands")
    for heading in ("band", "people", "share"):
        table.add_column(heading, justify="left" if heading == "band" else "right")
    for band, count in summary.bands.items():
        share = count / summary.scored if summary.scored else 0.0
        table.add_row(band, f"{count:,}", f"{share:.1%}")
    out.print(table)
    if summary.mean_score is not None:
        line = f"mean score {summary.mean_score:.1f}"
        if summary.mean_change is not None and summary.previous_as_of is not None:
            before = summary.previous_as_of - timedelta(days=1)
            line += f", {summary.mean_change:+.1f} points vs {before:%Y-%m-%d} (same people)"
        out.print(line)


@app.command("runs")
def runs_list(as_json: JsonFlag = False) -> None:
    """Every monthly run, newest first, with its status."""
    home = open_home()
    home.require_ready()
    records = home.snapshots.runs()
    current = home.snapshots.current()
    if as_json:
        rows = [
            {
                "run_id": r.id,
                "as_of": r.as_of.isoformat(),
                "status": r.status,
                "current": current is not None and r.id == current.id,
                "summary": r.summary,
            }
            for r in records
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table()
    for heading in ("run", "as of", "status", "scored", "N/A", "mean", "engine"):
        table.add_column(heading)
    for r in records:
        status = r.status + (" (current)" if current is not None and r.id == current.id else "")
        mean = r.summary.get("mean_score")
        table.add_row(
            str(r.id),
            f"{r.as_of - timedelta(days=1):%Y-%m-%d}",
            status,
            f"{r.summary.get('scored', '')}",
            f"{r.summary.get('not_scored', '')}",
            "" if mean is None else f"{mean:.1f}",
            r.engine,
        )
    out.print(table)


@app.command("score")
def score_show(
    person: Annotated[str, typer.Argument(help="National id or phone (or --token)")],
    token: Annotated[bool, typer.Option(help="PERSON is a subject token")] = False,
    as_json: JsonFlag = False,
) -> None:
    """A person's current score: band, percentile, dimensions, reasons, privileges, history."""
    home = open_home()
    home.require_ready()
    subject = person if token else home.tokeniser.subject(person)
    record = home.snapshots.score(subject)
    if record is None:
        raise NotFoundError("no published score for this person (token " + subject[:8] + "…)")
    history = home.snapshots.history(subject)
    if as_json:
        payload = {
            "subject": subject,
            "as_of": record.as_of.isoformat(),
            "score": record.score,
            "na_reason": record.na_reason,
            "band": record.band,
            "percentile": record.percentile,
            **record.detail,
            "history": [{"as_of": h.as_of.isoformat(), "score": h.score} for h in history],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    day = record.as_of - timedelta(days=1)
    if record.score is None:
        out.print(f"N/A as of {day:%Y-%m-%d}: {record.na_reason}")
        return
    out.print(
        f"[bold]{record.score}[/] ({record.band}) as of {day:%Y-%m-%d}, higher than "
        f"{record.percentile:.0f}% of people"
    )
    detail = record.detail
    out.print("dimensions: " + ", ".join(f"{d} {v:.0f}" for d, v in detail["dims"].items()))
    for reason in detail["reasons"]:
        out.print(
            f"  {reason['code']} -{reason['points_lost']:.0f} {reason['text']}: "
            f"{reason['value_text']}"
        )
        if reason["tip"]:
            out.print(f"        tip: {reason['tip']}")
    lift = detail.get("raise")
    if lift:
        out.print(
            f"to reach {lift['target']}: {lift['text'].lower()} from {lift['from_text']} to "
            f"{lift['to_text']} (+{lift['points']:.0f} points)"
        )
    privileges = detail["privileges"]
    out.print("privileges: " + (", ".join(privileges["held"]) or "none yet"))
    for near in privileges["within_reach"][:3]:
        missing = "; ".join(g.get("shortfall", str(g)) for g in near["missing"])
        out.print(f"  within reach: {near['privilege']} ({missing})")
    out.print(
        "history: " + ", ".join(f"{h.as_of - timedelta(days=1):%Y-%m} {h.score}" for h in history)
    )


@app.command("truth")
def truth(
    dataset: Annotated[Path, typer.Argument(help="The synthetic dataset the lake was loaded from")],
    as_json: JsonFlag = False,
) -> None:
    """Compare every published run with a synthetic dataset's ground truth (demo and tests)."""
    home = open_home()
    home.require_ready()
    try:
        outcomes = pd.read_parquet(dataset / "outcomes.parquet")
        truth_table = pd.read_parquet(dataset / "truth.parquet")
    except OSError as exc:
        raise InvalidInputError(
            f"{dataset} is not a synthetic dataset with ground truth: {exc}"
        ) from exc
    token = home.tokeniser.subject
    outcomes["subject"] = outcomes["subject"].map(token)
    truth_table["subject"] = truth_table["subject"].map(token)
    outcomes["month_end"] = pd.to_datetime(outcomes["month_end"])
    rows = []
    for record in home.snapshots.published():
        day = pd.Timestamp(record.as_of - timedelta(days=1)).tz_localize(None).normalize()
        scores = home.snapshots.table(record.id).to_pandas()[["subject", "score"]]
        month = outcomes[outcomes["month_end"] == day]
        check = check_against_truth(scores, month, truth_table)
        rows.append({"run_id": record.id, "as_of": f"{day:%Y-%m-%d}", **asdict(check)})
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title="published scores against the synthetic ground truth")
    for heading in ("run", "as of", "people", "defaults after", "AUC", "Spearman vs latent"):
        table.add_column(heading, justify="left" if heading == "as of" else "right")
    for row in rows:
        table.add_row(
            str(row["run_id"]),
            row["as_of"],
            f"{row['matched']:,}",
            f"{row['bads']:,}",
            "" if row["auc"] is None else f"{row['auc']:.3f}",
            "" if row["spearman"] is None else f"{row['spearman']:.3f}",
        )
    out.print(table)
