"""``credo person password|code`` and ``credo operator token`` as an operator meets them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.errors import AuthenticationError
from credo.home import Home
from credo.settings import load_settings

from factories import OTHER, PERSON

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Home]:
    """An initialised home named by $CREDO_HOME, as the commands find it."""
    monkeypatch.setenv("CREDO_HOME", str(tmp_path / "home"))
    assert runner.invoke(app, ["init", "--dev-key"]).exit_code == 0
    state = Home(load_settings())
    yield state
    state.dispose()


def test_password_is_asked_twice_and_never_shown(home: Home) -> None:
    result = runner.invoke(app, ["person", "password", PERSON], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "password set" in result.stdout
    assert PASSWORD not in result.output
    assert home.people.login(PERSON, PASSWORD).subject == home.tokeniser.subject(PERSON)


def test_two_different_passwords_change_nothing(home: Home) -> None:
    result = runner.invoke(
        app, ["person", "password", PERSON], input=f"{PASSWORD}\nsomething else\n"
    )
    assert result.exit_code == 2
    assert "the two passwords differ" in result.stderr
    with pytest.raises(AuthenticationError):
        home.people.login(PERSON, PASSWORD)


def test_a_short_password_is_refused(home: Home) -> None:
    result = runner.invoke(app, ["person", "password", PERSON], input="short\nshort\n")
    assert result.exit_code == 2
    assert "10 to 256 characters" in result.stderr


def test_code_prints_a_one_time_code_alone_on_stdout(home: Home) -> None:
    result = runner.invoke(app, ["person", "code", OTHER])
    assert result.exit_code == 0, result.output
    code = result.stdout.strip()
    assert len(code) == 8
    assert code.isdigit()
    assert "valid 15 minutes" in result.stderr
    session = home.people.login_with_code(OTHER, code)
    assert session.subject == home.tokeniser.subject(OTHER)


def test_a_malformed_identifier_is_refused(home: Home) -> None:
    result = runner.invoke(app, ["person", "code", "not a person!"])
    assert result.exit_code == 2
    assert "identifier" in result.stderr


def test_operator_token_prints_a_working_token_once(home: Home) -> None:
    result = runner.invoke(app, ["operator", "token", "--hours", "2"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    home.people.authenticate_operator(token)
    assert "valid 2 hours" in result.stderr
    again = runner.invoke(app, ["operator", "token"]).stdout.strip()
    assert again != token


@pytest.mark.parametrize("hours", ["0", "721"])
def test_operator_token_hours_are_bounded(home: Home, hours: str) -> None:
    result = runner.invoke(app, ["operator", "token", "--hours", hours])
    assert result.exit_code == 2


def test_the_commands_need_an_initialised_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDO_HOME", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["person", "code", PERSON])
    assert result.exit_code == 1
    assert "credo init" in result.stderr
