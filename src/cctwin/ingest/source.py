"""The VideoSource boundary and the per-source counters every backend keeps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Protocol

from cctwin.types import Frame


@dataclass
class SourceStats:
    """Counters for one source; updated by the reading thread, read by anyone."""

    decoded: int = 0
    analysed: int = 0
    dropped: int = 0
    corrupt: int = 0
    reconnects: int = 0
    last_error: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, counter: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + amount)

    def as_dict(self) -> dict[str, int | str]:
        with self._lock:
            return {
                f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")
            }


class VideoSource(Protocol):
    """Anything that yields analysed frames from one camera."""

    camera_id: str
    stats: SourceStats

    def frames(self) -> Iterator[Frame]:
        """Yield the frames chosen for analysis until the source ends or is closed."""
        ...

    def close(self) -> None:
        """Stop reading and release the stream."""
        ...
