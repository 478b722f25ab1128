"""Each picture measure on generated images: sharp vs blurred, dark, frozen vs noisy still,
covered, shifted."""

import cv2
import numpy as np
import pytest

from cctwin.camerahealth import measures
from cctwin.camerahealth.faults import Fault, FaultKind, apply


def checkerboard(width: int = 320, height: int = 240, square: int = 20) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    board = (((yy // square) + (xx // square)) % 2 * 160 + 48).astype(np.uint8)
    return board


def scene(seed: int = 0, width: int = 320, height: int = 240) -> np.ndarray:
    """Random shapes on a gradient: texture everywhere, corners for ORB."""
    rng = np.random.default_rng(seed)
    image = np.tile(np.linspace(60, 180, width, dtype=np.float32), (height, 1))
    for _ in range(60):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(8, 40)), int(rng.integers(8, 40))
        image[y : y + h, x : x + w] = float(rng.integers(0, 255))
    noise = rng.normal(0, 6, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def test_blur_lowers_sharpness_but_a_gain_drop_does_not() -> None:
    sharp = checkerboard()
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3)
    darker = (sharp.astype(np.float32) * 0.3).astype(np.uint8)
    assert measures.sharpness(blurred) < 0.2 * measures.sharpness(sharp)
    # Normalised by contrast: a darker picture of the same scene is as sharp.
    assert measures.sharpness(darker) == pytest.approx(measures.sharpness(sharp), rel=0.2)


def test_luma_of_a_dark_image() -> None:
    assert measures.luma(np.full((10, 10), 20, np.uint8)) == 20
    assert measures.luma(checkerboard()) > 100


def test_frozen_repeats_exactly_but_a_still_scene_has_sensor_noise() -> None:
    rng = np.random.default_rng(1)
    still = np.full((240, 320), 120.0)
    first = np.clip(still + rng.normal(0, 2, still.shape), 0, 255).astype(np.uint8)
    second = np.clip(still + rng.normal(0, 2, still.shape), 0, 255).astype(np.uint8)
    noise = measures.change(first, second)
    frozen = measures.change(first, first.copy())
    assert frozen == 0.0
    assert noise is not None
    assert noise > 1.0
    assert measures.change(None, first) is None


def test_a_covered_lens_is_flat_but_a_dark_scene_keeps_its_texture() -> None:
    image = scene()
    covered = apply(Fault(kind=FaultKind.COVER, amount=0.8), image, None)
    darker = apply(Fault(kind=FaultKind.GAIN, amount=0.25), image, None)
    assert measures.flat_share(image) < 0.1
    assert measures.flat_share(covered) > 0.6
    assert measures.flat_share(darker) < 0.2
    assert measures.flat_share(np.full((64, 64), 7, np.uint8)) == 1.0


def test_shift_measures_a_translation_and_ignores_the_same_view() -> None:
    image = scene()
    detector = measures.orb()
    reference = measures.features(image, detector)
    same = measures.shift(reference, measures.features(scene(), detector), 12)
    moved_image = apply(Fault(kind=FaultKind.SHIFT, amount=0.08), image, None)
    moved = measures.shift(reference, measures.features(moved_image, detector), 12)
    assert same is not None
    assert same.displacement < 0.005
    assert moved is not None
    assert moved.displacement == pytest.approx(0.08, abs=0.01)


def test_no_features_means_no_answer_on_shift() -> None:
    detector = measures.orb()
    flat = measures.features(np.full((240, 320), 90, np.uint8), detector)
    assert measures.shift(measures.features(scene(), detector), flat, 12) is None


def test_to_grey_scales_down_only() -> None:
    colour = np.zeros((1080, 1920, 3), np.uint8)
    assert measures.to_grey(colour, 320).shape == (180, 320)
    assert measures.to_grey(np.zeros((100, 200), np.uint8), 320).shape == (100, 200)
