"""Wall time per named stage of the per-frame work (decode, detect, track, each analyser)."""

from __future__ import annotations

from collections import defaultdict


class StageClock:
    """Accumulates wall time per named stage (decode, detect, track, analytics)."""

    def __init__(self) -> None:
        self.total_s: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def add(self, stage: str, seconds: float, calls: int = 1) -> None:
        self.total_s[stage] += seconds
        self.calls[stage] += calls

    def ms_per_frame(self, frames: int) -> dict[str, float]:
        return {k: round(1000 * v / max(frames, 1), 3) for k, v in self.total_s.items()}
