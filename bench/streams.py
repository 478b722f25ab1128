"""Concurrent 1080p/720p RTSP cameras sustained at a target fps; prints one JSON object.

A thin wrapper over `cctwin bench streams --json` so every benchmark lives in bench/.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    arguments = sys.argv[1:] or [
        "--resolution",
        "1080p",
        "--mode",
        "keyframes",
        "--target-fps",
        "1",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "cctwin", "bench", "streams", "--json", *arguments], cwd=ROOT
    )
    raise SystemExit(done.returncode)
