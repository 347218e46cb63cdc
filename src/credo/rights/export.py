"""The right of access and portability: one JSON document with everything credo holds about a
person.

:func:`export_person` gathers, for one subject token: the personal data in the vault
(decrypted), every event in the lake with its source (events the person filed, in full), the
characteristics and points of every published score with its reasons, the collection consents,
the partners' authorizations, the access log (who asked what, when, under which grant), the
audit entries about the person and whether a login is set (never the password's hash).

The document is plain JSON (instants in ISO 8601, amounts in minor units) with a ``format``
and a ``version`` so that another bureau can read it back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import pyarrow.dataset as ds

from credo.clock import Clock
from credo.consent.audit import AuditLog
from credo.consent.collection import ConsentRegistry
from credo.consent.grants import GrantService
from credo.consent.partners import PartnerRegistry
from credo.consent.people import PeopleAccounts
from credo.errors import NotFoundError
from credo.privacy.vault import IdentityVault
from credo.storage.snapshots import SnapshotStore

__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "ExportSources", "export_person"]

EXPORT_FORMAT = "credo-person-export"
EXPORT_VERSION = 1


class EventDataset(Protocol):
    """An event lake that can be read as a pyarrow dataset (the Delta lake serves as one)."""

    def dataset(self, version: int | None = None) -> ds.Dataset:
        """The lake's current files."""
        ...


class Extra(Protocol):
    """A further kind of record to export (disputes, …): a key and the person's records."""

    name: str

    def records_of(self, subject: str) -> Sequence[Mapping[str, Any]]:
        """The person's records of this kind, JSON-ready."""
        ...


@dataclass(frozen=True)
class ExportSources:
    """Where the export reads from (the home's services)."""

    vault: IdentityVault
    lake: EventDataset
    snapshots: SnapshotStore
    consents: ConsentRegistry
    grants: GrantService
    audit: AuditLog
    partners: PartnerRegistry
    people: PeopleAccounts
    clock: Clock
    extras: Sequence[Extra] = ()


def _json(value: Any) -> Any:
    """A value as JSON can hold it (NaN and missing become null)."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _events(lake: EventDataset, subject: str) -> list[dict[str, Any]]:
    table = lake.dataset().to_table(filter=ds.field("subject") == subject)
    rows = table.sort_by([("occurred_at", "ascending"), ("source", "ascending")]).to_pylist()
    out = []
    for row in rows:
        # empty payload columns belong to other event types: leave them out
        out.append({k: _json(v) for k, v in row.items() if v is not None and k != "subject"})
    return out


def export_person(sources: ExportSources, subject: str) -> dict[str, Any]:
    """Everything held about ``subject``; NotFoundError when credo holds nothing at all."""
    try:
        personal = [
            {
                "field": r.field,
                "value": r.value,
                "source": r.source,
                "observed_at": r.observed_at.isoformat(),
            }
            for r in sources.vault.read(subject)
        ]
    except NotFoundError:
        personal = []
    events = _events(sources.lake, subject)
    scores = [
        {
            "run": r.run_id,
            "as_of": r.as_of.isoformat(),
            "score": r.score,
            "na_reason": r.na_reason,
            "band": r.band,
            "percentile": _json(r.percentile),
            "dimensions": _json(r.detail.get("dims", {})),
            "characteristics": _json(r.detail.get("values", {})),
            "points": _json(r.detail.get("points", {})),
            "reasons": _json(r.detail.get("reasons", [])),
            "what_would_raise_it": _json(r.detail.get("raise")),
            "privileges": _json(r.detail.get("privileges")),
        }
        for r in sources.snapshots.history(subject)
    ]
    consents = [
        {"category": c, "source": s, "granted": g, "since": t.isoformat()}
        for c, s, g, t in sources.consents.show_subject(subject)
    ]
    now = sources.clock.now()
    names: dict[int, str] = {}
    for g in sources.grants.grants_for(subject):
        if g.partner_id not in names:
            names[g.partner_id] = sources.partners.by_id(g.partner_id).name
    grants = [
        {
            "id": g.id,
            "partner": names[g.partner_id],
            "purpose": g.purpose,
            "scope": g.scope,
            "status": g.status_at(now),
            "requested_at": _json(g.requested_at),
            "decided_at": _json(g.decided_at),
            "expires_at": _json(g.expires_at),
            "revoked_at": _json(g.revoked_at),
            "frozen_until": _json(g.frozen_until),
            "freeze_reason": g.freeze_reason,
        }
        for g in sources.grants.grants_for(subject)
    ]
    audit = [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "detail": _json(e.detail),
        }
        for e in sources.audit.for_subject(subject)
    ]
    has_login = sources.people.has_password(subject)
    extras = {extra.name: [_json(r) for r in extra.records_of(subject)] for extra in sources.extras}
    if not (personal or events or scores or consents or grants or audit or has_login) and not any(
        extras.values()
    ):
        raise NotFoundError("credo holds nothing about this person")
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": now.isoformat(),
        "subject": subject,
        "personal_data": personal,
        "events": events,
        "scores": scores,
        "consents": consents,
        "grants": grants,
        "access_log": [e for e in audit if e["action"].startswith("disclosure.")],
        "audit": audit,
        "login": {"password_set": has_login},
        **extras,
    }
