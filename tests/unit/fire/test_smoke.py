"""Smoke cue on generated sequences: a spreading grey veil fires, static or solid scenes do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np

from cctwin.analytics.fire.detector import FireAnalyzer, FireScore
from cctwin.analytics.fire.features import UInt8Array
from cctwin.analytics.fire.smoke import SmokeTracker

SIZE = (360, 640)


class NoFire:
    """A still scorer that never sees fire, so only the smoke cue can report."""

    threshold = 0.5

    def score(self, image_bgr: UInt8Array) -> FireScore:
        return FireScore(fire=0.0, smoke=0.0, region_xyxy=None)


def _street() -> UInt8Array:
    """A textured, coloured scene: brick-like blocks with mortar lines."""
    rng = np.random.default_rng(7)
    image = np.zeros((*SIZE, 3), dtype=np.uint8)
    for y in range(0, SIZE[0], 24):
        for x in range(0, SIZE[1], 48):
            image[y : y + 22, x : x + 46] = rng.integers(40, 200, size=3)
    noise = rng.integers(-20, 20, size=image.shape)
    return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def _with_smoke(background: UInt8Array, radius: int) -> UInt8Array:
    """Blend a blurred grey plume of `radius` rising from the bottom centre (translucent)."""
    alpha = np.zeros(SIZE, dtype=np.float32)
    if radius > 0:
        cv2.circle(alpha, (SIZE[1] // 2, SIZE[0] - radius // 2), radius, 0.75, -1)
        alpha = cv2.GaussianBlur(alpha, (31, 31), 0)
    grey = np.full_like(background, 170, dtype=np.float32)
    out = background.astype(np.float32) * (1 - alpha[..., None]) + grey * alpha[..., None]
    return np.asarray(out, dtype=np.uint8)


def _kinds(frames: list[UInt8Array]) -> list[str]:
    analyzer = FireAnalyzer(NoFire(), every=1, k=3, n=5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    kinds = []
    for i, frame in enumerate(frames):
        kinds += [f.kind for f in analyzer.update("cam", frame, start + timedelta(seconds=i))]
    return kinds


def test_spreading_grey_plume_is_smoke() -> None:
    street = _street()
    frames = [street] * 6 + [_with_smoke(street, r) for r in (20, 40, 60, 85, 110, 140, 170)]
    assert "smoke" in _kinds(frames)


def test_smoke_region_covers_the_plume() -> None:
    street = _street()
    tracker = SmokeTracker()
    radii = [0] * 6 + [30, 60, 90, 120, 150]  # six dry frames build the median background
    evidence = [tracker.update(_with_smoke(street, r)) for r in radii]
    last = evidence[-1]
    assert last.spreading
    assert last.region_xyxy is not None
    x1, _y1, x2, y2 = last.region_xyxy
    assert x1 < SIZE[1] // 2 < x2
    assert y2 > SIZE[0] - 40


def test_static_scene_is_not_smoke() -> None:
    street = _street()
    concrete = street.copy()
    concrete[100:300, 100:400] = 150  # a large grey, flat area that never changes
    assert _kinds([concrete] * 10) == []


def test_constant_plume_is_not_spreading() -> None:
    street = _street()
    frames = [street] * 3 + [_with_smoke(street, 80)] * 6
    assert "smoke" not in _kinds(frames)


def test_growing_solid_textured_object_is_not_smoke() -> None:
    """A grey but textured, opaque object (e.g. a lorry coming closer) adds edges."""
    street = _street()
    frames = [street] * 3
    for half in (20, 40, 60, 80, 100, 120):
        frame = street.copy()
        block = frame[180 - half : 180 + half, 320 - half : 320 + half]
        checker = (np.indices(block.shape[:2]).sum(axis=0) // 6) % 2
        block[:] = np.where(checker[..., None] > 0, 220, 40).astype(np.uint8)
        frames.append(frame)
    assert "smoke" not in _kinds(frames)


def test_saturated_moving_object_is_not_smoke() -> None:
    street = _street()
    frames = [street] * 3
    for step in range(6):
        frame = street.copy()
        frame[150:250, 50 + 60 * step : 200 + 60 * step] = (30, 30, 220)  # a red van
        frames.append(frame)
    assert "smoke" not in _kinds(frames)


def test_dusk_dimming_is_not_smoke() -> None:
    street = _street()
    frames = [np.asarray(street * k, dtype=np.uint8) for k in (1, 1, 1, 0.9, 0.8, 0.7, 0.6, 0.5)]
    assert "smoke" not in _kinds(frames)


def test_grey_region_inside_tracked_objects_is_not_smoke() -> None:
    """People in grey clothes crossing a grey square are tracked objects, not smoke."""
    street = _street()
    frames = [street] * 6 + [_with_smoke(street, r) for r in (20, 40, 60, 85, 110, 140, 170)]
    plume_box = np.array([[0, 0, SIZE[1], SIZE[0]]], dtype=np.float32)
    analyzer = FireAnalyzer(NoFire(), every=1, k=3, n=5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    kinds = [
        f.kind
        for i, frame in enumerate(frames)
        for f in analyzer.update("cam", frame, start + timedelta(seconds=i), plume_box)
    ]
    assert kinds == []
    # The same frames without the object box do report smoke (see the first test).
    assert "smoke" in _kinds(frames)


def test_warmup_frames_only_train_the_background() -> None:
    street = _street()
    tracker = SmokeTracker(warmup=3)
    first = [tracker.update(_with_smoke(street, r)) for r in (0, 40, 80, 120)]
    assert all(e.area_fraction == 0.0 for e in first)
    assert not any(e.spreading for e in first)


def test_ground_uncovered_by_people_is_not_smoke() -> None:
    """People stand in the first frames, then leave: the bare pavement they uncover is flat,
    unsaturated and mildly different from a background that learned their patterned coats,
    which is what a smoke veil looks like too. Ground objects just left is never smoke."""
    rng = np.random.default_rng(3)
    pavement = np.clip(130 + rng.integers(-4, 4, (*SIZE, 1)), 0, 255).repeat(3, axis=2)
    pavement = pavement.astype(np.uint8)
    crowd = pavement.copy()
    coats = crowd[120:300, 260:380]
    checks = (np.indices(coats.shape[:2]).sum(axis=0) // 4) % 2
    coats[:] = np.where(checks[..., None] > 0, 90, 40).astype(np.uint8)
    boxes = np.array([[260, 120, 380, 300]], dtype=np.float32)

    def uncovered_area(memory: int) -> float:
        tracker = SmokeTracker(object_memory=memory)
        areas = [
            tracker.update(crowd, boxes).area_fraction
            if i < 5
            else tracker.update(pavement).area_fraction
            for i in range(12)
        ]
        return max(areas)

    assert uncovered_area(memory=10) == 0.0
    # Without the memory of where people were, their ghost is a smoke-like region.
    assert uncovered_area(memory=0) > 0.02


def test_median_background_forgets_untracked_walkers() -> None:
    """People walking through the first frames before their tracks are confirmed."""
    rng = np.random.default_rng(3)
    pavement = np.clip(130 + rng.integers(-4, 4, (*SIZE, 1)), 0, 255).repeat(3, axis=2)
    pavement = pavement.astype(np.uint8)

    def with_walker(x: int) -> UInt8Array:
        image = pavement.copy()
        coat = image[120:300, x : x + 60]
        checks = (np.indices(coat.shape[:2]).sum(axis=0) // 4) % 2
        coat[:] = np.where(checks[..., None] > 0, 90, 40).astype(np.uint8)
        return image

    frames = [with_walker(100 + 80 * i) for i in range(6)] + [pavement] * 8

    def largest_area(warmup: int) -> float:
        tracker = SmokeTracker(warmup=warmup, object_memory=0)
        return max(tracker.update(frame).area_fraction for frame in frames)

    assert largest_area(warmup=5) == 0.0
    # A background taken from the first frame alone keeps the walker's ghost.
    assert largest_area(warmup=0) > 0.01
