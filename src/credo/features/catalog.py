"""The feature catalogue: every characteristic declared once, with what it means.

A characteristic's description is the plain sentence reason codes use later; ``direction``
says whether a higher value means more risk; ``tip`` is what a person can do about it (empty
when nothing can be done). The ibis expressions live in one module per dimension
(:mod:`credo.features.history` …), each computing all of its dimension's characteristics in one
pass over the events; a test checks both agree name by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from credo.events.schemas import Category

__all__ = ["CATALOG", "Characteristic", "Direction", "by_dimension", "characteristic"]

Direction = Literal["higher_is_riskier", "lower_is_riskier"]


@dataclass(frozen=True, slots=True)
class Characteristic:
    """One characteristic of a person, as of a date."""

    name: str
    dimension: Category
    description: str
    direction: Direction
    window_days: int | None
    unit: str
    tip: str = ""

    @property
    def actionable(self) -> bool:
        """Whether the person can change it (it then gets a tip)."""
        return bool(self.tip)


CATALOG: tuple[Characteristic, ...] = (
    Characteristic(
        "hist_worst_dpd_12m",
        "history",
        "Worst days past due on any credit account in the last 12 months",
        "higher_is_riskier",
        365,
        "days",
        "Pay every instalment by its due date.",
    ),
    Characteristic(
        "hist_worst_dpd_24m",
        "history",
        "Worst days past due on any credit account in the last 24 months",
        "higher_is_riskier",
        730,
        "days",
        "Pay every instalment by its due date.",
    ),
    Characteristic(
        "hist_months_since_delinquency",
        "history",
        "Months since the last payment 30 or more days late, or the last default",
        "lower_is_riskier",
        None,
        "months",
        "Keep every account current; the mark fades with time.",
    ),
    Characteristic(
        "hist_on_time_share_12m",
        "history",
        "Share of repayments in the last 12 months made on time",
        "lower_is_riskier",
        365,
        "share",
        "Set up automatic payments so none is late.",
    ),
    Characteristic(
        "hist_utilisation",
        "history",
        "Balances on revolving credit lines as a share of their limits",
        "higher_is_riskier",
        None,
        "share",
        "Keep card balances well below their limits.",
    ),
    Characteristic(
        "hist_total_debt_minor",
        "history",
        "Total balance owed on credit accounts at their latest statements",
        "higher_is_riskier",
        None,
        "minor units",
        "Pay down outstanding balances.",
    ),
    Characteristic(
        "hist_age_oldest_credit_months",
        "history",
        "Months since the oldest credit account was opened",
        "lower_is_riskier",
        None,
        "months",
    ),
    Characteristic(
        "hist_defaults_24m",
        "history",
        "Defaults and collections in the last 24 months",
        "higher_is_riskier",
        730,
        "count",
        "Settle debts in collection and avoid new defaults.",
    ),
    Characteristic(
        "hist_new_loans_6m",
        "history",
        "Loans opened in the last 6 months",
        "higher_is_riskier",
        182,
        "count",
        "Avoid taking several new loans in a short time.",
    ),
    Characteristic(
        "cap_avg_deposit_balance_6m",
        "capacity",
        "Average balance of deposit accounts over the last 6 months",
        "lower_is_riskier",
        182,
        "minor units",
        "Keep a savings buffer in your accounts.",
    ),
    Characteristic(
        "cap_balance_volatility_6m",
        "capacity",
        "How much deposit balances swung over the last 6 months, relative to their level",
        "higher_is_riskier",
        182,
        "ratio",
        "Avoid running your accounts down to zero.",
    ),
    Characteristic(
        "cap_income_monthly",
        "capacity",
        "Latest verified monthly income",
        "lower_is_riskier",
        None,
        "minor units",
        "Have your income verified by a source.",
    ),
    Characteristic(
        "cap_contracts_fulfilled_24m",
        "capacity",
        "Contracts (rentals, deposit-free orders, plans) completed on time in the last 24 months",
        "lower_is_riskier",
        730,
        "count",
    ),
    Characteristic(
        "cap_contracts_broken_24m",
        "capacity",
        "Contracts broken in the last 24 months",
        "higher_is_riskier",
        730,
        "count",
        "Return rentals and honour contracts to the end.",
    ),
    Characteristic(
        "cap_late_or_broken_share_24m",
        "capacity",
        "Share of contracts ended in the last 24 months that ended late or broken",
        "higher_is_riskier",
        730,
        "share",
        "Return rented items on time.",
    ),
    Characteristic(
        "cap_deposit_free_orders_24m",
        "capacity",
        "Deposit-free orders taken in the last 24 months",
        "lower_is_riskier",
        730,
        "count",
    ),
    Characteristic(
        "id_verified",
        "identity",
        "Whether a source verified the person's identity (at that source's reliability)",
        "lower_is_riskier",
        None,
        "weight",
        "Complete real-name verification.",
    ),
    Characteristic(
        "id_document_verified",
        "identity",
        "Whether an identity document or biometric check was verified",
        "lower_is_riskier",
        None,
        "weight",
        "Verify an identity document.",
    ),
    Characteristic(
        "id_months_since_verified",
        "identity",
        "Months since identity was first verified",
        "lower_is_riskier",
        None,
        "months",
    ),
    Characteristic(
        "id_address_tenure_months",
        "identity",
        "Months at the current address (the shortest any source reported)",
        "lower_is_riskier",
        None,
        "months",
    ),
    Characteristic(
        "id_phone_tenure_months",
        "identity",
        "Months with the current phone number (the shortest any source reported)",
        "lower_is_riskier",
        None,
        "months",
    ),
    Characteristic(
        "id_profile_completeness",
        "identity",
        "Share of personal details (name, id, phone, address, e-mail) on file",
        "lower_is_riskier",
        None,
        "share",
        "Complete your profile.",
    ),
    Characteristic(
        "id_profile_agreement",
        "identity",
        "Share of personal details on which all sources agree",
        "lower_is_riskier",
        None,
        "share",
        "Ask sources to correct outdated details.",
    ),
    Characteristic(
        "id_sources",
        "identity",
        "Number of sources that report about the person",
        "lower_is_riskier",
        None,
        "count",
    ),
    Characteristic(
        "beh_tenure_months",
        "behavior",
        "Months since the first event any source reported",
        "lower_is_riskier",
        None,
        "months",
    ),
    Characteristic(
        "beh_active_months_share_12m",
        "behavior",
        "Share of the last 12 months with everyday activity (purchases, bills, transfers)",
        "lower_is_riskier",
        365,
        "share",
    ),
    Characteristic(
        "beh_essential_share_12m",
        "behavior",
        "Share of spending on essentials (groceries, utilities, transport, health, education)",
        "lower_is_riskier",
        365,
        "share",
    ),
    Characteristic(
        "beh_gambling_share_12m",
        "behavior",
        "Share of spending on gambling",
        "higher_is_riskier",
        365,
        "share",
        "Cut back on gambling.",
    ),
    Characteristic(
        "beh_bill_on_time_share_12m",
        "behavior",
        "Share of household bills (utilities, phone, rent) paid on time, by amount",
        "lower_is_riskier",
        365,
        "share",
        "Pay household bills by their due dates.",
    ),
    Characteristic(
        "beh_refund_share_12m",
        "behavior",
        "Share of spending refunded or charged back, by amount",
        "higher_is_riskier",
        365,
        "ratio",
    ),
    Characteristic(
        "beh_chargebacks_12m",
        "behavior",
        "Chargebacks in the last 12 months",
        "higher_is_riskier",
        365,
        "count",
        "Settle disputes with merchants directly.",
    ),
    Characteristic(
        "beh_spend_12m",
        "behavior",
        "Amount spent on purchases in the last 12 months",
        "lower_is_riskier",
        365,
        "minor units",
    ),
    Characteristic(
        "net_ties",
        "network",
        "Weighted number of live relationships (verified, mutual and older ties weigh more; "
        "capped at 30)",
        "lower_is_riskier",
        None,
        "weight",
    ),
    Characteristic(
        "net_verified_share",
        "network",
        "Share of relationships a source verified",
        "lower_is_riskier",
        None,
        "share",
    ),
    Characteristic(
        "net_mutual_share",
        "network",
        "Share of relationships both people declared",
        "lower_is_riskier",
        None,
        "share",
    ),
    Characteristic(
        "net_family_ties",
        "network",
        "Weighted number of family ties (capped at 10)",
        "lower_is_riskier",
        None,
        "weight",
    ),
    Characteristic(
        "net_ties_in_default_share",
        "network",
        "Share of relationships with people who defaulted in the last 24 months",
        "higher_is_riskier",
        730,
        "share",
    ),
    Characteristic(
        "net_new_ties_share",
        "network",
        "Share of relationships younger than 90 days",
        "higher_is_riskier",
        90,
        "share",
    ),
    Characteristic(
        "net_tie_age_months",
        "network",
        "Average age of relationships",
        "lower_is_riskier",
        None,
        "months",
    ),
    Characteristic(
        "net_ties_mean_score",
        "network",
        "Average of the related people's last published scores, weighted by tie strength, "
        "with the lowest and highest fifth of the weight trimmed away (missing until the "
        "first monthly run publishes scores)",
        "lower_is_riskier",
        None,
        "points",
    ),
)
"""Every characteristic credo computes, in a stable order."""

_BY_NAME = {c.name: c for c in CATALOG}
if len(_BY_NAME) != len(CATALOG):
    raise RuntimeError("duplicate characteristic names in the catalogue")


def characteristic(name: str) -> Characteristic:
    """The characteristic called ``name`` (``KeyError`` if unknown)."""
    return _BY_NAME[name]


def by_dimension(dimension: Category) -> tuple[Characteristic, ...]:
    """The characteristics of one dimension, in catalogue order."""
    return tuple(c for c in CATALOG if c.dimension == dimension)
