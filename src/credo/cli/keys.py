"""``credo keys list | rotate | retire``: the master keys and what each still protects.

Rotation is online: the vault stays readable and writable while wrapped keys move to the new
master key batch by batch, and an interrupted rotation is finished by running it again.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from credo.cli.shell import JsonFlag, app, err, open_home, out, progress_bar
from credo.privacy.rotation import DEFAULT_BATCH, Keyring

__all__ = ["keys_list", "keys_retire", "keys_rotate"]

keys_app = typer.Typer(
    help="Master keys: which wraps what, rotation, retirement.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


def _keyring() -> Keyring:
    home = open_home()
    home.require_ready()
    return Keyring(home.engine, home.keys)


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """Master keys, the active one, and how many wrapped keys each still protects."""
    usage, unknown = _keyring().usage()
    if as_json:
        doc = {"keys": [asdict(u) for u in usage], "unknown_key": unknown}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    table = Table()
    for heading in ("key", "status", "wraps"):
        table.add_column(heading)
    for u in usage:
        status = "active" if u.is_active else ("retirable" if u.wrapped == 0 else "old")
        table.add_row(u.key_id, status, str(u.wrapped))
    out.print(table)
    if unknown:
        err.print(
            f"[red]{unknown} wrapped keys name a master key that is not available: "
            "they cannot be read until it is restored[/]"
        )


@keys_app.command("rotate")
def keys_rotate(
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Wrapped keys re-wrapped per transaction")
    ] = DEFAULT_BATCH,
    as_json: JsonFlag = False,
) -> None:
    """Make a new master key active and re-wrap the vault under it, online.

    After an interruption, run it again: it re-wraps what is left instead of making a key.
    """
    keyring = _keyring()
    with progress_bar() as progress:
        task = progress.add_task("re-wrapping keys", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = keyring.rotate(batch_size=batch_size, progress=on_progress)
    if as_json:
        sys.stdout.write(json.dumps(asdict(report)) + "\n")
        return
    if report.created:
        out.print(f"new master key [bold]{report.key_id}[/] is active")
    else:
        out.print(f"finished the rotation to master key [bold]{report.key_id}[/]")
    out.print(f"re-wrapped {report.rewrapped} keys in {report.batches} batches")
    if report.retirable:
        ids = ", ".join(report.retirable)
        out.print(f"old keys that wrap nothing now: {ids} (`credo keys retire KEY_ID`)")


@keys_app.command("retire")
def keys_retire(
    key_id: Annotated[str, typer.Argument(help="An old key that wraps nothing any more")],
) -> None:
    """Destroy an old master key (refused while anything is still wrapped by it)."""
    _keyring().retire(key_id)
    out.print(f"retired master key {key_id}: its key file is deleted")
