"""What every ``credo`` command shares: the Typer app, consoles, the home, progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from typer._click.core import Context as _ClickContext  # Typer's vendored Click

from credo.errors import CredoError, InvalidInputError
from credo.home import Home
from credo.settings import load_settings

__all__ = [
    "CredoGroup",
    "JsonFlag",
    "app",
    "err",
    "open_home",
    "out",
    "progress_bar",
    "state",
]


class CredoGroup(typer.core.TyperGroup):
    """The command group: a credo error becomes one line on standard error and an exit code
    (2 for bad input, 1 otherwise), for every command and under test runners alike."""

    def invoke(self, ctx: _ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidInputError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from exc
        except CredoError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc
        finally:  # close the database connections a command opened
            for home in state.pop("homes", []):
                home.dispose()


app = typer.Typer(
    cls=CredoGroup,
    name="credo",
    help="credo: an open credit-scoring and loyalty platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def wide(columns: int) -> Console:
    """The console to print a wide table on: in a log or a pipe (``make demo``) rich would
    squeeze it to 80 columns and cut the figures, so there it gets ``columns``."""
    return out if out.is_terminal else Console(soft_wrap=True, width=columns)


state: dict[str, Any] = {}

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


@app.callback()
def _root(
    home: Annotated[
        Path | None, typer.Option("--home", help="credo home (default $CREDO_HOME or ./credo-home)")
    ] = None,
) -> None:
    state["overrides"] = {"home": home} if home is not None else {}


def open_home(overrides: dict[str, Any] | None = None) -> Home:
    """The home the command line names (``--home``, else ``$CREDO_HOME``), with overrides."""
    home = Home(load_settings(**{**state.get("overrides", {}), **(overrides or {})}))
    state.setdefault("homes", []).append(home)
    return home


@contextmanager
def progress_bar(transient: bool = True) -> Iterator[Progress]:
    """A progress display on standard error (silent when it is not a terminal)."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
        disable=not err.is_terminal,
    )
    with progress:
        yield progress
