"""``credo partner …`` (who may ask for scores) and ``credo audit verify`` (the chain holds)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from credo.cli.shell import JsonFlag, app, err, open_home, out
from credo.consent.partners import PURPOSES
from credo.errors import InvalidInputError

__all__ = ["audit_verify", "partner_add", "partner_disable", "partner_list"]

partner_app = typer.Typer(help="Partners: businesses that ask people for their score.")
audit_app = typer.Typer(help="The hash-chained audit log of disclosures and consent changes.")
app.add_typer(partner_app, name="partner")
app.add_typer(audit_app, name="audit")


@partner_app.command("add")
def partner_add(
    name: Annotated[str, typer.Argument(help="lowercase name, e.g. acme-lending")],
    purposes: Annotated[
        str, typer.Option("--purposes", help=f"comma list of: {', '.join(PURPOSES)}")
    ],
    source: Annotated[
        bool, typer.Option("--source", help="the partner also reports events (feedback)")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Register a partner and print its API key (shown this once: only its hash is kept)."""
    home = open_home()
    home.require_ready()
    partner, key = home.partners.add(name, purposes, is_source=source)
    if as_json:
        doc = {"name": partner.name, "purposes": list(partner.purposes), "api_key": key}
        sys.stdout.write(json.dumps(doc) + "\n")
        return
    out.print(f"partner [bold]{partner.name}[/] registered for {', '.join(partner.purposes)}")
    out.print(f"API key (shown once, keep it secret): {key}")


@partner_app.command("list")
def partner_list(as_json: JsonFlag = False) -> None:
    """Registered partners (their key prefixes, never keys)."""
    home = open_home()
    home.require_ready()
    partners = home.partners.list()
    if as_json:
        rows = [
            {
                "name": p.name,
                "purposes": list(p.purposes),
                "key_prefix": p.key_prefix,
                "is_source": p.is_source,
                "disabled": p.disabled,
            }
            for p in partners
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table()
    for heading in ("partner", "purposes", "key", "source", "status"):
        table.add_column(heading)
    for p in partners:
        table.add_row(
            p.name,
            ", ".join(p.purposes),
            p.key_prefix + "…",
            "yes" if p.is_source else "",
            "disabled" if p.disabled else "active",
        )
    out.print(table)


@partner_app.command("disable")
def partner_disable(name: str) -> None:
    """Disable a partner: its key stops working at once (its grants stay on record)."""
    home = open_home()
    home.require_ready()
    home.partners.disable(name)
    out.print(f"partner [bold]{name}[/] disabled")


def _anchor(path: Path) -> tuple[int, str] | None:
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text())
        return int(doc["id"]), str(doc["hash"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{path} is not an audit anchor: {exc}") from exc


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        Path | None,
        typer.Option(
            "--anchor",
            help="a file kept outside the database with the last verified head; it catches a "
            "chain cut short at its end, and is updated when the chain is good",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Walk the whole audit chain: exit 1 at the first altered, removed or reordered entry."""
    home = open_home()
    home.require_ready()
    report = home.audit.verify()
    ok, message = report.ok, report.message
    if ok and anchor is not None:
        pinned = _anchor(anchor)
        if pinned is not None:
            kept = home.audit.entries(start=pinned[0], limit=1)
            if not kept or kept[0].id != pinned[0] or kept[0].hash != pinned[1]:
                ok = False
                message = (
                    f"entry {pinned[0]} of the anchored head is missing or changed: the chain "
                    "was cut short or rewritten since it was last verified"
                )
        if ok:
            last = home.audit.entries(start=max(report.checked, 1), limit=1)
            if last:
                anchor.write_text(json.dumps({"id": last[0].id, "hash": last[0].hash}) + "\n")
    if as_json:
        doc = {
            "ok": ok,
            "checked": report.checked,
            "head": report.head,
            "first_bad": report.first_bad,
            "problem": report.problem,
            "message": message,
        }
        sys.stdout.write(json.dumps(doc) + "\n")
    elif ok:
        out.print(f"audit chain intact: {report.checked:,} entries, head {report.head[:16]}…")
    else:
        err.print(f"[red]audit chain broken:[/] {message}")
    if not ok:
        raise typer.Exit(1)
