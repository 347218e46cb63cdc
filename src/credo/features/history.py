"""Credit history characteristics: delinquency, repayment, utilisation, debt, age of credit.

Weights: counts and shares add up reliability weights; a worst days-past-due is the worst of
``w * days`` (a 90-day delinquency from a source of reliability 0.6 counts as 54 days), so an
unreliable source can never make a record look worse than a reliable one would.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from credo.features.asof import DAYS_PER_MONTH, exact_sum, latest_per_key

__all__ = ["history"]

_DELINQUENT_DAYS = 30


def _revolving(e: ir.Table) -> ir.Table:
    """Per subject: latest credit balances and latest limits of open lines, summed."""
    snaps = e.filter((e.type == "balance_snapshot") & (e.kind == "credit"))
    balances = latest_per_key(
        snaps, snaps.amount_minor.cast("float64") * snaps.w, ["subject", "account_ref"]
    )
    lines = e.filter(e.type == "credit_line")
    limit = ibis.cases((lines.status == "closed", 0.0), else_=lines.amount_minor.cast("float64"))
    limits = latest_per_key(lines, limit, ["subject", "account_ref"])
    debt = balances.group_by("subject").aggregate(total_debt=exact_sum(balances.value))
    total = limits.group_by("subject").aggregate(total_limit=exact_sum(limits.value))
    both = debt.outer_join(total, "subject")
    return both.select(
        subject=ibis.coalesce(both.subject, both.subject_right),
        hist_total_debt_minor=both.total_debt,
        hist_utilisation=ibis.cases(
            (both.total_limit > 0, ibis.coalesce(both.total_debt, 0.0) / both.total_limit),
            else_=ibis.null("float64"),
        ),
    )


def history(e: ir.Table) -> ir.Table:
    """The ``hist_*`` characteristics of every subject with a credit-history event."""
    h = e.filter(e.category == "history")
    dpd_event = h.type.isin(["repayment", "default"])
    weighted_dpd = h.days_past_due.cast("float64") * h.w
    in12, in24 = h.age_days <= 365, h.age_days <= 730
    delinquent = (h.type.isin(["default", "collection"]) & (h.w >= 0.5)) | (
        (h.type == "repayment") & (weighted_dpd >= _DELINQUENT_DAYS)
    )
    repaid = (h.type == "repayment") & in12
    on_time = h.w * (h.days_past_due == 0).cast("float64")
    main = h.group_by("subject").aggregate(
        hist_worst_dpd_12m=weighted_dpd.max(where=dpd_event & in12),
        hist_worst_dpd_24m=weighted_dpd.max(where=dpd_event & in24),
        hist_months_since_delinquency=h.age_days.min(where=delinquent) / DAYS_PER_MONTH,
        on_time=exact_sum(on_time, repaid),
        repaid=exact_sum(h.w, repaid),
        hist_age_oldest_credit_months=h.age_days.max(
            where=h.type.isin(["loan_opened", "credit_line"])
        )
        / DAYS_PER_MONTH,
        hist_defaults_24m=exact_sum(h.w, h.type.isin(["default", "collection"]) & in24),
        hist_new_loans_6m=exact_sum(h.w, (h.type == "loan_opened") & (h.age_days <= 182)),
    )
    revolving = _revolving(e)
    joined = main.left_join(revolving, "subject")
    return joined.select(
        "subject",
        "hist_worst_dpd_12m",
        "hist_worst_dpd_24m",
        "hist_months_since_delinquency",
        hist_on_time_share_12m=ibis.cases(
            (joined.repaid > 0, joined.on_time / joined.repaid), else_=ibis.null("float64")
        ),
        hist_utilisation=joined.hist_utilisation,
        hist_total_debt_minor=joined.hist_total_debt_minor,
        hist_age_oldest_credit_months=joined.hist_age_oldest_credit_months,
        hist_defaults_24m=ibis.coalesce(joined.hist_defaults_24m, 0.0),
        hist_new_loans_6m=ibis.coalesce(joined.hist_new_loans_6m, 0.0),
    )
