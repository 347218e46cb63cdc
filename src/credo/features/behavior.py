"""Behaviour and preferences: tenure, regular activity, essential spending, bills, refunds.

Shares of spending and of refunds, the amount spent and the share of bills paid on time weigh
each event by its amount and by its source's reliability: a flood of tiny purchases or tiny
bills paid on time must not outweigh one rent paid late (bench/attacks.py, strategy c); counts
add up reliability weights. Purchases, bills and refunds below :data:`MATERIAL_MINOR` are not
counted. People without any behaviour event get no values (not zeros), except tenure, which
every person with any event has.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from credo.features.asof import DAYS_PER_MONTH, exact_sum

__all__ = ["ESSENTIAL", "MATERIAL_MINOR", "behavior"]

ESSENTIAL = ("grocery", "utilities", "transport", "health", "education")
"""Merchant categories counted as essential spending."""
MATERIAL_MINOR = 1_000
"""Purchases, bills and refunds below this amount (10 in major units) are not counted: they say
nothing about a person's means and are the cheapest activity to fake (bench/attacks.py,
strategy c: a flood of one-yuan purchases used to lift people out of the "no spending" bin).
About 1% of the synthetic population's purchases are this small."""

_YEAR = 365


def _share(part: ir.FloatingValue, whole: ir.FloatingValue) -> ir.FloatingValue:
    return ibis.cases((whole > 0, ibis.coalesce(part, 0.0) / whole), else_=ibis.null("float64"))


def behavior(e: ir.Table) -> ir.Table:
    """The ``beh_*`` characteristics of every subject."""
    is_b = e.category == "behavior"
    in12 = is_b & (e.age_days <= _YEAR)
    material = e.amount_minor >= MATERIAL_MINOR
    bought = in12 & (e.type == "purchase") & material
    spend = e.amount_minor.cast("float64") * e.w
    bills = in12 & (e.type == "bill_payment") & material
    refunds = in12 & (e.type == "refund") & material
    agg = e.group_by("subject").aggregate(
        beh_events=is_b.cast("int64").sum(),
        tenure_days=e.age_days.max(),
        active_months=e.month.nunique(where=in12),
        spend=exact_sum(spend, bought),
        essential=exact_sum(spend, bought & e.merchant_category.isin(list(ESSENTIAL))),
        gambling=exact_sum(spend, bought & (e.merchant_category == "gambling")),
        bills_w=exact_sum(spend, bills),
        bills_on_time=exact_sum(spend, bills & (e.days_late == 0)),
        refunded=exact_sum(spend, refunds),
        chargebacks=exact_sum(e.w, refunds & (e.kind == "chargeback")),
    )
    seen = agg.beh_events > 0
    nothing = ibis.null("float64")

    def only_seen(value: ir.FloatingValue) -> ir.FloatingValue:
        return ibis.cases((seen, value), else_=nothing)

    return agg.select(
        "subject",
        beh_tenure_months=agg.tenure_days / DAYS_PER_MONTH,
        beh_active_months_share_12m=only_seen(agg.active_months.cast("float64") / 12),
        beh_essential_share_12m=_share(agg.essential, agg.spend),
        beh_gambling_share_12m=_share(agg.gambling, agg.spend),
        beh_bill_on_time_share_12m=_share(agg.bills_on_time, agg.bills_w),
        beh_refund_share_12m=_share(agg.refunded, agg.spend),
        beh_chargebacks_12m=only_seen(ibis.coalesce(agg.chargebacks, 0.0)),
        beh_spend_12m=only_seen(ibis.coalesce(agg.spend, 0.0)),
    )
