"""Faces as head evidence: CenterFace decoding and merging faces with person boxes."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from cctwin.analytics.crowd.faces import FaceDetector, FaceFusion, count_people
from cctwin.analytics.crowd.people import PersonBoxes

STREET = Path(__file__).resolve().parents[3].parent / "shared/data/crowd-street/train_data"


def boxes(*xyxy: tuple[float, float, float, float]) -> PersonBoxes:
    array = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
    return PersonBoxes(array, np.full(len(array), 0.9, dtype=np.float32))


FUSION = FaceFusion()
# A person 100 x 300 px standing at x 100-200, and the face at the top of that box.
PERSON = (100.0, 100.0, 200.0, 400.0)
FACE = (135.0, 110.0, 165.0, 150.0)


def test_a_box_and_its_face_are_one_person() -> None:
    assert count_people(boxes(PERSON), boxes(FACE), FUSION) == 1


def test_boxes_sharing_a_face_are_one_person() -> None:
    upper_body = (105.0, 100.0, 195.0, 250.0)
    assert count_people(boxes(PERSON, upper_body), boxes(FACE), FUSION) == 1


def test_a_faceless_piece_of_a_person_with_a_face_is_not_counted() -> None:
    legs = (110.0, 260.0, 190.0, 400.0)
    assert count_people(boxes(PERSON, legs), boxes(FACE), FUSION) == 1


def test_people_seen_from_behind_and_faces_without_boxes_each_count() -> None:
    from_behind = (300.0, 100.0, 400.0, 400.0)
    hidden_behind_others = (520.0, 120.0, 545.0, 150.0)
    found = count_people(boxes(PERSON, from_behind), boxes(FACE, hidden_behind_others), FUSION)
    assert found == 3


def test_a_face_low_in_a_box_is_someone_else() -> None:
    # A face in the lower half of a tall box is a person in front of it, not its head.
    low_face = (140.0, 330.0, 160.0, 355.0)
    assert count_people(boxes(PERSON), boxes(low_face), FUSION) == 2


def test_no_boxes_counts_the_faces() -> None:
    assert count_people(boxes(), boxes(FACE), FUSION) == 1
    assert count_people(boxes(), boxes(), FUSION) == 0


def test_detector_finds_nothing_on_a_blank_image() -> None:
    found = FaceDetector().detect(np.full((360, 640, 3), 128, dtype=np.uint8), 0.4)
    assert len(found) == 0
    assert found.xyxy.shape == (0, 4)


@pytest.mark.skipif(not STREET.is_dir(), reason=f"{STREET} is absent (../shared/data)")
def test_detector_finds_the_faces_of_a_street_photo() -> None:
    # IMG_1: ten people facing the camera (ten annotated heads).
    image = cv2.imread(str(STREET / "images" / "IMG_1.jpg"))
    assert image is not None
    found = FaceDetector().detect(np.asarray(image, dtype=np.uint8), 0.4)
    assert 8 <= len(found) <= 12
    height, width = image.shape[:2]
    assert (found.xyxy[:, 0] >= 0).all()
    assert (found.xyxy[:, 2] <= width).all()
    assert (found.xyxy[:, 1] >= 0).all()
    assert (found.xyxy[:, 3] <= height).all()
    sizes = found.xyxy[:, 2:] - found.xyxy[:, :2]
    assert (sizes > 10).all()
    assert (sizes < 200).all()
    assert (found.confidence >= 0.4).all()
