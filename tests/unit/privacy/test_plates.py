"""Plate candidates: a synthetic car with a plate of dark characters on a light rectangle."""

from __future__ import annotations

import cv2
import numpy as np

from cctwin.privacy.plates import PlateSearch, plate_boxes


def _car_with_plate() -> np.ndarray:
    image = np.full((240, 320, 3), 90, np.uint8)
    cv2.rectangle(image, (60, 60), (260, 220), (60, 60, 140), -1)  # the car body
    cv2.rectangle(image, (130, 180), (190, 200), (235, 235, 235), -1)  # the plate
    for x in range(134, 188, 7):
        cv2.rectangle(image, (x, 184), (x + 3, 196), (10, 10, 10), -1)  # its characters
    return image


def test_plate_found_inside_the_vehicle_box() -> None:
    boxes = plate_boxes(
        _car_with_plate(), np.array([[60, 60, 260, 220]], np.float32), PlateSearch()
    )
    assert len(boxes)
    hit = [b for b in boxes.tolist() if b[0] <= 134 and b[2] >= 187 and b[1] <= 184 and b[3] >= 196]
    assert hit, boxes


def test_plain_vehicle_gets_the_fallback_band_or_nothing() -> None:
    plain = np.full((240, 320, 3), 90, np.uint8)
    vehicles = np.array([[60, 60, 260, 220]], np.float32)
    band = plate_boxes(plain, vehicles, PlateSearch())
    assert band.shape == (1, 4)
    assert band[0, 3] == 220
    assert plate_boxes(plain, vehicles, PlateSearch(fallback=False)).shape == (0, 4)
    assert plate_boxes(plain, np.array([[0, 0, 20, 20]], np.float32), PlateSearch()).shape == (0, 4)
