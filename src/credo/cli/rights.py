"""``credo rights …``: a person's rights exercised by an operator on their behalf."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from credo.cli.shell import app, err, open_home, out
from credo.rights.export import export_person

__all__ = ["rights_erase", "rights_export", "rights_retention"]

rights_app = typer.Typer(help="People's rights: export, erasure, retention.")
app.add_typer(rights_app, name="rights")


@rights_app.command("export")
def rights_export(
    person: Annotated[str, typer.Argument(help="National id or phone (or --token)")],
    token: Annotated[bool, typer.Option(help="PERSON is a subject token")] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write the document here (default: stdout)")
    ] = None,
) -> None:
    """Everything credo holds about a person, as one JSON document (access and portability)."""
    home = open_home()
    home.require_ready()
    subject = person if token else home.tokeniser.subject(person)
    document = export_person(home.export_sources(), subject)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out_file is None:
        sys.stdout.write(text)
        return
    out_file.write_text(text, encoding="utf-8")
    out_file.chmod(0o600)  # it holds personal data in the clear
    err.print(
        f"wrote {out_file}: {len(document['personal_data'])} personal values, "
        f"{len(document['events'])} events, {len(document['scores'])} scores"
    )


@rights_app.command("erase")
def rights_erase(
    person: Annotated[
        str | None, typer.Argument(help="National id or phone (or --token); omit with --pending")
    ] = None,
    token: Annotated[bool, typer.Option(help="PERSON is a subject token")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    pending: Annotated[
        bool, typer.Option(help="only purge the lake of people erased earlier (queued)")
    ] = False,
) -> None:
    """Erase a person for good: store, vault key, scores, grants, consents, disputes, login,
    their events and the ties naming them in the lake; the audit chain keeps a PII-free
    tombstone. Waits for a monthly run that is reading the lake."""
    home = open_home()
    home.require_ready()
    if pending or person is None:
        if person is not None:
            raise typer.BadParameter("give either PERSON or --pending, not both")
        if not pending:
            raise typer.BadParameter("give the PERSON to erase (or --pending)")
        queued = home.erasures.pending()
        purge = home.erasures.purge_pending()
        if purge is None:
            out.print("no erased person is waiting for the lake purge")
            return
        out.print(
            f"purged the lake of {queued} erased people: {purge.deleted} events deleted, "
            f"{purge.blanked} transfers lost their counterpart, {purge.files_removed} files "
            f"and {purge.logs_removed} log files removed (lake version {purge.version})"
        )
        return
    subject = person if token else home.tokeniser.subject(person)
    if not yes:
        typer.confirm(
            "Erase everything credo holds about this person? There is no undo", abort=True
        )
    err.print("erasing (a monthly run reading the lake is waited for)")
    erasure = home.erasures.erase(subject, actor="operator")
    removed = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in erasure.removed.items() if n)
    out.print(f"erased from the store: {removed or 'nothing'}")
    out.print(f"audit entries made unlinkable: {erasure.audit_entries} (tombstone appended)")
    if erasure.purge is not None:
        out.print(
            f"lake: {erasure.purge.deleted} events deleted, {erasure.purge.blanked} transfers "
            f"lost their counterpart, {erasure.purge.files_removed} files vacuumed, "
            f"{erasure.purge.logs_removed} old log files removed"
        )


@rights_app.command("retention")
def rights_retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only count what has expired; purge nothing")
    ] = False,
) -> None:
    """Purge the negative records whose retention period ran out (five years after the
    behaviour ended by default, per category: CREDO_RIGHTS__RETENTION_YEARS). They already
    count nowhere; this removes them from the lake, its old files and its log."""
    home = open_home()
    home.require_ready()
    err.print("finding negative records past their retention period")
    found = home.apply_retention(dry_run=dry_run)
    if not found.expired:
        out.print("no negative record has passed its retention period")
        return
    kinds = ", ".join(f"{n} {kind}" for kind, n in found.by_type.items())
    verb = "would purge" if dry_run else "purged"
    out.print(f"{verb} {found.expired} expired negative records ({kinds})")
    if found.superseded:
        out.print(f"{verb} {found.superseded} records they had corrected")
    if found.purge is not None:
        out.print(
            f"lake: {found.purge.deleted} events deleted, {found.purge.files_removed} files "
            f"vacuumed, {found.purge.logs_removed} old log files removed "
            f"(version {found.purge.version})"
        )
