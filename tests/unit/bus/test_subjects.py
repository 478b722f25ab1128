"""Subjects and the JSON codec: every fact on its documented subject, bad messages refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from factories import event_of, observation_of, status_of

from cctwin.bus.subjects import (
    STREAM_SUBJECTS,
    MalformedMessageError,
    decode,
    encode,
    matches,
    subject_of,
    token,
)
from cctwin.messages import (
    AlertAction,
    AlertCommand,
    CameraState,
    EventKind,
    LivePreview,
    MediaKind,
    MediaReady,
    ObjectPositions,
    ObservationKind,
    TrackedObject,
)

AT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def messages() -> list[object]:
    return [
        event_of(
            kind=EventKind.CROWD_RISK,
            camera_id="cam.1",
            rule_id="plaza",
            occurred_at=AT,
            frame_index=3,
            track_id=-1,
            class_name="person",
            confidence=1.0,
            level="alert",
            value=4.5,
            region=(0.1, 0.2, 0.3, 0.4),
        ),
        observation_of(ObservationKind.OCCUPANCY, "cam.1", "yard", AT, 3.0),
        status_of("cam.1", CameraState.ONLINE, AT, fps=4.0),
        MediaReady(
            id="m1",
            kind=MediaKind.SNAPSHOT,
            camera_id="cam.1",
            path="cam.1/2026-12-06/m1.jpg",
            created_at=AT,
            event_id="e1",
            bytes=10,
        ),
        AlertCommand(alert_id="a1", action=AlertAction.NOTE, by="kim", issued_at=AT, text="ok"),
        LivePreview(camera_id="cam.1", jpeg=b"\xff\xd8\x00\x01", captured_at=AT),
        ObjectPositions(
            camera_id="cam.1",
            captured_at=AT,
            objects=[
                TrackedObject(track_id=3, class_name="person", x=0.5, y=0.9, lon=126.95, lat=37.54)
            ],
        ),
    ]


def test_subjects_are_the_documented_ones() -> None:
    subjects = [subject_of(m) for m in messages()]  # type: ignore[arg-type]
    assert subjects == [
        "cctwin.v1.events.cam%2E1.crowdRisk",
        "cctwin.v1.observations.cam%2E1",
        "cctwin.v1.status.cam%2E1",
        "cctwin.v1.media.cam%2E1",
        "cctwin.v1.commands.a1",
        "cctwin.v1.live.cam%2E1",
        "cctwin.v1.positions.cam%2E1",
    ]
    # Facts are kept by the stream; previews are not.
    kept = [any(matches(p, s) for p in STREAM_SUBJECTS) for s in subjects]
    assert kept == [True, True, True, True, True, False, False]


@pytest.mark.parametrize("index", range(7))
def test_every_message_survives_the_wire(index: int) -> None:
    message = messages()[index]
    subject = subject_of(message)  # type: ignore[arg-type]
    assert decode(subject, encode(message)) == message  # type: ignore[arg-type]


def test_a_token_never_contains_a_separator_or_wildcard() -> None:
    for text in ("a.b", "a b", "100%", "", "cam-1_x"):
        assert "." not in token(text)
        assert " " not in token(text)
        assert token(text)
    assert token("a.b") != token("a%2Eb")  # escaping is one-to-one


@pytest.mark.parametrize(
    ("subject", "data", "reason"),
    [
        ("cctwin.v1.events.cam.zone_enter", b"{not json", "not JSON"),
        ("cctwin.v1.events.cam.zone_enter", b'{"v": 2, "kind": "zone_enter"}', "version 2"),
        ("cctwin.v1.events.cam.zone_enter", b'{"v": 1, "kind": "nope"}', "invalid Event"),
        ("cctwin.v1.unknown.cam", b'{"v": 1}', "no wire model"),
        ("other.subject", b"{}", "no wire model"),
    ],
)
def test_malformed_messages_are_refused_with_a_reason(
    subject: str, data: bytes, reason: str
) -> None:
    with pytest.raises(MalformedMessageError, match=reason):
        decode(subject, data)


def test_an_event_whose_payload_does_not_fit_its_kind_is_refused() -> None:
    body = json.loads(encode(messages()[0]))  # type: ignore[arg-type]
    body["kind"] = "line_cross"
    with pytest.raises(MalformedMessageError, match="CrossingPayload"):
        decode("cctwin.v1.events.cam.line_cross", json.dumps(body).encode())


def test_regions_must_be_normalised() -> None:
    body = json.loads(encode(messages()[0]))  # type: ignore[arg-type]
    body["payload"]["region"] = [10, 20, 300, 400]  # pixels
    with pytest.raises(MalformedMessageError):
        decode("cctwin.v1.events.cam.crowdRisk", json.dumps(body).encode())


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("cctwin.v1.>", "cctwin.v1.events.a.b", True),
        ("cctwin.v1.events.>", "cctwin.v1.events", False),
        ("cctwin.v1.events.*.zone_enter", "cctwin.v1.events.a.zone_enter", True),
        ("cctwin.v1.events.*.zone_enter", "cctwin.v1.events.a.zone_exit", False),
        ("cctwin.v1.status.a", "cctwin.v1.status.a", True),
        ("cctwin.v1.status.a", "cctwin.v1.status.a.b", False),
    ],
)
def test_wildcards_match_as_nats_does(pattern: str, subject: str, expected: bool) -> None:
    assert matches(pattern, subject) is expected
