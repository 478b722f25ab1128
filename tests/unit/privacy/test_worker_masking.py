"""Masking inside the worker: only masking cameras, heads from the tracks, clips re-encoded masked."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctwin.config import Config
from cctwin.detect.labels import COCO_LABELS, PERSON
from cctwin.privacy.worker import WorkerMasking
from cctwin.types import Detections

av = pytest.importorskip("av")


def _config(faces: bool = False) -> Config:
    return Config.model_validate(
        {
            "privacy": {"mask": True, "faces": faces, "plates": True, "style": "fill"},
            "cameras": [
                {"id": "masked", "source": {"url": "a.mp4"}},
                {"id": "open", "source": {"url": "b.mp4"}, "privacy": {"mask": False}},
            ],
        }
    )


def _tracks() -> Detections:
    return Detections(
        xyxy=np.array([[80, 40, 120, 180], [150, 100, 230, 170]], np.float32),
        confidence=np.array([0.9, 0.9], np.float32),
        class_id=np.array([PERSON, COCO_LABELS.index("car")], np.int32),
    )


def test_masking_camera_hides_the_head_and_the_other_does_not() -> None:
    masking = WorkerMasking(_config())
    image = np.full((200, 240, 3), 180, np.uint8)
    out = masking.frame("masked", image, _tracks())
    assert not out[40:70, 90:110].any()  # the head band of the person box
    assert out[150, 100].tolist() == [180, 180, 180]  # the legs stay
    assert not out[165:170, 180:200].any()  # the plate fallback band of the plain car
    assert masking.frame("open", image, _tracks()) is image


def _clip(frames: int = 6) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 128, "yuv420p"
        for _ in range(frames):
            image = np.full((128, 160, 3), 200, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def test_clip_is_reencoded_with_every_frame_masked() -> None:
    from cctwin.privacy.clips import mask_clip
    from cctwin.privacy.masker import Masker, MaskSettings, MaskStyle

    class Fixed(Masker):
        def regions(self, image, people=None, vehicles=None):  # type: ignore[no-untyped-def]
            return np.array([[40, 30, 100, 90]], np.int32)

    out = mask_clip(_clip(), Fixed(MaskSettings(style=MaskStyle.FILL)))
    with av.open(io.BytesIO(out)) as container:
        decoded = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(decoded) == 6
    for frame in decoded:
        assert frame[50:70, 55:85].max() < 30  # black, give or take the codec
        assert frame[5:20, 5:20].min() > 170


def test_worker_queues_clips_and_drops_failures() -> None:
    masking = WorkerMasking(_config())
    masking.submit_clip("masked", "e1", b"not an mp4")
    deadline = time.monotonic() + 20
    taken: list[tuple[str, str, bytes]] = []
    while time.monotonic() < deadline and masking._clips:
        taken += masking.take_clips()
        time.sleep(0.05)
    assert taken == []  # a clip that cannot be masked is never handed on unmasked


def test_bus_sink_publishes_masked_snapshot_and_preview(tmp_path: Path) -> None:
    from factories import event_of

    from cctwin.loop import CameraRuntime
    from cctwin.messages import LivePreview, MediaReady
    from cctwin.pipeline import StepResult
    from cctwin.types import Analysis, EventKind, Frame
    from cctwin.workers import BusSink

    config = Config.model_validate(
        {**_config().model_dump(mode="json"), "media": {"path": str(tmp_path), "clips": False}}
    )
    published: list[object] = []

    class Publisher:
        def publish(self, fact: object) -> None:
            published.append(fact)

    at = datetime(2026, 12, 6, 3, tzinfo=UTC)
    image = np.full((200, 240, 3), 255, np.uint8)
    image[45:65, 95:105] = (0, 0, 255)  # a red face on the person's head
    event = event_of(kind=EventKind.INTRUSION, camera_id="masked", rule_id="r",
                     zone_id=None, occurred_at=at, frame_index=1, track_id=1,
                     class_name="person", confidence=0.9)  # fmt: skip
    frame = Frame(camera_id="masked", index=1, captured_at=at, stream_time_s=0.0, image=image)
    step = StepResult(frame, _tracks(), _tracks(), Analysis(events=[event]))
    sink = BusSink(config, Publisher(), {})  # type: ignore[arg-type]
    sink.on_step(CameraRuntime(config.cameras[0]), step)
    snapshot = next(f for f in published if isinstance(f, MediaReady))
    preview = next(f for f in published if isinstance(f, LivePreview))
    for jpeg in ((tmp_path / snapshot.path).read_bytes(), preview.jpeg):
        decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        red = (decoded[..., 2] > 150) & (decoded[..., 1] < 100)
        assert not red.any()  # no pixel of the face survives into what the worker publishes


def test_a_failing_masker_blanks_the_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    from cctwin.privacy.masker import Masker

    def broken(self: Masker, *args: object) -> np.ndarray:
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(Masker, "mask", broken)
    out = WorkerMasking(_config()).frame("masked", np.full((20, 20, 3), 99, np.uint8), _tracks())
    assert not out.any()


def test_unconfirmed_detections_are_masked_too() -> None:
    masking = WorkerMasking(_config())
    image = np.full((200, 240, 3), 180, np.uint8)
    empty = Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32))
    out = masking.frame("masked", image, empty, _tracks())
    assert not out[40:70, 90:110].any()


def test_bus_sink_keeps_the_original_apart_and_live_originals_only_when_wanted(
    tmp_path: Path,
) -> None:
    from factories import event_of

    from cctwin.loop import CameraRuntime
    from cctwin.messages import MediaReady
    from cctwin.pipeline import StepResult
    from cctwin.store.originals import Originals
    from cctwin.types import Analysis, EventKind, Frame
    from cctwin.workers import BusSink

    media = tmp_path / "media"
    config = Config.model_validate(
        {**_config().model_dump(mode="json"), "media": {"path": str(media), "clips": False}}
    )
    published: list[object] = []

    class Publisher:
        def publish(self, fact: object) -> None:
            published.append(fact)

    at = datetime(2026, 12, 6, 3, tzinfo=UTC)
    image = np.full((200, 240, 3), 255, np.uint8)
    image[45:65, 95:105] = (0, 0, 255)
    event = event_of(kind=EventKind.INTRUSION, camera_id="masked", rule_id="r",
                     zone_id=None, occurred_at=at, frame_index=1, track_id=1,
                     class_name="person", confidence=0.9)  # fmt: skip
    frame = Frame(camera_id="masked", index=1, captured_at=at, stream_time_s=0.0, image=image)
    sink = BusSink(config, Publisher(), {})  # type: ignore[arg-type]
    runtime = CameraRuntime(config.cameras[0])
    sink.on_step(runtime, StepResult(frame, _tracks(), _tracks(), Analysis(events=[event])))
    snapshot = next(f for f in published if isinstance(f, MediaReady))
    originals = Originals(media)

    def red(jpeg: bytes) -> bool:
        decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        return bool(((decoded[..., 2] > 150) & (decoded[..., 1] < 100)).any())

    original = originals.read(snapshot)
    assert original is not None
    assert red(original)
    assert not originals.root.is_relative_to(media)  # never under the served media folder
    assert originals.read_live("masked") is None  # nobody asked for unmasked live frames
    originals.want_live("masked")
    sink._last_live.clear()
    sink.on_step(runtime, StepResult(frame, _tracks(), _tracks(), Analysis()))
    live = originals.read_live("masked")
    assert live is not None
    assert red(live)
