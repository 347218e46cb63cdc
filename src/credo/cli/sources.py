"""``credo source …``: register sources, list them, estimate their reliability, pin it."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from credo.cli.shell import JsonFlag, app, err, open_home, out, progress_bar, wide
from credo.events.reliability import ReliabilityEstimate
from credo.events.schemas import CATEGORIES
from credo.events.sources import Source, StoredEstimate

__all__ = ["source_add", "source_list", "source_pin", "source_reliability", "source_unpin"]

source_app = typer.Typer(
    help="Register and list sources; estimate, pin and unpin their reliability.",
    no_args_is_help=True,
)
app.add_typer(source_app, name="source")


@source_app.command("add")
def source_add(
    name: str,
    categories: Annotated[str, typer.Option(help=f"Comma-separated: {','.join(CATEGORIES)}")],
    reliability: Annotated[
        float,
        typer.Option(
            help="Share of its records taken as true, (0,1]: its weight until estimated, and "
            "the prior of every estimate"
        ),
    ] = 1.0,
    description: Annotated[str, typer.Option(help="What the source is")] = "",
) -> None:
    """Register a source that may send events of the given categories."""
    home = open_home()
    home.require_ready()
    source = home.sources.add(name, categories, reliability=reliability, description=description)
    out.print(
        f"source [bold]{source.name}[/] registered: {','.join(sorted(source.categories))}, "
        f"reliability {source.reliability:.2f}"
    )


@source_app.command("list")
def source_list(as_json: JsonFlag = False) -> None:
    """List the registered sources, with where each one's reliability comes from."""
    home = open_home()
    home.require_ready()
    rows = home.sources.all()
    stored = home.sources.last_estimates()
    if as_json:
        payload = [
            {
                **asdict(s),
                "categories": sorted(s.categories),
                "created_at": s.created_at.isoformat(),
                "reliability_basis": _basis(s, stored.get(s.name)),
            }
            for s in rows
        ]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    table = Table("source", "categories", "reliability", "basis", "description")
    for s in rows:
        table.add_row(
            s.name,
            ",".join(sorted(s.categories)),
            f"{s.reliability:.2f}",
            _basis(s, stored.get(s.name)),
            s.description,
        )
    out.print(table)


def _basis(source: Source, stored: StoredEstimate | None) -> str:
    """Where a source's reliability comes from: pinned, an estimate (of when), or declared."""
    if source.reliability_pinned:
        return "pinned"
    if stored is not None and stored.applied:
        return f"estimated {stored.estimated_at.date().isoformat()}"
    return "declared"


@source_app.command("reliability")
def source_reliability(
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Store the estimates as the weights of the sources not pinned (the next run "
            "uses them), with their evidence, in the audit chain",
        ),
    ] = False,
    evidence: Annotated[
        bool,
        typer.Option(help="Also show the evidence per category of data and family of facts"),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Estimate each source's reliability from agreement and disputes, with the evidence.

    Agreement: how often the other sources confirm the facts it shares with them (personal
    details, arrears), beyond chance. Disputes: upheld ones count as false records.
    """
    home = open_home()
    home.require_ready()
    with progress_bar() as progress:
        progress.add_task("comparing the sources' facts", total=None)
        estimates = home.source_reliability()
    applied = home.sources.apply_estimates(estimates, audit=home.audit) if apply else None
    if as_json:
        payload: dict[str, object] = {"estimates": [e.to_json() for e in estimates]}
        if applied is not None:
            payload["applied"] = {
                "at": applied.at.isoformat(),
                "weights": {k: {"from": a, "to": b} for k, (a, b) in applied.weights.items()},
                "pinned": list(applied.pinned),
            }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    _print_estimates(estimates, evidence=evidence)
    if applied is None:
        err.print("[yellow]tip:[/] --apply stores the estimates; the next `credo run` uses them")
        return
    moved = {k: v for k, v in applied.weights.items() if round(v[0], 3) != round(v[1], 3)}
    for name, (before, after) in sorted(moved.items()):
        out.print(f"{name}: reliability {before:.3f} -> {after:.3f}")
    kept = sorted(set(applied.weights) - set(moved))
    if kept:
        out.print(f"unchanged: {', '.join(kept)}")
    if applied.pinned:
        out.print(f"pinned, kept: {', '.join(applied.pinned)}")
    out.print("stored; the next `credo run` weighs each source's events by its reliability")


def _print_estimates(estimates: list[ReliabilityEstimate], *, evidence: bool) -> None:
    table = Table(
        title="source reliability (facts other sources confirm; disputes upheld/rejected)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("source", no_wrap=True)
    for heading in ("now", "estimate", "declared", "set by", "confirmed", "disputes"):
        table.add_column(heading, justify="left" if heading == "set by" else "right")
    for e in estimates:
        table.add_row(
            e.source,
            f"{e.current:.3f}",
            f"{e.estimate:.3f} ± {e.spread:.3f}",
            f"{e.declared:.2f}",
            "pinned" if e.pinned else e.set_by,
            f"{e.agreeing:,}/{e.facts:,}",
            f"{e.disputes_upheld:,}/{e.disputes_rejected:,}",
        )
    wide(100).print(table)
    if not evidence:
        err.print("--evidence shows how each estimate was reached, per category of data")
        return
    detail = Table(
        title="evidence by category of data and family of facts "
        "(kappa: agreement beyond chance; reference: the most agreeing source's)"
    )
    for heading in ("source", "category", "estimate", "family", "records", "overlapping"):
        detail.add_column(heading, justify="left" if heading in _TEXT else "right")
    for heading in ("agreement", "chance", "kappa", "reference", "true share"):
        detail.add_column(heading, justify="right")
    for e in estimates:
        for c in e.categories:
            shares = [f for f in e.families if f.category == c.category]
            if not shares:
                detail.add_row(e.source, c.category, f"{c.estimate:.3f}", "not checked")
            for f in shares:
                detail.add_row(
                    e.source,
                    c.category,
                    f"{c.estimate:.3f}",
                    f.family,
                    f"{f.records:,}",
                    f"{f.facts:,}",
                    _rate(f.agreement),
                    _rate(f.chance),
                    _rate(f.kappa),
                    _rate(f.reference),
                    _rate(f.true_share) if f.true_share is not None else "no signal",
                )
    wide(150).print(detail)


_TEXT = ("source", "category", "family")


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@source_app.command("pin")
def source_pin(
    name: Annotated[str, typer.Argument(help="The registered source")],
    reliability: Annotated[float, typer.Argument(help="The weight to keep, in (0, 1]")],
) -> None:
    """Pin a source's reliability: estimates no longer change it."""
    home = open_home()
    home.require_ready()
    source = home.sources.pin(name, reliability, audit=home.audit)
    out.print(f"source [bold]{source.name}[/] pinned at reliability {source.reliability:.3f}")


@source_app.command("unpin")
def source_unpin(name: Annotated[str, typer.Argument(help="The registered source")]) -> None:
    """Unpin a source's reliability: the next `credo source reliability --apply` sets it."""
    home = open_home()
    home.require_ready()
    source = home.sources.unpin(name, audit=home.audit)
    out.print(
        f"source [bold]{source.name}[/] unpinned (reliability {source.reliability:.3f} until the "
        "next `credo source reliability --apply`)"
    )
