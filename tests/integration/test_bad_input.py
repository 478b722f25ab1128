"""The `cctwin` command on bad input: one clear `error:` line and exit code 2, never a traceback.

Damaged video is the exception: a broken packet must not stop an analysis, so those runs
exit 0 and count the damage in summary.json instead.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from cctwin.bench.clips import MovingBox, write_synthetic_clip
from cctwin.config import SamplingConfig, SourceConfig
from cctwin.ingest.pyav import PyAvSource

WIDTH, HEIGHT, FPS, SECONDS, GOP = 640, 360, 10, 8, 10
FRAMES = FPS * SECONDS
# 0-based clip frame whose P-slice gets garbage; 35 % GOP != 0, so it is not an IDR.
DAMAGED_P_FRAME = 35


def cctwin(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cctwin", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single non-empty stderr line of a failed command (and exit code 2)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    box = MovingBox(
        start_centre=(40, 180), end_centre=(600, 180), size=(30, 60), colour_bgr=(0, 0, 255)
    )
    return write_synthetic_clip(
        tmp_path_factory.mktemp("bad_input") / "clip.mp4",
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        seconds=SECONDS,
        gop=GOP,
        moving_boxes=[box],
    )


# --- sources that cannot be opened --------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-clip.mp4"
    line = error_line(cctwin("analyze", str(missing), "--out", "out", cwd=tmp_path))
    assert str(missing) in line
    assert "no such file" in line
    assert not (tmp_path / "out" / "summary.json").exists()


def test_refused_rtsp_url(tmp_path: Path) -> None:
    url = f"rtsp://127.0.0.1:{free_port()}/x"
    started = time.monotonic()
    result = cctwin("analyze", url, "--out", "out", cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < 30
    line = error_line(result)
    assert url in line
    assert "cannot open" in line


@pytest.fixture
def silent_rtsp_port() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung camera)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        server.close()
        for connection in accepted:
            connection.close()


def test_silent_rtsp_server_times_out_after_open_timeout(
    tmp_path: Path, silent_rtsp_port: int
) -> None:
    url = f"rtsp://127.0.0.1:{silent_rtsp_port}/x"
    config = tmp_path / "silent.yaml"
    config.write_text(
        "cameras:\n"
        "  - id: hung\n"
        "    source:\n"
        f"      url: {url}\n"
        "      open_timeout_s: 2\n"
        "      read_timeout_s: 2\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    result = cctwin("analyze", url, "--config", str(config), "--out", "out", cwd=tmp_path)
    elapsed = time.monotonic() - started
    line = error_line(result)
    assert url in line
    assert "cannot open" in line
    assert elapsed < 30, elapsed


# --- invalid configuration ------------------------------------------------------------------

BAD_CONFIG = """\
version: 1
cameras:
  - id: cam1
    source:
      url: {url}
      open_timeout_s: 2
      open_timout_s: 5
"""


@pytest.fixture
def bad_config(tmp_path: Path, clip: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_CONFIG.format(url=clip), encoding="utf-8")
    assert path.read_text(encoding="utf-8").splitlines()[6].strip().startswith("open_timout_s")
    return path


def test_check_config_names_line_and_field(tmp_path: Path, bad_config: Path) -> None:
    line = error_line(cctwin("check-config", str(bad_config), cwd=tmp_path))
    assert f"{bad_config}:7:" in line
    assert "cameras.0.source.open_timout_s" in line


def test_analyze_with_invalid_config_names_line_and_field(
    tmp_path: Path, clip: Path, bad_config: Path
) -> None:
    result = cctwin("analyze", str(clip), "--config", str(bad_config), "--out", "out", cwd=tmp_path)
    line = error_line(result)
    assert f"{bad_config}:7:" in line
    assert "cameras.0.source.open_timout_s" in line
    assert not (tmp_path / "out").exists()


def test_analyze_rejects_two_sampling_options(tmp_path: Path, clip: Path) -> None:
    result = cctwin("analyze", str(clip), "--every", "5", "--keyframes", cwd=tmp_path)
    assert "--every" in error_line(result)


# --- damaged video ----------------------------------------------------------------------------


def mp4_boxes(data: bytes) -> dict[str, tuple[int, int]]:
    """Top-level MP4 boxes: type -> (payload start, end)."""
    boxes: dict[str, tuple[int, int]] = {}
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:  # 64-bit size follows the type
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
            header = 16
        elif size == 0:  # box runs to the end of the file
            size = len(data) - offset
        boxes[kind.decode("latin-1")] = (offset + header, offset + size)
        offset += size
    return boxes


def analyze_summary(source: Path, cwd: Path) -> dict[str, Any]:
    result = cctwin("analyze", str(source), "--out", "out", cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary: dict[str, Any] = json.loads((cwd / "out" / "summary.json").read_text("utf-8"))
    return summary


@pytest.mark.slow
def test_random_bytes_in_mp4_media_data(tmp_path: Path, clip: Path) -> None:
    data = bytearray(clip.read_bytes())
    start, end = mp4_boxes(bytes(data))["mdat"]
    offset = start + int(0.6 * (end - start))
    garbage = np.random.default_rng(60).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    data[offset : offset + len(garbage)] = garbage
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))

    summary = analyze_summary(damaged, tmp_path)
    print(
        f"mp4 with 4 KiB of noise in mdat: {summary['frames_decoded']} decoded, "
        f"{summary['frames_corrupt']} corrupt"
    )
    assert 0 < summary["frames_decoded"] <= FRAMES
    assert summary["frames_corrupt"] >= 0
    # A frame flagged corrupt is decoded (and counted) but never analysed.
    assert summary["frames_analysed"] == summary["frames_decoded"] - summary["frames_corrupt"]


def annex_b_with_damaged_p_frame(clip: Path, path: Path) -> Path:
    """Remux the clip to a raw H.264 (Annex B) stream and garble one P-slice's payload."""
    raw_path = path.with_suffix(".clean.h264")
    with av.open(str(clip)) as source, av.open(str(raw_path), "w", format="h264") as raw:
        stream = source.streams.video[0]
        output = raw.add_stream_from_template(stream)
        for packet in source.demux(stream):
            if packet.dts is None:  # the flush packet
                continue
            packet.stream = output
            raw.mux(packet)  # the muxer converts MP4 length prefixes to start codes
    data = bytearray(raw_path.read_bytes())
    starts = [m.end() for m in re.finditer(b"\x00\x00\x01", data)]
    nal_types = [data[s] & 0x1F for s in starts]
    # One coded slice per frame (type 5 = IDR, type 1 = non-IDR), in decode = display order.
    slices = [
        (s, e)
        for s, e, t in zip(starts, [*starts[1:], len(data)], nal_types, strict=True)
        if t in (1, 5)
    ]
    assert len(slices) == FRAMES
    start, end = slices[DAMAGED_P_FRAME]
    assert nal_types[starts.index(start)] == 1
    # Keep the NAL header and the start of the slice header; no zero bytes, so the noise
    # can never fake a start code and split the NAL unit.
    first, last = start + 16, min(end, start + 16 + 2000)
    noise = np.random.default_rng(35).integers(1, 256, last - first, dtype=np.uint8)
    data[first:last] = noise.tobytes()
    path.write_bytes(bytes(data))
    return path


@pytest.mark.slow
def test_garbage_inside_one_p_frame_of_raw_h264(tmp_path: Path, clip: Path) -> None:
    damaged = annex_b_with_damaged_p_frame(clip, tmp_path / "damaged.h264")
    summary = analyze_summary(damaged, tmp_path)
    print(
        f"h264 with a garbled P-slice: {summary['frames_decoded']} decoded, "
        f"{summary['frames_corrupt']} corrupt"
    )
    # FFmpeg's H.264 decoder does not drop the picture: it decodes the slice until the
    # garbage makes the bitstream invalid, error-conceals the macroblocks it could not
    # decode (copying them from the previous picture) and returns the frame flagged
    # AV_FRAME_FLAG_CORRUPT (PyAV: frame.is_corrupt; with cctwin's default of one decoder
    # thread). PyAvSource counts that frame in frames_corrupt and skips it. The P-frames
    # after it predict from the concealed picture and carry the smear until the next IDR,
    # but are not flagged.
    assert summary["frames_corrupt"] >= 1 or summary["frames_decoded"] < FRAMES
    assert summary["frames_decoded"] > DAMAGED_P_FRAME
    assert summary["frames_analysed"] == summary["frames_decoded"] - summary["frames_corrupt"]


def test_frames_after_a_corrupt_frame_keep_their_place(tmp_path: Path, clip: Path) -> None:
    damaged = annex_b_with_damaged_p_frame(clip, tmp_path / "damaged.h264")
    source = PyAvSource("damaged", SourceConfig(url=str(damaged)), SamplingConfig())
    indices = [frame.index for frame in source.frames()]
    assert source.stats.corrupt == 1
    # The damaged frame (1-based DAMAGED_P_FRAME + 1) is dropped; the others keep their
    # place, so tracks.txt and events still line up with ground truth after the damage.
    # (An earlier PyAvSource skipped it uncounted and renumbered every later frame.)
    assert indices == [i for i in range(1, FRAMES + 1) if i != DAMAGED_P_FRAME + 1]


# --- evaluation inputs ------------------------------------------------------------------------


@pytest.fixture
def mot_file(tmp_path: Path) -> Path:
    path = tmp_path / "gt.txt"
    path.write_text("1,1,10,10,20,40,1,-1,-1,-1\n2,1,12,10,20,40,1,-1,-1,-1\n", "utf-8")
    return path


def test_eval_tracking_missing_file(tmp_path: Path, mot_file: Path) -> None:
    missing = tmp_path / "missing.txt"
    result = cctwin(
        "eval", "tracking", "--gt", str(mot_file), "--tracks", str(missing), cwd=tmp_path
    )
    line = error_line(result)
    assert str(missing) in line
    assert "no such file" in line


@pytest.mark.parametrize("command", ["tracking", "detection"])
@pytest.mark.parametrize("frames", ["x:y", "1:x", "1-5"])
def test_eval_malformed_frame_range(
    tmp_path: Path, mot_file: Path, command: str, frames: str
) -> None:
    other = "--tracks" if command == "tracking" else "--detections"
    result = cctwin(
        "eval",
        command,
        "--gt",
        str(mot_file),
        other,
        str(mot_file),
        "--frames",
        frames,
        cwd=tmp_path,
    )
    line = error_line(result)
    assert "--frames" in line
    assert frames in line
