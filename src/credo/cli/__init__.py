"""The ``credo`` command line."""

from credo.cli import access as _access  # noqa: F401 - registers `credo partner` and `audit`
from credo.cli import demo as _demo  # noqa: F401 - registers `credo demo access`
from credo.cli import keys as _keys  # noqa: F401 - registers `credo keys`
from credo.cli import models as _models  # noqa: F401 - registers `credo train` and `credo model`
from credo.cli import people as _people  # noqa: F401 - registers `credo person`, `operator`
from credo.cli import rights as _rights  # noqa: F401 - registers `credo rights`
from credo.cli import runs as _runs  # noqa: F401 - registers `credo run`, `runs` and `score`
from credo.cli import serve as _serve  # noqa: F401 - registers `credo serve`
from credo.cli import sources as _sources  # noqa: F401 - registers `credo source`
from credo.cli import trust as _trust  # noqa: F401 - registers `credo model fairness`, `card`
from credo.cli.app import app, main

__all__ = ["app", "main"]
