"""The dashboard through the app (no browser): sessions, forged forms, and each person seeing
only their own data, through the same services and refusals as the API."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.web.session import PERSON_COOKIE, form_token
from web.world import OTHER_PASSWORD, PASSWORD, World

from factories import OTHER, PERSON

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PHRASE = "erase everything credo holds about me"


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.home)) as test_client:
        yield test_client


def log_in(client: TestClient, identifier: str = PERSON, password: str = PASSWORD) -> str:
    """Log in through the form; returns the form token of the person's page."""
    page = client.get("/login")
    found = CSRF.search(page.text)
    assert found is not None
    answer = client.post(
        "/login",
        data={
            "csrf": found.group(1),
            "method": "password",
            "identifier": identifier,
            "password": password,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    me = client.get("/me")
    assert me.status_code == 200
    token = CSRF.search(me.text)
    assert token is not None
    return token.group(1)


# --- sessions and forged forms ----------------------------------------------------------------


def test_the_pages_are_not_part_of_the_api_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert paths
    assert all(p.startswith("/v1/") or p == "/healthz" for p in paths), sorted(paths)


def test_the_session_cookie_holds_the_api_session_and_no_script_can_read_it(
    client: TestClient,
) -> None:
    csrf = CSRF.search(client.get("/login").text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"csrf": csrf.group(1), "identifier": PERSON, "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(PERSON_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    token = client.cookies[PERSON_COOKIE]
    api = client.get("/v1/me/score", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert api.json()["score"] == 640


def test_a_login_posted_without_the_login_form_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/login",
        data={"csrf": "x" * 43, "identifier": PERSON, "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "expired" in answer.text
    assert PERSON_COOKIE not in client.cookies


def test_a_wrong_password_is_said_without_telling_who_exists(client: TestClient) -> None:
    csrf = CSRF.search(client.get("/login").text)
    assert csrf is not None
    answer = client.post(
        "/login", data={"csrf": csrf.group(1), "identifier": PERSON, "password": "wrong" * 3}
    )
    assert answer.status_code == 401
    assert "The identifier or the password is wrong." in answer.text


def test_a_person_logs_in_with_a_one_time_code(client: TestClient, world: World) -> None:
    code = world.home.people.issue_code(PERSON)
    csrf = CSRF.search(client.get("/login").text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "method": "code", "identifier": PERSON, "code": code}
    answer = client.post("/login", data=form, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/me")
    client.cookies.clear()
    fresh = CSRF.search(client.get("/login").text)
    assert fresh is not None
    again = client.post("/login", data={**form, "csrf": fresh.group(1)})
    assert again.status_code == 401  # a code works once


@pytest.mark.parametrize("sent", [None, "", "0" * 64])
def test_a_form_without_the_session_form_token_is_refused(
    client: TestClient, world: World, sent: str | None
) -> None:
    log_in(client)
    data = {} if sent is None else {"csrf": sent}
    answer = client.post(f"/me/grants/{world.request_id}/approve", data=data)
    assert answer.status_code == 403
    assert "expired" in answer.text
    subject = world.home.tokeniser.subject(PERSON)
    assert [g.id for g in world.home.grants.pending_for(subject)] == [world.request_id]


def test_the_form_token_of_another_session_is_refused(client: TestClient, world: World) -> None:
    log_in(client)
    elsewhere = world.home.people.login(PERSON, PASSWORD)
    answer = client.post(
        f"/me/grants/{world.request_id}/approve", data={"csrf": form_token(elsewhere.token)}
    )
    assert answer.status_code == 403


def test_a_form_with_the_token_acts(client: TestClient, world: World) -> None:
    csrf = log_in(client)
    answer = client.post(
        "/me/consents",
        data={"csrf": csrf, "category": "network", "source": "*", "action": "withdraw"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/me?done=consent#consents"
    mine = world.home.consents.show_subject(world.home.tokeniser.subject(PERSON))
    assert ("network", "*", False) in [(c, s, g) for c, s, g, _ in mine]
    assert "Your choice is saved" in client.get("/me?done=consent").text


def test_a_consent_form_is_checked_like_the_api_request(client: TestClient) -> None:
    csrf = log_in(client)
    answer = client.post(
        "/me/consents",
        data={"csrf": csrf, "category": "religion", "source": "*", "action": "withdraw"},
    )
    assert answer.status_code == 422
    assert "category" in answer.text


def test_pages_and_actions_need_a_session(client: TestClient, world: World) -> None:
    for path in ("/me", "/me/records", "/me/export.json", "/me/erase"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login"), path
    answer = client.post(
        f"/me/grants/{world.request_id}/approve", data={"csrf": "x"}, follow_redirects=False
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")


def test_logging_out_ends_the_session_for_the_api_too(client: TestClient) -> None:
    csrf = log_in(client)
    token = client.cookies[PERSON_COOKIE]
    answer = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.headers["location"] == "/login"
    assert PERSON_COOKIE not in client.cookies
    api = client.get("/v1/me/score", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


def test_pages_allow_no_script_no_framing_and_no_caching(client: TestClient) -> None:
    log_in(client)
    headers = client.get("/me").headers
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "script-src" not in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


# --- one person, one person's data ------------------------------------------------------------


def test_a_person_sees_only_their_own_score_and_requests(client: TestClient, world: World) -> None:
    log_in(client, OTHER, OTHER_PASSWORD)
    page = client.get("/me").text
    assert 'class="dial-score" text-anchor="middle">702<' in page
    assert "Higher than 91% of people" in page
    assert ">640<" not in page
    assert f'id="grant-{world.other_request_id}"' in page
    assert f'id="grant-{world.request_id}"' not in page


def test_a_person_cannot_act_on_another_persons_request(client: TestClient, world: World) -> None:
    csrf = log_in(client, OTHER, OTHER_PASSWORD)
    answer = client.post(f"/me/grants/{world.request_id}/approve", data={"csrf": csrf})
    assert answer.status_code == 404  # as the API answers: it does not tell the grant exists
    subject = world.home.tokeniser.subject(PERSON)
    assert [g.id for g in world.home.grants.pending_for(subject)] == [world.request_id]


def test_a_person_cannot_dispute_another_persons_record(client: TestClient, world: World) -> None:
    csrf = log_in(client, OTHER, OTHER_PASSWORD)
    assert client.get("/me/disputes/new?source=bank&event_id=bank-r1").status_code == 404
    answer = client.post(
        "/me/disputes",
        data={"csrf": csrf, "source": "bank", "event_id": "bank-r1", "statement": "not mine"},
    )
    assert answer.status_code == 404
    assert world.home.disputes.for_subject(world.home.tokeniser.subject(PERSON)) == []


def test_the_records_and_the_export_are_the_persons_own(client: TestClient, world: World) -> None:
    log_in(client, OTHER, OTHER_PASSWORD)
    records = client.get("/me/records").text
    assert "bank-o1" in records
    assert "bank-r1" not in records
    export = client.get("/me/export.json")
    assert export.headers["content-disposition"].startswith("attachment")
    document = export.json()
    assert document["subject"] == world.home.tokeniser.subject(OTHER)
    assert [e["event_id"] for e in document["events"]] == ["bank-o1"]


def test_a_person_erases_themselves_from_the_page(client: TestClient, world: World) -> None:
    token = log_in(client)
    form = client.get("/me/erase")
    assert "erase everything credo holds about me" in form.text
    found = CSRF.search(form.text)
    assert found is not None
    assert found.group(1) == token
    forged = client.post("/me/erase", data={"confirm": PHRASE}, follow_redirects=False)
    assert forged.status_code == 403
    wrong = client.post("/me/erase", data={"csrf": token, "confirm": "yes please"})
    assert wrong.status_code == 422
    assert "exactly to confirm" in wrong.text
    subject = world.home.tokeniser.subject(PERSON)
    assert world.home.snapshots.score(subject) is not None  # nothing erased yet

    done = client.post("/me/erase", data={"csrf": token, "confirm": PHRASE})

    assert done.status_code == 200, done.text
    assert "Your data is erased" in done.text
    assert world.home.snapshots.score(subject) is None
    assert PERSON_COOKIE not in client.cookies
    assert client.get("/me", follow_redirects=False).status_code == 303
    assert world.home.audit.verify().ok


# --- partners and operators -------------------------------------------------------------------


def test_the_partner_console_checks_the_key_each_time(client: TestClient, world: World) -> None:
    form = {"authorization_id": str(world.request_id), "min": "600"}
    refused = client.post("/partner/threshold", data={**form, "api_key": "credo_" + "x" * 43})
    assert refused.status_code == 401
    assert "The API key is not valid." in refused.text
    pending = client.post("/partner/threshold", data={**form, "api_key": world.partner_key})
    assert pending.status_code == 409
    assert "pending" in pending.text
    assert world.partner_key not in pending.text
    assert not client.cookies


def test_a_partner_sees_only_its_own_authorizations(client: TestClient, world: World) -> None:
    _rival, key = world.home.partners.add("rival", ["lending"])
    answer = client.post(
        "/partner/status", data={"api_key": key, "authorization_id": str(world.request_id)}
    )
    assert answer.status_code == 404


def test_a_partner_asks_for_access_through_the_console(client: TestClient, world: World) -> None:
    answer = client.post(
        "/partner/authorizations",
        data={
            "api_key": world.partner_key,
            "identifier": OTHER,
            "purpose": "lending",
            "scope": "band",
            "duration_days": "10",
        },
    )
    assert answer.status_code == 201
    assert "pending" in answer.text
    pending = world.home.grants.pending_for(world.home.tokeniser.subject(OTHER))
    assert {(g.purpose, g.scope, g.duration_days) for g in pending} >= {("lending", "band", 10)}


def test_the_operator_page_needs_a_live_operator_token(client: TestClient, world: World) -> None:
    login = client.get("/operator")
    assert "Sign in with an operator token" in login.text
    csrf = CSRF.search(login.text)
    assert csrf is not None
    wrong = client.post("/operator/login", data={"csrf": csrf.group(1), "token": "x" * 43})
    assert wrong.status_code == 401
    forged = client.post("/operator/login", data={"csrf": "y" * 43, "token": world.operator_token})
    assert forged.status_code == 403
    client.post("/operator/login", data={"csrf": csrf.group(1), "token": world.operator_token})
    page = client.get("/operator").text
    assert "Scores being served" in page
    assert "excellent" in page
    assert client.get("/operator/model-report").status_code == 404  # no report was written
