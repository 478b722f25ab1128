"""The evaluation's timeline: each measure over its threshold, fault episodes, raised alarms."""

from __future__ import annotations

from pathlib import Path

from cctwin.camerahealth.evaluate import Clip, timeline
from cctwin.config.camerahealth import CameraHealthConfig
from cctwin.messages import HealthReason

# The measure drawn per reason, and whether a fault is below (True) or above its threshold.
PANELS = (
    (HealthReason.BLURRED, "sharpness", True),
    (HealthReason.DARK, "mean_luma", True),
    (HealthReason.FROZEN, "frame_change", True),
    (HealthReason.COVERED, "flat_share", False),
    (HealthReason.MOVED, "displacement", False),
)


def write_timeline(clip: Clip, config: CameraHealthConfig, out: Path) -> Path:
    """One PNG: a panel per reason with value / threshold over stream time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trace, alarms, episodes = timeline(clip, config)
    figure, axes = plt.subplots(len(PANELS), 1, figsize=(14, 11), sharex=True)
    for axis, (reason, measure, low) in zip(axes, PANELS, strict=True):
        points = [
            (sample.t_s, check.value / check.threshold)
            for sample in trace
            for check in sample.checks
            if check.measure == measure and check.threshold
        ]
        axis.plot([p[0] for p in points], [p[1] for p in points], lw=0.8, color="#335")
        axis.axhline(1.0, color="#c33", lw=0.8, ls="--")
        axis.set_yscale("log")
        axis.set_ylabel(f"{measure}\n/ threshold", fontsize=8)
        axis.set_title(
            f"{reason.value} ({'below' if low else 'above'} 1 = fault)", fontsize=9, loc="left"
        )
        for episode in episodes:
            axis.axvspan(episode.start_s, episode.end_s, color="#fc6", alpha=0.25)
        for alarm in alarms:
            if alarm.reason is reason:
                axis.axvspan(alarm.start_s, alarm.end_s, ymax=0.06, color="#c33")
    for episode in episodes:
        axes[0].text(episode.start_s, 1.12, episode.fault.label, fontsize=7, rotation=30,
                     transform=axes[0].get_xaxis_transform())  # fmt: skip
    axes[-1].set_xlabel("stream time, s (shaded: fault injected; red bar: raised)")
    figure.suptitle(f"Camera quality audit on {clip.name}", y=0.995)
    figure.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"camera-faults-{clip.name}.png"
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
