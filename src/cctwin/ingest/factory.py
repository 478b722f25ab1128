"""The one place a camera's video source is built (PyAV today; the VideoSource protocol)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cctwin.config import CameraConfig, SamplingConfig
from cctwin.ingest.source import VideoSource

PacketListener = Callable[[Any, Any, float], None]


def open_source(
    camera: CameraConfig,
    sampling: SamplingConfig | None = None,
    url: str | None = None,
    packet_listener: PacketListener | None = None,
) -> VideoSource:
    """The camera's source: its own sampling and URL unless given (a file to analyse, say);
    `packet_listener` sees every compressed packet (clip recording)."""
    from cctwin.ingest.pyav import PyAvSource

    source = PyAvSource(camera.id, camera.source, sampling or camera.sampling, url=url)
    if packet_listener is not None:
        source.packet_listener = packet_listener
    return source
