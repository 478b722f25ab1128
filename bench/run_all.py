"""Run every benchmark in bench/ and print their JSON, one object per line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    status = 0
    for script in ("eval_pets.py", "streams.py"):
        done = subprocess.run([sys.executable, str(HERE / script)], capture_output=True, text=True)
        sys.stderr.write(done.stderr)
        print(" ".join(done.stdout.split()))
        status = status or done.returncode
    raise SystemExit(status)
