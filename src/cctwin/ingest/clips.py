"""Event clips: the camera's own compressed packets around an event, remuxed without re-encoding."""

from __future__ import annotations

import io
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class _Packet:
    data: bytes
    pts: int | None
    dts: int | None
    keyframe: bool
    stream_time_s: float


@dataclass
class _PendingClip:
    event_id: str
    end_s: float
    packets: list[_Packet] = field(default_factory=list)


class ClipRecorder:
    """Keeps the last `pre_roll_s` (from a keyframe) of one camera's packets and cuts clips.

    The reader thread feeds every demuxed packet; the analysis thread asks for a clip when
    an event happens and collects finished MP4s. Copying compressed packets costs almost
    nothing next to decoding, and the clip keeps the camera's original quality.
    """

    def __init__(self, pre_roll_s: float, post_roll_s: float, max_pending: int = 4) -> None:
        self.pre_roll_s = pre_roll_s
        self.post_roll_s = post_roll_s
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._ring: deque[_Packet] = deque()
        self._stream: Any = None
        self._pending: list[_PendingClip] = []
        self._ready: list[tuple[str, bytes]] = []
        self.skipped = 0

    def on_packet(self, stream: Any, packet: Any, stream_time_s: float) -> None:
        """Called by the reader for every packet of the video stream."""
        if packet.size == 0:
            return
        item = _Packet(
            bytes(packet), packet.pts, packet.dts, bool(packet.is_keyframe), stream_time_s
        )
        finished: list[_PendingClip] = []
        with self._lock:
            if stream is not self._stream:
                # A new connection (or a file that looped): old packets do not continue it.
                self._stream = stream
                self._ring.clear()
            self._ring.append(item)
            self._trim(stream_time_s)
            for clip in self._pending:
                clip.packets.append(item)
            finished = [c for c in self._pending if stream_time_s >= c.end_s]
            self._pending = [c for c in self._pending if stream_time_s < c.end_s]
            source = self._stream
        for clip in finished:
            data = _remux(source, clip.packets)
            if data is not None:
                with self._lock:
                    self._ready.append((clip.event_id, data))

    def _trim(self, now_s: float) -> None:
        """Drop packets older than the keyframe that starts the pre-roll window."""
        cutoff = now_s - self.pre_roll_s
        keyframes = [
            i for i, p in enumerate(self._ring) if p.keyframe and p.stream_time_s <= cutoff
        ]
        if keyframes:
            for _ in range(keyframes[-1]):
                self._ring.popleft()

    def request(self, event_id: str, at_stream_s: float) -> bool:
        """Start a clip around an event; False when too many are being cut already."""
        with self._lock:
            if len(self._pending) >= self.max_pending:
                self.skipped += 1
                return False
            start = next(
                (i for i, p in enumerate(self._ring) if p.keyframe), None
            )  # the ring always begins at the keyframe before the pre-roll
            packets = list(self._ring)[start:] if start is not None else []
            self._pending.append(_PendingClip(event_id, at_stream_s + self.post_roll_s, packets))
            return True

    def take_ready(self) -> list[tuple[str, bytes]]:
        """Finished clips as (event id, MP4 bytes)."""
        with self._lock:
            ready, self._ready = self._ready, []
        return ready


def _remux(stream: Any, packets: list[_Packet]) -> bytes | None:
    """Write packets into an MP4 with the source stream's codec parameters (no re-encode)."""
    import av

    start = next((i for i, p in enumerate(packets) if p.keyframe), None)
    if start is None or stream is None:
        return None
    packets = packets[start:]
    first_dts = next((p.dts for p in packets if p.dts is not None), 0) or 0
    buffer = io.BytesIO()
    try:
        with av.open(buffer, "w", format="mp4") as output:
            out_stream = output.add_stream_from_template(stream)
            for item in packets:
                packet = av.Packet(item.data)
                pts = item.pts if item.pts is not None else item.dts
                packet.pts = None if pts is None else pts - first_dts
                packet.dts = None if item.dts is None else item.dts - first_dts
                packet.time_base = stream.time_base
                packet.is_keyframe = item.keyframe
                packet.stream = out_stream
                output.mux(packet)
    except (av.error.FFmpegError, ValueError):
        return None
    return buffer.getvalue()
