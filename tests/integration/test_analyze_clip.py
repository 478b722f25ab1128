"""`cctwin analyze` on a generated clip whose every track and event is known in advance.

Two solid boxes move over the textured, noisy background of `write_synthetic_clip`
(640x360, 10 fps, 8 s = 80 frames, an IDR every 10 frames):

* A (red, 30x60) walks left to right along the middle of the frame: briskly up to the
  tripwire in the middle, slowly across it, briskly out at the right edge; it is gone
  from clip frame 65 on.
* B (blue, 40x60) walks in from the right edge at clip frame 10 and from frame 30 on
  stands still in the right half until the end.

A slows down at the tripwire so that sampled analysis still tracks it: ByteTrack links
two analysed boxes only if they overlap (IoU >= match_iou 0.3), and a 30 px wide box
moving 3 px per frame moves 15 px between every 5th frame (IoU 0.33), where at its
brisk pace of 10-16 px per frame it would not overlap at all.

`ColourBoxDetector` (colour_boxes.py) stands in for the model and finds exactly these
boxes, so detection -> tracking -> analytics -> files is tested against a known truth.
Clip frames below are 0-based, as MovingBox counts them; the files number them from 1.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from colour_boxes import ColourBoxDetector

from cctwin.analyze import analyze_source, camera_for
from cctwin.bench.clips import MovingBox, write_synthetic_clip
from cctwin.config import (
    AnalyticsConfig,
    CameraConfig,
    Config,
    IntrusionConfig,
    LineConfig,
    LoiteringConfig,
    SamplingConfig,
    SamplingMode,
    ScheduleConfig,
    SourceConfig,
    Weekday,
    ZoneConfig,
)
from cctwin.config.camera import MotionConfig

WIDTH, HEIGHT, FPS, SECONDS, GOP = 640, 360, 10, 8, 10
FRAMES = FPS * SECONDS
LAST = FRAMES - 1
RED, BLUE = (0, 0, 255), (255, 0, 0)
Box = tuple[float, float, float, float]
Path2D = tuple[MovingBox, ...]


def walk(
    colour: tuple[int, int, int],
    size: tuple[int, int],
    y: float,
    waypoints: list[tuple[int, float]],
) -> Path2D:
    """A box moving along y through (clip frame, centre x) waypoints, one MovingBox per leg."""
    return tuple(
        MovingBox((x0, y), (x1, y), size, colour, first_frame=f0, last_frame=f1)
        for (f0, x0), (f1, x1) in itertools.pairwise(waypoints)
    )


A = walk(RED, (30, 60), 180, [(0, 15), (25, 265), (45, 325), (64, 625)])
B = walk(BLUE, (40, 60), 270, [(10, 610), (30, 480), (LAST, 480)])
OBJECTS = {"A": A, "B": B}

# The rules. Lines follow the map-view convention pinned in tests/unit/analytics/
# test_lines.py: stand on points[0], look towards points[1]. This tripwire is drawn from the
# bottom of the image to the top, so A, walking towards larger x, goes from that observer's
# left to their right: `left_to_right`, counted `in`.
GATE = LineConfig(id="gate", points=[(0.5, 1.0), (0.5, 0.0)], in_direction="left_to_right")
RIGHT_HALF = ZoneConfig(id="right", polygon=[(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)])
LOITER_S = 3.0
EXIT_AFTER_S = 1.0
LOITER = LoiteringConfig(id="loiter", zone="right", min_dwell_s=LOITER_S)
INTRUDE = IntrusionConfig(id="intrude", zone="right", schedule=None)
# The clip has no creation_time, so frame time starts at the Unix epoch: Thursday
# 1970-01-01 09:00 in Seoul. A rule armed only at weekends must stay silent.
WEEKEND = IntrusionConfig(
    id="weekend", zone="right", schedule=ScheduleConfig(days=[Weekday.SAT, Weekday.SUN])
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# ByteTrack (min_consecutive_frames=2) reports a track from its second detection on.
CONFIRM_DELAY = 1
FRAME_TOLERANCE = 2


# --- truth ------------------------------------------------------------------------------


def truth_box(path: Path2D, clip_frame: int) -> Box | None:
    """The rectangle drawn for `path` in a clip frame, rounded as bench.clips draws it."""
    for leg in path:
        if leg.is_visible(clip_frame, LAST):
            cx, cy = leg.centre_at(clip_frame, LAST)
            w, h = leg.size
            return (
                max(round(cx - w / 2), 0),
                max(round(cy - h / 2), 0),
                min(round(cx + w / 2), WIDTH),
                min(round(cy + h / 2), HEIGHT),
            )
    return None


def anchor_x(path: Path2D, clip_frame: int) -> float | None:
    """Bottom-centre x of the drawn box (where zones and lines test an object)."""
    box = truth_box(path, clip_frame)
    return None if box is None else (box[0] + box[2]) / 2


def visible_frames(path: Path2D) -> list[int]:
    return [f for f in range(FRAMES) if truth_box(path, f) is not None]


def in_right_half(path: Path2D) -> list[int]:
    return [f for f in visible_frames(path) if (anchor_x(path, f) or 0) > WIDTH / 2]


def expected_events() -> list[tuple[str, str, str, str | None, int]]:
    """(kind, rule id, object, direction, 1-based frame) that the rules must raise."""
    a_inside = in_right_half(A)
    a_enters = a_inside[0]  # A's anchor crosses the tripwire and enters the zone at once
    assert a_inside == list(range(a_enters, a_inside[-1] + 1)), "A stays inside once in"
    a_leaves = a_inside[-1] + round(EXIT_AFTER_S * FPS)  # unseen for exit_after_s
    assert (a_inside[-1] - a_enters) / FPS < LOITER_S, "A must be too quick to loiter"
    b_enters = visible_frames(B)[0] + CONFIRM_DELAY  # already inside when first seen
    assert in_right_half(B) == visible_frames(B)
    b_loiters = b_enters + round(LOITER_S * FPS)
    events = [
        ("zone_enter", "right", "B", None, b_enters),
        ("intrusion", "intrude", "B", None, b_enters),
        ("loitering", "loiter", "B", None, b_loiters),
        ("zone_enter", "right", "A", None, a_enters),
        ("intrusion", "intrude", "A", None, a_enters),
        ("line_cross", "gate", "A", "in", a_enters),
        ("zone_exit", "right", "A", None, a_leaves),
    ]
    assert all(frame <= LAST for *_, frame in events), "every event must happen in the clip"
    return [(kind, rule, who, direction, frame + 1) for kind, rule, who, direction, frame in events]


def iou(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(width, 0) * max(height, 0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


# --- reading the outputs --------------------------------------------------------------


def read_mot(path: Path) -> list[tuple[int, int, Box, float]]:
    """(frame, id, xyxy, confidence) rows; checks each line is a valid MOTChallenge row."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split(",")
        assert len(fields) == 10, line
        assert fields[7:] == ["-1", "-1", "-1"], line
        frame, track = int(fields[0]), int(fields[1])
        left, top, width, height, confidence = (float(v) for v in fields[2:7])
        assert 1 <= frame <= FRAMES, line
        assert width > 0, line
        assert height > 0, line
        assert 0.0 <= confidence <= 1.0, line
        rows.append((frame, track, (left, top, left + width, top + height), confidence))
    return rows


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def identify_tracks(rows: list[tuple[int, int, Box, float]]) -> dict[int, str]:
    """Map each track id to the object (A or B) whose drawn box it overlaps best."""
    names: dict[int, set[str]] = {}
    for frame, track, box, _ in rows:
        scores = {
            name: iou(box, truth) if (truth := truth_box(path, frame - 1)) else 0.0
            for name, path in OBJECTS.items()
        }
        best = max(scores, key=lambda name: scores[name])
        assert scores[best] > 0.7, f"frame {frame} track {track}: {box} matches no object"
        names.setdefault(track, set()).add(best)
    assert all(len(objects) == 1 for objects in names.values()), f"identity switch: {names}"
    return {track: objects.pop() for track, objects in names.items()}


# --- running it -------------------------------------------------------------------------


def scene_config(clip: Path, line: LineConfig = GATE) -> Config:
    analytics = AnalyticsConfig(
        zones=[RIGHT_HALF],
        lines=[line],
        loitering=[LOITER],
        intrusion=[INTRUDE, WEEKEND],
        exit_after_s=EXIT_AFTER_S,
    )
    # The detector must see every frame here: the tests score its boxes frame by frame. The
    # motion gate (the last boxes tracked again on still frames) has its own test below.
    camera = CameraConfig(
        id="synthetic",
        source=SourceConfig(url=str(clip)),
        sampling=SamplingConfig(motion=MotionConfig(enabled=False)),
        analytics=analytics,
    )
    return Config(cameras=[camera])  # default tracker: confirm_score 0.7 < 0.9


def run(
    clip: Path, out: Path, sampling: SamplingConfig | None = None, config: Config | None = None
) -> dict[str, Any]:
    config = config or scene_config(clip)
    camera = camera_for(config, str(clip), None)
    assert camera.id == "synthetic"
    return analyze_source(
        str(clip), out, config, camera, sampling or SamplingConfig(), detector=ColourBoxDetector()
    )


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_clip(
        tmp_path_factory.mktemp("analyze") / "two_boxes.mp4",
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        seconds=SECONDS,
        gop=GOP,
        moving_boxes=[*A, *B],
    )


@pytest.fixture(scope="module")
def full_run(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("full")
    return out, run(clip, out)


# --- every frame analysed ---------------------------------------------------------------


def test_summary_counts_every_frame(full_run: tuple[Path, dict[str, Any]]) -> None:
    out, summary = full_run
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    assert summary["frames_decoded"] == FRAMES
    assert summary["frames_analysed"] == FRAMES
    assert summary["frames_corrupt"] == 0
    assert summary["reconnects"] == 0
    assert summary["tracks"] == 2
    assert (summary["width"], summary["height"], summary["source_fps"]) == (WIDTH, HEIGHT, FPS)
    assert set(summary["ms_per_frame"]) == {"decode", "detect", "track", "analytics"}
    assert summary["fps"] > 0


def test_tracks_follow_both_boxes_with_one_id_each(full_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = full_run
    rows = read_mot(out / "tracks.txt")
    names = identify_tracks(rows)  # also checks IoU > 0.7 with the drawn box on every row
    assert sorted(names.values()) == ["A", "B"]
    assert all(confidence == pytest.approx(0.9) for *_, confidence in rows)
    for track, name in names.items():
        tracked = {frame for frame, t, *_ in rows if t == track}
        # Reported from the second frame the box is seen in until it disappears.
        should = {f + 1 for f in visible_frames(OBJECTS[name])[CONFIRM_DELAY:]}
        assert tracked <= should
        assert len(tracked) >= 0.95 * len(should), (name, sorted(should - tracked))


def test_detections_are_the_drawn_boxes(full_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = full_run
    rows = read_mot(out / "detections.txt")
    assert {track for _, track, *_ in rows} == {-1}
    for frame in range(1, FRAMES + 1):
        found = [box for f, _, box, _ in rows if f == frame]
        truth = [box for path in OBJECTS.values() if (box := truth_box(path, frame - 1))]
        assert len(found) == len(truth), frame
        for box in truth:
            assert max(iou(box, other) for other in found) > 0.85, (frame, box, found)


def test_events_are_exactly_the_expected_ones(full_run: tuple[Path, dict[str, Any]]) -> None:
    out, summary = full_run
    events = read_jsonl(out / "events.jsonl")
    names = identify_tracks(read_mot(out / "tracks.txt"))
    actual = sorted(
        (
            e["kind"],
            e["rule_id"],
            names[e["track_id"]],
            e["payload"].get("direction"),
            e["frame_index"],
        )
        for e in events
    )
    expected = sorted(expected_events())
    assert [a[:4] for a in actual] == [e[:4] for e in expected], actual
    for got, want in zip(actual, expected, strict=True):
        assert abs(got[4] - want[4]) <= FRAME_TOLERANCE, (got, want)
    for event in events:
        # Frame time comes from the stream: the epoch plus the frame's timestamp.
        at = EPOCH + timedelta(seconds=(event["frame_index"] - 1) / FPS)
        assert datetime.fromisoformat(event["occurred_at"]) == at, event
        assert event["camera_id"] == "synthetic"
        assert event["class_name"] == "person"
    assert len({e["id"] for e in events}) == len(events)
    kinds = [e[0] for e in expected]
    assert summary["events"] == {kind: kinds.count(kind) for kind in sorted(set(kinds))}


def test_the_motion_gate_keeps_the_events_and_skips_still_frames(
    clip: Path, tmp_path: Path, full_run: tuple[Path, dict[str, Any]]
) -> None:
    """With the gate on (the default) the same events come out, give or take a frame."""
    config = scene_config(clip)
    gated = config.cameras[0].model_copy(update={"sampling": SamplingConfig()})
    config = config.model_copy(update={"cameras": [gated]})
    summary = run(clip, tmp_path, config=config)
    ungated = read_jsonl(full_run[0] / "events.jsonl")
    events = read_jsonl(tmp_path / "events.jsonl")
    assert summary["frames_analysed"] == FRAMES
    assert sorted((e["kind"], e["rule_id"]) for e in events) == sorted(
        (e["kind"], e["rule_id"]) for e in ungated
    )
    frames = sorted(e["frame_index"] for e in events)
    reference = sorted(e["frame_index"] for e in ungated)
    assert all(abs(a - b) <= FRAME_TOLERANCE for a, b in zip(frames, reference, strict=True))


def test_observations_end_with_b_alone_in_the_zone_and_one_crossing(
    full_run: tuple[Path, dict[str, Any]],
) -> None:
    out, _ = full_run
    observations = read_jsonl(out / "observations.jsonl")
    occupancy = [o["value"] for o in observations if o["kind"] == "occupancy"]
    assert max(occupancy) == 2.0  # A and B inside together
    assert occupancy[-1] == 1.0  # A has left, B stays
    crossings_in = [o["value"] for o in observations if o["kind"] == "line_count_in"]
    assert crossings_in[-1] == 1.0


def test_same_clip_gives_byte_identical_outputs(
    clip: Path, full_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, _ = full_run
    run(clip, tmp_path)
    for name in ("events.jsonl", "tracks.txt", "detections.txt", "observations.jsonl"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    assert (tmp_path / "events.jsonl").stat().st_size > 0


def test_crossing_that_lands_exactly_on_the_line_keeps_its_direction(
    clip: Path, tmp_path: Path
) -> None:
    # A's detected box at clip frame 45 is exactly x 310..340 (even edges survive 4:2:0
    # chroma), so its anchor is 325.0 = 0.5078125 * 640, both exact in float32: the
    # anchor goes 322 (clip frame 44) -> 325 (45, on the line) -> 341 (46). The crossing
    # counts once, `in`, when the anchor is clearly on the far side: file frame 47. (An
    # earlier LineAnalyzer counted it on the line, in the wrong direction.)
    on_the_line = LineConfig(
        id="gate", points=[(0.5078125, 1.0), (0.5078125, 0.0)], in_direction="left_to_right"
    )
    assert anchor_x(A, 44) == 322.0
    assert anchor_x(A, 45) == 325.0
    run(clip, tmp_path, config=scene_config(clip, line=on_the_line))
    crossings = [e for e in read_jsonl(tmp_path / "events.jsonl") if e["kind"] == "line_cross"]
    assert [(e["payload"]["direction"], e["frame_index"]) for e in crossings] == [("in", 47)]


# --- sampling ---------------------------------------------------------------------------

EVERY_5TH = list(range(1, FRAMES + 1, 5))
KEYFRAMES = list(range(1, FRAMES + 1, GOP))


@pytest.mark.parametrize(
    ("sampling", "analysed"),
    [
        pytest.param(SamplingConfig(mode=SamplingMode.EVERY, every=5), EVERY_5TH, id="every-5"),
        pytest.param(SamplingConfig(mode=SamplingMode.FPS, fps=2), EVERY_5TH, id="fps-2"),
        pytest.param(SamplingConfig(mode=SamplingMode.KEYFRAMES), KEYFRAMES, id="keyframes"),
    ],
)
def test_sampling_analyses_the_chosen_frames_under_their_own_numbers(
    clip: Path, tmp_path: Path, sampling: SamplingConfig, analysed: list[int]
) -> None:
    summary = run(clip, tmp_path, sampling)
    assert summary["frames_analysed"] == len(analysed)
    # A or B is on screen in every frame, so each analysed frame has a detection row.
    detected = sorted({frame for frame, *_ in read_mot(tmp_path / "detections.txt")})
    assert detected == analysed
    tracked = {frame for frame, *_ in read_mot(tmp_path / "tracks.txt")}
    assert tracked
    assert tracked <= set(analysed)
    # Keyframes mode never decodes the other frames, but counts them by their timestamps,
    # the 9 after the last keyframe included.
    assert summary["frames_decoded"] == FRAMES


@pytest.mark.parametrize(
    "sampling",
    [
        pytest.param(SamplingConfig(mode=SamplingMode.EVERY, every=5), id="every-5"),
        pytest.param(SamplingConfig(mode=SamplingMode.FPS, fps=2), id="fps-2"),
    ],
)
def test_sampled_analysis_still_sees_the_crossing(
    clip: Path, tmp_path: Path, sampling: SamplingConfig
) -> None:
    run(clip, tmp_path, sampling)
    crossings = [e for e in read_jsonl(tmp_path / "events.jsonl") if e["kind"] == "line_cross"]
    full_rate = next(frame for kind, *_, frame in expected_events() if kind == "line_cross")
    first_sampled_after = next(f for f in EVERY_5TH if f >= full_rate)
    assert [(e["rule_id"], e["payload"]["direction"], e["frame_index"]) for e in crossings] == [
        ("gate", "in", first_sampled_after)
    ]
    names = identify_tracks(read_mot(tmp_path / "tracks.txt"))
    assert names[crossings[0]["track_id"]] == "A"


# --- the command line with the real model ----------------------------------------------

SUMMARY_KEYS = {
    "source",
    "camera_id",
    "width",
    "height",
    "source_fps",
    "sampling",
    "frames_decoded",
    "frames_analysed",
    "frames_corrupt",
    "frames_dropped",
    "reconnects",
    "wall_s",
    "fps",
    "ms_per_frame",
    "model_load_s",
    "tracks",
    "events",
    "detector",
}


@pytest.mark.slow
def test_cli_analyze_with_the_bundled_detector(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "cctwin", "analyze", str(clip), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"of {FRAMES} frames analysed" in result.stdout
    for name in ("tracks.txt", "detections.txt", "events.jsonl", "observations.jsonl"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) >= SUMMARY_KEYS
    assert summary["frames_decoded"] == FRAMES
    assert summary["frames_analysed"] == FRAMES
    assert summary["detector"]["type"] == "nanodet"
    assert summary["ms_per_frame"]["detect"] > 0
    # No model sees people in flat rectangles; whatever it reports must be well-formed.
    rows = read_mot(out / "tracks.txt")
    assert summary["tracks"] == len({track for _, track, *_ in rows})
    assert all(track >= 1 for _, track, *_ in rows)
