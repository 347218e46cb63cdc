"""Interpersonal relationships, built so that fake or bought ties cannot lift a score much.

A tie is the latest ``tie`` event between a person and a counterpart (``remove`` ends it).
Each live tie gets a weight, the product of:

- its source's reliability;
- 1 if the source verified the relationship, else 0.3 (declared ties are cheap);
- 1 if the counterpart declared the tie back, else 0.5 (one-sided ties are cheap);
- 0.5 while the tie is younger than 90 days (a burst of new ties buys little).

Counts add up these weights and are capped (:data:`TIE_CAP`), so fifty fresh, unverified,
one-sided ties (a sybil ring or bought friendships) weigh 50 x 0.3 x 0.5 x 0.5 = 3.75, less
than four real friends. Shares are weighted by the same weights.

The ties' own scores come from the previous published snapshot (``tie_scores``: subject,
score); there is none before the first monthly run, and the characteristic is then missing,
never zero. Ties without a published score (new accounts, N/A) are left out rather than counted
as zero or neutral. The mean is weighted by the tie weights and trimmed: the lowest and the
highest :data:`TRIM` of the total weight are cut away, so a cluster of extreme scores (a ring
of fake accounts, a few bought friendships with high scorers) moves it only as far as it
outweighs the trimmed share.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from credo.features.asof import DAYS_PER_MONTH, EXACT, exact_sum

__all__ = ["NEW_TIE_DAYS", "TIE_CAP", "TRIM", "network", "trimmed_mean_score"]

TIE_CAP = 30.0
TRIM = 0.2
NEW_TIE_DAYS = 90
_UNVERIFIED = 0.3
_ONE_SIDED = 0.5
_NEW = 0.5


def _live_ties(e: ir.Table) -> ir.Table:
    """Live ties (subject, counterpart) with weight parts, age and relation."""
    t = e.filter((e.type == "tie") & e.counterpart.notnull())
    pair = ["subject", "counterpart"]
    last = t.group_by(pair).aggregate(
        last_at=t.occurred_at.max(), first_days=t.age_days.max(where=t.action == "add")
    )
    latest = t.join(last, [*pair, t.occurred_at == last.last_at])
    # several events at the same instant: "remove" wins, the strongest evidence otherwise
    state = latest.group_by(pair).aggregate(
        live=(latest.action == "add").cast("int64").min(),
        verified=latest.verified.cast("int64").max(),
        w=latest.w.max(),
        family=(latest.relation == "family").cast("int64").max(),
        first_days=latest.first_days.max(),
    )
    live = state.filter(state.live == 1)
    back = live.select(b_subject=live.counterpart, b_counterpart=live.subject)
    joined = live.left_join(
        back, [live.subject == back.b_subject, live.counterpart == back.b_counterpart]
    )
    mutual = joined.b_subject.notnull()
    weight = (
        joined.w
        * ibis.cases((joined.verified == 1, 1.0), else_=_UNVERIFIED)
        * ibis.cases((mutual, 1.0), else_=_ONE_SIDED)
        * ibis.cases((joined.first_days < NEW_TIE_DAYS, _NEW), else_=1.0)
    )
    return joined.select(
        "subject",
        "counterpart",
        "family",
        "first_days",
        verified=joined.verified.cast("float64"),
        mutual=mutual.cast("float64"),
        tie_w=weight,
    )


def trimmed_mean_score(ties: ir.Table, tie_scores: ir.Table) -> ir.Table:
    """Per subject, the tie-weighted mean of its ties' published scores with the lowest and
    highest :data:`TRIM` of the weight cut away (a weighted trimmed mean)."""
    scores = tie_scores.select(s_subject=tie_scores.subject, s_score=tie_scores.score)
    scored = ties.join(scores, ties.counterpart == scores.s_subject)
    scored = scored.filter(scored.s_score.notnull() & (scored.tie_w > 0))
    order = ibis.cumulative_window(group_by="subject", order_by=["s_score", "counterpart"])
    total = ibis.window(group_by="subject")
    exact = scored.tie_w.cast(EXACT)
    upto = scored.mutate(
        cum=exact.sum().over(order).cast("float64"),
        weight=exact.sum().over(total).cast("float64"),
    )
    low = upto.weight * TRIM
    high = upto.weight * (1.0 - TRIM)
    # the part of each tie's weight interval [cum - w, cum) inside [low, high)
    kept = ibis.greatest(
        ibis.least(upto.cum, high) - ibis.greatest(upto.cum - upto.tie_w, low), 0.0
    )
    parts = upto.mutate(kept=kept)
    return parts.group_by("subject").aggregate(
        net_ties_mean_score=exact_sum(parts.kept * parts.s_score) / exact_sum(parts.kept)
    )


def network(e: ir.Table, tie_scores: ir.Table | None = None) -> ir.Table:
    """The ``net_*`` characteristics of every subject with a live tie; ``tie_scores`` is the
    previous published snapshot's (subject, score), if there is one."""
    ties = _live_ties(e)
    bad = e.filter(e.type.isin(["default", "collection"]) & (e.age_days <= 730) & (e.w >= 0.5))
    defaulted = bad.select(d_subject=bad.subject).distinct()
    marked = ties.left_join(defaulted, ties.counterpart == defaulted.d_subject)
    in_default = marked.d_subject.notnull().cast("float64")
    w = marked.tie_w
    agg = marked.group_by("subject").aggregate(
        total=exact_sum(w),
        verified=exact_sum(w * marked.verified),
        mutual=exact_sum(w * marked.mutual),
        family=exact_sum(w * marked.family.cast("float64")),
        defaulted=exact_sum(w * in_default),
        new=exact_sum(w, marked.first_days < NEW_TIE_DAYS),
        age=exact_sum(w * marked.first_days),
    )

    def share(part: ir.FloatingValue) -> ir.FloatingValue:
        return ibis.cases(
            (agg.total > 0, ibis.coalesce(part, 0.0) / agg.total), else_=ibis.null("float64")
        )

    result = agg.select(
        "subject",
        net_ties=ibis.least(agg.total, TIE_CAP),
        net_verified_share=share(agg.verified),
        net_mutual_share=share(agg.mutual),
        net_family_ties=ibis.least(agg.family, 10.0),
        net_ties_in_default_share=share(agg.defaulted),
        net_new_ties_share=share(agg.new),
        net_tie_age_months=share(agg.age) / DAYS_PER_MONTH,
    )
    if tie_scores is None:
        return result.mutate(net_ties_mean_score=ibis.null("float64"))
    means = trimmed_mean_score(ties, tie_scores)
    joined = result.left_join(means, "subject").drop("subject_right")
    return joined.mutate(net_ties_mean_score=joined.net_ties_mean_score.cast("float64"))
