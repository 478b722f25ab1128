"""The NGSI-LD broker's settings: pre-loaded @context documents and history retention."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from cctwin.config.base import Strict
from cctwin.config.federation import FederationConfig


class ContextDocumentConfig(Strict):
    """A remote @context served from a local file: the URL is never fetched."""

    url: str = Field(pattern=r"^https?://")
    path: Path


class NgsiConfig(Strict):
    """`ngsi_ld:` in the config: the /ngsi-ld/v1 API and the twin's history."""

    contexts: list[ContextDocumentConfig] = Field(
        default_factory=list, description="@context documents pre-loaded for offline rooms."
    )
    history_days: float = Field(
        2.0,
        gt=0,
        description="Twin history kept as written (raw), in days; then one-minute rollups.",
    )
    downsampled_days: float = Field(
        30.0,
        gt=0,
        description="How long the one-minute rollups (mean, max, last) of history are kept.",
    )
    replay_lookback_s: float = Field(
        300.0,
        gt=0,
        le=86400,
        description="Replay: a value older than this before the chosen time counts as unknown.",
    )
    prune_interval_s: float = Field(3600.0, gt=0, description="How often old history goes.")
    twin: bool = Field(True, description="Project cctwin's own facts into NGSI-LD entities.")
    federation: FederationConfig = Field(default_factory=FederationConfig)
