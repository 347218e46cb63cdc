"""Typed settings: one :class:`Settings`, environment prefix ``CREDO_``, built by a factory.

Nested groups use ``__`` in environment variables, e.g. ``CREDO_INGEST__BATCH_ROWS=50000``.
Nothing here is built at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from credo.errors import ConfigurationError

__all__ = [
    "DEFAULT_BANDS",
    "DEV_MASTER_KEY",
    "ApiSettings",
    "BandSetting",
    "DuckDBEngine",
    "IngestSettings",
    "RightsSettings",
    "ScoringSettings",
    "Settings",
    "SparkEngine",
    "load_settings",
]

DEV_MASTER_KEY = "Y3JlZG8tZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="
"""The published development master key (base64 of 32 bytes). Never valid in production."""


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DuckDBEngine(_Group):
    """The embedded engine: DuckDB in process."""

    kind: Literal["duckdb"] = "duckdb"
    threads: int | None = Field(default=None, ge=1, description="DuckDB threads (None = cores)")
    memory_limit: str | None = Field(default=None, description="e.g. '4GB' (None = DuckDB's)")


class SparkEngine(_Group):
    """The scale-out engine: Apache Spark."""

    kind: Literal["spark"] = "spark"
    master: str = Field(default="local[*]", description="any Spark master URL")
    app_name: str = "credo"
    shuffle_partitions: int = Field(default=8, ge=1, description="spark.sql.shuffle.partitions")


def _engine_kind(value: object) -> str:
    """The engine a setting names; DuckDB when only its options are given
    (``CREDO_ENGINE__MEMORY_LIMIT=2GB`` alone configures the default engine)."""
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return str(kind or "duckdb")


Engine = Annotated[
    Annotated[DuckDBEngine, Tag("duckdb")] | Annotated[SparkEngine, Tag("spark")],
    Discriminator(_engine_kind),
]


class IngestSettings(_Group):
    """Limits and sizes of file ingestion."""

    batch_rows: int = Field(default=200_000, ge=1_000, description="rows validated at a time")
    max_record_bytes: int = Field(
        default=64 * 1024, ge=1024, description="a longer JSON line or CSV row is too_large"
    )
    future_skew_seconds: int = Field(
        default=300, ge=0, description="tolerance for clocks of sources ahead of ours"
    )
    min_year: int = Field(default=1900, ge=1, description="occurred_at before this is refused")


class BandSetting(_Group):
    """A score band: inclusive integer bounds, an English and a Chinese name."""

    name: str
    name_zh: str = ""
    low: int = Field(ge=0)
    high: int = Field(ge=0)


DEFAULT_BANDS = (
    BandSetting(name="poor", name_zh="较差", low=350, high=549),
    BandSetting(name="fair", name_zh="中等", low=550, high=599),
    BandSetting(name="good", name_zh="良好", low=600, high=649),
    BandSetting(name="very good", name_zh="优秀", low=650, high=699),
    BandSetting(name="excellent", name_zh="极好", low=700, high=950),
)
"""Zhima's bands."""


class ScoringSettings(_Group):
    """The monthly run: bands, minimum scoring criteria, privileges."""

    bands: tuple[BandSetting, ...] = Field(
        default=DEFAULT_BANDS, description="contiguous bands covering 350-950"
    )
    min_history_months: int = Field(
        default=6,
        ge=0,
        description="fewer months of history and no credit event: N/A instead of a score",
    )
    privileges_file: Path | None = Field(
        default=None, description="TOML privileges catalogue (default: the shipped one)"
    )
    partner_privileges: dict[str, Path] = Field(
        default_factory=dict,
        description="partner name -> TOML file of that partner's own privileges",
    )
    reach_points: int = Field(
        default=50, ge=0, description="privileges this many points away are 'within reach'"
    )
    outcome_months: int = Field(
        default=12, ge=1, description="window of the outcome a model is trained on"
    )

    @model_validator(mode="after")
    def _bands_are_contiguous(self) -> ScoringSettings:
        bands = sorted(self.bands, key=lambda b: b.low)
        if not bands or bands[0].low != 350 or bands[-1].high != 950:
            raise ValueError("bands must cover 350-950")
        for lower, upper in itertools.pairwise(bands):
            if lower.high >= lower.low and upper.low == lower.high + 1:
                continue
            raise ValueError(f"bands {lower.name!r} and {upper.name!r} are not contiguous")
        return self


class ApiSettings(_Group):
    """The HTTP API (``credo serve``)."""

    host: str = Field(default="127.0.0.1", description="address to listen on")
    port: int = Field(default=8000, ge=1, le=65535, description="port to listen on")
    workers: int = Field(default=1, ge=1, description="worker processes")
    partner_rate: float = Field(
        default=50.0, gt=0, description="requests per second each partner may make (sustained)"
    )
    partner_burst: int = Field(
        default=100, ge=1, description="requests a partner may make at once before being slowed"
    )
    session_hours: int = Field(
        default=12, ge=1, description="how long a person's login session lasts"
    )


class RightsSettings(_Group):
    """People's rights: the statutory period a source has to answer a dispute, and how long a
    negative record counts.

    The dispute period is fixed when a dispute is opened, from the jurisdiction in force then; a
    dispute the source has not answered within it is resolved in the person's favour. A
    negative record (default, collection, late payment, broken contract, chargeback) stops
    counting ``retention_years`` after the behaviour ended, per category, and is then purged
    by ``credo rights retention``.
    """

    jurisdiction: str = Field(
        default="default",
        min_length=1,
        max_length=16,
        description="where the operator answers to, e.g. CN (picks the dispute period)",
    )
    dispute_days: int = Field(
        default=30, ge=1, le=365, description="days a source has to answer a dispute"
    )
    dispute_days_by_jurisdiction: dict[str, int] = Field(
        default_factory=lambda: {"CN": 20},
        description="jurisdiction -> days, where the law sets another period than dispute_days",
    )

    retention_years: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(
            ("history", "capacity", "identity", "behavior", "network"), 5.0
        ),
        description="category -> years a negative record counts after the behaviour ended",
    )

    @model_validator(mode="after")
    def _periods_are_positive(self) -> RightsSettings:
        for name, days in self.dispute_days_by_jurisdiction.items():
            if not 1 <= days <= 365:
                raise ValueError(f"the dispute period of {name!r} must be 1-365 days, got {days}")
        categories = {"history", "capacity", "identity", "behavior", "network"}
        for category, years in self.retention_years.items():
            if category not in categories:
                raise ValueError(
                    f"retention_years names {category!r}; categories are "
                    + ", ".join(sorted(categories))
                )
            if not 0.1 <= years <= 50:
                raise ValueError(f"the retention of {category!r} must be 0.1-50 years, got {years}")
        return self

    def retention_days(self) -> dict[str, int]:
        """Days a negative record counts after the behaviour ended, per category.

        >>> RightsSettings().retention_days()["history"]
        1826
        """
        return {c: round(years * 365.25) for c, years in self.retention_years.items()}

    def dispute_period_days(self, jurisdiction: str | None = None) -> int:
        """Days a source has to answer a dispute in ``jurisdiction`` (default: the operator's).

        >>> RightsSettings().dispute_period_days(), RightsSettings().dispute_period_days("CN")
        (30, 20)
        """
        where = self.jurisdiction if jurisdiction is None else jurisdiction
        return self.dispute_days_by_jurisdiction.get(where, self.dispute_days)


class Settings(BaseSettings):
    """Every setting of credo; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="CREDO_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    env: Literal["development", "test", "production"] = "development"
    home: Path = Path("credo-home")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///$CREDO_HOME/credo.db"
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="base64 master key, or NEW,OLD… while rotating (the first encrypts, the "
        "others stay readable); default: the key files under $CREDO_HOME/keys",
    )
    engine: Engine = DuckDBEngine()
    ingest: IngestSettings = IngestSettings()
    scoring: ScoringSettings = ScoringSettings()
    api: ApiSettings = ApiSettings()
    rights: RightsSettings = RightsSettings()

    @model_validator(mode="after")
    def _refuse_dev_key_in_production(self) -> Settings:
        if (
            self.env == "production"
            and self.master_key is not None
            and self.master_key.get_secret_value() == DEV_MASTER_KEY
        ):
            raise ValueError("the development master key cannot be used when CREDO_ENV=production")
        return self

    @property
    def lake_path(self) -> Path:
        """Folder of the Delta event lake."""
        return self.home / "lake"

    @property
    def events_path(self) -> Path:
        """The Delta table of events."""
        return self.lake_path / "events"

    @property
    def keys_path(self) -> Path:
        """Folder of the local key files."""
        return self.home / "keys"

    @property
    def db_url(self) -> str:
        """The operational store's SQLAlchemy URL."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'credo.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Build :class:`Settings` from the environment, with ``overrides`` taking precedence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc
