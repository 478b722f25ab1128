"""PyAV (FFmpeg) decoding of files and RTSP streams: sampling, timestamps, reconnects."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from cctwin.config import (
    OnvifConfig,
    ReconnectConfig,
    SamplingConfig,
    SamplingMode,
    SourceConfig,
)
from cctwin.errors import SourceError
from cctwin.ingest.source import SourceStats
from cctwin.types import Frame

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LIVE_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt")


def is_live(url: str) -> bool:
    """Whether a location is a network stream (reconnect) rather than a file (ends)."""
    return urlsplit(url).scheme.lower() in LIVE_SCHEMES


def redact_url(url: str) -> str:
    """The URL without its password, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class Sampler:
    """Decides which decoded frames are analysed, by frame index or stream time."""

    def __init__(self, sampling: SamplingConfig) -> None:
        self.sampling = sampling
        self._next_due_s: float | None = None

    def wants(self, index: int, stream_time_s: float) -> bool:
        mode = self.sampling.mode
        if mode is SamplingMode.EVERY:
            return (index - 1) % self.sampling.every == 0
        if mode is SamplingMode.FPS:
            period = 1.0 / self.sampling.fps
            if self._next_due_s is None or stream_time_s + 1e-6 >= self._next_due_s:
                # Snap to the grid so a 25 fps stream sampled at 5 fps gives every 5th frame.
                base = stream_time_s if self._next_due_s is None else self._next_due_s
                missed = max(0, math.floor((stream_time_s - base) / period))
                self._next_due_s = base + (missed + 1) * period
                return True
            return False
        return True

    def restart(self) -> None:
        self._next_due_s = None


class PyAvSource:
    """Decodes one camera with PyAV; files end, live streams reconnect with backoff.

    Only sampled frames are converted to BGR (and scaled), because colour conversion is
    the part of decoding that sampling can save; keyframes-only mode skips the decoding
    of every other frame too.
    """

    def __init__(
        self,
        camera_id: str,
        source: SourceConfig,
        sampling: SamplingConfig,
        url: str | None = None,
    ) -> None:
        location = url or (source.substream_url if sampling.stream == "sub" else source.url)
        if location is None and source.onvif is not None:
            location = _url_from_onvif(source.onvif, sampling.stream)
        if location is None:
            raise SourceError(f"camera {camera_id}: no stream URL (set source.url or use ONVIF)")
        self.camera_id = camera_id
        self.url = location
        self.source = source
        self.sampling = sampling
        self.stats = SourceStats()
        self.live = is_live(location)
        self._closed = threading.Event()
        self._container: Any = None
        # Sees every compressed packet before decoding (event clips copy them).
        self.packet_listener: Callable[[Any, Any, float], None] | None = None
        # Stream time restarts at 0 on every reconnect and every loop of a file; frames carry
        # it on from where the last connection stopped, because the tracker (and everything
        # timed by the stream) drops frames that go back in time.
        self._time_offset_s = 0.0
        self._last_time_s: float | None = None
        self._last_arrival = 0.0
        self._frame_period_s = 0.04
        if not self.live and not Path(location).is_file():
            raise SourceError(f"{location}: no such file")

    # -- opening ---------------------------------------------------------------------------

    def open_container(self) -> Any:
        import av

        options: dict[str, str] = {}
        if self.live:
            options["rtsp_transport"] = str(self.source.rtsp_transport)
        timeout = (self.source.open_timeout_s, self.source.read_timeout_s)
        try:
            container = av.open(self.url, options=options, timeout=timeout)
        except (av.error.FFmpegError, OSError) as exc:
            raise SourceError(f"{redact_url(self.url)}: cannot open: {exc}") from exc
        if not container.streams.video:
            container.close()
            raise SourceError(f"{redact_url(self.url)}: no video stream")
        stream = container.streams.video[0]
        threads = self.source.decode_threads
        stream.codec_context.thread_count = threads
        stream.thread_type = "AUTO" if threads != 1 else "SLICE"
        if self.sampling.mode is SamplingMode.KEYFRAMES:
            stream.codec_context.skip_frame = "NONKEY"
            if self.source.skip_loop_filter:
                # Keyframes only: a P-frame predicts from the deblocked picture, so skipping
                # the filter there drifts until the next keyframe. Read when the decoder opens.
                stream.codec_context.options = {"skip_loop_filter": "all"}
        self._container = container
        return container

    # -- reading ---------------------------------------------------------------------------

    def frames(self) -> Iterator[Frame]:
        backoff = _Backoff(self.source.reconnect)
        first_open = True
        while not self._closed.is_set():
            try:
                container = self.open_container()
            except SourceError as exc:
                if first_open and not self.live:
                    raise
                self.stats.last_error = str(exc)
                if not self._wait_before_retry(backoff, first_open, exc):
                    return
                continue
            if not first_open and self.live:
                self.stats.add("reconnects")  # a looping file starting over is not one
            first_open = False
            backoff.reset()
            try:
                yield from self._decode(container)
            finally:
                container.close()
                self._container = None
                self._continue_time()
            if self._closed.is_set():
                return
            if not self.live and not self.source.loop:
                return
            if self.live:
                log.warning("%s: stream ended or stalled; reconnecting", self.camera_id)
                if not self._wait_before_retry(backoff, False, None):
                    return

    def _continue_time(self) -> None:
        """Start the next connection's stream time after this one's last frame.

        A live camera's gap is the wall time it was away (tracks older than that expire as
        they should); a looping file's is one frame.
        """
        if self._last_time_s is None:
            return
        gap = self._frame_period_s
        if self.live:
            gap = max(gap, time.monotonic() - self._last_arrival)
        self._time_offset_s = self._last_time_s + gap
        self._last_time_s = None

    def _wait_before_retry(
        self, backoff: _Backoff, first_open: bool, error: Exception | None
    ) -> bool:
        delay = backoff.next_delay()
        if delay is None:
            if error is not None and first_open:
                raise error
            return False
        log.warning("%s: %s; retrying in %.1f s", self.camera_id, error or "ended", delay)
        return not self._closed.wait(delay)

    def _decode(self, container: Any) -> Iterator[Frame]:
        import av

        stream = container.streams.video[0]
        time_base = float(stream.time_base) if stream.time_base else 1.0 / 25
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        self._frame_period_s = 1.0 / rate
        keyframes_only = self.sampling.mode is SamplingMode.KEYFRAMES
        sampler = Sampler(self.sampling)
        anchor = self._anchor(container)
        started = time.monotonic()
        first_pts: int | None = None
        packet_base: int | None = None
        decoded_here = 0
        # Live streams and looping files number frames on from the last connection, so that
        # frame-derived ids (events) stay unique; a file read once starts at 1.
        index_offset = self.stats.decoded if self.live or self.source.loop else 0
        offset_s = self._time_offset_s
        packets = container.demux(stream)
        while not self._closed.is_set():
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.error.FFmpegError as exc:
                # A read timeout, a reset connection or a broken container ends this
                # connection; live sources reconnect, files stop here.
                self.stats.last_error = f"read failed: {exc}"
                log.warning("%s: %s", self.camera_id, self.stats.last_error)
                return
            # Latency is measured from the packet's arrival, before any decoding work.
            arrived = time.monotonic()
            # AVI and some cameras stamp only the decode time.
            stamp = packet.pts if packet.pts is not None else packet.dts
            if self.packet_listener is not None and stamp is not None:
                packet_base = stamp if packet_base is None else packet_base
                self.packet_listener(stream, packet, offset_s + (stamp - packet_base) * time_base)
            if keyframes_only and packet.pts is not None:
                # Skipped frames are never decoded: count the stream's frames by timestamp.
                first_pts = packet.pts if first_pts is None else first_pts
                position = round((packet.pts - first_pts) * time_base * rate) + 1
                if position > decoded_here:
                    self.stats.add("decoded", position - decoded_here)
                    decoded_here = position
            try:
                decoded = packet.decode()
            except av.error.InvalidDataError as exc:
                self.stats.add("corrupt")
                self.stats.last_error = f"corrupt packet: {exc}"
                continue
            for av_frame in decoded:
                pts = av_frame.pts if av_frame.pts is not None else packet.dts
                if first_pts is None:
                    first_pts = pts if pts is not None else 0
                if pts is None:
                    pts = first_pts + round(decoded_here / rate / time_base)
                local_s = (pts - first_pts) * time_base
                stream_time_s = offset_s + local_s
                if keyframes_only:
                    index = round(local_s * rate) + 1
                else:
                    decoded_here += 1
                    index = decoded_here
                    self.stats.add("decoded")
                if getattr(av_frame, "is_corrupt", False):
                    # Counted in its place, so later frames keep their true index.
                    self.stats.add("corrupt")
                    continue
                if not sampler.wants(index, stream_time_s):
                    continue
                if self.source.pace:
                    # A file standing in for a camera: deliver each frame at its moment.
                    delay = started + local_s - time.monotonic()
                    if delay > 0 and self._closed.wait(delay):
                        return
                    arrived = time.monotonic()
                if anchor is None:
                    anchor = datetime.now(UTC) - timedelta(seconds=stream_time_s)
                self._last_time_s, self._last_arrival = stream_time_s, arrived
                yield self._to_frame(av_frame, index + index_offset, anchor, stream_time_s, arrived)

    def _anchor(self, container: Any) -> datetime | None:
        """Frame-time origin: a file's creation time (or the epoch); live streams use arrival."""
        if self.live or self.source.pace:
            return None
        created = (container.metadata or {}).get("creation_time")
        if created:
            try:
                return datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(UTC)
            except ValueError:
                pass
        return EPOCH

    def _to_frame(
        self, av_frame: Any, index: int, anchor: datetime, stream_time_s: float, received: float
    ) -> Frame:
        width, height = av_frame.width, av_frame.height
        target_width = self.source.analysis_width
        if target_width and target_width < width:
            target_height = max(2, round(height * target_width / width / 2) * 2)
            image = av_frame.to_ndarray(format="bgr24", width=target_width, height=target_height)
            scale = width / target_width
        else:
            image = av_frame.to_ndarray(format="bgr24")
            scale = 1.0
        return Frame(
            camera_id=self.camera_id,
            index=index,
            captured_at=anchor + timedelta(seconds=stream_time_s),
            stream_time_s=stream_time_s,
            image=np.ascontiguousarray(image),
            scale=scale,
            received_monotonic_s=received,
        )

    def close(self) -> None:
        self._closed.set()


def _url_from_onvif(onvif: OnvifConfig, stream: str) -> str:
    """Ask the camera's ONVIF media service for its main or sub-stream RTSP URL."""
    from cctwin.ingest.onvif import discover_streams_sync

    found = discover_streams_sync(
        onvif.host, onvif.port, onvif.username, onvif.password, with_credentials=True
    )
    chosen = found.sub if stream == "sub" and found.sub is not None else found.main
    return chosen.uri


class _Backoff:
    """Exponential delays between reconnect attempts; None when attempts are used up."""

    def __init__(self, policy: ReconnectConfig) -> None:
        self.policy = policy
        self.reset()

    def reset(self) -> None:
        self.attempts = 0

    def next_delay(self) -> float | None:
        if self.policy.max_attempts and self.attempts >= self.policy.max_attempts:
            return None
        delay = min(self.policy.max_s, self.policy.initial_s * self.policy.factor**self.attempts)
        self.attempts += 1
        return delay
