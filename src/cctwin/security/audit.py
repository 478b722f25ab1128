"""The audit trail: rows chained by SHA-256, so an edited, inserted or deleted row shows."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TextIO

GENESIS = "0" * 64


class AuditAction(StrEnum):
    VIEW_LIVE = "view.live"
    VIEW_SNAPSHOT = "view.snapshot"
    VIEW_CLIP = "view.clip"
    EXPORT = "export"
    SHARE = "share"
    UNMASK = "unmask"
    UNMASK_USE = "unmask.use"
    UNMASK_END = "unmask.end"
    UNMASK_EXPIRED = "unmask.expired"
    ALERT_TRANSITION = "alert.transition"
    ALERT_NOTE = "alert.note"
    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    USER_ADD = "user.add"
    USER_DISABLE = "user.disable"
    USER_PASSWORD = "user.password"
    KEY_CREATE = "key.create"
    KEY_REVOKE = "key.revoke"
    CONFIG_LOADED = "config.loaded"
    CONFIG_CHANGED = "config.changed"
    ALERT_OPENED = "alert.opened"


@dataclass(frozen=True)
class AuditRecord:
    """What happened, before it is chained: who, what, on what, why."""

    at: datetime
    actor: str  # user:NAME, key:NAME, cli:OSUSER, service
    action: str  # an AuditAction; plain text so an edited row still reads back
    target: str = ""
    camera_id: str | None = None
    purpose: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """A stored row: the record, its sequence number and the chain hashes."""

    seq: int
    record: AuditRecord
    prev_hash: str
    hash: str


def row_hash(seq: int, record: AuditRecord, prev_hash: str) -> str:
    """SHA-256 over the previous hash and this row's canonical JSON (sequence included)."""
    body = json.dumps(
        [
            seq,
            record.at.astimezone(UTC).isoformat(timespec="microseconds"),
            record.actor,
            str(record.action),
            record.target,
            record.camera_id,
            record.purpose,
            record.detail,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify(entries: Iterable[AuditEntry], first_seq: int = 1) -> ChainBreak | None:
    """The first row where the chain breaks, or None when intact (rows in sequence order).

    A deleted row leaves a gap in the sequence (or a prev_hash that no longer matches); an
    inserted or edited row no longer hashes to what the next row recorded. Deleting the newest
    rows is only visible against an anchor kept elsewhere (`audit verify` prints the head).
    """
    expected_prev, expected_seq = GENESIS, first_seq
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainBreak(entry.seq, f"row {expected_seq} is missing (deleted)")
        if entry.prev_hash != expected_prev:
            return ChainBreak(entry.seq, "previous hash does not match (row inserted or deleted)")
        if row_hash(entry.seq, entry.record, entry.prev_hash) != entry.hash:
            return ChainBreak(entry.seq, "row contents do not match their hash (edited)")
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    return None


CSV_COLUMNS = ("seq", "at", "actor", "action", "target", "camera_id", "purpose", "detail", "hash")


def write_csv(entries: Iterable[AuditEntry], out: TextIO) -> int:
    """The rows as CSV for the privacy officer; returns how many."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for e in entries:
        r = e.record
        writer.writerow(
            [
                e.seq,
                r.at.isoformat(),
                r.actor,
                r.action,
                r.target,
                r.camera_id or "",
                r.purpose or "",
                r.detail,
                e.hash,
            ]
        )
        count += 1
    return count
