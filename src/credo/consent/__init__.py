"""Consent: collection consents (and, later, partner grants), decided fail-closed."""

from credo.consent.collection import (
    ALL_SOURCES,
    ConsentChange,
    ConsentImport,
    ConsentRegistry,
    is_collection_allowed,
)

__all__ = [
    "ALL_SOURCES",
    "ConsentChange",
    "ConsentImport",
    "ConsentRegistry",
    "is_collection_allowed",
]
