"""Login rate limit: failed attempts per (user, address) within a sliding window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginLimiter:
    """At most `attempts` failures per key in `window_s`; then refuse until the oldest ages out."""

    def __init__(
        self, attempts: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, user: str, address: str) -> float:
        """Seconds until another try is allowed; 0 when it is allowed now."""
        with self._lock:
            recent = self._recent((user, address))
            if len(recent) < self.attempts:
                return 0.0
            return max(0.0, recent[0] + self.window_s - self._clock())

    def failed(self, user: str, address: str) -> None:
        with self._lock:
            self._recent((user, address)).append(self._clock())

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop((user, address), None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        recent = self._failures.setdefault(key, deque())
        horizon = self._clock() - self.window_s
        while recent and recent[0] <= horizon:
            recent.popleft()
        return recent
