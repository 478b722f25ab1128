"""`cctwin up` as a real process: API, SSE, alert workflow, crash safety and shutdown."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cctwin.bench.clips import MovingBox, write_synthetic_clip
from cctwin.bench.service import ServiceProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "walk.mp4"
    box = MovingBox((40, 180), (600, 180), (30, 60), (0, 0, 255))
    return write_synthetic_clip(
        path, width=640, height=360, fps=10, seconds=4, gop=10, moving_boxes=[box]
    )


def service_config(folder: Path, clip: Path) -> dict[str, Any]:
    camera = {
        "source": {"url": str(clip), "loop": True, "pace": True},
        "sampling": {"mode": "fps", "fps": 2},
        "analytics": {"zones": [{"id": "yard", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}]},
    }
    return {
        "detector": {"type": "nanodet", "input_width": 416, "input_height": 256, "threads": 1},
        "store": {"type": "sqlite", "path": str(folder / "cctwin.db")},
        "media": {"path": str(folder / "media")},
        "service": {"workers": 1, "allow_event_injection": True},
        "alerts": {
            "rules": [
                {"id": "yard-intrusion", "event_kinds": ["intrusion"], "severity": "high"},
            ]
        },
        "cameras": [
            {"id": "cam-a", "name": "A", **camera},
            {"id": "cam-b", "name": "B", **camera},
        ],
    }


def inject(
    service: ServiceProcess, camera: str = "cam-a", kind: str = "intrusion"
) -> dict[str, Any]:
    body = {
        "kind": kind,
        "camera_id": camera,
        "rule_id": "yard",
        "zone_id": "yard",
        "occurred_at": datetime.now(UTC).isoformat(),
        "track_id": 7,
        "class_name": "person",
        "confidence": 0.9,
    }
    response = service.client.post("/api/events", json=body, timeout=10)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
def service(tmp_path: Path, clip: Path, bus_url: str | None) -> Iterator[ServiceProcess]:
    """`cctwin up` on each bus transport: in-process, and NATS JetStream (`--bus`)."""
    with ServiceProcess(service_config(tmp_path, clip), tmp_path, bus_url) as running:
        yield running


def test_cameras_come_online_and_report_live_frames(service: ServiceProcess) -> None:
    deadline = time.monotonic() + 60
    cameras: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        cameras = service.client.get("/api/cameras").json()
        if all(c["state"] == "online" for c in cameras):
            break
        time.sleep(0.5)
    assert {c["id"]: c["state"] for c in cameras} == {"cam-a": "online", "cam-b": "online"}
    live = service.client.get("/api/cameras/cam-a/live.jpg")
    assert live.status_code == 200
    assert live.content[:2] == b"\xff\xd8"  # a JPEG
    metrics = service.client.get("/metrics").text
    assert 'cctwin_camera_online{camera="cam-a"} 1' in metrics


def test_an_event_opens_an_alert_that_reaches_sse_and_follows_the_workflow(
    service: ServiceProcess,
) -> None:
    received: list[tuple[str, dict[str, object]]] = []

    def listen() -> None:
        with service.client.stream("GET", "/api/stream", timeout=20) as response:
            name = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name in ("alert", "event"):
                    received.append((name, json.loads(line[6:])))
                    if name == "alert":
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(0.5)
    event = inject(service)
    listener.join(timeout=10)
    kinds = [name for name, _ in received]
    assert "event" in kinds
    assert "alert" in kinds
    alert = next(data for name, data in received if name == "alert")
    assert alert["status"] == "new"
    assert alert["severity"] == "high"
    assert alert["event_ids"] == [event["id"]]
    assert alert["title_ko"].startswith("침입")  # type: ignore[union-attr]

    url = f"/api/alerts/{alert['id']}"
    moved = service.client.post(url + "/transitions", json={"to": "acknowledged", "by": "kim"})
    assert moved.status_code == 200
    assert moved.json()["assignee"] == "bench"  # the caller's key, not the body's `by`
    assert service.client.post(url + "/transitions", json={"to": "resolved"}).status_code == 200
    illegal = service.client.post(url + "/transitions", json={"to": "acknowledged"})
    assert illegal.status_code == 409
    assert "resolved" in illegal.json()["detail"]
    detail = service.client.get(url).json()
    assert detail["status"] == "resolved"
    assert [e["id"] for e in detail["events"]] == [event["id"]]


def test_bad_requests_get_clear_4xx(service: ServiceProcess) -> None:
    assert service.client.get("/api/alerts/nope").status_code == 404
    assert service.client.get("/api/events/nope").status_code == 404
    assert service.client.get("/api/cameras/nope").status_code == 404
    bad_kind = service.client.get("/api/events", params={"kind": "explosion"})
    assert bad_kind.status_code == 422
    assert "explosion" in bad_kind.text
    naive = service.client.get("/api/events", params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
    assert service.client.get("/api/events", params={"cursor": "%%%"}).status_code == 422
    assert service.client.get("/api/alerts", params={"status": "open"}).status_code == 422
    missing = service.client.post("/api/alerts/nope/transitions", json={"to": "resolved"})
    assert missing.status_code == 404


def test_events_reported_as_stored_survive_kill_9(
    tmp_path: Path, clip: Path, bus_url: str | None
) -> None:
    service = ServiceProcess(service_config(tmp_path, clip), tmp_path, bus_url)
    service.start()
    stored = [inject(service, camera="cam-b", kind="zone_enter")["id"] for _ in range(25)]
    workers = _children(service.pid)
    assert workers, "the service should have analysis worker processes"
    service.kill()  # SIGKILL: no shutdown code runs
    service.start()
    try:
        page = service.client.get("/api/events", params={"camera": "cam-b", "limit": 1000})
        found = {e["id"] for e in page.json()["items"]}
        assert set(stored) <= found
        # The killed service's workers notice they are orphaned and exit by themselves.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.2)
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        service.stop()


def _children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (Linux /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_drains_within_10_s_with_an_sse_client_open(service: ServiceProcess) -> None:
    assert service.process is not None
    with service.client.stream("GET", "/api/stream", timeout=30) as response:
        assert response.status_code == 200
        started = time.monotonic()
        service.process.send_signal(signal.SIGTERM)
        service.process.wait(15)
        elapsed = time.monotonic() - started
    assert elapsed < 10
    assert service.process.returncode is not None


@pytest.mark.rtsp
def test_a_camera_that_goes_away_shows_offline_and_comes_back(tmp_path: Path, clip: Path) -> None:
    from cctwin.bench.rtsp_server import RtspLoopServer, is_gstreamer_rtsp_available

    if not is_gstreamer_rtsp_available():
        pytest.skip("GStreamer RTSP server not installed (scripts/install-system-packages.sh)")
    server = RtspLoopServer({"cam": clip})
    server.start()
    data = service_config(tmp_path, clip)
    data["cameras"] = [
        {
            "id": "street",
            "source": {
                "url": server.url("cam"),
                "open_timeout_s": 3,
                "read_timeout_s": 2,
                "reconnect": {"initial_s": 0.5, "max_s": 2},
            },
            "sampling": {"mode": "fps", "fps": 2},
        }
    ]
    data["service"]["status_interval_s"] = 1.0
    service = ServiceProcess(data, tmp_path)
    service.start()

    def wait_for(state: str, within_s: float) -> dict[str, object]:
        deadline = time.monotonic() + within_s
        camera: dict[str, object] = {}
        while time.monotonic() < deadline:
            camera = service.client.get("/api/cameras/street").json()
            if camera["state"] == state:
                return camera
            time.sleep(0.5)
        raise AssertionError(f"camera still {camera.get('state')} after {within_s} s")

    try:
        wait_for("online", 60)
        server.kill()
        wait_for("offline", 30)
        server.start()
        back = wait_for("online", 60)
        assert int(back["reconnects"]) >= 1  # type: ignore[call-overload]
    finally:
        service.stop()
        server.stop()
