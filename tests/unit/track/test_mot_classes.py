"""MOT files carry each object's class; pedestrian ground truth is scored on pedestrian tracks."""

import io
from pathlib import Path

import numpy as np

from cctwin.evaluate.mot import read_mot, write_mot_rows
from cctwin.evaluate.tracking import score_tracking
from cctwin.types import Detections

PERSON, CAR = 0, 2


def test_written_rows_name_the_mot17_class_and_read_back(tmp_path: Path) -> None:
    found = Detections(
        xyxy=np.array([[0, 0, 10, 20], [50, 50, 90, 80]], np.float32),
        confidence=np.array([0.9, 0.8], np.float32),
        class_id=np.array([PERSON, CAR], np.int32),
        track_id=np.array([1, 2], np.int64),
    )
    buffer = io.StringIO()
    write_mot_rows(buffer, 7, found)
    assert [line.split(",")[7] for line in buffer.getvalue().splitlines()] == ["1", "3"]
    path = tmp_path / "tracks.txt"
    path.write_text(buffer.getvalue())
    assert read_mot(path).classes().tolist() == [1, 3]


def test_mot15_world_coordinates_are_not_taken_for_classes(tmp_path: Path) -> None:
    path = tmp_path / "gt.txt"
    path.write_text("1,1,0,0,10,20,1,-1,-1,-1\n1,2,5,5,10,20,1,3.25,7.5,0\n")
    assert read_mot(path).classes().tolist() == [-1, -1]


def test_a_parked_car_is_not_a_false_pedestrian(tmp_path: Path) -> None:
    gt = tmp_path / "gt.txt"
    gt.write_text("".join(f"{f},1,0,0,10,20,1,-1,-1,-1\n" for f in range(1, 11)))
    tracks = tmp_path / "tracks.txt"
    tracks.write_text(
        "".join(
            f"{f},1,0,0,10,20,0.9,1,-1,-1\n{f},2,100,100,60,30,0.9,3,-1,-1\n" for f in range(1, 11)
        )
    )
    scores = score_tracking(read_mot(gt), read_mot(tracks))
    assert scores.num_false_positives == 0
    assert scores.mota == 1.0
    # Without classes (an older file) the car counts against the pedestrians.
    unknown = tmp_path / "old.txt"
    unknown.write_text(
        tracks.read_text().replace(",1,-1,-1", ",-1,-1,-1").replace(",3,-1,-1", ",-1,-1,-1")
    )
    assert score_tracking(read_mot(gt), read_mot(unknown)).num_false_positives == 10
