"""The ``credo`` command line."""

from credo.cli.app import app, main

__all__ = ["app", "main"]
