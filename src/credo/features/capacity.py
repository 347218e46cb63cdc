"""Fulfillment capacity: savings and their stability, income, contracts kept or broken.

Amounts from a source count at its reliability (an income reported by a 0.6-reliable source
counts as 60% of it), and an income or a deposit balance is the one the most reliable source
reporting it gives: a less reliable source can neither override nor dilute it. Counts and
shares add up reliability weights.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from credo.features.asof import exact_sum, latest_per_key

__all__ = ["capacity"]

_SIX_MONTHS = 182
_TWO_YEARS = 730


def _most_reliable(t: ir.Table) -> ir.Table:
    """The rows of ``t`` from the most reliable source of each subject among those in ``t``."""
    best = t.group_by("subject").aggregate(best_w=t.w.max())
    return t.join(best, [t.subject == best.subject, t.w == best.best_w]).select(t)


def _deposits(c: ir.Table) -> ir.Table:
    """Deposit balances of the last six months, as the most reliable source reporting them
    gives them: their mean at that source's weight (a 0.3-reliable source's balance counts as
    30% of it, and cannot add to a bank's: bench/attacks.py, strategy e) and the exact sums of
    their volatility."""
    d = _most_reliable(
        c.filter(
            (c.type == "balance_snapshot") & (c.kind == "deposit") & (c.age_days <= _SIX_MONTHS)
        )
    )
    whole = d.amount_minor.cast(_WHOLE)
    return d.group_by("subject").aggregate(
        weighted_balance=exact_sum(d.amount_minor.cast("float64") * d.w),
        balance_n=d.amount_minor.count(),
        balance_s1=whole.sum(),
        balance_s2=(whole * whole).sum(),
    )


def _latest_income(c: ir.Table) -> ir.Table:
    """The latest income reported by the most reliable source that reports one, at that
    source's weight: a less reliable source cannot override a bank's verified income by
    reporting later (bench/attacks.py, strategy e)."""
    income = _most_reliable(c.filter(c.type == "income_verified"))
    latest = latest_per_key(income, income.amount_minor.cast("float64") * income.w, ["subject"])
    return latest.select("subject", cap_income_monthly=latest.value)


_WHOLE = dt.Decimal(38, 0)


def _volatility(t: ir.Table) -> ir.FloatingValue:
    """Sample standard deviation of the deposit balances over |mean| + 100, from exact
    integer sums (n, Σx, Σx²), so that it does not depend on the order rows are added in."""
    n = t.balance_n
    spread = (n.cast(_WHOLE) * t.balance_s2 - t.balance_s1 * t.balance_s1).cast("float64")
    variance = spread / (n * (n - 1)).cast("float64")
    mean = t.balance_s1.cast("float64") / n.cast("float64")
    return ibis.cases((n >= 2, variance.sqrt() / (mean.abs() + 100.0)), else_=ibis.null("float64"))


def capacity(e: ir.Table) -> ir.Table:
    """The ``cap_*`` characteristics of every subject with a capacity event."""
    c = e.filter(e.category == "capacity")
    ended = (c.type == "contract_fulfilled") & (c.age_days <= _TWO_YEARS)
    main = c.group_by("subject").aggregate(
        cap_contracts_fulfilled_24m=exact_sum(c.w, ended & (c.outcome == "on_time")),
        cap_contracts_broken_24m=exact_sum(c.w, ended & (c.outcome == "broken")),
        ended_w=exact_sum(c.w, ended),
        late_w=exact_sum(c.w, ended & (c.outcome != "on_time")),
        cap_deposit_free_orders_24m=exact_sum(
            c.w,
            (c.type == "contract") & (c.kind == "deposit_free_order") & (c.age_days <= _TWO_YEARS),
        ),
    )
    joined = main.left_join(_deposits(c), "subject").drop("subject_right")
    joined = joined.left_join(_latest_income(c), "subject")
    nothing = ibis.null("float64")
    return joined.select(
        "subject",
        cap_avg_deposit_balance_6m=ibis.cases(
            (joined.balance_n > 0, joined.weighted_balance / joined.balance_n.cast("float64")),
            else_=nothing,
        ),
        cap_balance_volatility_6m=_volatility(joined),
        cap_income_monthly=joined.cap_income_monthly,
        cap_contracts_fulfilled_24m=ibis.coalesce(joined.cap_contracts_fulfilled_24m, 0.0),
        cap_contracts_broken_24m=ibis.coalesce(joined.cap_contracts_broken_24m, 0.0),
        cap_late_or_broken_share_24m=ibis.cases(
            (joined.ended_w > 0, ibis.coalesce(joined.late_w, 0.0) / joined.ended_w),
            else_=nothing,
        ),
        cap_deposit_free_orders_24m=ibis.coalesce(joined.cap_deposit_free_orders_24m, 0.0),
    )
