"""Dense stride-8 feature maps from the bundled networks, for the small heads trained on them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from cctwin.detect.nanodet import MEAN as NANODET_MEAN
from cctwin.detect.nanodet import STD as NANODET_STD
from cctwin.detect.onnx import normalisation_table, normalise_into

FloatArray = npt.NDArray[np.float32]
UInt8Array = npt.NDArray[np.uint8]
BackboneName = Literal["nanodet", "vgg", "efficientnet", "vgg+efficientnet"]
STRIDE = 8

# NanoDet-g: last outputs of the stride-8, -16 and -32 CSP stages (128 + 256 + 512 channels).
NANODET_TENSORS = ("concat_27", "concat_42", "concat_62")
# CSRNet's front end is VGG-16 up to conv4_3 (ImageNet-initialised): conv3_3 at stride 4
# (256 channels, averaged down to stride 8) and conv4_3 at stride 8 (512 channels).
VGG_TENSORS = ("/frontend/frontend.15/Relu_output_0", "/frontend/frontend.22/Relu_output_0")
VGG_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255
VGG_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255
# EfficientNet-Lite0 (ImageNet): the last block of the stride-8, -16 and -32 stages and the
# 1x1 head (40 + 112 + 320 + 1280 channels); the Lite models read RGB as (x - 127) / 128.
EFFICIENTNET_TENSORS = ("stride8", "stride16", "stride32", "head")
# Beside VGG's textures, the stride-16 and -32 stages add scene context (112 + 320 channels).
EFFICIENTNET_CONTEXT_TENSORS = ("stride16", "stride32")
EFFICIENTNET_MEAN = np.full(3, 127.0, dtype=np.float32)
EFFICIENTNET_STD = np.full(3, 128.0, dtype=np.float32)


class FeatureBackbone(Protocol):
    """A frozen network that turns an image into one feature vector per 8x8 pixel cell."""

    name: BackboneName

    def features(self, resized_bgr: UInt8Array) -> FloatArray:
        """(channels, height // 8, width // 8) for an image whose sides are multiples of 32."""
        ...


def nanodet_model() -> Path:
    """The bundled NanoDet-g ONNX file."""
    return Path(str(resources.files("cctwin.detect").joinpath("models/nanodet-g-416.onnx")))


def csrnet_model() -> Path:
    """The bundled CSRNet ONNX file, whose front end is VGG-16."""
    return Path(str(resources.files("cctwin.analytics.crowd").joinpath("models/csrnet.onnx")))


def efficientnet_model() -> Path:
    """The bundled EfficientNet-Lite0 feature network (ImageNet, no classifier)."""
    return Path(str(resources.files("cctwin.analytics").joinpath("models/efficientnet-lite0.onnx")))


def onnx_session(graph_bytes: bytes, threads: int) -> Any:
    """A CPU session with a fixed number of threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(graph_bytes, options, providers=["CPUExecutionProvider"])


def _to_grid(chans: FloatArray, rows: int, cols: int) -> FloatArray:
    """Resample a (C, h, w) map onto the stride-8 grid: 2x2 means down, bilinear up."""
    if chans.shape[1:] == (rows, cols):
        return chans
    if chans.shape[1] >= 2 * rows and chans.shape[2] >= 2 * cols:
        cropped = chans[:, : 2 * rows, : 2 * cols]
        pooled = cropped.reshape(chans.shape[0], rows, 2, cols, 2).mean(axis=(2, 4))
        return np.asarray(pooled, dtype=np.float32)
    # cv2 resizes at most 512 channels at once (HWC layout), so wider maps go in slices.
    slices = []
    for start in range(0, chans.shape[0], 512):
        hwc = np.ascontiguousarray(chans[start : start + 512].transpose(1, 2, 0))
        up = cv2.resize(hwc, (cols, rows), interpolation=cv2.INTER_LINEAR)
        slices.append(np.asarray(up, dtype=np.float32).reshape(rows, cols, -1).transpose(2, 0, 1))
    return np.concatenate(slices, axis=0)


class _OnnxBackbone:
    """Runs a graph cut at the named tensors and stacks them on the stride-8 grid."""

    name: BackboneName

    def __init__(
        self,
        graph_bytes: bytes,
        tensors: tuple[str, ...],
        mean: FloatArray,
        std: FloatArray,
        rgb: bool,
        threads: int,
    ) -> None:
        self.session = onnx_session(graph_bytes, threads)
        self.input_name: str = self.session.get_inputs()[0].name
        self.tensors = tensors
        self.table, self.rgb = normalisation_table(mean, std), rgb

    def maps(self, resized_bgr: UInt8Array) -> list[FloatArray]:
        """The named maps at their own strides, each (channels, height, width)."""
        blob = np.empty((1, 3, *resized_bgr.shape[:2]), dtype=np.float32)
        normalise_into(blob[0], resized_bgr, self.table, self.rgb)
        outputs = self.session.run(list(self.tensors), {self.input_name: blob})
        return [np.asarray(m, dtype=np.float32)[0] for m in outputs]

    def features(self, resized_bgr: UInt8Array) -> FloatArray:
        rows, cols = resized_bgr.shape[0] // STRIDE, resized_bgr.shape[1] // STRIDE
        parts = [_to_grid(m, rows, cols) for m in self.maps(resized_bgr)]
        return np.concatenate(parts, axis=0)


class NanoDetBackbone(_OnnxBackbone):
    """NanoDet-g's ShuffleNet stages (896 channels); cheap, tuned for objects."""

    name: BackboneName = "nanodet"

    def __init__(self, threads: int = 1, model: Path | None = None) -> None:
        import onnx

        graph = onnx.load(str(model or nanodet_model()))
        # Only the in-memory copy is cut; the file on disk is untouched.
        cut_after(graph, NANODET_TENSORS)
        super().__init__(
            graph.SerializeToString(), NANODET_TENSORS, NANODET_MEAN, NANODET_STD, False, threads
        )


class VggBackbone(_OnnxBackbone):
    """CSRNet's VGG-16 front end (768 channels); about 10x NanoDet's cost, better textures."""

    name: BackboneName = "vgg"

    def __init__(self, threads: int = 1, model: Path | None = None) -> None:
        import onnx

        model_proto = onnx.load(str(model or csrnet_model()))
        cut_after(model_proto, VGG_TENSORS)
        super().__init__(
            model_proto.SerializeToString(), VGG_TENSORS, VGG_MEAN, VGG_STD, True, threads
        )


class EfficientNetBackbone(_OnnxBackbone):
    """EfficientNet-Lite0's stages (1,752 channels): an ImageNet classifier, so general scenes."""

    name: BackboneName = "efficientnet"

    def __init__(
        self,
        threads: int = 1,
        model: Path | None = None,
        tensors: tuple[str, ...] = EFFICIENTNET_TENSORS,
    ) -> None:
        graph = (model or efficientnet_model()).read_bytes()
        super().__init__(graph, tensors, EFFICIENTNET_MEAN, EFFICIENTNET_STD, True, threads)


class VggEfficientNetBackbone:
    """VGG-16's textures stacked with EfficientNet-Lite0's context stages (1,200 channels).

    A cell of dry dirt road and one of brown flood water look alike to VGG up to conv4_3;
    EfficientNet's deeper, wider view of the scene separates more of them (water head,
    cross-validated 0.806 against 0.786, three seeds each).
    """

    name: BackboneName = "vgg+efficientnet"

    def __init__(self, threads: int = 1) -> None:
        self.vgg = VggBackbone(threads=threads)
        self.context = EfficientNetBackbone(threads=threads, tensors=EFFICIENTNET_CONTEXT_TENSORS)

    def features(self, resized_bgr: UInt8Array) -> FloatArray:
        return np.concatenate(
            [self.vgg.features(resized_bgr), self.context.features(resized_bgr)], axis=0
        )


def cut_after(model_proto: Any, tensors: tuple[str, ...]) -> None:
    """Keep only the nodes the named tensors depend on, and make those the outputs.

    The CSRNet density back end costs as much again as the front end; dropping it from the
    in-memory graph means it is never computed.
    """
    import onnx

    graph = model_proto.graph
    needed = set(tensors)
    kept = []
    for node in reversed(graph.node):
        if needed.intersection(node.output):
            kept.append(node)
            needed.update(node.input)
    kept.reverse()
    initializers = [i for i in graph.initializer if i.name in needed]
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    del graph.output[:]
    graph.output.extend(
        onnx.helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None) for t in tensors
    )


def create_backbone(name: BackboneName, threads: int = 1) -> FeatureBackbone:
    """The backbone a trained head names."""
    if name == "vgg":
        return VggBackbone(threads=threads)
    if name == "efficientnet":
        return EfficientNetBackbone(threads=threads)
    if name == "vgg+efficientnet":
        return VggEfficientNetBackbone(threads=threads)
    return NanoDetBackbone(threads=threads)
