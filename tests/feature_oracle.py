"""Brute-force, pure-Python versions of the as-of view and the characteristics (the oracle)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

DAYS_PER_MONTH = 30.4375


def visible(
    events: list[dict[str, Any]],
    as_of: datetime,
    reliability: Mapping[str, float],
    excluded: Iterable[tuple[str, str]] = (),
    known_at: datetime | None = None,
) -> list[dict[str, Any]]:
    known = known_at or as_of
    seen = [e for e in events if e["occurred_at"] < as_of and e["ingested_at"] < known]
    superseded = {(e["source"], e["supersedes"]) for e in seen if e["supersedes"] is not None}
    dropped = superseded | set(excluded)
    out = []
    for e in seen:
        if (e["source"], e["event_id"]) in dropped:
            continue
        row = dict(e)
        row["w"] = reliability.get(e["source"], 0.0)
        row["age_days"] = (as_of - e["occurred_at"]).total_seconds() / 86_400
        out.append(row)
    return out


def _latest(rows: list[dict[str, Any]], value: Any) -> dict[tuple[str, str], float]:
    """Per (subject, account): the value of the latest event, largest among ties."""
    best: dict[tuple[str, str], tuple[datetime, float]] = {}
    for r in rows:
        key = (r["subject"], r["account_ref"])
        v = value(r)
        if (
            key not in best
            or r["occurred_at"] > best[key][0]
            or (r["occurred_at"] == best[key][0] and v > best[key][1])
        ):
            best[key] = (r["occurred_at"], v)
    return {k: v for k, (_, v) in best.items()}


def history(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["category"] == "history":
            by_subject[r["subject"]].append(r)
    debt: dict[str, float] = defaultdict(float)
    limit: dict[str, float] = defaultdict(float)
    has_debt: set[str] = set()
    has_limit: set[str] = set()
    snaps = [r for r in rows if r["type"] == "balance_snapshot" and r["kind"] == "credit"]
    for (subject, _), v in _latest(snaps, lambda r: r["amount_minor"] * r["w"]).items():
        debt[subject] += v
        has_debt.add(subject)
    lines = [r for r in rows if r["type"] == "credit_line"]
    for (subject, _), v in _latest(
        lines, lambda r: 0.0 if r["status"] == "closed" else float(r["amount_minor"])
    ).items():
        limit[subject] += v
        has_limit.add(subject)
    for subject, events in by_subject.items():
        dpd = [
            e["days_past_due"] * e["w"]
            for e in events
            if e["type"] in ("repayment", "default") and e["days_past_due"] is not None
        ]
        dpd12 = [
            e["days_past_due"] * e["w"]
            for e in events
            if e["type"] in ("repayment", "default") and e["age_days"] <= 365
        ]
        dpd24 = [
            e["days_past_due"] * e["w"]
            for e in events
            if e["type"] in ("repayment", "default") and e["age_days"] <= 730
        ]
        delinquent = [
            e["age_days"]
            for e in events
            if (e["type"] in ("default", "collection") and e["w"] >= 0.5)
            or (e["type"] == "repayment" and e["days_past_due"] * e["w"] >= 30)
        ]
        repaid = [e for e in events if e["type"] == "repayment" and e["age_days"] <= 365]
        repaid_w = sum(e["w"] for e in repaid)
        opened = [e["age_days"] for e in events if e["type"] in ("loan_opened", "credit_line")]
        assert dpd is not None
        out[subject] = {
            "hist_worst_dpd_12m": max(dpd12) if dpd12 else None,
            "hist_worst_dpd_24m": max(dpd24) if dpd24 else None,
            "hist_months_since_delinquency": min(delinquent) / DAYS_PER_MONTH
            if delinquent
            else None,
            "hist_on_time_share_12m": sum(e["w"] for e in repaid if e["days_past_due"] == 0)
            / repaid_w
            if repaid_w > 0
            else None,
            "hist_utilisation": (debt.get(subject, 0.0) / limit[subject])
            if limit.get(subject, 0.0) > 0
            else None,
            "hist_total_debt_minor": debt[subject] if subject in has_debt else None,
            "hist_age_oldest_credit_months": max(opened) / DAYS_PER_MONTH if opened else None,
            "hist_defaults_24m": sum(
                e["w"]
                for e in events
                if e["type"] in ("default", "collection") and e["age_days"] <= 730
            ),
            "hist_new_loans_6m": sum(
                e["w"] for e in events if e["type"] == "loan_opened" and e["age_days"] <= 182
            ),
        }
    return out


def capacity(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["category"] == "capacity":
            by_subject[r["subject"]].append(r)
    for subject, events in by_subject.items():
        deposits = [
            e
            for e in events
            if e["type"] == "balance_snapshot" and e["kind"] == "deposit" and e["age_days"] <= 182
        ]
        if deposits:  # the most reliable source's balances
            top = max(e["w"] for e in deposits)
            deposits = [e for e in deposits if e["w"] == top]
        amounts = [float(e["amount_minor"]) for e in deposits]
        incomes = [e for e in events if e["type"] == "income_verified"]
        income = None
        if incomes:  # the most reliable source's latest report
            top = max(e["w"] for e in incomes)
            incomes = [e for e in incomes if e["w"] == top]
            last = max(e["occurred_at"] for e in incomes)
            income = max(e["amount_minor"] * e["w"] for e in incomes if e["occurred_at"] == last)
        ended = [e for e in events if e["type"] == "contract_fulfilled" and e["age_days"] <= 730]
        ended_w = sum(e["w"] for e in ended)
        out[subject] = {
            "cap_avg_deposit_balance_6m": sum(e["amount_minor"] * e["w"] for e in deposits)
            / len(deposits)
            if deposits
            else None,
            "cap_balance_volatility_6m": statistics.stdev(amounts)
            / (abs(statistics.fmean(amounts)) + 100.0)
            if len(amounts) >= 2
            else None,
            "cap_income_monthly": income,
            "cap_contracts_fulfilled_24m": sum(e["w"] for e in ended if e["outcome"] == "on_time"),
            "cap_contracts_broken_24m": sum(e["w"] for e in ended if e["outcome"] == "broken"),
            "cap_late_or_broken_share_24m": sum(e["w"] for e in ended if e["outcome"] != "on_time")
            / ended_w
            if ended_w > 0
            else None,
            "cap_deposit_free_orders_24m": sum(
                e["w"]
                for e in events
                if e["type"] == "contract"
                and e["kind"] == "deposit_free_order"
                and e["age_days"] <= 730
            ),
        }
    return out


FINGERPRINTS = ("name_fp", "national_id_fp", "phone_fp", "address_fp", "email_fp")


def identity(rows: list[dict[str, Any]], as_of: datetime) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    sources: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        sources[r["subject"]].add(r["source"])
        if r["category"] == "identity":
            by_subject[r["subject"]].append(r)

    def months_since(day: Any) -> float:
        start = datetime(day.year, day.month, day.day, tzinfo=as_of.tzinfo)
        return (int(as_of.timestamp()) - start.timestamp()) / (DAYS_PER_MONTH * 86_400)

    for subject, events in by_subject.items():
        verified = [e for e in events if e["type"] == "identity_verified"]
        documents = [e["w"] for e in verified if e["method"] in ("document", "biometric")]
        recent = [e for e in events if e["type"] == "profile_update" and e["age_days"] <= 730]
        address = [months_since(e["address_since"]) for e in recent if e["address_since"]]
        phone = [months_since(e["phone_since"]) for e in recent if e["phone_since"]]
        distinct = [len({e[f] for e in events if e[f] is not None}) for f in FINGERPRINTS]
        fields = sum(1 for n in distinct if n > 0)
        agreeing = sum(1 for n in distinct if n == 1)
        out[subject] = {
            "id_verified": max((e["w"] for e in verified), default=0.0),
            "id_document_verified": max(documents, default=0.0),
            "id_months_since_verified": max(e["age_days"] for e in verified) / DAYS_PER_MONTH
            if verified
            else None,
            "id_address_tenure_months": min(address) if address else None,
            "id_phone_tenure_months": min(phone) if phone else None,
            "id_profile_completeness": fields / len(FINGERPRINTS),
            "id_profile_agreement": agreeing / fields if fields else None,
            "id_sources": float(len(sources[subject])),
        }
    return out


ESSENTIAL = ("grocery", "utilities", "transport", "health", "education")


def behavior(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_subject[r["subject"]].append(r)

    def share(part: float, whole: float) -> float | None:
        return part / whole if whole > 0 else None

    for subject, events in by_subject.items():
        values: dict[str, Any] = {
            "beh_tenure_months": max(e["age_days"] for e in events) / DAYS_PER_MONTH
        }
        b = [e for e in events if e["category"] == "behavior"]
        out[subject] = values
        if not b:
            continue
        active = [e for e in b if e["age_days"] <= 365]
        recent = [  # tiny purchases, bills and refunds do not count (but make a month active)
            e
            for e in active
            if e["type"] not in ("purchase", "bill_payment", "refund") or e["amount_minor"] >= 1_000
        ]
        bought = [e for e in recent if e["type"] == "purchase"]
        spend = sum(e["amount_minor"] * e["w"] for e in bought)
        bills = [e for e in recent if e["type"] == "bill_payment"]
        refunds = [e for e in recent if e["type"] == "refund"]
        values.update(
            {
                "beh_active_months_share_12m": len(
                    {e["occurred_at"].strftime("%Y-%m") for e in active}
                )
                / 12,
                "beh_essential_share_12m": share(
                    sum(
                        e["amount_minor"] * e["w"]
                        for e in bought
                        if e["merchant_category"] in ESSENTIAL
                    ),
                    spend,
                ),
                "beh_gambling_share_12m": share(
                    sum(
                        e["amount_minor"] * e["w"]
                        for e in bought
                        if e["merchant_category"] == "gambling"
                    ),
                    spend,
                ),
                "beh_bill_on_time_share_12m": share(
                    sum(e["amount_minor"] * e["w"] for e in bills if e["days_late"] == 0),
                    sum(e["amount_minor"] * e["w"] for e in bills),
                ),
                "beh_refund_share_12m": share(
                    sum(e["amount_minor"] * e["w"] for e in refunds), spend
                ),
                "beh_chargebacks_12m": sum(e["w"] for e in refunds if e["kind"] == "chargeback"),
                "beh_spend_12m": spend,
            }
        )
    return out


def trimmed_mean(scored: list[tuple[float, str, float]], trim: float = 0.2) -> float | None:
    """Weighted trimmed mean of (score, counterpart, weight): each tie owns the slice
    [before, before + weight) of the total weight in score order; only the parts of the slices
    inside [trim, 1 - trim) of the total count, in proportion."""
    scored = sorted(s for s in scored if s[2] > 0)
    total = sum(w for _, _, w in scored)
    if not scored:
        return None
    low, high = trim * total, (1 - trim) * total
    before, num, den = 0.0, 0.0, 0.0
    for score, _, w in scored:
        kept = max(0.0, min(before + w, high) - max(before, low))
        num += kept * score
        den += kept
        before += w
    return num / den


def network(
    rows: list[dict[str, Any]], tie_scores: dict[str, float | None] | None = None
) -> dict[str, dict[str, Any]]:
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["type"] == "tie" and r["counterpart"] is not None:
            pairs[(r["subject"], r["counterpart"])].append(r)
    live: dict[tuple[str, str], dict[str, Any]] = {}
    for pair, events in pairs.items():
        last = max(e["occurred_at"] for e in events)
        latest = [e for e in events if e["occurred_at"] == last]
        adds = [e["age_days"] for e in events if e["action"] == "add"]
        if all(e["action"] == "add" for e in latest):
            live[pair] = {
                "verified": any(e["verified"] for e in latest),
                "w": max(e["w"] for e in latest),
                "family": any(e["relation"] == "family" for e in latest),
                "first_days": max(adds) if adds else None,
            }
    defaulted = {
        r["subject"]
        for r in rows
        if r["type"] in ("default", "collection") and r["age_days"] <= 730 and r["w"] >= 0.5
    }
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    scored: dict[str, list[tuple[float, str, float]]] = defaultdict(list)
    for (subject, other), tie in live.items():
        mutual = (other, subject) in live
        new = tie["first_days"] is not None and tie["first_days"] < 90
        w = (
            tie["w"]
            * (1.0 if tie["verified"] else 0.3)
            * (1.0 if mutual else 0.5)
            * (0.5 if new else 1.0)
        )
        acc = sums[subject]
        acc["total"] += w
        acc["verified"] += w * tie["verified"]
        acc["mutual"] += w * mutual
        acc["family"] += w * tie["family"]
        acc["defaulted"] += w * (other in defaulted)
        acc["new"] += w if new else 0.0
        acc["age"] += w * tie["first_days"]
        if tie_scores is not None and tie_scores.get(other) is not None:
            scored[subject].append((tie_scores[other], other, w))
    out: dict[str, dict[str, Any]] = {}
    for subject, acc in sums.items():
        total = acc["total"]

        def share(key: str, total: float = total, acc: dict[str, float] = acc) -> float | None:
            return acc[key] / total if total > 0 else None

        age = share("age")
        out[subject] = {
            "net_ties": min(total, 30.0),
            "net_verified_share": share("verified"),
            "net_mutual_share": share("mutual"),
            "net_family_ties": min(acc["family"], 10.0),
            "net_ties_in_default_share": share("defaulted"),
            "net_new_ties_share": share("new"),
            "net_tie_age_months": age / DAYS_PER_MONTH if age is not None else None,
            "net_ties_mean_score": trimmed_mean(scored[subject]),
        }
    return out
