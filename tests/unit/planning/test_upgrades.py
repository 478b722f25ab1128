"""Upgrade ranking: sub-2 MP cameras by the weighted ground they watch and the events there."""

from __future__ import annotations

from cctwin.planning.coverage import CameraCoverage
from cctwin.planning.upgrades import rank_upgrades


def _row(camera_id: str, mp: float, weighted: float, status: str = "placed") -> CameraCoverage:
    return CameraCoverage.model_validate(
        {"camera_id": camera_id, "status": status, "megapixels": mp, "weighted_m2": weighted}
    )


ROWS = [
    _row("hd", 2.07, 900),  # 1080p: not an upgrade candidate
    _row("big", 0.3, 800),
    _row("busy", 0.9, 200),
    _row("nowhere", 0.0, 0, status="not placed"),
]


def test_without_a_store_the_area_alone_ranks() -> None:
    ranked = rank_upgrades(ROWS, 2.0, None)
    assert [u.camera_id for u in ranked] == ["big", "busy"]
    assert ranked[0].events is None
    assert ranked[0].score == 1.0


def test_events_lift_a_busy_camera_over_a_bigger_quiet_one() -> None:
    ranked = rank_upgrades(ROWS, 2.0, {"big": 1, "busy": 40})
    assert [u.camera_id for u in ranked] == ["busy", "big"]
    assert ranked[0].score == 0.5 * 200 / 800 + 0.5
    assert ranked[1].events == 1
