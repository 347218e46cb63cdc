"""Run the credo command line with ``python -m credo``."""

from credo.cli.app import main

main()
