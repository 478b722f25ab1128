"""Detection: ONNX object detectors (bundled NanoDet-g, bring-your-own YOLO) behind one protocol."""
