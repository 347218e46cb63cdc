"""``credo demo access``: logins to try the API and the pages on a demo home."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from credo.cli.shell import JsonFlag, app, open_home, out
from credo.errors import ConfigurationError

__all__ = ["DEMO_PARTNER", "DEMO_PASSWORD", "demo_access"]

demo_app = typer.Typer(help="Helpers for the demo home (never for production).")
app.add_typer(demo_app, name="demo")

DEMO_PARTNER = "demo-lender"
DEMO_PASSWORD = "credo-demo-password"  # noqa: S105 - printed on purpose: a demo login


@demo_app.command("access")
def demo_access(
    person: Annotated[str, typer.Option("--person", help="the demo person's identifier")],
    host: Annotated[str, typer.Option("--url", help="where the API will listen")] = (
        "http://127.0.0.1:8000"
    ),
    as_json: JsonFlag = False,
) -> None:
    """Give a demo person a password, register a demo partner (printing its key, once), and
    have the partner ask the person for access, so there is a request to approve."""
    home = open_home()
    home.require_ready()
    if home.settings.env == "production":
        raise ConfigurationError("demo logins cannot be made when CREDO_ENV=production")
    home.people.set_password(person, DEMO_PASSWORD)
    partner, key = home.partners.add(DEMO_PARTNER, ["lending", "rental"], is_source=False)
    request = home.grants.request(
        partner, person, purpose="lending", scope="score_reasons", duration_days=90
    )
    operator = home.people.issue_operator_token(hours=72)
    doc = {
        "url": host,
        "pages": {
            "person": f"{host}/login",
            "partner": f"{host}/partner",
            "operator": f"{host}/operator",
        },
        "person": {"identifier": person, "password": DEMO_PASSWORD},
        "partner": {"name": partner.name, "api_key": key, "authorization": request.id},
        "operator_token": operator,
    }
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    out.print(f"[bold]demo person[/]   identifier {person}  password {DEMO_PASSWORD}")
    out.print(f"[bold]demo partner[/]  {partner.name}  API key {key}")
    out.print(f"[bold]operator[/]      token {operator}")
    out.print(
        f"The partner has asked the person for access (authorization {request.id}, scope "
        "score_reasons). Try:"
    )
    login = json.dumps({"identifier": person, "password": DEMO_PASSWORD})
    out.print(
        f"  TOKEN=$(curl -s {host}/v1/login -H 'content-type: application/json' "
        f"-d '{login}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')",
        highlight=False,
    )
    out.print(f'  curl -s {host}/v1/me/score -H "Authorization: Bearer $TOKEN"', highlight=False)
    out.print(
        f"  curl -s -X POST {host}/v1/me/grants/{request.id}/approve "
        f'-H "Authorization: Bearer $TOKEN"',
        highlight=False,
    )
    out.print(
        f"  curl -s {host}/v1/partner/authorizations/{request.id} "
        f'-H "Authorization: Bearer {key}"   # the open_id, once approved',
        highlight=False,
    )
    out.print(
        f"  curl -s '{host}/v1/partner/subjects/OPEN_ID/threshold?min=650' "
        f'-H "Authorization: Bearer {key}"',
        highlight=False,
    )
    out.print(f"API reference: {host}/docs (OpenAPI at {host}/openapi.json)", highlight=False)
    out.print(
        f"Pages: {host}/login (the person), {host}/partner (the partner's key), "
        f"{host}/operator (the operator token)",
        highlight=False,
    )
