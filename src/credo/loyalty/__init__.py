"""Loyalty: the privileges a score earns, as a catalogue of safe rules over a person's facts."""

from credo.loyalty.catalogue import (
    CATEGORIES,
    CREDO,
    Catalogue,
    Privilege,
    default_catalogue,
    load_catalogue,
    loads_catalogue,
)
from credo.loyalty.evaluate import PrivilegeStatus, Reachable, evaluate_privileges, is_near
from credo.loyalty.facts import BANDS, DIMENSIONS, FACT_NAMES, Facts
from credo.loyalty.gaps import Gap
from credo.loyalty.rules import Rule, parse_rule

__all__ = [
    "BANDS",
    "CATEGORIES",
    "CREDO",
    "DIMENSIONS",
    "FACT_NAMES",
    "Catalogue",
    "Facts",
    "Gap",
    "Privilege",
    "PrivilegeStatus",
    "Reachable",
    "Rule",
    "default_catalogue",
    "evaluate_privileges",
    "is_near",
    "load_catalogue",
    "loads_catalogue",
    "parse_rule",
]
