"""Fixtures of the dashboard's tests: the world of :mod:`web.world` on SQLite, and that world
served by uvicorn for the browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from credo.api import create_app
from web.world import World, populate

from factories import make_home
from serving import serving


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A populated home on SQLite (the services under the pages are tested on both stores)."""
    home = make_home(tmp_path)
    yield populate(home)
    home.dispose()


@pytest.fixture
def served(world: World) -> Iterator[str]:
    """The world's app served by uvicorn in a thread on a free loopback port: its base URL."""
    with serving(create_app(world.home)) as base_url:
        yield base_url
