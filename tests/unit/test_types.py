"""Detections (validation, selection, scaling, anchors), events, ONVIF topics and their JSON."""

import json
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from factories import event_of

from cctwin.types import (
    Detections,
    Direction,
    Event,
    EventKind,
    Frame,
    Observation,
    ObservationKind,
)

AT = datetime(2024, 3, 4, 9, 0, 0, tzinfo=UTC)


def three() -> Detections:
    return Detections(
        xyxy=np.array([[0, 0, 10, 20], [10, 10, 30, 50], [5, 5, 6, 7]], np.float32),
        confidence=np.array([0.9, 0.4, 0.7], np.float32),
        class_id=np.array([0, 2, 0], np.int32),
        track_id=np.array([11, 12, 13], np.int64),
    )


@pytest.mark.parametrize(
    ("xyxy", "confidence", "class_id", "track_id"),
    [
        (np.zeros((2, 4)), np.zeros(1), np.zeros(2, np.int32), None),  # confidence short
        (np.zeros((2, 4)), np.zeros(2), np.zeros(3, np.int32), None),  # class_id long
        (np.zeros((2, 3)), np.zeros(2), np.zeros(2, np.int32), None),  # boxes need 4 columns
        (np.zeros(4), np.zeros(4), np.zeros(4, np.int32), None),  # boxes must be 2-D
        (np.zeros((2, 4)), np.zeros(2), np.zeros(2, np.int32), np.zeros(3, np.int64)),
        (np.zeros((2, 4)), np.zeros(2), np.zeros(2, np.int32), np.zeros(1, np.int64)),
    ],
)
def test_mismatched_columns_are_rejected(
    xyxy: np.ndarray, confidence: np.ndarray, class_id: np.ndarray, track_id: np.ndarray | None
) -> None:
    kwargs = {} if track_id is None else {"track_id": track_id}
    with pytest.raises(ValueError, match="row"):
        Detections(
            xyxy=xyxy.astype(np.float32),
            confidence=confidence.astype(np.float32),
            class_id=class_id,
            **kwargs,
        )


def test_track_ids_default_to_minus_one() -> None:
    dets = Detections(
        xyxy=np.zeros((3, 4), np.float32),
        confidence=np.ones(3, np.float32),
        class_id=np.zeros(3, np.int32),
    )
    assert dets.track_id.tolist() == [-1, -1, -1]
    assert dets.track_id.dtype == np.int64


def test_empty() -> None:
    empty = Detections.empty()
    assert len(empty) == 0
    assert empty.xyxy.shape == (0, 4)
    assert empty.confidence.shape == (0,)
    assert empty.class_id.shape == (0,)
    assert empty.track_id.shape == (0,)
    assert empty.anchors().shape == (0, 2)
    assert len(empty.scaled(2.0)) == 0


def test_boolean_mask_selection_keeps_rows_together() -> None:
    dets = three()
    picked = dets[dets.confidence > 0.5]
    assert len(picked) == 2
    assert picked.track_id.tolist() == [11, 13]
    assert picked.class_id.tolist() == [0, 0]
    assert picked.xyxy.tolist() == [[0, 0, 10, 20], [5, 5, 6, 7]]
    assert picked.confidence.tolist() == pytest.approx([0.9, 0.7])


def test_selection_by_index_and_slice() -> None:
    dets = three()
    assert dets[np.array([2, 0])].track_id.tolist() == [13, 11]
    assert dets[1:].track_id.tolist() == [12, 13]
    none = dets[np.zeros(3, bool)]
    assert len(none) == 0
    assert none.xyxy.shape == (0, 4)


def test_selection_with_wrong_mask_length_fails() -> None:
    with pytest.raises(IndexError):
        three()[np.array([True, False])]


def test_scaled_multiplies_boxes_only() -> None:
    dets = three()
    big = dets.scaled(2.5)
    assert big.xyxy.dtype == np.float32
    np.testing.assert_allclose(
        big.xyxy, [[0, 0, 25, 50], [25, 25, 75, 125], [12.5, 12.5, 15, 17.5]]
    )
    assert big.confidence.tolist() == dets.confidence.tolist()
    assert big.class_id.tolist() == [0, 2, 0]
    assert big.track_id.tolist() == [11, 12, 13]
    np.testing.assert_allclose(dets.xyxy[1], [10, 10, 30, 50])  # original untouched


def test_anchors_are_bottom_centres() -> None:
    anchors = three().anchors()
    assert anchors.dtype == np.float32
    assert anchors.shape == (3, 2)
    np.testing.assert_allclose(anchors, [[5, 20], [20, 50], [5.5, 7]])


def test_frame_size() -> None:
    frame = Frame("cam", 1, AT, 0.0, np.zeros((48, 64, 3), np.uint8))
    assert (frame.width, frame.height) == (64, 48)
    assert frame.scale == 1.0


@pytest.mark.parametrize(
    ("kind", "topic"),
    [
        (EventKind.LINE_CROSS, "tns1:RuleEngine/LineDetector/Crossed"),
        (EventKind.LOITERING, "tns1:RuleEngine/LoiteringDetector/ObjectIsLoitering"),
        (EventKind.ZONE_ENTER, "tns1:RuleEngine/FieldDetector/ObjectsInside"),
        (EventKind.ZONE_EXIT, "tns1:RuleEngine/FieldDetector/ObjectsInside"),
        (EventKind.INTRUSION, "tns1:RuleEngine/FieldDetector/ObjectsInside"),
    ],
)
def test_onvif_topics(kind: EventKind, topic: str) -> None:
    assert kind.onvif_topic == topic


def test_every_event_kind_has_a_topic() -> None:
    # Image-quality faults are ONVIF VideoSource topics; every analytics kind is a RuleEngine one.
    for kind in EventKind:
        root = "tns1:VideoSource/" if kind is EventKind.CAMERA_HEALTH else "tns1:RuleEngine/"
        assert kind.onvif_topic.startswith(root)


def event(**changes: object) -> Event:
    fields: dict = {
        "kind": EventKind.LINE_CROSS,
        "camera_id": "cam1",
        "rule_id": "gate",
        "occurred_at": AT,
        "frame_index": 25,
        "track_id": 3,
        "class_name": "person",
        "confidence": 0.88,
        "direction": Direction.IN,
    }
    fields.update(changes)
    return event_of(**fields)


def test_event_id_is_stable_and_known() -> None:
    assert event().id == event().id
    assert len(event().id) == 32
    # Fields outside the key do not change the id.
    assert event(confidence=0.1, occurred_at=AT + timedelta(hours=1)).id == event().id
    # A uuid5 of the documented key: changing the namespace or key would break stored ids.
    import uuid

    expected = uuid.uuid5(uuid.NAMESPACE_URL, "cctwin:cam1/gate/line_cross/25/3").hex
    assert event().id == expected


@pytest.mark.parametrize(
    "change",
    [
        {"camera_id": "cam2"},
        {"rule_id": "gate2"},
        {"kind": EventKind.ZONE_ENTER},
        {"frame_index": 26},
        {"track_id": 4},
    ],
)
def test_event_id_depends_on_its_key(change: dict) -> None:
    assert event(**change).id != event().id


def test_event_json_is_the_wire_model() -> None:
    sent = event(occurred_at=datetime(2024, 3, 4, 18, 0, tzinfo=timezone(timedelta(hours=9))))
    body = json.loads(sent.model_dump_json())
    assert body == {
        "v": 1,
        "id": event().id,
        "kind": "line_cross",
        "topic": "tns1:RuleEngine/LineDetector/Crossed",
        "camera_id": "cam1",
        "rule_id": "gate",
        "occurred_at": "2024-03-04T18:00:00+09:00",
        "frame_index": 25,
        "track_id": 3,
        "class_name": "person",
        "confidence": 0.88,
        "zone_id": None,
        "payload": {"type": "crossing", "direction": "in"},
    }
    # What goes out comes back in, `topic` (derived) included.
    assert Event.model_validate_json(sent.model_dump_json()) == sent


def test_payload_fields_are_read_through_the_event() -> None:
    loitering = event(kind=EventKind.LOITERING, zone_id="yard", dwell_s=12.5)
    assert loitering.dwell_s == 12.5
    assert loitering.direction is None
    assert loitering.topic == "tns1:RuleEngine/LoiteringDetector/ObjectIsLoitering"


def test_observation_json_carries_its_stable_id() -> None:
    obs = Observation(
        kind=ObservationKind.OCCUPANCY, camera_id="cam1", rule_id="yard", observed_at=AT, value=3.0
    )
    body = json.loads(obs.model_dump_json())
    assert body["id"] == obs.id
    assert body["kind"] == "occupancy"
    assert body["observed_at"] == "2024-03-04T09:00:00Z"
    again = Observation(
        kind=ObservationKind.OCCUPANCY, camera_id="cam1", rule_id="yard", observed_at=AT, value=4.0
    )
    # The id names the measurement (what, where, when), not its value.
    assert again.id == obs.id
