"""Zone scopes on imagery, positions, forecasts and the twin: a key scoped to one zone of a camera."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from factories import event_of, grant, observation_of
from fastapi.testclient import TestClient

from cctwin.api.main import create_app
from cctwin.api.routes.stream import scoped_message, visible
from cctwin.api.routes.twin import _as_seen_by
from cctwin.app import Services
from cctwin.config.loader import parse_config
from cctwin.forecast.ledger import LatestForecast, Quantity, RunningScore
from cctwin.messages import Event, LivePreview, ObjectPositions, TrackedObject
from cctwin.security import keys
from cctwin.security.roles import Principal, Role
from cctwin.security.zone_scope import ZoneScopes
from cctwin.twin.replay import TwinAt, ZoneAt
from cctwin.types import ObservationKind

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

# cam-a: `lawn` is the left half of the image, `plaza` the right; a crowd rule sits on each.
# cam-b has only `dock`, none of the key's zones.
CONFIG = """
cameras:
  - id: cam-a
    source: {{url: a.mp4}}
    analytics:
      zones:
        - {{id: lawn, polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}}
        - {{id: plaza, polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]}}
      crowd:
        - {{id: lawn-crowd, zone: lawn}}
        - {{id: plaza-crowd, zone: plaza}}
  - id: cam-b
    source: {{url: b.mp4}}
    analytics:
      zones:
        - {{id: dock, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]}}
store: {{type: sqlite, path: {db}}}
media: {{path: {media}}}
"""
T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
WIDTH, HEIGHT = 64, 48
LAWN = Principal("p", "key", Role.OPERATOR, zones=frozenset({"lawn"}))


def _white_jpeg() -> bytes:
    ok, encoded = cv2.imencode(".jpg", np.full((HEIGHT, WIDTH, 3), 255, np.uint8))
    assert ok
    return bytes(encoded.tobytes())


def _white_clip(frames: int = 6) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as sink:
        stream = sink.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for _ in range(frames):
            image = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                sink.mux(packet)
        for packet in stream.encode(None):
            sink.mux(packet)
    return out.getvalue()


def _halves(image: np.ndarray) -> tuple[float, float]:  # type: ignore[type-arg]
    """Mean brightness of the left (lawn) and right (plaza) halves, away from the seam."""
    gray = image.mean(axis=2) if image.ndim == 3 else image
    return float(gray[:, : WIDTH // 2 - 4].mean()), float(gray[:, WIDTH // 2 + 4 :].mean())


def _decoded(jpeg: bytes) -> np.ndarray:  # type: ignore[type-arg]
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


def _event(zone: str | None, minute: int) -> Event:
    return event_of(kind="intrusion", camera_id="cam-a", rule_id="r",
                    occurred_at=T0 + timedelta(minutes=minute), frame_index=minute,
                    track_id=minute, class_name="person", confidence=0.9,
                    zone_id=zone)  # fmt: skip


class World:
    """The service with a zone-scoped key (`lawn`), an unscoped one, and evidence of each zone."""

    def __init__(self, client: TestClient, services: Services, lawn: dict[str, str]) -> None:
        self.client, self.services, self.lawn = client, services, lawn
        self.everyone = grant(services.store, "all", "operator")
        lawn_event, plaza_event = _event("lawn", 1), _event("plaza", 2)
        services.store.add_events([lawn_event, plaza_event])
        media = services.media
        self.shots = {
            "lawn": media.save_snapshot("cam-a", _white_jpeg(), T0, lawn_event.id),
            "plaza": media.save_snapshot("cam-a", _white_jpeg(), T0, plaza_event.id),
            "none": media.save_snapshot("cam-a", _white_jpeg(), T0, None),
            "broken": media.save_snapshot("cam-a", b"\xff\xd8not a jpeg", T0, lawn_event.id),
        }
        self.clips = {
            "lawn": media.save_clip("cam-a", _white_clip(), T0, lawn_event.id),
            "plaza": media.save_clip("cam-a", _white_clip(), T0, plaza_event.id),
        }
        for record in (*self.shots.values(), *self.clips.values()):
            services.store.add_media(record)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("zone-media")
    config = parse_config(CONFIG.format(db=tmp / "db.sqlite", media=tmp / "media"))
    services = Services(config, start_workers=False)
    with TestClient(create_app(services)) as client:
        full, key_id, secret_hash = keys.new_key()
        key = keys.ApiKey("lawn-op", key_id, secret_hash, Role.OPERATOR, None, T0,
                          zones=frozenset({"lawn"}))  # fmt: skip
        services.store.add_key(key)
        yield World(client, services, {"Authorization": f"Bearer {full}"})


def test_positions_outside_the_zones_are_withheld(world: World) -> None:
    objects = [
        TrackedObject(track_id=1, class_name="person", x=0.25, y=0.8),
        TrackedObject(track_id=2, class_name="person", x=0.75, y=0.8),
    ]
    seen = ObjectPositions(camera_id="cam-a", captured_at=T0, objects=objects)
    world.services.live.positions["cam-a"] = seen
    mine = world.client.get("/api/positions", headers=world.lawn).json()
    assert [[o["track_id"] for o in p["objects"]] for p in mine] == [[1]]
    everyone = world.client.get("/api/positions", headers=world.everyone).json()
    assert [[o["track_id"] for o in p["objects"]] for p in everyone] == [[1, 2]]
    # The SSE stream sends the same cut.
    scopes = ZoneScopes(world.services.config.cameras)
    cut = scoped_message(seen, LAWN, scopes)
    assert isinstance(cut, ObjectPositions)
    assert [o.track_id for o in cut.objects] == [1]


def test_live_video_is_blacked_out_outside_the_zones(world: World) -> None:
    for camera in ("cam-a", "cam-b"):
        world.services.live.previews[camera] = LivePreview(
            camera_id=camera, jpeg=_white_jpeg(), captured_at=T0
        )
    answer = world.client.get("/api/cameras/cam-a/live.jpg", headers=world.lawn)
    assert answer.status_code == 200
    assert answer.headers["X-Cctwin-Zones"] == "lawn"
    lawn, plaza = _halves(_decoded(answer.content))
    assert lawn > 240
    assert plaza < 10
    whole = world.client.get("/api/cameras/cam-a/live.jpg", headers=world.everyone)
    assert min(_halves(_decoded(whole.content))) > 240
    for path in ("live.jpg", "live.mjpeg"):
        refused = world.client.get(f"/api/cameras/cam-b/{path}", headers=world.lawn)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "none of your zones is drawn on camera 'cam-b'"


def test_the_mjpeg_stream_is_blacked_out_too(world: World) -> None:
    world.services.live.previews["cam-a"] = LivePreview(
        camera_id="cam-a", jpeg=_white_jpeg(), captured_at=T0
    )
    with world.client.stream("GET", "/api/cameras/cam-a/live.mjpeg", headers=world.lawn) as r:
        assert r.status_code == 200
        assert r.headers["X-Cctwin-Zones"] == "lawn"
        received = b""
        for chunk in r.iter_bytes():
            received += chunk
            if received.count(b"\xff\xd9"):
                break
    start = received.index(b"\xff\xd8")
    lawn, plaza = _halves(_decoded(received[start : received.rindex(b"\xff\xd9") + 2]))
    assert lawn > 240
    assert plaza < 10


def test_snapshots_of_other_zones_are_refused_and_own_ones_masked(world: World) -> None:
    shots, client = world.shots, world.client
    other = client.get(f"/api/snapshots/{shots['plaza'].id}.jpg", headers=world.lawn)
    assert other.status_code == 403
    assert other.json()["detail"] == f"snapshot {shots['plaza'].id!r} shows zone 'plaza', " + (
        "outside your scope"
    )
    loose = client.get(f"/api/snapshots/{shots['none'].id}.jpg", headers=world.lawn)
    assert loose.status_code == 403
    assert "not evidence of an event" in loose.json()["detail"]
    own = client.get(f"/api/snapshots/{shots['lawn'].id}.jpg", headers=world.lawn)
    assert own.status_code == 200
    lawn, plaza = _halves(_decoded(own.content))
    assert lawn > 240
    assert plaza < 10
    # A stored file that does not decode cannot be masked, so it is not served.
    broken = client.get(f"/api/snapshots/{shots['broken'].id}.jpg", headers=world.lawn)
    assert broken.status_code == 500
    assert broken.json()["detail"] == "the image could not be masked to your zones"
    whole = client.get(f"/api/snapshots/{shots['plaza'].id}.jpg", headers=world.everyone)
    assert whole.status_code == 200
    assert min(_halves(_decoded(whole.content))) > 240


def test_clips_of_other_zones_are_refused_and_own_ones_masked(world: World) -> None:
    import av

    clips, client = world.clips, world.client
    other = client.get(f"/api/clips/{clips['plaza'].id}.mp4", headers=world.lawn)
    assert other.status_code == 403
    assert "outside your scope" in other.json()["detail"]
    own = client.get(f"/api/clips/{clips['lawn'].id}.mp4", headers=world.lawn)
    assert own.status_code == 200
    assert own.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(own.content)) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(frames) == 6
    for frame in frames:
        lawn, plaza = _halves(frame)
        assert lawn > 230
        assert plaza < 20


def test_crowd_readings_of_a_rule_on_the_zone_count_as_the_zone(world: World) -> None:
    services = world.services
    services.store.add_observations(
        [
            observation_of(ObservationKind.CROWD_COUNT, "cam-a", "lawn-crowd", T0, 3.0),
            observation_of(ObservationKind.CROWD_COUNT, "cam-a", "plaza-crowd", T0, 5.0),
        ]
    )
    rules = [o["rule_id"] for o in world.client.get("/api/observations", headers=world.lawn).json()]
    assert rules == ["lawn-crowd"]
    scopes = ZoneScopes(services.config.cameras)
    plaza = observation_of(ObservationKind.CROWD_COUNT, "cam-a", "plaza-crowd", T0, 1.0)
    assert not visible(plaza, LAWN, scopes)
    assert visible(plaza.model_copy(update={"rule_id": "lawn-crowd"}), LAWN, scopes)


def test_forecasts_and_the_ledger_hold_only_the_zones(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def latest(cameras: set[str]) -> list[LatestForecast]:
        return [
            LatestForecast(
                camera_id="cam-a",
                rule_id=rule,
                quantity=Quantity.COUNT,
                issued_at=T0,
                latest_value=1.0,
                points=[],
            )
            for rule in ("lawn-crowd", "plaza-crowd")
        ]

    def ledger(cameras: set[str]) -> list[RunningScore]:
        rows = [("cam-a", "lawn-crowd"), ("cam-a", "plaza-crowd"), (None, None)]
        return [
            RunningScore(
                camera_id=c,
                rule_id=r,
                scored=1,
                mae=1.0,
                baseline_mae=1.0,
                mase=1.0,
                baseline_mase=1.0,
            )
            for c, r in rows
        ]

    monkeypatch.setattr(world.services.store, "latest_forecasts", latest)
    monkeypatch.setattr(world.services.store, "ledger_scores", ledger)
    mine = world.client.get("/api/forecasts", headers=world.lawn).json()
    assert [f["rule_id"] for f in mine] == ["lawn-crowd"]
    scores = world.client.get("/api/forecasts/ledger", headers=world.lawn).json()
    assert [s["rule_id"] for s in scores] == ["lawn-crowd"]
    everyone = world.client.get("/api/forecasts/ledger", headers=world.everyone).json()
    assert len(everyone) == 3


def test_the_twin_at_a_moment_and_its_history_hold_only_the_zones(world: World) -> None:
    state = world.client.get(
        "/api/twin/at", params={"time": "2026-12-06T01:01:30+00:00"}, headers=world.lawn
    ).json()
    assert [e["zone_id"] for e in state["events"]] == ["lawn"]
    everyone = world.client.get(
        "/api/twin/at", params={"time": "2026-12-06T01:01:30+00:00"}, headers=world.everyone
    ).json()
    assert sorted(e["zone_id"] for e in everyone["events"]) == ["lawn", "plaza"]
    zones = [
        ZoneAt(
            entity_id=f"urn:ngsi-ld:CrowdFlowObserved:cam-a:{rule}",
            kind="crowd",
            camera_id="cam-a",
            zone_id=rule,
            values={},
            observed_at=T0,
        )
        for rule in ("lawn-crowd", "plaza-crowd")
    ]
    moment = TwinAt(time=T0, lookback_s=60, window_s=60, zones=zones, cameras=[], alerts=[],
                    events=[])  # fmt: skip
    cut = _as_seen_by(moment, LAWN, ZoneScopes(world.services.config.cameras))
    assert [z.zone_id for z in cut.zones] == ["lawn-crowd"]
    history = "/api/twin/history"
    refused = world.client.get(history, params={"zone": "cam-a:plaza-crowd"}, headers=world.lawn)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "zone 'plaza-crowd' of camera 'cam-a' is outside your scope"
    allowed = world.client.get(history, params={"zone": "cam-a:lawn-crowd"}, headers=world.lawn)
    assert allowed.status_code == 200


def test_a_scope_without_zones_sees_every_area(tmp_path: Path) -> None:
    config = parse_config(CONFIG.format(db=tmp_path / "db.sqlite", media=tmp_path / "media"))
    scopes = ZoneScopes(config.cameras)
    everyone = Principal("q", "key", Role.OPERATOR)
    assert scopes.region(everyone, "cam-a") is None
    assert scopes.region(LAWN, "cam-a") == [((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))]
    assert scopes.region(LAWN, "cam-b") == []
    assert scopes.covers(LAWN, "cam-a", "lawn-crowd")
    assert not scopes.covers(LAWN, "cam-a", None)
