"""The SQL schema as SQLAlchemy declarative tables; migrations/ creates exactly this."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Autoincrement ids: SQLite only autoincrements INTEGER PRIMARY KEY, PostgreSQL gets 64 bits.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; always read back aware UTC.

    PostgreSQL keeps `timestamptz`. SQLite has no time zones, so the value is stored as naive
    UTC text of fixed width, which sorts in time order and so works with the indexes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} (give a time zone)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named constraints, so later migrations can alter them on both dialects (SQLite batch mode).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# Enumerations (kind, status, severity, ...) are plain strings: adding a member to a Python
# StrEnum must not need a PostgreSQL `ALTER TYPE`.


class EventRow(Base):
    """One Event; `id` is the event's stable id, so a replayed event is a duplicate."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    camera_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(64))
    zone_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    frame_index: Mapped[int] = mapped_column(BigInteger)
    track_id: Mapped[int] = mapped_column(BigInteger)
    class_name: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    # The kind-specific fields: the wire model's typed payload as JSON (cctwin.messages).
    payload: Mapped[str | None] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime())

    # Every index ends in (occurred_at, id), the newest-first keyset order of list_events, so
    # a page is one index range scan with no sort, whichever filter picked the index.
    __table_args__ = (
        Index("ix_events_occurred_at", "occurred_at", "id"),
        Index("ix_events_camera_id_occurred_at", "camera_id", "occurred_at", "id"),
        Index("ix_events_kind_occurred_at", "kind", "occurred_at", "id"),
        Index("ix_events_zone_id_occurred_at", "zone_id", "occurred_at", "id"),
    )


class ObservationRow(Base):
    """One Observation (a measured value of a zone or line at a frame time)."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    camera_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    value: Mapped[float] = mapped_column(Float)
    class_name: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(String(16))
    # The observation's deterministic id: a redelivered fact is a duplicate, not a new row.
    fact_id: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_observations_fact_id", "fact_id", unique=True),
        Index("ix_observations_camera_rule_kind_at", "camera_id", "rule_id", "kind", "observed_at"),
        Index("ix_observations_observed_at", "observed_at"),
    )


class AlertRow(Base):
    """One Alert's current state; its history is in alert_transitions and alert_notes."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    title_ko: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    zone_id: Mapped[str | None] = mapped_column(String(64))
    class_name: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(128))
    snapshot_id: Mapped[str | None] = mapped_column(String(64))
    clip_id: Mapped[str | None] = mapped_column(String(64))
    # Evidence kept past retention (migration 0006): its media and events are never purged.
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        Index("ix_alerts_opened_at", "opened_at", "id"),
        Index("ix_alerts_status_opened_at", "status", "opened_at", "id"),
        Index("ix_alerts_camera_id_opened_at", "camera_id", "opened_at", "id"),
    )


class AlertEventRow(Base):
    """Which events an alert gathered.

    `event_id` is deliberately not a foreign key: the alert engine may save an alert before
    the event batch that opened it is committed. `position` keeps Alert.event_ids in order.
    """

    __tablename__ = "alert_events"

    alert_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_alert_events_event_id", "event_id"),)


class AlertNoteRow(Base):
    """An operator's remark on an alert; the id keeps them in the order they were added."""

    __tablename__ = "alert_notes"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AlertTransitionRow(Base):
    """The audit trail: one row per workflow move of an alert, who made it and when."""

    __tablename__ = "alert_transitions"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class CameraStatusRow(Base):
    """The last CameraStatus each camera's worker reported (one row per camera)."""

    __tablename__ = "camera_status"

    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    fps: Mapped[float] = mapped_column(Float)
    last_frame_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    frames_decoded: Mapped[int] = mapped_column(BigInteger)
    frames_analysed: Mapped[int] = mapped_column(BigInteger)
    frames_dropped: Mapped[int] = mapped_column(BigInteger)
    frames_corrupt: Mapped[int] = mapped_column(BigInteger)
    reconnects: Mapped[int] = mapped_column(BigInteger)
    lag_s: Mapped[float] = mapped_column(Float)
    last_error: Mapped[str] = mapped_column(Text)


class MediaRow(Base):
    """A snapshot or clip file; `path` is relative to the media folder (MediaConfig.path)."""

    __tablename__ = "media"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    camera_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    event_id: Mapped[str | None] = mapped_column(String(32), index=True)
    bytes: Mapped[int] = mapped_column(BigInteger)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (Index("ix_media_camera_id_created_at", "camera_id", "created_at"),)


class UserRow(Base):
    """A person who logs in (security.users.User); the password as an argon2id hash."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    cameras: Mapped[str | None] = mapped_column(Text)  # comma-separated; NULL = every camera
    zones: Mapped[str | None] = mapped_column(Text)  # comma-separated; NULL = every zone
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disabled: Mapped[int] = mapped_column(Integer, default=0)


class ApiKeyRow(Base):
    """An API key (security.keys.ApiKey); only the SHA-256 of its secret."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    cameras: Mapped[str | None] = mapped_column(Text)
    zones: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditRow(Base):
    """One audit row, chained to the previous by `prev_hash` (security.audit)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)
    camera_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class NgsiEntityRow(Base):
    """An NGSI-LD entity: expanded types and attributes as JSON (ngsi/entities.py)."""

    __tablename__ = "ngsi_entities"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    type: Mapped[str] = mapped_column(String(512), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    modified_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NgsiExtraTypeRow(Base):
    """A second (third...) type of a multi-typed NGSI-LD entity; the first is on its row."""

    __tablename__ = "ngsi_extra_types"

    entity_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    type: Mapped[str] = mapped_column(String(512), primary_key=True, index=True)


class NgsiInstanceRow(Base):
    """One temporal instance of an NGSI-LD attribute (its JSON at `observed_ts`, epoch s)."""

    __tablename__ = "ngsi_instances"
    __table_args__ = (
        Index("ix_ngsi_instances_entity_attr_ts", "entity_id", "attr", "observed_ts"),
        # Replay: the newest values of a few attributes (any entity) in a window of minutes.
        Index("ix_ngsi_instances_attr_ts", "attr", "observed_ts"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    entity_id: Mapped[str] = mapped_column(String(256))
    attr: Mapped[str] = mapped_column(String(512))
    observed_ts: Mapped[float] = mapped_column(Float, index=True)
    number: Mapped[float | None] = mapped_column(Float)
    body: Mapped[str] = mapped_column(Text)
    # 0 for an instance as written; 60 for a one-minute average that replaced older ones.
    resolution_s: Mapped[float] = mapped_column(Float, server_default="0")
    # A rollup's maximum and last value of its period (`number` holds the mean); None if raw.
    high: Mapped[float | None] = mapped_column(Float)
    last: Mapped[float | None] = mapped_column(Float)


class NgsiSubscriptionRow(Base):
    """An NGSI-LD subscription as JSON, with its notification status."""

    __tablename__ = "ngsi_subscriptions"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class NgsiRegistrationRow(Base):
    """An NGSI-LD context source registration as JSON, names expanded (ngsi/registrations.py)."""

    __tablename__ = "ngsi_csource_registrations"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class NgsiCSourceSubscriptionRow(Base):
    """An NGSI-LD context source registration subscription as JSON, with its @context."""

    __tablename__ = "ngsi_csource_subscriptions"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class NgsiContextRow(Base):
    """A hosted or implicitly created JSON-LD @context document (ngsi/hosting.py)."""

    __tablename__ = "ngsi_contexts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UnmaskGrantRow(Base):
    """An unmask grant (privacy.unmask.UnmaskGrant): who sees which cameras unmasked, until."""

    __tablename__ = "unmask_grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    grantee: Mapped[str] = mapped_column(String(100), index=True)
    cameras: Mapped[str] = mapped_column(Text)  # comma-separated camera ids
    reason: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


class ForecastRow(Base):
    """One issued forecast of a zone's crowd count or density (the forecast ledger)."""

    __tablename__ = "forecasts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    target_at: Mapped[datetime] = mapped_column(UtcDateTime())
    horizon_min: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float] = mapped_column(Float)
    scale: Mapped[float] = mapped_column(Float)
    level: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_forecasts_zone_issued_at", "camera_id", "rule_id", "quantity", "issued_at"),
        Index("ix_forecasts_target_at", "target_at"),
    )


class ForecastScoreRow(Base):
    """A forecast scored when the truth of its target time arrived."""

    __tablename__ = "forecast_scores"

    forecast_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("forecasts.id", ondelete="CASCADE"), primary_key=True
    )
    truth: Mapped[float] = mapped_column(Float)
    abs_error: Mapped[float] = mapped_column(Float)
    baseline_abs_error: Mapped[float] = mapped_column(Float)
    scaled_error: Mapped[float] = mapped_column(Float)
    baseline_scaled_error: Mapped[float] = mapped_column(Float)
    inside_band: Mapped[bool] = mapped_column(Boolean)
    level_right: Mapped[bool | None] = mapped_column(Boolean)
    scored_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ScenarioRunRow(Base):
    """One what-if run (store/scenarios.py): its scenario, versions, summary and detail file."""

    __tablename__ = "scenario_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    scenario: Mapped[str] = mapped_column(Text)
    versions: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    detail_path: Mapped[str | None] = mapped_column(String(512), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
