"""``credo rights …``: a person's rights exercised by an operator on their behalf."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from credo.cli.shell import app, err, open_home
from credo.rights.export import export_person

__all__ = ["rights_export"]

rights_app = typer.Typer(help="People's rights: export (and, next, erasure and retention).")
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
