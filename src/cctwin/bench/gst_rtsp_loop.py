"""GStreamer RTSP server that loops H.264 MP4 files forever without re-encoding.

Run by Debian's /usr/bin/python3 (the only interpreter with `gi`), not by the project's venv:

    /usr/bin/python3 gst_rtsp_loop.py --port 8554 --mount cam1=/clips/a.mp4 --mount cam2=/clips/b.mp4

Each file is demuxed once into H.264 access units held in memory; every mount replays them
through an appsrc whose timestamps keep increasing across the loop point, and a clocksync
paces them to real time. Files must have no B-frames: decode time is taken to equal PTS.
Prints `READY <port>` on stdout once listening; exits on SIGTERM/SIGINT.
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

# byte-stream with SPS/PPS before every IDR lets a client join at any keyframe of the loop.
ACCESS_UNIT_CAPS = "video/x-h264,stream-format=byte-stream,alignment=au"
MEDIA_LAUNCH = (
    "( appsrc name=src is-live=true format=time"
    " ! clocksync ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)


class Clip:
    """A file's H.264 access units with timestamps relative to its first frame."""

    def __init__(self, path):
        self.caps, self.units = demux_access_units(path)
        first_pts = self.units[0][1]
        self.units = [(data, pts - first_pts, duration) for data, pts, duration in self.units]
        _, last_pts, last_duration = self.units[-1]
        self.loop_duration = last_pts + last_duration


def demux_access_units(path):
    """Read every access unit of the file's video track once, as fast as the disk allows."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{path}" ! qtdemux ! h264parse config-interval=-1'
        f" ! {ACCESS_UNIT_CAPS} ! appsink name=sink sync=false"
    )
    sink = pipeline.get_by_name("sink")
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    units, caps, fallback_duration = [], None, None
    try:
        while True:
            # A timed pull, because after a demux error no sample and no EOS ever arrive.
            sample = sink.emit("try-pull-sample", Gst.SECOND // 10)
            if sample is None:
                error = bus.pop_filtered(Gst.MessageType.ERROR)
                if error is not None:
                    raise RuntimeError(f"cannot demux {path}: {error.parse_error()[0].message}")
                if sink.get_property("eos"):
                    break
                continue
            caps = caps or sample.get_caps()
            buffer = sample.get_buffer()
            if fallback_duration is None:
                _, numerator, denominator = caps.get_structure(0).get_fraction("framerate")
                fps = (numerator, denominator) if numerator and denominator else (25, 1)
                fallback_duration = Gst.util_uint64_scale(Gst.SECOND, fps[1], fps[0])
            duration = buffer.duration
            if duration == Gst.CLOCK_TIME_NONE:
                duration = fallback_duration
            units.append((buffer.extract_dup(0, buffer.get_size()), buffer.pts, duration))
    finally:
        pipeline.set_state(Gst.State.NULL)
    if not units:
        raise RuntimeError(f"cannot demux {path}: no H.264 video track")
    return caps, units


class LoopFeeder:
    """Feeds one media's appsrc with the clip's access units, looping with increasing PTS."""

    def __init__(self, clip):
        self.clip = clip
        self.next_index = 0
        self.loop_offset = None  # running time at which the current pass over the clip began

    def on_need_data(self, appsrc, _length):
        if self.loop_offset is None:
            # Stamp from the running time now: starting at 0 would make clocksync treat the
            # first frames as late and send them in a burst.
            clock = appsrc.get_clock()
            now = clock.get_time() - appsrc.get_base_time() if clock else 0
            self.loop_offset = max(now, 0)
        data, pts, duration = self.clip.units[self.next_index]
        buffer = Gst.Buffer.new_wrapped(data)
        buffer.pts = buffer.dts = self.loop_offset + pts
        buffer.duration = duration
        appsrc.emit("push-buffer", buffer)
        self.next_index += 1
        if self.next_index == len(self.clip.units):
            self.next_index = 0
            self.loop_offset += self.clip.loop_duration


def make_factory(clip):
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(MEDIA_LAUNCH)
    # One pipeline per mount however many clients watch it, as a camera would behave.
    factory.set_shared(True)

    def on_media_configure(_factory, media):
        appsrc = media.get_element().get_by_name("src")
        appsrc.set_property("caps", clip.caps)
        feeder = LoopFeeder(clip)
        appsrc.connect("need-data", feeder.on_need_data)

    factory.connect("media-configure", on_media_configure)
    return factory


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8554, help="0 picks a free port")
    parser.add_argument(
        "--mount", action="append", required=True, metavar="NAME=FILE",
        help="serve FILE in a loop at rtsp://HOST:PORT/NAME (repeatable)",
    )
    args = parser.parse_args(argv)
    mounts = {}
    for spec in args.mount:
        name, separator, path = spec.partition("=")
        if not separator or not name or not path:
            parser.error(f"--mount expects NAME=FILE, got {spec!r}")
        mounts[name.strip("/")] = path
    return args, mounts


def main(argv):
    args, mounts = parse_args(argv)
    Gst.init(None)
    clips_by_path = {}
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    mount_points = server.get_mount_points()
    for name, path in mounts.items():
        if path not in clips_by_path:
            try:
                clips_by_path[path] = Clip(path)
            except RuntimeError as error:
                print(f"gst_rtsp_loop: mount {name}: {error}", file=sys.stderr)
                return 2
        mount_points.add_factory(f"/{name}", make_factory(clips_by_path[path]))
    if server.attach(None) == 0:
        print(f"gst_rtsp_loop: cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal_number, loop.quit)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
