"""Personal characteristics: how well a person is identified, and how consistently.

Verification counts at the best reliability among the sources that verified (a weak source's
"verified" is worth less). Tenures take the *shortest* tenure any source reported in the last
two years, so one source claiming a long-held address cannot lift it. Agreement looks at the
keyed fingerprints of personal fields: it never needs the values themselves.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from credo.features.asof import DAYS_PER_MONTH

__all__ = ["identity"]

_FIELDS = ("name_fp", "national_id_fp", "phone_fp", "address_fp", "email_fp")
_SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400


def _months_since(day: ir.DateValue, now_seconds: ir.IntegerValue) -> ir.FloatingValue:
    seconds = now_seconds - day.cast("timestamp").epoch_seconds()
    return seconds.cast("float64") / _SECONDS_PER_MONTH


def identity(e: ir.Table) -> ir.Table:
    """The ``id_*`` characteristics of every subject with an identity event."""
    i = e.filter(e.category == "identity")
    verified = i.type == "identity_verified"
    recent_profile = (i.type == "profile_update") & (i.age_days <= 730)
    per_field = {f"n_{name}": getattr(i, name).nunique() for name in _FIELDS}
    main = i.group_by("subject").aggregate(
        **per_field,
        id_verified=i.w.max(where=verified),
        id_document_verified=i.w.max(where=verified & i.method.isin(["document", "biometric"])),
        id_months_since_verified=i.age_days.max(where=verified) / DAYS_PER_MONTH,
        id_address_tenure_months=_months_since(i.address_since, i.as_of_seconds).min(
            where=recent_profile
        ),
        id_phone_tenure_months=_months_since(i.phone_since, i.as_of_seconds).min(
            where=recent_profile
        ),
    )
    sources = e.group_by("subject").aggregate(id_sources=e.source.nunique())
    joined = main.left_join(sources, "subject")
    counts = [getattr(joined, f"n_{name}") for name in _FIELDS]
    fields = sum(((n > 0).cast("int64") for n in counts), ibis.literal(0, "int64"))
    agreeing = sum(((n == 1).cast("int64") for n in counts), ibis.literal(0, "int64"))
    joined = joined.mutate(fields=fields, agreeing=agreeing)
    return joined.select(
        "subject",
        id_verified=ibis.coalesce(joined.id_verified, 0.0),
        id_document_verified=ibis.coalesce(joined.id_document_verified, 0.0),
        id_months_since_verified=joined.id_months_since_verified,
        id_address_tenure_months=joined.id_address_tenure_months,
        id_phone_tenure_months=joined.id_phone_tenure_months,
        id_profile_completeness=joined.fields.cast("float64") / len(_FIELDS),
        id_profile_agreement=ibis.cases(
            (joined.fields > 0, joined.agreeing.cast("float64") / joined.fields),
            else_=ibis.null("float64"),
        ),
        id_sources=joined.id_sources.cast("float64"),
    )
