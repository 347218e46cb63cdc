"""The credo home: where the lake, the operational store and the keys live, and the services
built over them (the one place where components are wired together)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from credo.clock import Clock, SystemClock
from credo.consent.audit import AuditLog
from credo.consent.collection import ConsentRegistry
from credo.consent.disclosure import DisclosureService
from credo.consent.grants import GrantService
from credo.consent.partners import PartnerRegistry
from credo.consent.people import PeopleAccounts
from credo.consent.watchlist import LakeWatchlist
from credo.errors import ConfigurationError
from credo.events.ingest import Ingestor
from credo.events.reliability import ReliabilityEstimate, estimate_reliability
from credo.events.sources import SourceRegistry
from credo.lake.delta import DeltaEventLake
from credo.privacy.keys import KeyProvider, LocalKeyProvider, create_local_key, key_provider
from credo.privacy.tokens import Tokeniser
from credo.privacy.vault import IdentityVault
from credo.rights.dispute_service import DisputeService
from credo.rights.erasure import ErasureService
from credo.rights.export import ExportSources
from credo.rights.retention import Retention, purge_expired
from credo.settings import DEV_MASTER_KEY, Settings
from credo.storage.db import connect, current_revision, head_revision, migrate
from credo.storage.registry import ModelRegistry
from credo.storage.snapshots import SnapshotStore

if TYPE_CHECKING:
    from credo.scoring.rescore import Rescored
    from credo.scoring.run import RunSummary

__all__ = ["Home", "InitReport", "initialise"]


@dataclass(frozen=True, slots=True)
class InitReport:
    """What ``credo init`` did."""

    home: str
    created_key: str | None
    database: str
    revision: str
    lake_version: int


@dataclass
class Home:
    """Services over one credo home. Cheap to build; components are made on first use."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        """The operational store."""
        return connect(self.settings.db_url)

    @cached_property
    def keys(self) -> KeyProvider:
        """The master key provider."""
        return key_provider(self.settings)

    @cached_property
    def vault(self) -> IdentityVault:
        """The identity vault."""
        return IdentityVault(self.engine, self.keys, self.clock)

    @cached_property
    def tokeniser(self) -> Tokeniser:
        """Subject tokens and fingerprints (secret from the vault)."""
        return Tokeniser(self.vault.token_secret())

    @cached_property
    def lake(self) -> DeltaEventLake:
        """The event lake."""
        return DeltaEventLake(self.settings.events_path)

    @cached_property
    def sources(self) -> SourceRegistry:
        """The source registry."""
        return SourceRegistry(self.engine, self.clock)

    @cached_property
    def consents(self) -> ConsentRegistry:
        """Collection consents."""
        return ConsentRegistry(self.engine, self.tokeniser, self.clock)

    @cached_property
    def models(self) -> ModelRegistry:
        """Registered models and the active one."""
        return ModelRegistry(self.engine)

    @cached_property
    def snapshots(self) -> SnapshotStore:
        """Monthly runs and their published score snapshots."""
        return SnapshotStore(self.engine)

    @cached_property
    def audit(self) -> AuditLog:
        """The hash-chained audit log of disclosures and consent, grant and partner changes."""
        return AuditLog(self.engine, self.clock)

    @cached_property
    def partners(self) -> PartnerRegistry:
        """Registered partners and their API keys."""
        return PartnerRegistry(self.engine, self.audit, self.clock)

    @cached_property
    def grants(self) -> GrantService:
        """Partners' authorization requests and people's grants."""
        return GrantService(self.engine, self.tokeniser, self.audit, self.clock)

    @cached_property
    def people(self) -> PeopleAccounts:
        """People's passwords, one-time codes and sessions; operators' tokens."""
        return PeopleAccounts(
            self.engine, self.tokeniser, self.audit, self.clock, self.settings.api.session_hours
        )

    @cached_property
    def disclosures(self) -> DisclosureService:
        """Authorized, audited, minimal answers to partners' score queries."""
        return DisclosureService(self.engine, self.grants, self.snapshots, self.audit, self.clock)

    @cached_property
    def watchlist(self) -> LakeWatchlist:
        """People's negative records (defaults, collections) as partners with the watchlist
        scope see them."""
        return LakeWatchlist(
            self.lake,
            self.disputes,
            retention=self.settings.rights.retention_days(),
            now=self.clock.now,
        )

    @cached_property
    def disputes(self) -> DisputeService:
        """People's disputes of their records; a resolution re-scores the person."""
        return DisputeService(
            self.engine,
            self.audit,
            self.clock,
            self.settings.rights,
            lake=self.lake,
            vault=self.vault,
            sources=self.sources,
            on_resolved=lambda subjects, trigger: self.rescore(subjects, trigger=trigger),
        )

    @cached_property
    def erasures(self) -> ErasureService:
        """Erasure of people from the store and the lake."""
        return ErasureService(self.engine, self.audit, self.lake, self.clock, self.vault)

    def monthly_run(
        self, as_of: datetime, *, progress: Callable[[str], None] = lambda _: None
    ) -> RunSummary:
        """Score everyone as of ``as_of`` on the configured engine, without disputed events
        (:func:`credo.scoring.run.monthly_run`), and publish the snapshot.

        Erased people still queued for their lake purge are purged first, and the lake is held
        for reading (no purge removes files under the run)."""
        # scoring pulls in the engines and the model (seconds): not at every command's start
        from credo.scoring.run import monthly_run  # noqa: PLC0415

        if self.erasures.pending():
            progress("purging the lake of erased people")
            self.erasures.purge_pending()
        with self.lake.reading():
            return monthly_run(
                lake=self.lake,
                sources=self.sources,
                models=self.models,
                snapshots=self.snapshots,
                scoring=self.settings.scoring,
                engine=self.settings.engine,
                clock=self.clock,
                as_of=as_of,
                excluded=self.disputes.excluded(),
                retention=self.settings.rights.retention_days(),
                progress=progress,
            )

    def rescore(self, subjects: Iterable[str], *, trigger: str) -> list[Rescored]:
        """Re-score ``subjects`` in the current snapshot without their disputed events
        (:func:`credo.scoring.rescore.rescore_people`), recorded in the audit chain."""
        from credo.scoring.rescore import rescore_people  # noqa: PLC0415 - see monthly_run

        with self.lake.reading():
            return rescore_people(
                subjects,
                lake=self.lake,
                sources=self.sources,
                models=self.models,
                snapshots=self.snapshots,
                scoring=self.settings.scoring,
                engine=self.settings.engine,
                excluded=self.disputes.excluded(),
                retention=self.settings.rights.retention_days(),
                audit=self.audit,
                trigger=trigger,
            )

    def apply_retention(self, *, dry_run: bool = False) -> Retention:
        """Purge the negative records whose retention period ran out by now
        (:func:`credo.rights.retention.purge_expired`) on the configured engine."""
        from credo.features.service import expired_records  # noqa: PLC0415 - see monthly_run

        with self.lake.reading():
            expired = expired_records(
                self.lake,
                self.clock.now(),
                engine=self.settings.engine,
                retention=self.settings.rights.retention_days(),
            )
        return purge_expired(self.lake, self.audit, expired, dry_run=dry_run)

    def source_reliability(self) -> list[ReliabilityEstimate]:
        """Every source's reliability estimated now from the lake's agreement between sources
        (:func:`credo.features.agreement.measure_agreement`, on the configured engine) and from
        its disputes (:func:`credo.events.reliability.estimate_reliability`)."""
        from credo.features.agreement import measure_agreement  # noqa: PLC0415 - see monthly_run

        registered = self.sources.all()
        with self.lake.reading():
            agreements = measure_agreement(
                self.lake,
                self.clock.now(),
                sources=[s.name for s in registered],
                engine=self.settings.engine,
                excluded=self.disputes.excluded(),
                retention=self.settings.rights.retention_days(),
            )
        return estimate_reliability(registered, agreements)

    def export_sources(self) -> ExportSources:
        """What a person's data export reads (:func:`credo.rights.export.export_person`)."""
        return ExportSources(
            vault=self.vault,
            lake=self.lake,
            snapshots=self.snapshots,
            consents=self.consents,
            grants=self.grants,
            audit=self.audit,
            partners=self.partners,
            people=self.people,
            clock=self.clock,
            extras=(self.disputes,),
        )

    def ingestor(self) -> Ingestor:
        """A file ingestor over this home."""
        self.require_ready()
        return Ingestor(
            engine=self.engine,
            lake=self.lake,
            vault=self.vault,
            tokeniser=self.tokeniser,
            sources=self.sources,
            consents=self.consents,
            clock=self.clock,
            settings=self.settings.ingest,
        )

    def require_ready(self) -> None:
        """Fail with a clear message when ``credo init`` has not been run (or is outdated)."""
        if self.settings.database_url is None and not (self.settings.home / "credo.db").exists():
            raise ConfigurationError(
                f"the credo home {self.settings.home} is not initialised; run `credo init`"
            )
        try:
            revision = current_revision(self.engine)
        except OperationalError as exc:
            raise ConfigurationError(f"cannot open the database: {exc.orig}") from exc
        if revision is None:
            raise ConfigurationError(
                f"the credo home {self.settings.home} is not initialised; run `credo init`"
            )
        if revision != head_revision():
            raise ConfigurationError(
                f"the database is at revision {revision}, credo needs {head_revision()}; "
                "run `credo init` to migrate"
            )

    def dispose(self) -> None:
        """Close database connections."""
        if "engine" in self.__dict__:
            self.engine.dispose()


def initialise(settings: Settings, *, dev_key: bool = False) -> InitReport:
    """Create the home, a master key (unless one is configured), the store and the lake.

    Idempotent: an existing key is never replaced and migrations only move forward.
    """
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    created: str | None = None
    if settings.master_key is None:
        local = LocalKeyProvider(settings.keys_path)
        if not (settings.keys_path / "active").exists():
            if dev_key and settings.env == "production":
                raise ConfigurationError("--dev-key cannot be used when CREDO_ENV=production")
            material = base64.b64decode(DEV_MASTER_KEY) if dev_key else None
            created = create_local_key(
                settings.keys_path, material=material, key_id="dev" if dev_key else None
            ).key_id
        else:
            local.active()
    os.chmod(home, 0o700)
    state = Home(settings)
    try:
        migrate(state.engine)
        state.vault.create_token_secret()
        state.tokeniser  # noqa: B018 - proves the secret decrypts with the master key
        version = state.lake.create()
        return InitReport(
            home=str(home),
            created_key=created,
            database=settings.db_url.split("@")[-1],
            revision=head_revision(),
            lake_version=version,
        )
    finally:
        state.dispose()
