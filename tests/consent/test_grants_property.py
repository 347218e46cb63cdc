"""Property: whatever the sequence of requests, answers, revocations, freezes and time passing,
a revoked or expired grant never allows, and every decision matches an independent model."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from credo.clock import FixedClock
from credo.consent.audit import AuditLog
from credo.consent.grants import PENDING_DAYS, SCOPES, GrantService, covers, decide
from credo.consent.partners import PartnerRegistry
from credo.errors import ConflictError, InvalidInputError
from credo.privacy.tokens import Tokeniser
from credo.storage.db import connect
from credo.storage.tables import metadata

from factories import NOW, PERSON

DAY = timedelta(days=1)


@dataclass
class Model:
    """What each grant should be, computed independently of the service."""

    state: dict[int, str] = field(default_factory=dict)
    requested: dict[int, datetime] = field(default_factory=dict)
    expires: dict[int, datetime] = field(default_factory=dict)
    frozen: dict[int, datetime] = field(default_factory=dict)
    ended: set[int] = field(default_factory=set)  # revoked or expired at some point

    def active(self, gid: int, now: datetime) -> bool:
        return self.state[gid] == "approved" and now < self.expires[gid]

    def answerable(self, gid: int, now: datetime) -> bool:
        return self.state[gid] == "pending" and now < self.requested[gid] + PENDING_DAYS * DAY


class GrantMachine(RuleBasedStateMachine):
    """Random sequences of requests, answers, revocations, freezes and time passing."""

    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        engine = connect(f"sqlite:///{Path(self._tmp.name) / 'grants.db'}")
        metadata.create_all(engine)
        self.engine = engine
        self.clock = FixedClock(NOW)
        audit = AuditLog(engine, self.clock)
        registry = PartnerRegistry(engine, audit, self.clock)
        self.partners = [registry.add(name, "lending")[0] for name in ("acme", "bikes")]
        tokeniser = Tokeniser(b"k" * 32)
        self.subject = tokeniser.subject(PERSON)
        self.grants = GrantService(engine, tokeniser, audit, self.clock)
        self.model = Model()
        self.ids: list[int] = []

    def teardown(self) -> None:
        self.engine.dispose()
        self._tmp.cleanup()

    @rule(
        partner=st.integers(0, 1), scope=st.sampled_from(SCOPES), days=st.sampled_from([1, 7, 30])
    )
    def request(self, partner: int, scope: str, days: int) -> None:
        grant = self.grants.request(
            self.partners[partner], PERSON, purpose="lending", scope=scope, duration_days=days
        )
        if grant.id not in self.model.state:
            self.ids.append(grant.id)
            self.model.state[grant.id] = "pending"
            self.model.requested[grant.id] = self.clock.now()

    @rule(days=st.integers(1, 15))
    def advance(self, days: int) -> None:
        self.clock.set(self.clock.now() + days * DAY)

    @precondition(lambda self: self.ids)
    @rule(pick=st.integers(0, 2))
    def approve(self, pick: int) -> None:
        self._answer("approve", pick)

    @precondition(lambda self: self.ids)
    @rule(pick=st.integers(0, 2))
    def refuse(self, pick: int) -> None:
        self._answer("refuse", pick)

    @precondition(lambda self: self.ids)
    @rule(pick=st.integers(0, 2))
    def revoke(self, pick: int) -> None:
        self._answer("revoke", pick)

    def _target(self, pick: int, state: str) -> int:
        # mostly the grants the operation can apply to, sometimes any other one
        ids = [g for g in self.ids if self.model.state[g] == state] if pick < 2 else []
        ids = ids or self.ids
        return ids[-1 - pick % len(ids)]

    def _answer(self, kind: str, pick: int) -> None:
        gid = self._target(pick, "approved" if kind == "revoke" else "pending")
        now, model = self.clock.now(), self.model
        if kind == "revoke":
            ok = model.active(gid, now) and not now < model.frozen.get(gid, now)
        else:
            ok = model.answerable(gid, now)
        try:
            if kind == "approve":
                grant = self.grants.approve(self.subject, gid)
                model.expires[gid] = now + grant.duration_days * DAY
            elif kind == "refuse":
                self.grants.refuse(self.subject, gid)
            else:
                self.grants.revoke(self.subject, gid)
        except ConflictError:
            assert not ok, f"{kind} of {gid} refused"
            return
        assert ok, f"{kind} of {gid} accepted"
        model.state[gid] = {"approve": "approved", "refuse": "refused", "revoke": "revoked"}[kind]

    @precondition(lambda self: self.ids)
    @rule(pick=st.integers(0, 2), days=st.integers(1, 7))
    def freeze(self, pick: int, days: int) -> None:
        gid = self._target(pick, "approved")
        now, model = self.clock.now(), self.model
        ok = model.active(gid, now) and now + days * DAY <= model.expires[gid]
        grant = next(g for g in self.grants.grants_for(self.subject) if g.id == gid)
        partner = next(p for p in self.partners if p.id == grant.partner_id)
        try:
            self.grants.freeze(partner, gid, until=now + days * DAY, reason="contract")
        except (ConflictError, InvalidInputError):
            assert not ok, f"freeze of {gid} refused"
            return
        assert ok, f"freeze of {gid} accepted"
        model.frozen[gid] = now + days * DAY

    @invariant()
    def revoked_or_expired_never_allows(self) -> None:
        now, model = self.clock.now(), self.model
        for grant in self.grants.grants_for(self.subject):
            if model.state[grant.id] == "revoked" or now >= model.expires.get(grant.id, now + DAY):
                model.ended.add(grant.id)
            for partner in self.partners:
                for scope in SCOPES:
                    decision = decide(grant, partner_id=partner.id, scope_needed=scope, now=now)
                    assert not (decision.allowed and grant.id in model.ended)
                    expected = (
                        model.active(grant.id, now)
                        and partner.id == grant.partner_id
                        and covers(grant.scope, scope)
                    )
                    assert decision.allowed is expected


GrantMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_a_revoked_or_expired_grant_never_allows = GrantMachine.TestCase
