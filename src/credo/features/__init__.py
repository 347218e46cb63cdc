"""Characteristics in five dimensions, point-in-time, as ibis expressions for any engine."""

from credo.features.asof import events_as_of
from credo.features.build import characteristics_expr
from credo.features.catalog import CATALOG, Characteristic, by_dimension, characteristic

__all__ = [
    "CATALOG",
    "Characteristic",
    "by_dimension",
    "characteristic",
    "characteristics_expr",
    "events_as_of",
]
