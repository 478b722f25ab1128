"""Retention policies from the config, cut-offs, and the PrivacyObject each camera publishes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cctwin.config import Config, load_config
from cctwin.errors import CctwinError
from cctwin.privacy.retention import policies, privacy_object, purge_policies

CONFIG = {
    "privacy": {"mask": True, "purpose": "traffic safety", "retention_days": 30},
    "cameras": [
        {"id": "gate", "source": {"url": "a.mp4"},
         "placement": {"lon": 126.95, "lat": 37.54}},
        {"id": "lobby", "name": "Lobby", "source": {"url": "b.mp4"},
         "privacy": {"retention_days": 7, "purpose": "facility security", "mask": False}},
    ],
}  # fmt: skip


def test_camera_fields_override_the_deployment() -> None:
    gate, lobby = policies(Config.model_validate(CONFIG))
    assert (gate.purpose, gate.retention_days, gate.mask) == ("traffic safety", 30, True)
    assert (lobby.purpose, lobby.retention_days, lobby.mask) == ("facility security", 7, False)
    now = datetime(2026, 12, 6, tzinfo=UTC)
    assert lobby.cutoff(now) == datetime(2026, 11, 29, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone"):
        lobby.cutoff(datetime(2026, 12, 6))


def test_defaults_are_thirty_days_and_unmasked() -> None:
    config = Config.model_validate({"cameras": [{"id": "c", "source": {"url": "a.mp4"}}]})
    (policy,) = policies(config)
    assert policy.retention_days == 30
    assert not policy.mask


def test_removed_cameras_get_the_default_policy() -> None:
    chosen = purge_policies(Config.model_validate(CONFIG), {"gate", "old-cam"})
    assert [p.camera_id for p in chosen] == ["gate", "lobby", "old-cam"]
    assert chosen[-1].retention_days == 30


def test_privacy_object_shape() -> None:
    config = Config.model_validate(CONFIG)
    body = privacy_object(config.cameras[0], config).as_key_values()
    assert body["type"] == "PrivacyObject"
    assert body["id"] == "urn:ngsi-ld:PrivacyObject:gate"
    assert body["retentionPeriod"] == "P30D"
    assert body["purpose"] == "traffic safety"
    assert body["refDevice"] == "urn:ngsi-ld:Device:gate"
    assert body["isPersonalData"] is True
    assert body["location"] == {"type": "Point", "coordinates": [126.95, 37.54]}
    lobby = privacy_object(config.cameras[1], config).as_key_values()
    assert lobby["retentionPeriod"] == "P7D"
    assert "location" not in lobby


def test_bad_retention_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("privacy:\n  retention_days: 0\n")
    with pytest.raises(CctwinError, match=r"c\.yaml:2: privacy\.retention_days"):
        load_config(path)
