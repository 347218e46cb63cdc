"""The ``credo`` command line: parse, call one service, render. No business rule lives here."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pyarrow.parquet as pq
import typer
from rich.table import Table

from credo.cli.shell import (
    JsonFlag,
    app,
    err,
    open_home,
    out,
    progress_bar,
    state,
)
from credo.consent.collection import ALL_SOURCES, ConsentChange
from credo.errors import CredoError, InvalidInputError
from credo.events.dataset import read_manifest
from credo.events.ingest import IngestReport
from credo.events.schemas import CATEGORIES, event_json_schema
from credo.events.validate import REASONS
from credo.features.catalog import CATALOG
from credo.features.service import build_characteristics, parse_as_of
from credo.home import Home, initialise
from credo.settings import load_settings

__all__ = ["app", "main"]

consent_app = typer.Typer(help="Collection consents per person and category.", no_args_is_help=True)
lake_app = typer.Typer(help="The event lake.", no_args_is_help=True)
schema_app = typer.Typer(help="Schemas for integrators.", no_args_is_help=True)
import_app = typer.Typer(help="Import real data sets as credo datasets.", no_args_is_help=True)
features_app = typer.Typer(
    help="Characteristics: `credo features --as-of DATE --out FILE.parquet` builds them, "
    "`credo features list` shows the catalogue.",
    invoke_without_command=True,
)
app.add_typer(consent_app, name="consent")
app.add_typer(lake_app, name="lake")
app.add_typer(schema_app, name="schema")
app.add_typer(import_app, name="import")
app.add_typer(features_app, name="features")


# --- init, schema -----------------------------------------------------------------------------


@app.command()
def init(
    dev_key: Annotated[
        bool, typer.Option("--dev-key", help="Use the published development key (demos, tests).")
    ] = False,
) -> None:
    """Create the credo home: master key (0600), database (migrated), event lake."""
    settings = load_settings(**state.get("overrides", {}))
    report = initialise(settings, dev_key=dev_key)
    if report.created_key:
        out.print(f"created master key [bold]{report.created_key}[/] in {settings.keys_path}")
    out.print(f"database at revision {report.revision}: {report.database}")
    out.print(f"event lake at version {report.lake_version}: {settings.events_path}")
    out.print(f"[green]credo home ready:[/] {report.home}")


@schema_app.command("events")
def schema_events() -> None:
    """Print the JSON Schema of a v1 event."""
    sys.stdout.write(json.dumps(event_json_schema(), indent=2) + "\n")


# --- consents ---------------------------------------------------------------------------------


def _consent(subject: str, category: str, source: str | None, action: str) -> None:
    home = open_home()
    home.require_ready()
    if source is not None:
        home.sources.get(source)
    change = ConsentChange(
        identifier=subject,
        category=category,
        action=action,  # type: ignore[arg-type]
        at=datetime.now(UTC),
        source=source or ALL_SOURCES,
    )
    home.consents.record([change], via="cli")
    scope = f"source {source}" if source else "every source"
    out.print(f"consent {action} recorded: {category} for {scope}")


@consent_app.command("grant")
def consent_grant(
    subject: Annotated[str, typer.Argument(help="The person's national id or phone")],
    category: Annotated[str, typer.Argument(help=",".join(CATEGORIES))],
    source: Annotated[
        str | None, typer.Option(help="Only this source (default: every source)")
    ] = None,
) -> None:
    """Record a person's consent to collect a category of data."""
    _consent(subject, category, source, "grant")


@consent_app.command("withdraw")
def consent_withdraw(
    subject: Annotated[str, typer.Argument(help="The person's national id or phone")],
    category: Annotated[str, typer.Argument(help=",".join(CATEGORIES))],
    source: Annotated[
        str | None, typer.Option(help="Only this source (default: every source)")
    ] = None,
) -> None:
    """Withdraw a consent: later ingests refuse that category."""
    _consent(subject, category, source, "withdraw")


@consent_app.command("import")
def consent_import(
    path: Annotated[Path, typer.Argument(help="CSV or JSONL: subject,category,source,action,at")],
    as_json: JsonFlag = False,
) -> None:
    """Apply consents in bulk from a file."""
    home = open_home()
    home.require_ready()
    result = home.consents.import_file(path)
    if as_json:
        sys.stdout.write(json.dumps(asdict(result)) + "\n")
    else:
        out.print(f"{result.applied} consent changes applied from {result.read} rows")
        for number, message in result.errors[:20]:
            err.print(f"[yellow]row {number}:[/] {message}")
    if result.errors:
        raise typer.Exit(code=2)


@consent_app.command("show")
def consent_show(subject: Annotated[str, typer.Argument(help="National id or phone")]) -> None:
    """Show a person's current collection consents."""
    home = open_home()
    home.require_ready()
    table = Table("category", "source", "state", "since")
    for category, source, granted, since in home.consents.show(subject):
        table.add_row(category, source, "granted" if granted else "withdrawn", since.isoformat())
    out.print(table)


# --- ingest -----------------------------------------------------------------------------------


def _print_report(report: IngestReport, title: str) -> None:
    table = Table(title=title, show_header=False)
    table.add_row("read", f"{report.read:,}")
    table.add_row("accepted", f"[green]{report.accepted:,}[/]")
    table.add_row("duplicates (already in the lake)", f"{report.duplicates:,}")
    table.add_row("rejected", f"[red]{report.rejected:,}[/]" if report.rejected else "0")
    for reason, count in sorted(report.by_reason.items()):
        table.add_row(f"  {reason}", f"{count:,}")
    table.add_row("lake version", str(report.lake_version))
    rate = report.read / report.seconds if report.seconds else 0.0
    table.add_row("time", f"{report.seconds:.1f} s ({rate:,.0f} records/s)")
    if report.rejects_path and report.rejected:
        table.add_row("rejects written to", report.rejects_path)
    out.print(table)


def _run_ingest(
    home: Home, paths: list[str], source: str | None, rejects: Path | None
) -> IngestReport:
    with progress_bar() as progress:
        task = progress.add_task("ingesting", total=None)

        def on_progress(path: str, done: int) -> None:
            progress.update(task, description=f"ingesting {Path(path).name}", completed=done)

        return home.ingestor().ingest(
            paths, source=source, rejects_path=rejects, on_progress=on_progress
        )


@app.command(epilog="Reject reasons: " + "; ".join(f"{k}: {v}" for k, v in REASONS.items()))
def ingest(
    paths: Annotated[list[str], typer.Argument(help="JSONL, CSV or Parquet files; - for stdin")],
    source: Annotated[
        str | None, typer.Option(help="The registered source sending these events")
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Write rejected records here (JSONL)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Validate, pseudonymise and append events to the lake (one atomic commit)."""
    home = open_home()
    report = _run_ingest(home, paths, source, rejects)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
    else:
        _print_report(report, "ingest")
        if report.rejected and rejects is None:
            err.print("[yellow]tip:[/] pass --rejects FILE to see each rejected record")


@app.command()
def load(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder with manifest.json")],
    rejects: Annotated[
        Path | None, typer.Option(help="Folder for one rejects file per source")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load a dataset (from `credo synth` or `credo import`): sources, consents, events."""
    home = open_home()
    home.require_ready()
    manifest = read_manifest(dataset)
    for spec in manifest.sources:
        home.sources.add(
            spec.name,
            spec.categories,
            reliability=spec.reliability,
            description=spec.description,
            exist_ok=True,
        )
    consents = None
    if manifest.consents:
        consents = home.consents.import_file(dataset / manifest.consents)
        if not as_json:
            out.print(f"consents: {consents.applied:,} changes from {consents.read:,} rows")
    reports = {}
    for spec in manifest.sources:
        paths = [str(p) for p in manifest.event_paths(spec.name)]
        if not paths:
            continue
        target = rejects / f"{spec.name}.jsonl" if rejects else None
        reports[spec.name] = report = _run_ingest(home, paths, spec.name, target)
        if not as_json:
            _print_report(report, f"source {spec.name}")
    if as_json:
        payload = {
            "sources": [s.name for s in manifest.sources],
            "consents": asdict(consents) if consents else None,
            "ingests": {k: r.to_json() for k, r in reports.items()},
        }
        sys.stdout.write(json.dumps(payload) + "\n")


# --- lake -------------------------------------------------------------------------------------


@lake_app.command("summary")
def lake_summary(as_json: JsonFlag = False) -> None:
    """What the lake holds: events by source and type, months, subjects, size."""
    home = open_home()
    home.require_ready()
    summary = home.lake.summary()
    if as_json:
        sys.stdout.write(json.dumps(asdict(summary)) + "\n")
        return
    head = Table(title="event lake", show_header=False)
    head.add_row("version", str(summary.version))
    head.add_row("events", f"{summary.events:,}")
    head.add_row("subjects", f"{summary.subjects:,}")
    head.add_row("months", f"{summary.first_month} … {summary.last_month}")
    head.add_row("files", f"{summary.files:,} ({summary.size_bytes / 1e6:,.1f} MB)")
    out.print(head)
    by = Table("source", "events")
    for name, count in summary.by_source.items():
        by.add_row(name, f"{count:,}")
    types = Table("type", "events")
    for name, count in summary.by_type.items():
        types.add_row(name, f"{count:,}")
    out.print(by)
    out.print(types)


@lake_app.command("compact")
def lake_compact() -> None:
    """Compact small files into larger ones (a new version; readers are unaffected)."""
    home = open_home()
    home.require_ready()
    metrics = home.lake.compact()
    out.print(
        f"compacted: {metrics.get('numFilesRemoved', 0)} files removed, "
        f"{metrics.get('numFilesAdded', 0)} added; lake version {home.lake.version()}"
    )


# --- characteristics --------------------------------------------------------------------------


@features_app.callback()
def features(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD (end of that day, UTC) or instant")
    ] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Parquet file to write")] = None,
    engine: Annotated[str | None, typer.Option(help="duckdb (default) or spark")] = None,
    known_now: Annotated[
        bool,
        typer.Option(
            "--known-now",
            help="Count events ingested after the as-of instant too (history loaded later)",
        ),
    ] = False,
) -> None:
    """Build everyone's characteristics as of a date."""
    if ctx.invoked_subcommand is not None:
        return
    if as_of is None or out_file is None:
        raise InvalidInputError("give --as-of DATE and --out FILE.parquet (or `features list`)")
    overrides = dict(state.get("overrides", {}))
    if engine is not None:
        overrides["engine"] = {"kind": engine}
    home = Home(load_settings(**overrides))
    home.require_ready()
    instant = parse_as_of(as_of)
    with progress_bar() as progress:
        progress.add_task(f"characteristics as of {instant.isoformat()}", total=None)
        table = build_characteristics(
            home.lake,
            home.sources,
            instant,
            engine=home.settings.engine,
            known_at=datetime.now(UTC) if known_now else None,
        )
    out_file.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out_file)
    out.print(
        f"{table.num_rows:,} people x {table.num_columns - 1} characteristics as of "
        f"{instant.isoformat()} written to {out_file}"
    )
    if table.num_rows == 0 and not known_now and home.lake.summary().events:
        err.print(
            "[yellow]tip:[/] no event in the lake was ingested before that instant; "
            "--known-now also counts history loaded later"
        )


@features_app.command("list")
def features_list(as_json: JsonFlag = False) -> None:
    """The feature catalogue: name, dimension, meaning, direction of risk, window."""
    if as_json:
        payload = [{**asdict(c), "actionable": c.actionable} for c in CATALOG]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    table = Table()
    table.add_column("characteristic", no_wrap=True)
    for heading in ("dimension", "meaning", "risk rises when", "window"):
        table.add_column(heading)
    for c in CATALOG:
        rises = "higher" if c.direction == "higher_is_riskier" else "lower"
        window = f"{c.window_days} d" if c.window_days else "all"
        table.add_row(c.name, c.dimension, c.description, rises, window)
    out.print(table)


# --- synthetic and real data ------------------------------------------------------------------


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the dataset to")],
    subjects: Annotated[int, typer.Option(min=1, help="People to generate")] = 10_000,
    months: Annotated[int, typer.Option(min=1, max=120, help="Months of history")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data)")] = 0,
    end_month: Annotated[str, typer.Option(help="Last month generated, YYYY-MM")] = "2026-10",
) -> None:
    """Write a synthetic population with ground truth (see README)."""
    from credo.synth import generate_population  # noqa: PLC0415 - keeps other commands quick to start

    with progress_bar() as progress:
        task = progress.add_task("generating people", total=subjects)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summary = generate_population(
            out_dir,
            subjects=subjects,
            months=months,
            seed=seed,
            end_month=end_month,
            on_progress=on_progress,
        )
    table = Table(title=f"synthetic population in {out_dir}", show_header=False)
    table.add_row("subjects", f"{summary.subjects:,} (of which sybils {summary.sybils:,})")
    table.add_row("months", str(summary.months))
    for name, count in summary.events.items():
        table.add_row(f"events from {name}", f"{count:,}")
    table.add_row("people who default", f"{summary.defaults:,} ({summary.bad_rate:.1%})")
    out.print(table)


@import_app.command("berka")
def import_berka_command(
    data_dir: Annotated[Path, typer.Argument(help="Folder of the Berka PKDD'99 CSV files")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the dataset to")],
) -> None:
    """Map the Berka Czech bank data into a credo dataset (events, consents, outcomes)."""
    from credo.events.berka import import_berka  # noqa: PLC0415 - pandas only when asked for

    with progress_bar() as progress:
        task = progress.add_task("importing Berka", total=None)
        summary = import_berka(
            data_dir, out_dir, on_progress=lambda step: progress.update(task, description=step)
        )
    table = Table(title=f"Berka dataset in {out_dir}", show_header=False)
    for key, value in asdict(summary).items():
        table.add_row(
            key, json.dumps(value, default=str) if isinstance(value, dict) else str(value)
        )
    out.print(table)


def main() -> None:
    """Entry point: run the app, turning credo errors into a message and an exit code."""
    try:
        app()
    except InvalidInputError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(2)
    except CredoError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(1)
