"""``credo person`` (people's passwords and one-time codes) and ``credo operator token``.

Secrets are shown once: a one-time code or an operator token goes alone to standard output (so
a script can capture it), what it is for to standard error; a password is only ever read from
a hidden prompt, never from an argument that would stay in the shell's history.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from credo.cli.shell import app, err, open_home, out
from credo.consent.people import CODE_TTL, OPERATOR_MAX_HOURS
from credo.errors import InvalidInputError

__all__ = ["operator_token", "person_code", "person_password"]

person_app = typer.Typer(help="People's passwords and one-time codes.", no_args_is_help=True)
operator_app = typer.Typer(help="Operators' credentials.", no_args_is_help=True)
app.add_typer(person_app, name="person")
app.add_typer(operator_app, name="operator")

IdentifierArg = Annotated[
    str, typer.Argument(help="The person's national id or phone, as the sources know them")
]


@person_app.command("password")
def person_password(identifier: IdentifierArg) -> None:
    """Set a person's password (asked twice, hidden)."""
    home = open_home()
    home.require_ready()
    password = typer.prompt("password", hide_input=True)
    again = typer.prompt("password again", hide_input=True)
    if password != again:
        raise InvalidInputError("the two passwords differ; nothing was changed")
    home.people.set_password(identifier, password)
    out.print("password set; the person can log in at POST /v1/login")


@person_app.command("code")
def person_code(identifier: IdentifierArg) -> None:
    """Print a one-time login code for a person (the demo's stand-in for an SMS)."""
    home = open_home()
    home.require_ready()
    code = home.people.issue_code(identifier)
    sys.stdout.write(code + "\n")
    minutes = int(CODE_TTL.total_seconds() // 60)
    err.print(f"one-time code: valid {minutes} minutes, once; earlier codes no longer work")


@operator_app.command("token")
def operator_token(
    hours: Annotated[
        int, typer.Option(min=1, max=OPERATOR_MAX_HOURS, help="How long the token is valid")
    ] = 24,
) -> None:
    """Print a new operator token (shown this once; only its hash is kept)."""
    home = open_home()
    home.require_ready()
    token = home.people.issue_operator_token(hours=hours)
    sys.stdout.write(token + "\n")
    err.print(f"operator token valid {hours} hours; keep it secret, it is not shown again")
