"""KISA-style event scoring: matching alarms to intervals, file layouts, errors and the CLI."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cctwin.cli import app
from cctwin.errors import EvaluationError
from cctwin.evaluate.events import Alarm, score_events
from cctwin.evaluate.events_files import read_alarms, read_ground_truth

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def record(
    kind: str, second: float, camera: str = "cam1", fps: float = 10.0, n: int = 0
) -> dict[str, Any]:
    """An event record as `cctwin analyze` writes it, for a clip stamped from the epoch."""
    return {
        "id": f"{kind}-{camera}-{second}-{n}",
        "kind": kind,
        "topic": "tns1:RuleEngine/x",
        "camera_id": camera,
        "rule_id": "rule",
        "occurred_at": (EPOCH + timedelta(seconds=second)).isoformat(),
        "frame_index": round(second * fps) + 1,
        "track_id": 1,
        "class_name": "person",
        "confidence": 0.9,
    }


def write_case(
    folder: Path, truth: dict[str, Any] | list[Any], records: list[dict[str, Any]]
) -> tuple[Path, Path]:
    gt = folder / "gt.json"
    gt.write_text(json.dumps(truth), encoding="utf-8")
    events = folder / "events.jsonl"
    events.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return gt, events


def score(folder: Path, truth: Any, records: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    gt, events = write_case(folder, truth, records)
    return score_events(read_ground_truth(gt), read_alarms(events), **kw).as_dict()


def test_each_interval_counts_once_and_outside_alarms_are_false_positives(tmp_path: Path) -> None:
    truth = {
        "intervals": [
            {"kind": "loitering", "start": 10, "end": 20, "id": "hit"},
            {"kind": "loitering", "start": 40, "end": 50, "id": "missed"},
        ]
    }
    alarms = [record("loitering", s, n=i) for i, s in enumerate((12, 13, 19.5, 70))]
    result = score(tmp_path, truth, alarms)
    assert (result["tp"], result["fp"], result["fn"], result["duplicates"]) == (1, 1, 1, 2)
    assert result["precision"] == pytest.approx(0.5)
    assert result["recall"] == pytest.approx(0.5)
    assert result["f1"] == pytest.approx(0.5)
    assert result["n_intervals"] == 2
    assert result["n_alarms"] == 4
    by_id = {row["id"]: row for row in result["intervals"]}
    assert by_id["hit"]["detected"]
    assert by_id["hit"]["delay_s"] == pytest.approx(2.0)  # the earliest alarm detects it
    assert not by_id["missed"]["detected"]
    assert [a["frame"] for a in result["false_alarms"]] == [701]
    assert result["meets_kisa_f1"] is False


def test_one_alarm_detects_at_most_one_interval_and_matching_is_maximal(tmp_path: Path) -> None:
    truth = [
        {"kind": "intrusion", "start": 0, "end": 10, "id": "long"},
        {"kind": "intrusion", "start": 5, "end": 6, "id": "short"},
    ]
    # Taking the earliest alarm for "long" would leave "short" undetected.
    both = score(tmp_path, truth, [record("intrusion", 5.5), record("intrusion", 8)])
    assert (both["tp"], both["fn"], both["fp"]) == (2, 0, 0)
    one = score(tmp_path, truth, [record("intrusion", 5.5)])
    assert (one["tp"], one["fn"], one["fp"]) == (1, 1, 0)


def test_tolerance_widens_intervals_and_the_option_overrides_the_file(tmp_path: Path) -> None:
    truth = {"intervals": [{"kind": "loitering", "start": 10, "end": 20}], "tolerance_s": 2.0}
    late = [record("loitering", 21.5)]
    assert score(tmp_path, truth, late)["tp"] == 1
    strict = score(tmp_path, truth, late, tolerance_s=0.0)
    assert (strict["tp"], strict["fp"], strict["tolerance_s"]) == (0, 1, 0.0)
    early = score(tmp_path, truth, [record("loitering", 9)])
    assert early["intervals"][0]["delay_s"] == pytest.approx(-1.0)


def test_kind_and_camera_must_match_when_given(tmp_path: Path) -> None:
    truth = [
        {"kind": "loitering", "camera_id": "cam2", "start": 0, "end": 10},
        {"kind": "intrusion", "start": 0, "end": 10},
    ]
    alarms = [
        record("loitering", 5, camera="cam1"),  # wrong camera: false positive
        record("intrusion", 5, camera="cam9"),  # interval names no camera: any camera
        record("loitering", 6, camera="cam2"),
    ]
    result = score(tmp_path, truth, alarms)
    assert (result["tp"], result["fp"], result["fn"]) == (2, 1, 0)
    assert result["per_kind"]["loitering"]["fp"] == 1
    assert result["per_kind"]["intrusion"]["f1"] == pytest.approx(1.0)


def test_unannotated_kinds_are_ignored_unless_listed(tmp_path: Path) -> None:
    truth: dict[str, Any] = {"intervals": [{"kind": "loitering", "start": 0, "end": 10}]}
    alarms = [record("loitering", 1), record("zone_enter", 2), record("intrusion", 3)]
    plain = score(tmp_path, truth, alarms)
    assert (plain["fp"], plain["ignored_alarms"]) == (0, 2)
    truth["kinds"] = ["loitering", "intrusion"]
    listed = score(tmp_path, truth, alarms)
    assert (listed["fp"], listed["ignored_alarms"]) == (1, 1)
    assert listed["per_kind"]["intrusion"] == pytest.approx(
        {
            "precision": 0.0,
            "recall": 1.0,
            "f1": 0.0,
            "tp": 0,
            "fp": 1,
            "fn": 0,
            "duplicates": 0,
            "n_intervals": 0,
            "n_alarms": 1,
            "mean_delay_s": None,
        }
    )


def test_kisa_names_map_to_cctwin_kinds(tmp_path: Path) -> None:
    truth = [
        {"kind": "collapse", "start": 0, "end": 10},
        {"kind": "arson", "start": 20, "end": 30},
    ]
    result = score(tmp_path, truth, [record("fallenPerson", 4), record("buildingFire", 25)])
    assert set(result["per_kind"]) == {"fallenPerson", "buildingFire"}
    assert result["f1"] == pytest.approx(1.0)
    assert result["meets_kisa_f1"] is True


def test_iso_timestamps_timecodes_and_origin(tmp_path: Path) -> None:
    origin = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    alarm = record("loitering", 0)
    alarm["occurred_at"] = (origin + timedelta(seconds=75)).isoformat()
    absolute = [
        {"kind": "loitering", "start": "2024-05-01T09:01:10Z", "end": "2024-05-01T09:01:20Z"}
    ]
    assert score(tmp_path, absolute, [alarm])["intervals"][0]["delay_s"] == pytest.approx(5.0)
    # A time without a zone is UTC.
    naive = [{"kind": "loitering", "start": "2024-05-01T09:01:10", "end": "2024-05-01T09:01:20"}]
    assert score(tmp_path, naive, [alarm])["tp"] == 1
    timecode = {
        "intervals": [{"kind": "loitering", "start": "00:01:14", "end": "1:20.5"}],
        "origin": "2024-05-01T09:00:00+00:00",
    }
    assert score(tmp_path, timecode, [alarm])["intervals"][0]["delay_s"] == pytest.approx(1.0)
    # Without an origin, clip seconds count from the epoch, as analyze stamps plain files.
    assert score(tmp_path, {"intervals": timecode["intervals"]}, [alarm])["tp"] == 0


def test_frame_intervals_use_event_frames_and_fps_for_seconds(tmp_path: Path) -> None:
    truth: dict[str, Any] = {
        "intervals": [{"kind": "fallenPerson", "start_frame": 100, "end_frame": 200}]
    }
    alarm = record("fallenPerson", 15, fps=10)  # frame 151
    plain = score(tmp_path, truth, [alarm])
    assert plain["intervals"][0]["delay_frames"] == 51
    assert plain["intervals"][0]["delay_s"] is None
    assert plain["mean_delay_s"] is None
    truth.update(fps=10, tolerance_s=1.0)
    late = record("fallenPerson", 20.8, fps=10)  # frame 209: inside 200 + 1 s x 10 fps
    timed = score(tmp_path, truth, [late])
    assert timed["tp"] == 1
    assert timed["intervals"][0]["delay_s"] == pytest.approx(10.9)  # 109 frames
    del truth["fps"]
    with pytest.raises(EvaluationError, match="needs 'fps'"):
        score(tmp_path, truth, [alarm])


def test_clip_seconds_from_frames_when_fps_is_given(tmp_path: Path) -> None:
    alarm = record("loitering", 15, fps=25)
    alarm["occurred_at"] = "2030-01-01T00:00:00+00:00"  # a file with a creation time
    truth = {"intervals": [{"kind": "loitering", "start": 14, "end": 16}], "fps": 25}
    assert score(tmp_path, truth, [alarm])["intervals"][0]["delay_s"] == pytest.approx(1.0)


def test_nothing_to_find_and_nothing_raised(tmp_path: Path) -> None:
    empty = score(tmp_path, {"intervals": [], "kinds": ["loitering"]}, [])
    assert (empty["precision"], empty["recall"]) == (1.0, 1.0)
    silent = score(tmp_path, [{"kind": "loitering", "start": 0, "end": 1}], [])
    assert (silent["precision"], silent["recall"], silent["f1"]) == (1.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("truth", "message"),
    [
        ('{"intervals": [\n  {"kind": "x",}\n]}', r"gt\.json:2: not JSON"),
        ('{"intervals": [{"start": 1, "end": 2}]}', r"intervals\.0\.kind: Field required"),
        ('{"intervals": [{"kind": "x", "start": 3, "end": 2}]}', "end is before start"),
        ('{"intervals": [{"kind": "x", "start": 1}]}', "needs start and end"),
        ('[{"kind": "x", "start": 1, "end": 2, "end_frame": 3}]', "not both"),
        ('[{"kind": "x", "start": "yesterday", "end": 2}]', "not ISO-8601"),
        ('[{"kind": "x", "start": "2024-01-01T00:00:00", "end": 5}]', "both be times"),
        ('{"intervals": [], "tolerance": 1}', "tolerance: Extra inputs"),
    ],
)
def test_bad_ground_truth_names_file_and_place(tmp_path: Path, truth: str, message: str) -> None:
    path = tmp_path / "gt.json"
    path.write_text(truth, encoding="utf-8")
    with pytest.raises(EvaluationError, match=message):
        read_ground_truth(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"kind": "loitering",', "events.jsonl:3: not JSON"),
        ("[1, 2]", "events.jsonl:3: expected a JSON object"),
        ('{"kind": "loitering", "camera_id": "c", "frame_index": 3}', "3: needs 'occurred_at'"),
        ('{"kind": "l", "camera_id": "c", "occurred_at": "x", "frame_index": 1}', "3: occurred_at"),
        (
            '{"kind": "l", "camera_id": "c", "occurred_at": "2024-01-01", "frame_index": true}',
            "frame",
        ),
    ],
)
def test_bad_event_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(record("loitering", 1)) + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match=message):
        read_alarms(path)


def test_alarms_keep_their_record_fields(tmp_path: Path) -> None:
    _, events = write_case(tmp_path, [], [record("intrusion", 2.5, camera="gate")])
    assert read_alarms(events) == [
        Alarm(
            id="intrusion-gate-2.5-0",
            kind="intrusion",
            camera_id="gate",
            occurred_at=EPOCH + timedelta(seconds=2.5),
            frame=26,
        )
    ]


def test_cli_prints_json_reads_several_clips_and_writes_plots(tmp_path: Path) -> None:
    truth = [
        {"kind": "loitering", "camera_id": "a", "start": 0, "end": 10},
        {"kind": "loitering", "camera_id": "b", "start": 0, "end": 10},
    ]
    gt, first = write_case(tmp_path, truth, [record("loitering", 3, camera="a")])
    second = tmp_path / "b.jsonl"
    second.write_text(json.dumps(record("loitering", 30, camera="b")) + "\n", encoding="utf-8")
    plots = tmp_path / "plots"
    inputs = ["--gt", str(gt), "--events", str(first), "--events", str(second)]
    result = CliRunner().invoke(app, ["eval", "events", *inputs, "--json", "--plots", str(plots)])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (1, 1, 1)
    assert sorted(p.name for p in plots.iterdir()) == ["delays.png", "scores.png", "timeline.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in plots.iterdir())
    table = CliRunner().invoke(app, ["eval", "events", "--gt", str(gt), "--events", str(first)])
    assert table.exit_code == 0
    assert "event-level F1 0.667 below the KISA 0.90" in table.stdout


def test_cli_exits_2_with_file_and_line_on_a_bad_file(tmp_path: Path) -> None:
    gt, events = write_case(tmp_path, [], [])
    events.write_text(json.dumps(record("loitering", 1)) + "\nnot json\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "events", "--gt", str(gt), "--events", str(events)])
    assert result.exit_code == 2
    assert f"{events}:2: not JSON" in result.stderr.replace("\n", "")
