"""The eight synthetic sources, their categories and reliabilities."""

from __future__ import annotations

from credo.events.dataset import SourceSpec
from credo.events.schemas import CATEGORIES, TYPE_CATEGORY, Category

__all__ = ["SOURCES", "SOURCE_NAMES", "category_index", "sources_emitting"]

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        "bank",
        ("history", "capacity", "identity"),
        0.98,
        "Retail bank: instalment loans, deposit balances, verified income and identity",
    ),
    SourceSpec(
        "card_issuer",
        ("history", "capacity"),
        0.95,
        "Credit-card issuer: lines, statements, repayments, balances",
    ),
    SourceSpec(
        "ecommerce",
        ("behavior", "capacity", "identity"),
        0.9,
        "Marketplace: purchases, refunds, deposit-free orders, account profile",
    ),
    SourceSpec("utility", ("behavior",), 0.95, "Electricity, water and gas bills"),
    SourceSpec(
        "telecom",
        ("behavior", "identity", "capacity"),
        0.9,
        "Mobile operator: monthly bills, phone contract, real-name registration",
    ),
    SourceSpec("social", ("network", "identity"), 0.7, "Social app: declared ties, profile"),
    SourceSpec("rental", ("capacity",), 0.9, "Flat rentals and deposit-free rentals"),
    SourceSpec(
        "quickloan",
        ("history",),
        0.6,
        "Online micro-lender; part of its records are false (see false_events.parquet)",
    ),
)
"""Every source the generator writes, in a fixed order (the order is part of determinism)."""

SOURCE_NAMES: tuple[str, ...] = tuple(spec.name for spec in SOURCES)


def category_index(type_name: str) -> int:
    """Return the index in :data:`~credo.events.schemas.CATEGORIES` of an event type's category."""
    return CATEGORIES.index(TYPE_CATEGORY[type_name])


def sources_emitting(category: Category) -> tuple[int, ...]:
    """Return the indices in :data:`SOURCES` of the sources declaring ``category``."""
    return tuple(i for i, spec in enumerate(SOURCES) if category in spec.categories)
